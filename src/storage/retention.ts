import type { OperationsSettings } from '../config/env.js';
import type { Database, Queryable } from './db.js';
import { countRowsOf } from './figure-counts.js';

/** What is kept how long (EFA_*_RETENTION_* in docs/operations.md); 0 keeps that kind forever. */
export interface RetentionPolicy {
  /** Ciphertext of delivered or decided submissions, days after their last status change. */
  payloadDays: number;
  /** Delivery attempts, days after they finished; the delivered attempt (the receipt) stays. */
  attemptDays: number;
  /** Routing versions: the newest this many stay (always at least the one in force). */
  routingVersionsKept: number;
}

export function retentionPolicy(ops: Pick<OperationsSettings, 'payloadRetentionDays' | 'attemptRetentionDays' | 'routingVersionsKept'>): RetentionPolicy {
  return { payloadDays: ops.payloadRetentionDays, attemptDays: ops.attemptRetentionDays, routingVersionsKept: ops.routingVersionsKept };
}

export interface PurgeCounts {
  drafts: number;
  /** Expired login sessions and logins never completed (src/accounts/sessions.ts). */
  sessions: number;
  /** IDs of used SAML assertions past their expiry: a replay of those is refused by its timestamps (src/accounts/saml-replay.ts). */
  samlAssertions: number;
  /** Uploaded files (attachment rows) of expired drafts, of purged payloads, and orphans. */
  files: number;
  /** Their stored chunks, deleted before the rows so that no batch holds more than CHUNK_BATCH. */
  fileChunks: number;
  payloads: number;
  /** Authorities' answers in the applicant's Postfach whose text and files were removed (docs/postfach.md). */
  answers: number;
  /** Fee payments (docs/payment.md): with their submission's payload, or once their draft is gone. */
  payments: number;
  attempts: number;
  routingVersions: number;
  /** Routing rows (migration 900) that no kept version has any more. */
  routingRows: number;
}

/** What a run removed; `busy`: it met another process's purge and left the rest to it. */
export interface PurgeOutcome {
  purged: PurgeCounts;
  busy: boolean;
}

/** pg_try_advisory_xact_lock key: one purge at a time across all workers and replicas. */
const PURGE_LOCK = 0x45_46_41_50; // "EFAP"
const BATCH = 1_000;
/** Chunks are up to 256 KiB each (a little more sealed): a batch deletes at most about 64 MiB. */
const CHUNK_BATCH = 256;
/**
 * A draft file that no committed save references after this long is an orphan: the post that
 * uploaded it failed or its process died. Longer than any request can take (an upload's timeout).
 */
export const ORPHAN_FILE_HOURS = 24;
/** Batches per kind and run: a large backlog is worked off over several runs, never in one long one. */
const MAX_BATCHES = 50;

/**
 * One kind of purge: a statement that handles at most $1 rows and returns how many. Each batch is
 * its own short transaction (so the statement timeout and row locks stay small) that first takes
 * the purge lock: if another process holds it, this run stops and leaves the work to that one.
 * `counted`: the statement ends in a SELECT of the count as n (a DELETE inside a CTE).
 */
type Step = { kind: keyof PurgeCounts; sql: string; params: unknown[]; batch?: number; counted?: boolean };

/**
 * The files that are due: those of expired drafts, of submissions whose payload was purged, and
 * orphans (uploaded for a draft, never taken by a save). $2 is ORPHAN_FILE_HOURS.
 */
const DUE_FILES = `
  SELECT a.id FROM attachments a JOIN drafts d ON d.id = a.draft_id WHERE d.expires_at <= now()
  UNION ALL
  SELECT a.id FROM attachments a JOIN submissions s ON s.id = a.submission_id WHERE s.payload_purged_at IS NOT NULL
  UNION ALL
  SELECT id FROM attachments WHERE draft_id IS NOT NULL AND NOT committed AND created_at < now() - make_interval(hours => $2)`;

/**
 * Files go chunk batch by chunk batch, then their rows (chunkless by then, so the cascade is
 * cheap), then expired drafts that hold no file any more: a draft of 160 MiB never goes in one
 * transaction. A step that stops at MAX_BATCHES leaves the rest, and the drafts wait for it.
 */
const FILE_STEPS: Step[] = [
  {
    kind: 'fileChunks',
    sql: `DELETE FROM attachment_chunks WHERE (attachment_id, part, seq) IN (
            SELECT attachment_id, part, seq FROM attachment_chunks WHERE attachment_id IN (${DUE_FILES}) LIMIT $1)`,
    params: [ORPHAN_FILE_HOURS],
    batch: CHUNK_BATCH,
  },
  {
    kind: 'files',
    sql: `DELETE FROM attachments WHERE id IN (
            SELECT id FROM (${DUE_FILES}) due WHERE NOT EXISTS (SELECT 1 FROM attachment_chunks c WHERE c.attachment_id = due.id) LIMIT $1)`,
    params: [ORPHAN_FILE_HOURS],
  },
  {
    // A draft that expires was never submitted: the figures count it as abandoned at the step it had
    // reached (current_step, '' before any answer), in the month it was opened; then it is gone.
    kind: 'drafts',
    sql: `WITH gone AS (DELETE FROM drafts WHERE id IN (SELECT id FROM drafts d WHERE expires_at <= now()
            AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.draft_id = d.id) LIMIT $1)
            RETURNING tenant, service_id, created_at, current_step),
          counted AS (${countRowsOf('gone', 'abandoned', 'created_at', "coalesce(current_step, '')")})
          SELECT count(*)::int AS n FROM gone`,
    params: [],
    counted: true,
  },
  {
    kind: 'sessions',
    sql: `DELETE FROM account_sessions WHERE id_sha256 IN (SELECT id_sha256 FROM account_sessions WHERE expires_at <= now() LIMIT $1)`,
    params: [],
  },
  {
    kind: 'samlAssertions',
    sql: `DELETE FROM saml_assertions_used WHERE (tenant_id, assertion_id) IN (
            SELECT tenant_id, assertion_id FROM saml_assertions_used WHERE expires_at < now() LIMIT $1)`,
    params: [],
  },
];

