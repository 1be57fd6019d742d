import type { Database } from '../storage/db.js';
import { decodeCursor, encodeCursor } from '../storage/cursor.js';
import { redeliver } from './outbox.js';

/** What the operator sees of a submission: routing and delivery facts, never the application. */
export interface DeliverySummary {
  id: string;
  reference: string;
  tenant: string;
  serviceId: string;
  leikaKey: string;
  authorityId: string;
  authorityName: string;
  status: string;
  deliveryMode: string;
  lastError: string | null;
  attempts: number;
  submittedAt: string;
  updatedAt: string;
}

export interface AttemptRecord {
  attempt: number;
  transport: string;
  address: string;
  startedAt: string;
  finishedAt: string;
  outcome: string;
  error: string | null;
  receipt: unknown;
}

export const STATUSES = ['submitted', 'delivered', 'failed', 'accepted', 'rejected'] as const;
export type Status = (typeof STATUSES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string; reference: string; tenant: string; service_id: string; leika_key: string; authority_id: string; authority_name: string;
  status: string; delivery_mode: string; last_error: string | null; attempts: string; submitted_at: Date | string; updated_at: Date | string;
}

const SELECT = `SELECT s.id, s.reference, s.tenant, s.service_id, s.leika_key, s.authority_id, s.authority_name, s.status, s.delivery_mode,
       s.last_error, s.submitted_at, s.updated_at, s.submitted_at::text AS cursor_at, (SELECT count(*) FROM delivery_attempts a WHERE a.submission_id = s.id)::text AS attempts
  FROM submissions s`;

function summary(r: Row): DeliverySummary {
  return {
    id: r.id, reference: r.reference, tenant: r.tenant, serviceId: r.service_id, leikaKey: r.leika_key, authorityId: r.authority_id, authorityName: r.authority_name,
    status: r.status, deliveryMode: r.delivery_mode, lastError: r.last_error, attempts: Number(r.attempts),
    submittedAt: new Date(r.submitted_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export interface ListFilter {
  status?: Status;
  authorityId?: string;
  tenant?: string;
  limit: number;
  /** The `next` cursor of the previous page: the list continues after that item. */
  after?: string;
  /** Skips this many (at most MAX_OFFSET): for a jump, not for paging through. */
  offset?: number;
}

export interface DeliveryPage {
  items: DeliverySummary[];
  /** Matching submissions, counted up to COUNT_CAP; totalExact false means "at least". */
  total: number;
  totalExact: boolean;
  /** Cursor of the page after this one; null on the last page. */
  next: string | null;
}

export const MAX_OFFSET = 10_000;
export const COUNT_CAP = 10_000;

/**
 * Newest first by submission time; `failed` is the dead-letter list. Keyset paging over the
 * (filter, submitted_at, id) indexes: a page costs the same at the millionth item as at the first.
 */
export async function listDeliveries(db: Database, f: ListFilter): Promise<DeliveryPage> {
  const q = deliveryListQueries(f);
  const [page, count] = await Promise.all([
    db.query<Row & { cursor_at: string }>(q.page.sql, q.page.args),
    db.query<{ n: number }>(q.count.sql, q.count.args),
  ]);
  const rows = page.rows.slice(0, f.limit);
  const last = rows[rows.length - 1];
  const n = count.rows[0]?.n ?? 0;
  return {
    items: rows.map(summary),
    total: Math.min(n, COUNT_CAP),
    totalExact: n <= COUNT_CAP,
    next: page.rows.length > f.limit && last ? encodeCursor(last.cursor_at, last.id) : null,
  };
}

export interface SqlQuery {
  sql: string;
  args: unknown[];
}

/** The SQL of one list page and of its capped count; exported so a test can EXPLAIN exactly what the route runs. */
export function deliveryListQueries(f: ListFilter): { page: SqlQuery; count: SqlQuery } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.status) where.push(`s.status = $${args.push(f.status)}`);
  if (f.authorityId) where.push(`s.authority_id = $${args.push(f.authorityId)}`);
  if (f.tenant) where.push(`s.tenant = $${args.push(f.tenant)}`);
  const filterArgs = [...args];
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  if (f.after) {
    const { at, id } = decodeCursor(f.after);
    where.push(`(s.submitted_at, s.id) < ($${args.push(at)}::timestamptz, $${args.push(id)}::uuid)`);
  }
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  const offset = Math.min(f.offset ?? 0, MAX_OFFSET);
  return {
    page: { sql: `${SELECT}${clause} ORDER BY s.submitted_at DESC, s.id DESC LIMIT ${f.limit + 1} OFFSET ${offset}`, args },
    count: { sql: `SELECT count(*)::int AS n FROM (SELECT 1 FROM submissions s${filter} LIMIT ${COUNT_CAP + 1}) c`, args: filterArgs },
  };
}

/** One submission by id or by the reference the applicant quotes, with every delivery attempt. */
export async function deliveryDetail(db: Database, idOrReference: string): Promise<(DeliverySummary & { attemptLog: AttemptRecord[]; nextAttemptAt: string | null }) | undefined> {
  const byId = UUID.test(idOrReference);
  const { rows } = await db.query<Row>(`${SELECT} WHERE ${byId ? 's.id = $1' : 's.reference = $1'}`, [idOrReference]);
  const row = rows[0];
  if (!row) return undefined;
  const attempts = await db.query<{ attempt: number; transport: string; address: string; started_at: Date | string; finished_at: Date | string; outcome: string; error: string | null; receipt: unknown }>(
    'SELECT attempt, transport, address, started_at, finished_at, outcome, error, receipt FROM delivery_attempts WHERE submission_id = $1 ORDER BY id', [row.id]);
  const outbox = await db.query<{ available_at: Date | string }>('SELECT available_at FROM outbox WHERE submission_id = $1', [row.id]);
  return {
    ...summary(row),
    nextAttemptAt: outbox.rows[0] ? new Date(outbox.rows[0].available_at).toISOString() : null,
    attemptLog: attempts.rows.map((a) => ({
      attempt: a.attempt, transport: a.transport, address: a.address, startedAt: new Date(a.started_at).toISOString(), finishedAt: new Date(a.finished_at).toISOString(),
      outcome: a.outcome, error: a.error, receipt: a.receipt,
    })),
  };
}

export type RedeliverResult = 'redelivered' | 'not-found' | 'not-failed';

/** Puts one dead letter back into delivery; anything not failed is left alone. */
export async function redeliverOne(db: Database, id: string, dispatch: (id: string) => void): Promise<RedeliverResult> {
  if (!UUID.test(id)) return 'not-found';
  if (await redeliver(db, id)) {
    dispatch(id);
    return 'redelivered';
  }
  const { rows } = await db.query('SELECT 1 FROM submissions WHERE id = $1', [id]);
  return rows.length === 0 ? 'not-found' : 'not-failed';
}
