import { EfaError } from '../core/errors.js';
import { Poller } from '../core/poller.js';
import { endpointFor } from '../routing/load.js';
import { authenticationTag } from '../transports/vocabulary.js';
import { transports } from '../transports/registry.js';
import type { AuthorityDecision } from '../transports/types.js';
import type { DeliveryDeps } from './deliver.js';

export interface DecisionPollSettings {
  /** How often due follow-ups are looked for; also the first wait between two reads of one. */
  pollMs: number;
  /** Longest wait between two reads of one submission's decision. */
  retryMaxMs: number;
  /** Give up after this many days; the submission stays "delivered". */
  maxDays: number;
  /** How long one poller holds a follow-up while it reads it (longer than a read's deadline). */
  leaseMs: number;
  batch?: number;
}

interface FollowUpRow {
  submission_id: string;
  transport: string;
  handle: Record<string, string>;
  checks: number;
  expired: boolean;
  authority_id: string;
  leika_key: string;
  payload_jwe: string;
}

export type FollowUpResult = 'accepted' | 'rejected' | 'pending' | 'error' | 'given-up';

/**
 * Follows deliveries whose authority decides after the hand-over (FIT-Connect: the accept or
 * reject event comes minutes or hours after the submission): reads the decision over the
 * transport until it is there, records it as the pull API records an authority's decision
 * (submission_decisions, status accepted or rejected) and stops. Runs in every worker and in the
 * embedded process; several at once are harmless (each follow-up is leased, a decision recorded once).
 */
export class DecisionPoller {
  private readonly poller: Poller;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly settings: DecisionPollSettings,
    private readonly onError: (err: unknown) => void,
    private readonly onDecision: (event: { transport: string; decision: 'accepted' | 'rejected' }) => void = () => undefined,
  ) {
    // A full batch: more are due, look again at once.
    this.poller = new Poller({ intervalMs: settings.pollMs, tick: async () => ((await this.runOnce()).length === (settings.batch ?? 50) ? 'more' : 'idle'), onError });
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** One pass over the due follow-ups; returns what became of each. */
  async runOnce(): Promise<FollowUpResult[]> {
    const { db } = this.deps;
    const { rows } = await db.query<FollowUpRow>(
      `WITH due AS (
         SELECT submission_id FROM delivery_followups
          WHERE next_check_at <= now() AND (locked_until IS NULL OR locked_until < now())
          ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE delivery_followups f SET locked_until = now() + make_interval(secs => $2), checks = f.checks + 1
         FROM due, submissions s
        WHERE f.submission_id = due.submission_id AND s.id = f.submission_id
        RETURNING f.submission_id, f.transport, f.handle, f.checks, f.created_at < now() - make_interval(days => $3) AS expired,
                  s.authority_id, s.leika_key, s.payload_jwe`,
      [this.settings.batch ?? 50, this.settings.leaseMs / 1000, this.settings.maxDays],
    );
    const results: FollowUpResult[] = [];
    for (const row of rows) {
      if (this.poller.stopping) break;
      results.push(await this.follow(row));
    }
    return results;
  }

  private async follow(row: FollowUpRow): Promise<FollowUpResult> {
    let decision: AuthorityDecision | undefined;
    try {
      decision = await this.read(row);
    } catch (err) {
      return this.later(row, err instanceof Error ? err.message : String(err));
    }
    if (!decision) return this.later(row, null);
    await this.record(row, decision);
    this.onDecision({ transport: row.transport, decision: decision.decision });
    return decision.decision;
  }

  private async read(row: FollowUpRow): Promise<AuthorityDecision | undefined> {
    const transport = transports.get(row.transport);
    if (!transport?.decision) throw new EfaError('EFA_NO_DECISION_SOURCE', `transport ${row.transport} cannot read decisions`);
    const endpoint = endpointFor(this.deps.routing(), row.authority_id, row.leika_key);
    if (!endpoint || endpoint.transport !== row.transport) throw new EfaError('EFA_NO_ENDPOINT', `no ${row.transport} directory entry for authority ${row.authority_id} any more`);
    const timeoutMs = this.deps.timeoutMs(row.transport);
    const decision = await transport.decision(row.handle, { endpoint, sender: this.deps.sender, timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    // An accept of other data than ours is no accept of this submission.
    if (decision?.decision === 'accepted' && decision.dataTag !== undefined && decision.dataTag !== authenticationTag(row.payload_jwe)) {
      throw new EfaError('EFA_EVENT_MISMATCH', `the accept event names other encrypted data than submission ${row.submission_id}'s`);
    }
    return decision;
  }

  private async record(row: FollowUpRow, decision: AuthorityDecision): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO submission_decisions (submission_id, decision, problems, client_id, evidence, decided_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (submission_id) DO NOTHING`,
        [row.submission_id, decision.decision, JSON.stringify(decision.problems), `${row.transport}:${decision.decidedBy}`, decision.evidence ?? null, decision.decidedAt],
      );
      await tx.query(`UPDATE submissions SET status = $2, updated_at = now() WHERE id = $1 AND status = 'delivered'`, [row.submission_id, decision.decision]);
      await tx.query('DELETE FROM delivery_followups WHERE submission_id = $1', [row.submission_id]);
    });
  }

  /** Not decided yet (or not readable now): read again later, waiting longer each time, until maxDays. */
  private async later(row: FollowUpRow, error: string | null): Promise<FollowUpResult> {
    if (row.expired) {
      await this.deps.db.query('DELETE FROM delivery_followups WHERE submission_id = $1', [row.submission_id]);
      this.onError(new Error(`no decision on submission ${row.submission_id} within ${this.settings.maxDays} days; no longer followed`));
      return 'given-up';
    }
    const waitMs = Math.min(this.settings.retryMaxMs, this.settings.pollMs * 2 ** Math.min(row.checks - 1, 30));
    await this.deps.db.query(
      'UPDATE delivery_followups SET locked_until = NULL, next_check_at = now() + make_interval(secs => $2), last_error = $3 WHERE submission_id = $1',
      [row.submission_id, waitMs / 1000, error],
    );
    return error === null ? 'pending' : 'error';
  }
}
