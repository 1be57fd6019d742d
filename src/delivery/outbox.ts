import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../storage/db.js';
import type { SubmissionRow } from '../submissions/row.js';
import { sendOnce, type AttemptOutcomeName, type DeliveryDeps } from './deliver.js';
import { gate, recordOutcome, type AuthorityLimits } from './limits.js';

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
 * Claims one due outbox entry (the in-process loop). The lease (locked_until) keeps other workers
 * off it; if this worker dies the lease runs out and another takes over: at-least-once delivery,
 * deduplicated downstream. Entries of an authority whose circuit breaker is open are left alone.
 */
export async function claimNext(db: Database, leaseMs: number): Promise<({ submissionId: string } & Claim) | undefined> {
  const lease = randomUUID();
  const { rows } = await db.query<{ submission_id: string; attempts: number }>(
    `UPDATE outbox SET locked_until = now() + make_interval(secs => $1), attempts = attempts + 1, lease = $2
      WHERE submission_id = (
        SELECT o.submission_id FROM outbox o
         WHERE o.available_at <= now() AND (o.locked_until IS NULL OR o.locked_until < now())
           AND NOT EXISTS (SELECT 1 FROM submissions s JOIN authority_breakers b ON b.authority_id = s.authority_id
                            WHERE s.id = o.submission_id AND b.open_until > now())
         ORDER BY o.available_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED)
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

/**
 * `already-delivered`: an earlier attempt had delivered it (its worker died before the job
 * finished); settled without sending. `superseded`: the lease was no longer this worker's, or
 * another attempt delivered first; the attempt is recorded as such and settles nothing else.
 */
export type Settled = { outcome: 'delivered' | 'failed' | 'superseded' | 'already-delivered' } | { outcome: 'retry'; delayMs: number };

/**
 * Claims the outbox entry of one submission (the queue names it). `held` means another worker's
 * lease is still running (its attempt may still be in flight) or the entry is not due yet: the
 * job waits until then. `deferred`: the authority's breaker is open or it has as many attempts
 * running as it may; the job waits without costing an attempt.
 */
export async function claimOne(db: Database, submissionId: string, leaseMs: number, limits?: AuthorityLimits): Promise<Claim | { held: Date } | { deferred: Date; reason: 'breaker' | 'concurrency' } | undefined> {
  return db.transaction(async (tx) => {
    const { rows: [entry] } = await tx.query<{ authority_id: string; free: boolean; until: Date | string }>(
      `SELECT s.authority_id, (o.locked_until IS NULL OR o.locked_until < now()) AND o.available_at <= now() AS free,
              GREATEST(o.locked_until, o.available_at) AS until
         FROM outbox o JOIN submissions s ON s.id = o.submission_id WHERE o.submission_id = $1`, [submissionId]);
    if (!entry) return undefined;
    // Held by a lease, or not due yet (a job re-added after Redis lost its data keeps the backoff).
    if (!entry.free) return { held: new Date(entry.until) };
    if (limits) {
      const verdict = await gate(tx, entry.authority_id, limits);
      if (!verdict.ok) return { deferred: verdict.until, reason: verdict.reason };
    }
    const lease = randomUUID();
    const { rows } = await tx.query<{ attempts: number }>(
      `UPDATE outbox SET locked_until = now() + make_interval(secs => $2), attempts = attempts + 1, lease = $3
        WHERE submission_id = $1 AND (locked_until IS NULL OR locked_until < now()) AND available_at <= now()
        RETURNING attempts`,
      [submissionId, leaseMs / 1000, lease],
    );
    if (rows[0]) return { attempt: rows[0].attempts, lease };
    const held = await tx.query<{ until: Date | string }>('SELECT GREATEST(locked_until, available_at) AS until FROM outbox WHERE submission_id = $1', [submissionId]);
    return held.rows[0] ? { held: new Date(held.rows[0].until) } : undefined;
  });
}

/**
 * Runs one attempt for a claimed entry, then records it and settles the outbox and the
 * submission's status in one transaction: a worker killed at any point leaves either nothing (the
 * entry is sent again after the lease) or the delivery and its settlement together. An entry whose
 * submission already has a delivered attempt is settled without sending.
 */
export async function processClaimed(deps: DeliveryDeps, policy: RetryPolicy, submissionId: string, { attempt, lease }: Claim): Promise<Settled> {
  const { db } = deps;
  const { rows: [row] } = await db.query<SubmissionRow & { delivered: boolean }>(
    `SELECT s.*, EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.submission_id = s.id AND a.outcome = 'delivered') AS delivered
       FROM submissions s WHERE s.id = $1`, [submissionId]);
  if (!row) {
    await db.query('DELETE FROM outbox WHERE submission_id = $1 AND lease = $2', [submissionId, lease]);
    return { outcome: 'failed' };
  }
  if (row.delivered || !['submitted', 'failed'].includes(row.status)) {
    await db.transaction(async (tx) => settleDelivered(tx, submissionId));
    return { outcome: 'already-delivered' };
  }

  const sent = await sendOnce(deps, row);
  const result = sent.result;
  const record = (tx: Queryable, outcome: AttemptOutcomeName, error: string | null) => tx.query(
    `INSERT INTO delivery_attempts (submission_id, attempt, transport, address, started_at, finished_at, outcome, error, receipt) VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)`,
    [submissionId, attempt, sent.transport, sent.address, sent.startedAt.toISOString(), outcome, error, outcome === 'delivered' && result.outcome === 'delivered' ? JSON.stringify(result.receipt) : null],
  );
  const limits = deps.limits;
  const report = (outcome: AttemptOutcomeName) => deps.onAttempt?.({ transport: sent.transport, outcome, seconds: (Date.now() - sent.startedAt.getTime()) / 1000 });

  if (result.outcome === 'delivered') {
    const outcome = await db.transaction(async (tx) => {
      // The row lock orders concurrent settlements of one submission: only the first delivers.
      const { rows: [locked] } = await tx.query<{ delivered: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.submission_id = s.id AND a.outcome = 'delivered') AS delivered FROM submissions s WHERE s.id = $1 FOR UPDATE`, [submissionId]);
      if (locked?.delivered) {
        await record(tx, 'superseded', 'delivered by another attempt in the meantime');
        await tx.query('DELETE FROM outbox WHERE submission_id = $1', [submissionId]);
        return 'superseded' as const;
      }
      // A delivery counts even if this worker's lease ran out meanwhile: the authority has it.
      await record(tx, 'delivered', null);
      await settleDelivered(tx, submissionId);
      if (result.receipt.followUp) {
        await tx.query('INSERT INTO delivery_followups (submission_id, transport, handle) VALUES ($1, $2, $3) ON CONFLICT (submission_id) DO NOTHING',
          [submissionId, sent.transport, JSON.stringify(result.receipt.followUp)]);
      }
      if (limits) await recordOutcome(tx, sent.authorityId, limits, true);
      return 'delivered' as const;
    });
    report(outcome);
    return { outcome };
  }

  const countsAgainstAuthority = result.retryable && sent.transport !== 'none';
  // A multi-step send that got a step confirmed met an authority that answers: that is no sign of
  // an authority down, and must not open its breaker (each attempt then goes further than the last).
  const judge = (tx: Queryable) => (limits && countsAgainstAuthority ? recordOutcome(tx, sent.authorityId, limits, sent.advanced === true) : undefined);
  if (result.retryable && attempt < policy.maxAttempts) {
    const delayMs = backoffMs(policy, attempt);
    // Only the lease holder settles: the token still being ours means nobody claimed the entry
    // since (this worker was not frozen past its lease while another one took over).
    const owned = await db.transaction(async (tx) => {
      const { rowCount } = await tx.query('UPDATE outbox SET locked_until = NULL, available_at = now() + make_interval(secs => $2) WHERE submission_id = $1 AND lease = $3', [submissionId, delayMs / 1000, lease]);
      if (rowCount === 0) {
        await record(tx, 'superseded', result.error);
        return false;
      }
      await record(tx, 'retry', result.error);
      await tx.query('UPDATE submissions SET last_error = $2, updated_at = now() WHERE id = $1', [submissionId, result.error]);
      await judge(tx);
      return true;
    });
    report(owned ? 'retry' : 'superseded');
    return owned ? { outcome: 'retry', delayMs } : { outcome: 'superseded' };
  }
  // Dead letter: the submission stays failed with its last error until an operator redelivers it.
  const owned = await db.transaction(async (tx) => {
    const { rowCount } = await tx.query('DELETE FROM outbox WHERE submission_id = $1 AND lease = $2', [submissionId, lease]);
    if (rowCount === 0) {
      await record(tx, 'superseded', result.error);
      return false;
    }
    await record(tx, 'failed', result.error);
    await tx.query(`UPDATE submissions SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1`, [submissionId, result.error]);
    await judge(tx);
    return true;
  });
  report(owned ? 'failed' : 'superseded');
  return owned ? { outcome: 'failed' } : { outcome: 'superseded' };
}

/** The submission is delivered (unless already further, e.g. accepted) and leaves the outbox. */
async function settleDelivered(tx: Queryable, submissionId: string): Promise<void> {
  await tx.query(`UPDATE submissions SET status = 'delivered', last_error = NULL, updated_at = now() WHERE id = $1 AND status IN ('submitted', 'failed')`, [submissionId]);
  // The reply address was kept for the transport's metadata only: delivered, it goes.
  await tx.query('UPDATE submissions SET reply_email = NULL WHERE id = $1 AND reply_email IS NOT NULL', [submissionId]);
  await tx.query('DELETE FROM outbox WHERE submission_id = $1', [submissionId]);
  // Delivered: the steps of its send are no longer needed.
  await tx.query('DELETE FROM delivery_progress WHERE submission_id = $1', [submissionId]);
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