/**
 * Payments go with what they paid for, after the drafts' step so a draft that expired in this run
 * takes its payments along: a submission's once its payload was purged; one no submission took
 * once its draft is gone (expired, or submitted with another payment), except a booked one, which
 * the reconciliation lists for a refund until it is as old as a payload is kept (forever with 0).
 */
function paymentStep(policy: RetentionPolicy): Step {
  return {
    kind: 'payments',
    sql: `DELETE FROM payments WHERE id IN (SELECT p.id FROM payments p
            WHERE CASE WHEN p.submission_id IS NOT NULL
                       THEN EXISTS (SELECT 1 FROM submissions s WHERE s.id = p.submission_id AND s.payload_purged_at IS NOT NULL)
                       ELSE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.id = p.draft_id)
                            AND (p.status <> 'booked' OR ($2 > 0 AND p.created_at < now() - make_interval(days => $2))) END
            LIMIT $1)`,
    params: [policy.payloadDays],
  };
}

function steps(policy: RetentionPolicy): Step[] {
  const out: Step[] = [];
  if (policy.payloadDays > 0) {
    // Push submissions are done once delivered; a pull submission only once decided (its authority
    // may fetch it again until then). The hash, reference and status stay: metadata is kept. The
    // applicant's copy for the receipt goes with the payload.
    out.push({
      kind: 'payloads',
      sql: `UPDATE submissions SET payload_jwe = '', applicant_copy = NULL, notify_sealed = NULL, payload_purged_at = now()
             WHERE id IN (SELECT id FROM submissions
                           WHERE payload_purged_at IS NULL AND status IN ('delivered', 'accepted', 'rejected')
                             AND updated_at < now() - make_interval(days => $2)
                             AND (delivery_mode = 'push' OR status IN ('accepted', 'rejected'))
                           LIMIT $1)`,
      params: [policy.payloadDays],
    });
    // The Postfach keeps an answer as long as a payload is kept after its last change: the
    // answer's text and files go, the row (date, status for the history) stays.
    out.push({
      kind: 'answers',
      sql: `UPDATE submission_answers SET sealed = NULL, purged_at = now()
             WHERE id IN (SELECT id FROM submission_answers WHERE purged_at IS NULL AND received_at < now() - make_interval(days => $2) LIMIT $1)`,
      params: [policy.payloadDays],
    });
  }
  // After the payloads, so the files of a payload purged in this run go in this run too.
  out.push(...FILE_STEPS);
  out.push(paymentStep(policy));
  if (policy.attemptDays > 0) {
    out.push({
      kind: 'attempts',
      sql: `DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts
              WHERE finished_at < now() - make_interval(days => $2) AND outcome <> 'delivered' LIMIT $1)`,
      params: [policy.attemptDays],
    });
  }
  if (policy.routingVersionsKept > 0) {
    // Every process puts the newest version in force, so keeping the newest N keeps the one in force.
    out.push({
      kind: 'routingVersions',
      sql: `DELETE FROM routing_versions WHERE version IN (SELECT version FROM routing_versions
              WHERE version <= (SELECT max(version) FROM routing_versions) - $2 LIMIT $1)`,
      params: [Math.max(1, policy.routingVersionsKept)],
    });
    // A row is shared by the versions from first_version to last_version: it goes once the last
    // of them has. Rows still in the newest version (last_version NULL) always stay.
    out.push({
      kind: 'routingRows',
      sql: `DELETE FROM routing_rows WHERE id IN (SELECT id FROM routing_rows
              WHERE last_version < (SELECT coalesce(min(version), 2147483647) FROM routing_versions) LIMIT $1)`,
      params: [],
    });
  }
  return out;
}

async function batch(tx: Queryable, step: Step): Promise<number | 'busy'> {
  const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [PURGE_LOCK]);
  if (!rows[0]?.ok) return 'busy';
  const result = await tx.query<{ n: number }>(step.sql, [step.batch ?? BATCH, ...step.params]);
  return step.counted ? Number(result.rows[0]?.n ?? 0) : result.rowCount;
}

/** Deletes (or empties) what is due now and says how much; safe to run from several processes. */
export async function purge(db: Database, policy: RetentionPolicy): Promise<PurgeOutcome> {
  const purged: PurgeCounts = { drafts: 0, sessions: 0, samlAssertions: 0, files: 0, fileChunks: 0, payloads: 0, answers: 0, payments: 0, attempts: 0, routingVersions: 0, routingRows: 0 };
  for (const step of steps(policy)) {
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await db.transaction((tx) => batch(tx, step));
      if (n === 'busy') return { purged, busy: true };
      purged[step.kind] += n;
      if (n < (step.batch ?? BATCH)) break;
    }
  }
  return { purged, busy: false };
}

/**
 * Runs the purge every `intervalMs` in `efa worker` and in the embedded process. The first run
 * comes one interval after the start (at most a minute), so a process that restarts in a loop does
 * not purge in a loop.
 */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly policy: RetentionPolicy,
    private readonly intervalMs: number,
    private readonly onResult: (outcome: PurgeOutcome) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(Math.min(this.intervalMs, 60_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = purge(this.db, this.policy).then(this.onResult, this.onError).finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, ms);
    this.timer.unref();
  }
}
