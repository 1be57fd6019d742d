import type { Queryable } from '../storage/db.js';
import type { SendProgress, SharedCache } from '../transports/types.js';

/**
 * The delivery side of a multi-step send's memory, in PostgreSQL so that any worker continues
 * where a killed or timed-out one stopped. `advanced` tells the breaker that the authority did
 * answer during this attempt (a step went through), even if the attempt as a whole failed.
 */
export function progressOf(db: Queryable, submissionId: string): SendProgress & { readonly advanced: boolean } {
  let advanced = false;
  return {
    get advanced() {
      return advanced;
    },
    async steps() {
      const { rows } = await db.query<{ step: string; value: string }>('SELECT step, value FROM delivery_progress WHERE submission_id = $1', [submissionId]);
      return Object.fromEntries(rows.map((r) => [r.step, r.value]));
    },
    async record(step, value) {
      await db.query(
        `INSERT INTO delivery_progress (submission_id, step, value) VALUES ($1, $2, $3)
         ON CONFLICT (submission_id, step) DO UPDATE SET value = EXCLUDED.value, recorded_at = now()`, [submissionId, step, value]);
      advanced = true;
    },
    async forget() {
      await db.query('DELETE FROM delivery_progress WHERE submission_id = $1', [submissionId]);
    },
  };
}

/** Entries expire by their own time; expired ones are removed when they are next asked for. */
export function sharedCache(db: Queryable): SharedCache {
  return {
    async get(key) {
      const { rows } = await db.query<{ value: string; fresh: boolean }>('SELECT value, expires_at > now() AS fresh FROM transport_cache WHERE key = $1', [key]);
      const row = rows[0];
      if (row && !row.fresh) await db.query('DELETE FROM transport_cache WHERE key = $1 AND expires_at <= now()', [key]);
      return row?.fresh ? row.value : undefined;
    },
    async set(key, value, ttlMs) {
      await db.query(
        `INSERT INTO transport_cache (key, value, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`, [key, value, ttlMs / 1000]);
    },
  };
}
