import type { Database, Queryable } from '../storage/db.js';

/**
 * Per-authority limits, shared by every worker process through PostgreSQL (the outbox leases and
 * the authority_breakers table), so that one dead or slow authority cannot take all worker slots:
 *  - concurrency: at most this many attempts to one authority run at once (running = leased);
 *  - circuit breaker: after `breakerFailures` retryable failures in a row, the authority's
 *    deliveries are deferred for `breakerCooldownMs`; then one trial attempt at a time runs until
 *    one succeeds (the breaker closes) or fails (it opens again).
 */
export interface AuthorityLimits {
  concurrency: number;
  /** 0 switches the breaker off. */
  breakerFailures: number;
  breakerCooldownMs: number;
}

export type Gate = { ok: true } | { ok: false; until: Date; reason: 'breaker' | 'concurrency' };

/** Claims for one authority are decided one at a time across all processes (transaction-scoped lock). */
const LOCK_NAMESPACE = 'efa-authority:';

/**
 * Inside the claim's transaction: may another attempt to this authority start now? Serialised per
 * authority by an advisory lock, so two workers cannot both take the last free slot.
 */
export async function gate(tx: Queryable, authorityId: string, limits: AuthorityLimits, random = Math.random): Promise<Gate> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${LOCK_NAMESPACE}${authorityId}`]);
  const { rows } = await tx.query<{ failures: number; open_until: Date | string | null; open: boolean }>(
    'SELECT consecutive_failures AS failures, open_until, open_until > now() AS open FROM authority_breakers WHERE authority_id = $1', [authorityId]);
  const breaker = rows[0];
  if (breaker?.open && breaker.open_until) {
    // Spread the wake-ups, so the deferred jobs of a big authority do not all come back at once.
    return { ok: false, until: new Date(new Date(breaker.open_until).getTime() + Math.round(random() * 1_000)), reason: 'breaker' };
  }
  const halfOpen = limits.breakerFailures > 0 && breaker !== undefined && breaker.failures >= limits.breakerFailures;
  const limit = halfOpen ? 1 : limits.concurrency;
  const running = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox o JOIN submissions s ON s.id = o.submission_id
      WHERE o.locked_until > now() AND s.authority_id = $1`, [authorityId]);
  if ((running.rows[0]?.n ?? 0) < limit) return { ok: true };
  // Half open, the trial may take a whole attempt: waiting in short steps would only churn.
  const waitMs = halfOpen ? Math.min(limits.breakerCooldownMs, 5_000) : 250 + Math.round(random() * 750);
  return { ok: false, until: new Date(Date.now() + waitMs), reason: 'concurrency' };
}

/** A retryable failure (timeout, 5xx, unreachable): one more in a row; at the threshold the breaker opens. */
export async function recordFailure(tx: Queryable, authorityId: string, limits: AuthorityLimits): Promise<void> {
  if (limits.breakerFailures <= 0) return;
  await tx.query(
    `INSERT INTO authority_breakers AS b (authority_id, consecutive_failures, open_until, opened_count)
     VALUES ($1, 1, CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $3) END, CASE WHEN 1 >= $2 THEN 1 ELSE 0 END)
     ON CONFLICT (authority_id) DO UPDATE SET
       consecutive_failures = b.consecutive_failures + 1,
       open_until = CASE WHEN b.consecutive_failures + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE b.open_until END,
       opened_count = b.opened_count + CASE WHEN b.consecutive_failures + 1 >= $2 AND (b.open_until IS NULL OR b.open_until <= now()) THEN 1 ELSE 0 END,
       updated_at = now()`,
    [authorityId, limits.breakerFailures, limits.breakerCooldownMs / 1000],
  );
}

/** A delivery went through: the run of failures ends and the breaker closes (written only if needed). */
export async function recordSuccess(tx: Queryable, authorityId: string): Promise<void> {
  await tx.query(
    `UPDATE authority_breakers SET consecutive_failures = 0, open_until = NULL, updated_at = now()
      WHERE authority_id = $1 AND (consecutive_failures > 0 OR open_until IS NOT NULL)`, [authorityId]);
}

/** Authorities whose breaker is open now (metrics, operators). */
export async function openBreakers(db: Database | Queryable): Promise<Array<{ authorityId: string; openUntil: string; failures: number }>> {
  const { rows } = await db.query<{ authority_id: string; open_until: Date | string; consecutive_failures: number }>(
    'SELECT authority_id, open_until, consecutive_failures FROM authority_breakers WHERE open_until > now() ORDER BY authority_id');
  return rows.map((r) => ({ authorityId: r.authority_id, openUntil: new Date(r.open_until).toISOString(), failures: r.consecutive_failures }));
}
