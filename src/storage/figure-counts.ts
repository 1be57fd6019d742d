/**
 * The counters behind the open usage figures (table figure_counts, migration 1300; published by
 * src/figures/). Each statement adds to a count per month (Europe/Berlin), Land, service, kind and
 * key; nothing here ever writes a row per applicant or per submission. Storage owns the SQL because
 * the drafts, the submit and the retention purge count inside their own statements.
 */
import type { Queryable } from './db.js';

export type FigureKind = 'started' | 'submitted' | 'duration' | 'abandoned' | 'paid' | 'survey';

/**
 * Lower bounds (minutes) of the buckets of the time from opening a draft to submitting it: bucket 0
 * is below the first bound, bucket i from bound i-1 up to bound i, the last one open-ended. Only the
 * bucket is counted, never the time itself.
 */
export const DURATION_BOUNDS_MIN: readonly number[] = [2, 5, 10, 15, 20, 30, 45, 60, 120, 240, 480, 1440, 4320, 10080, 43200];

/** The first day of the Berlin month of a timestamp expression, as PostgreSQL date. */
export function berlinMonth(at: string): string {
  return `date_trunc('month', (${at}) AT TIME ZONE 'Europe/Berlin')::date`;
}

/**
 * Rows per count: each increment adds to one picked at random, and readers sum them. One row per
 * count would be a hot spot: every submit of a service in a Land would wait for the previous one's
 * commit on its lock (measured: a third of the throughput at 20 connections, docs/figures.md).
 */
export const SHARDS = 64;
const SHARD_SQL = `floor(random() * ${SHARDS})::smallint`;
const shard = (): number => Math.floor(Math.random() * SHARDS);

const ADD = 'ON CONFLICT (month, tenant, service_id, kind, key, shard) DO UPDATE SET n = figure_counts.n + excluded.n';

/**
 * An INSERT adding, per month, Land, service and key, the number of rows of `source` (a CTE with
 * the columns tenant and service_id): for a statement that counts what it writes or deletes.
 */
export function countRowsOf(source: string, kind: FigureKind, at: string, key = "''"): string {
  return `INSERT INTO figure_counts (month, tenant, service_id, kind, key, shard, n)
    SELECT month, tenant, service_id, '${kind}', key, ${SHARD_SQL}, n FROM (
      SELECT ${berlinMonth(at)} AS month, tenant, service_id, ${key} AS key, count(*) AS n FROM ${source} GROUP BY 1, 2, 3, 4) counted ${ADD}`;
}

/** The bucket of a duration in minutes (DURATION_BOUNDS_MIN). */
export function durationBucket(minutes: number): number {
  let i = 0;
  while (i < DURATION_BOUNDS_MIN.length && minutes >= (DURATION_BOUNDS_MIN[i] as number)) i++;
  return i;
}

export interface SubmittedCount { tenant: string; serviceId: string; submittedAt: string; draftCreatedAt?: Date | string }

/**
 * A submission: one more submitted and, when its draft's opening time is known, one more in its
 * duration bucket. The statement's parameters are numbered from `$first`, so that the submit can
 * put it in front of its last statement as a CTE (one round trip less); `name` tells the variant.
 */
export function submittedCountSql(s: SubmittedCount, first: number): { sql: string; params: unknown[]; name: string } {
  const $ = (i: number) => `$${first + i}`;
  const values = [`(${$(0)}, 'submitted', '')`];
  const params: unknown[] = [s.submittedAt, s.tenant, s.serviceId, shard()];
  if (s.draftCreatedAt !== undefined) {
    const minutes = (Date.parse(s.submittedAt) - new Date(s.draftCreatedAt).getTime()) / 60_000;
    params.push(String(durationBucket(Math.max(0, minutes))));
    values.push(`(${$(0)}, 'duration', ${$(4)})`);
  }
  return {
    sql: `INSERT INTO figure_counts (month, tenant, service_id, kind, key, shard, n)
     SELECT ${berlinMonth('v.at::timestamptz')}, ${$(1)}, ${$(2)}, v.kind, v.key, ${$(3)}::smallint, 1 FROM (VALUES ${values.join(', ')}) AS v(at, kind, key) ${ADD}`,
    params, name: values.length === 1 ? 'submitted' : 'submitted_duration',
  };
}

/** The submission's count as a statement of its own (a submit without an outbox entry). */
export async function countSubmitted(tx: Queryable, s: SubmittedCount): Promise<void> {
  const { sql, params, name } = submittedCountSql(s, 1);
  await tx.query(sql, params, { name: `efa_figures_${name}` });
}

/**
 * The payment hook: a submission's payment was paid. Call it once per submission, where the
 * payment's state changes to paid (a replayed callback must not count twice); `submittedAt` puts it
 * in the month of the submission, as the share of paid submissions is per month.
 */
export async function countPaid(q: Queryable, s: { tenant: string; serviceId: string; submittedAt: Date | string }): Promise<void> {
  await q.query(
    `INSERT INTO figure_counts (month, tenant, service_id, kind, key, shard, n) VALUES (${berlinMonth('$1::timestamptz')}, $2, $3, 'paid', '', $4, 1) ${ADD}`,
    [new Date(s.submittedAt).toISOString(), s.tenant, s.serviceId, shard()],
  );
}
