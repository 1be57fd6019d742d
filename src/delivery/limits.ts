import type { Database, Queryable } from '../storage/db.js';

/**
 * Per-authority limits, shared by every worker process through PostgreSQL (the outbox leases and
 * the tables authority_breakers and authority_outcomes), so that one dead or slow authority cannot
 * take all worker slots:
 *  - concurrency: at most this many attempts to one authority run at once (running = leased);
 *  - circuit breaker: it judges the share of failed attempts over a sliding window
 *    (`breakerWindowMs`), and only once the window holds `breakerMinVolume` attempts: a degraded
 *    authority that still takes most deliveries keeps its slots, a short run of failures of a quiet
 *    one opens nothing. Open, the authority's deliveries are deferred for `breakerCooldownMs`;
 *    then it is half open: up to `breakerTrials` trial attempts run at once, the first success
 *    closes it (and starts a fresh window), a failure opens it again.
 */
export interface AuthorityLimits {
  concurrency: number;
  /** Attempts the window must hold before the breaker judges; 0 switches the breaker off. */
  breakerMinVolume: number;
  /** Share of failed attempts in the window (0 < rate <= 1) at which the breaker opens. */
  breakerFailureRate: number;
  breakerWindowMs: number;
  breakerCooldownMs: number;
  /** Trial attempts let through at once while half open. */
  breakerTrials: number;
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
  const { rows } = await tx.query<{ open_until: Date | string | null; open: boolean }>(
    'SELECT open_until, open_until > now() AS open FROM authority_breakers WHERE authority_id = $1', [authorityId]);
  const breaker = rows[0];
  if (breaker?.open && breaker.open_until) {
    // Spread the wake-ups, so the deferred jobs of a big authority do not all come back at once.
    return { ok: false, until: new Date(new Date(breaker.open_until).getTime() + Math.round(random() * 1_000)), reason: 'breaker' };
  }
  const halfOpen = limits.breakerMinVolume > 0 && breaker?.open_until != null;
  const limit = halfOpen ? Math.max(1, Math.min(limits.breakerTrials, limits.concurrency)) : limits.concurrency;
  const running = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox o JOIN submissions s ON s.id = o.submission_id
      WHERE o.locked_until > now() AND s.authority_id = $1`, [authorityId]);
  if ((running.rows[0]?.n ?? 0) < limit) return { ok: true };
  // Half open, the trials may take a whole attempt: waiting in short steps would only churn.
  const waitMs = halfOpen ? Math.min(limits.breakerCooldownMs, 5_000) : 250 + Math.round(random() * 750);
  return { ok: false, until: new Date(Date.now() + waitMs), reason: 'concurrency' };
}

/**
 * One attempt's outcome for the breaker: `ok` when the authority took it (or answered a step of
 * it), not ok for a retryable failure (timeout, 5xx, unreachable). Counted into the current
 * second's bucket; buckets older than the window are dropped. No advisory lock here: the settle
 * transaction holds row locks a claim may wait for, and an approximate count is good enough.
 */
export async function recordOutcome(tx: Queryable, authorityId: string, limits: AuthorityLimits, ok: boolean): Promise<void> {
  if (limits.breakerMinVolume <= 0) return;
  await tx.query(
    `INSERT INTO authority_outcomes (authority_id, bucket, ok, failed) VALUES ($1, date_trunc('second', now()), $2, $3)
     ON CONFLICT (authority_id, bucket) DO UPDATE SET ok = authority_outcomes.ok + EXCLUDED.ok, failed = authority_outcomes.failed + EXCLUDED.failed`,
    [authorityId, ok ? 1 : 0, ok ? 0 : 1]);
  await tx.query('DELETE FROM authority_outcomes WHERE authority_id = $1 AND bucket < now() - make_interval(secs => $2)', [authorityId, limits.breakerWindowMs / 1000]);
  if (ok) {
    // A success closes a half-open breaker and starts a fresh window; an open one waits its cool-down.
    const { rowCount } = await tx.query(
      `UPDATE authority_breakers SET consecutive_failures = 0, open_until = NULL, updated_at = now()
        WHERE authority_id = $1 AND open_until <= now()`, [authorityId]);
    if (rowCount) await tx.query('DELETE FROM authority_outcomes WHERE authority_id = $1', [authorityId]);
    else await tx.query('UPDATE authority_breakers SET consecutive_failures = 0, updated_at = now() WHERE authority_id = $1 AND consecutive_failures > 0', [authorityId]);
    return;
  }
  await tx.query(
    `WITH w AS (SELECT coalesce(sum(ok), 0)::int AS ok, coalesce(sum(failed), 0)::int AS failed FROM authority_outcomes WHERE authority_id = $1),
          verdict AS (SELECT (w.ok + w.failed >= $2::int AND w.failed >= $3::float8 * (w.ok + w.failed)) AS trips FROM w)
     INSERT INTO authority_breakers AS b (authority_id, consecutive_failures, open_until, opened_count)
     SELECT $1, 1, CASE WHEN trips THEN now() + make_interval(secs => $4) END, CASE WHEN trips THEN 1 ELSE 0 END FROM verdict
     ON CONFLICT (authority_id) DO UPDATE SET
       consecutive_failures = b.consecutive_failures + 1,
       open_until = CASE WHEN b.open_until > now() THEN b.open_until
                         WHEN b.open_until IS NOT NULL THEN now() + make_interval(secs => $4)
                         ELSE EXCLUDED.open_until END,
       opened_count = b.opened_count + CASE WHEN b.open_until <= now() OR (b.open_until IS NULL AND EXCLUDED.open_until IS NOT NULL) THEN 1 ELSE 0 END,
       updated_at = now()`,
    [authorityId, limits.breakerMinVolume, limits.breakerFailureRate, limits.breakerCooldownMs / 1000],
  );
}

/** Authorities whose breaker is open now (metrics, operators). */
export async function openBreakers(db: Database | Queryable): Promise<Array<{ authorityId: string; openUntil: string; failures: number }>> {
  const { rows } = await db.query<{ authority_id: string; open_until: Date | string; consecutive_failures: number }>(
    'SELECT authority_id, open_until, consecutive_failures FROM authority_breakers WHERE open_until > now() ORDER BY authority_id');
  return rows.map((r) => ({ authorityId: r.authority_id, openUntil: new Date(r.open_until).toISOString(), failures: r.consecutive_failures }));
}
