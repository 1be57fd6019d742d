import { randomUUID } from 'node:crypto';
import { Poller } from '../core/poller.js';
import type { Database } from '../storage/db.js';
import { redeliver } from './outbox.js';

/**
 * Operator jobs: actions too long for one request (redelivering every dead letter). The API
 * answers 202 with the job's id; a runner (in `efa worker`, in the embedded process, or the CLI
 * that asked) works through it in batches and records its progress in the operator_jobs row.
 */

export type JobKind = 'redeliver-failed';
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface OperatorJob {
  id: string;
  kind: JobKind;
  params: { authority?: string };
  status: JobStatus;
  /** How many items the job found when it started; null until a runner started it. */
  total: number | null;
  done: number;
  error: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface JobRow {
  id: string; kind: JobKind; params: { authority?: string }; status: JobStatus; total: number | null; done: number; error: string | null;
  created_by: string; created_at: Date | string; updated_at: Date | string; finished_at: Date | string | null;
}

const COLUMNS = 'id, kind, params, status, total, done, error, created_by, created_at, updated_at, finished_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toJob(r: JobRow): OperatorJob {
  const iso = (v: Date | string) => new Date(v).toISOString();
  return {
    id: r.id, kind: r.kind, params: r.params, status: r.status, total: r.total, done: r.done, error: r.error, createdBy: r.created_by,
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), finishedAt: r.finished_at === null ? null : iso(r.finished_at),
  };
}

export async function createRedeliverJob(db: Database, opts: { authority?: string; by: string }): Promise<OperatorJob> {
  const { rows } = await db.query<JobRow>(
    `INSERT INTO operator_jobs (id, kind, params, status, created_by) VALUES ($1, 'redeliver-failed', $2, 'queued', $3) RETURNING ${COLUMNS}`,
    [randomUUID(), JSON.stringify(opts.authority ? { authority: opts.authority } : {}), opts.by],
  );
  return toJob(rows[0] as JobRow);
}

export async function findJob(db: Database, id: string): Promise<OperatorJob | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM operator_jobs WHERE id = $1`, [id]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

export interface JobClaim {
  job: OperatorJob;
  lease: string;
}

/**
 * Takes a queued job, or a running one whose runner stopped renewing its lease (it died); with
 * `id`, only that job. SKIP LOCKED: two runners never take the same job.
 */
export async function claimJob(db: Database, leaseMs: number, id?: string): Promise<JobClaim | undefined> {
  const lease = randomUUID();
  const { rows } = await db.query<JobRow>(
    `UPDATE operator_jobs SET status = 'running', lease = $2, locked_until = now() + make_interval(secs => $1), updated_at = now()
      WHERE id = (SELECT id FROM operator_jobs
                   WHERE (status = 'queued' OR (status = 'running' AND locked_until < now()))${id ? ' AND id = $3' : ''}
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`,
    id ? [leaseMs / 1000, lease, id] : [leaseMs / 1000, lease],
  );
  return rows[0] ? { job: toJob(rows[0]), lease } : undefined;
}

export interface RunOptions {
  /** Dead letters per batch; progress is recorded after each. */
  batch: number;
  leaseMs: number;
  /** Hands a redelivered submission to delivery (queue or in-process loop). */
  dispatch(id: string): void | Promise<void>;
  onProgress?(job: OperatorJob): void;
}

/**
 * Works a claimed redeliver-failed job off in batches. Only dead letters that were dead when the
 * job was created are taken: one that fails again meanwhile is not redelivered twice by one job.
 * Each batch renews the lease; a runner that lost it (it stalled, another took over) stops.
 */
export async function runJob(db: Database, { job, lease }: JobClaim, opts: RunOptions): Promise<OperatorJob> {
  const authority = job.params.authority;
  // The job's own created_at, read in SQL: an ISO string in JS would lose the microseconds.
  const filter = `status = 'failed' AND updated_at <= (SELECT created_at FROM operator_jobs WHERE id = $1)${authority ? ' AND authority_id = $2' : ''}`;
  const args: unknown[] = authority ? [job.id, authority] : [job.id];
  try {
    if (job.total === null) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE ${filter}`, args);
      await db.query('UPDATE operator_jobs SET total = $2 + done, updated_at = now() WHERE id = $1 AND lease = $3', [job.id, rows[0]?.n ?? 0, lease]);
    }
    for (;;) {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM submissions WHERE ${filter} ORDER BY submitted_at, id LIMIT ${opts.batch}`, args);
      let done = 0;
      for (const { id } of rows) {
        if (!(await redeliver(db, id))) continue;
        done++;
        await opts.dispatch(id);
      }
      const last = rows.length < opts.batch;
      // The last batch finishes the job; any other renews the lease for the next one.
      const settle = last ? `status = 'done', finished_at = now(), lease = NULL, locked_until = NULL` : 'locked_until = now() + make_interval(secs => $4)';
      const progress = await db.query<JobRow>(
        `UPDATE operator_jobs SET done = done + $3, updated_at = now(), ${settle} WHERE id = $1 AND lease = $2 RETURNING ${COLUMNS}`,
        last ? [job.id, lease, done] : [job.id, lease, done, opts.leaseMs / 1000],
      );
      const current = progress.rows[0];
      if (!current) throw new Error(`job ${job.id}: the lease was taken over by another runner`);
      opts.onProgress?.(toJob(current));
      if (last) return toJob(current);
    }
  } catch (err) {
    await db.query(`UPDATE operator_jobs SET status = 'failed', error = $3, finished_at = now(), updated_at = now() WHERE id = $1 AND lease = $2`, [job.id, lease, err instanceof Error ? err.message : String(err)]);
    throw err;
  }
}

/** Polls for operator jobs and runs them one at a time (efa worker and the embedded process). */
export class JobRunner {
  private readonly poller: Poller;

  constructor(private readonly db: Database, private readonly opts: RunOptions & { pollMs: number }, private readonly onError: (err: unknown) => void) {
    this.poller = new Poller({ intervalMs: opts.pollMs, tick: () => this.runAll(), onError });
  }

  start(): void {
    this.poller.start();
  }

  /** A job was just created in this process: look at once instead of at the next poll. */
  kick(): void {
    this.poller.kick();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  private async runAll(): Promise<void> {
    while (!this.poller.stopping) {
      const claim = await claimJob(this.db, this.opts.leaseMs);
      if (!claim) return;
      await runJob(this.db, claim, this.opts).catch(this.onError);
    }
  }
}
