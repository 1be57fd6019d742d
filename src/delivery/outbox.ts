import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/db.js';
import { attemptDelivery, type DeliveryDeps } from './deliver.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The same as the environment's defaults (src/config/env.ts): retries over 25 to 50 hours. */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 36, baseDelayMs: 5_000, maxDelayMs: 2 * 3_600_000 };

/** Exponential backoff with equal jitter (half fixed, half random): retries of many submissions don't hit an authority at once. */
export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Claims one due outbox entry. The lease (locked_until) keeps other workers off it; if this worker
 * dies the lease runs out and another takes over: at-least-once delivery, deduplicated downstream.
 */
export async function claimNext(db: Database, leaseMs: number): Promise<({ submissionId: string } & Claim) | undefined> {
  const lease = randomUUID();
  const { rows } = await db.query<{ submission_id: string; attempts: number }>(
    `UPDATE outbox SET locked_until = now() + make_interval(secs => $1), attempts = attempts + 1, lease = $2
      WHERE submission_id = (
        SELECT submission_id FROM outbox
         WHERE available_at <= now() AND (locked_until IS NULL OR locked_until < now())
         ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING submission_id, attempts`,
    [leaseMs / 1000, lease],
  );
  const row = rows[0];
  return row ? { submissionId: row.submission_id, attempt: row.attempts, lease } : undefined;
}

/** A claimed outbox entry: the attempt's number and the lease token that proves who holds it. */
export interface Claim {
  attempt: number;
  lease: string;
}

export type Settled = { outcome: 'delivered' | 'failed' | 'superseded' } | { outcome: 'retry'; delayMs: number };

/**
 * Claims the outbox entry of one submission (the queue names it). `held` means another worker's
 * lease is still running (its attempt may still be in flight) or the entry is not due yet: the
 * job waits until then.
 */
export async function claimOne(db: Database, submissionId: string, leaseMs: number): Promise<Claim | { held: Date } | undefined> {
  const lease = randomUUID();
  const { rows } = await db.query<{ attempts: number }>(
    `UPDATE outbox SET locked_until = now() + make_interval(secs => $2), attempts = attempts + 1, lease = $3
      WHERE submission_id = $1 AND (locked_until IS NULL OR locked_until < now()) AND available_at <= now()
      RETURNING attempts`,
    [submissionId, leaseMs / 1000, lease],
  );
  if (rows[0]) return { attempt: rows[0].attempts, lease };
  // Held by a lease, or not due yet (a job re-added after Redis lost its data keeps the backoff).
  const held = await db.query<{ until: Date | string }>('SELECT GREATEST(locked_until, available_at) AS until FROM outbox WHERE submission_id = $1', [submissionId]);
  return held.rows[0] ? { held: new Date(held.rows[0].until) } : undefined;
}

/** Runs one attempt for a claimed entry and settles the outbox and the submission's status. */
export async function processClaimed(deps: DeliveryDeps, policy: RetryPolicy, submissionId: string, { attempt, lease }: Claim): Promise<Settled> {
  const result = await attemptDelivery(deps, submissionId, attempt, attempt >= policy.maxAttempts);
  const { db } = deps;
  if (result.outcome === 'delivered') {
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE submissions SET status = 'delivered', last_error = NULL, updated_at = now() WHERE id = $1 AND status IN ('submitted', 'failed')`, [submissionId]);
      await tx.query('DELETE FROM outbox WHERE submission_id = $1', [submissionId]);
    });
    return { outcome: 'delivered' };
  }
  if (result.outcome === 'retry' && attempt < policy.maxAttempts) {
    const delayMs = backoffMs(policy, attempt);
    // Only the lease holder settles: the token still being ours means nobody claimed the entry
    // since (this worker was not frozen past its lease while another one took over).
    const owned = await db.transaction(async (tx) => {
      const { rowCount } = await tx.query('UPDATE outbox SET locked_until = NULL, available_at = now() + make_interval(secs => $2) WHERE submission_id = $1 AND lease = $3', [submissionId, delayMs / 1000, lease]);
      if (rowCount === 0) return false;
      await tx.query('UPDATE submissions SET last_error = $2, updated_at = now() WHERE id = $1', [submissionId, result.error]);
      return true;
    });
    return owned ? { outcome: 'retry', delayMs } : { outcome: 'superseded' };
  }
  // Dead letter: the submission stays failed with its last error until an operator redelivers it.
  const owned = await db.transaction(async (tx) => {
    const { rowCount } = await tx.query('DELETE FROM outbox WHERE submission_id = $1 AND lease = $2', [submissionId, lease]);
    if (rowCount === 0) return false;
    await tx.query(`UPDATE submissions SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1`, [submissionId, result.error]);
    return true;
  });
  return owned ? { outcome: 'failed' } : { outcome: 'superseded' };
}

/**
 * Puts a failed (dead-lettered) submission back into the outbox with a fresh attempt budget.
 * enqueued_at is cleared so the relay hands it to the queue even if nobody notifies it.
 */
export async function redeliver(db: Database, submissionId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query(`UPDATE submissions SET status = 'submitted', updated_at = now() WHERE id = $1 AND status = 'failed'`, [submissionId]);
    if (rowCount === 0) return false;
    await tx.query('INSERT INTO outbox (submission_id) VALUES ($1) ON CONFLICT (submission_id) DO UPDATE SET available_at = now(), locked_until = NULL, attempts = 0, enqueued_at = NULL', [submissionId]);
    return true;
  });
}
