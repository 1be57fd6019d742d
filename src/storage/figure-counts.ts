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

const ADD = 'ON CONFLICT (month, tenant, service_id, kind, key) DO UPDATE SET n = figure_counts.n + excluded.n';

/**
 * An INSERT adding, per month, Land, service and key, the number of rows of `source` (a CTE with
 * the columns tenant and service_id): for a statement that counts what it writes or deletes.
 */
export function countRowsOf(source: string, kind: FigureKind, at: string, key = "''"): string {
  return `INSERT INTO figure_counts (month, tenant, service_id, kind, key, n)
    SELECT ${berlinMonth(at)}, tenant, service_id, '${kind}', ${key}, count(*) FROM ${source} GROUP BY 1, 2, 3, 5 ${ADD}`;
}

/** The bucket of a duration in minutes (DURATION_BOUNDS_MIN). */
export function durationBucket(minutes: number): number {
  let i = 0;
  while (i < DURATION_BOUNDS_MIN.length && minutes >= (DURATION_BOUNDS_MIN[i] as number)) i++;
  return i;
}

/**
 * A submission: one more submitted and, when its draft's opening time is known, one more in its
 * duration bucket. Called last in the submit's transaction, so the counter row is locked only
 * until the commit.
 */
export async function countSubmitted(tx: Queryable, s: { tenant: string; serviceId: string; submittedAt: string; draftCreatedAt?: Date | string }): Promise<void> {
  const values = ["($1, 'submitted', '')"];
  const params: unknown[] = [s.submittedAt, s.tenant, s.serviceId];
  if (s.draftCreatedAt !== undefined) {
    const minutes = (Date.parse(s.submittedAt) - new Date(s.draftCreatedAt).getTime()) / 60_000;
    params.push(String(durationBucket(Math.max(0, minutes))));
    values.push("($1, 'duration', $4)");
  }
  await tx.query(
    `INSERT INTO figure_counts (month, tenant, service_id, kind, key, n)
     SELECT ${berlinMonth('v.at::timestamptz')}, $2, $3, v.kind, v.key, 1 FROM (VALUES ${values.join(', ')}) AS v(at, kind, key) ${ADD}`,
    params, { name: values.length === 1 ? 'efa_figures_submitted' : 'efa_figures_submitted_duration' },
  );
}

/**
 * The payment hook: a submission's payment was paid. Call it once per submission, where the
 * payment's state changes to paid (a replayed callback must not count twice); `submittedAt` puts it
 * in the month of the submission, as the share of paid submissions is per month.
 */
export async function countPaid(q: Queryable, s: { tenant: string; serviceId: string; submittedAt: Date | string }): Promise<void> {
  await q.query(
    `INSERT INTO figure_counts (month, tenant, service_id, kind, key, n) VALUES (${berlinMonth('$1::timestamptz')}, $2, $3, 'paid', '', 1) ${ADD}`,
    [new Date(s.submittedAt).toISOString(), s.tenant, s.serviceId],
  );
}
