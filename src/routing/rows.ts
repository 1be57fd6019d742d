import type { JWK } from 'jose';
import type { Queryable } from '../storage/db.js';
import { TABLES, naturalKey, type RoutingDocument, type TableName } from './document.js';

/**
 * Routing versions stored per row (migration 900): a row belongs to every version from
 * first_version to last_version (NULL: the newest), so a version shares every unchanged row with
 * the one before it and a change writes only what changed.
 */
export type StoredTable = TableName | 'keys';
const STORED_TABLES: readonly StoredTable[] = [...TABLES, 'keys'];
/** Rows per INSERT: bounded statement size, few round trips. */
const INSERT_BATCH = 5_000;

/** A row of the newest version, as a write compares it. */
export interface LiveRow {
  id: string;
  key: string;
  ord: number;
  /** Canonical JSON of the row: equal text, equal row. */
  text: string;
}

export interface NewRow {
  key: string;
  ord: number;
  text: string;
}

export interface TableDiff {
  /** Ids of rows the new version no longer has. */
  close: string[];
  insert: NewRow[];
  kept: number;
}

/**
 * What to store so the table reads as `next` (in this order): rows whose key and content are
 * unchanged, and which are still in order, are shared; the rest are closed and inserted with an
 * `ord` between their kept neighbours. Only when doubles cannot fit a row between two neighbours
 * (after ~50 insertions at one spot) is the whole table written again, in order.
 */
export function diffTable(live: LiveRow[], next: Array<{ key: string; text: string }>): TableDiff {
  const byKey = new Map(live.map((r) => [r.key, r]));
  const keptOrd: Array<number | undefined> = [];
  const used = new Set<string>();
  let last = -Infinity;
  for (const row of next) {
    const old = byKey.get(row.key);
    if (old && old.text === row.text && old.ord > last && !used.has(old.id)) {
      keptOrd.push(old.ord);
      used.add(old.id);
      last = old.ord;
    } else keptOrd.push(undefined);
  }
  const insert: NewRow[] = [];
  let i = 0;
  let ok = true;
  while (i < next.length && ok) {
    if (keptOrd[i] !== undefined) { i++; continue; }
    let j = i;
    while (j < next.length && keptOrd[j] === undefined) j++;
    const n = j - i;
    const hi = keptOrd[j];
    const lo = i > 0 ? keptOrd[i - 1] as number : hi !== undefined ? hi - n - 1 : 0;
    const top = hi ?? lo + n + 1;
    let prev = lo;
    for (let k = 0; k < n; k++) {
      const ord = lo + ((top - lo) * (k + 1)) / (n + 1);
      if (!(ord > prev && ord < top) || !Number.isFinite(ord)) { ok = false; break; }
      prev = ord;
      const row = next[i + k] as { key: string; text: string };
      insert.push({ key: row.key, ord, text: row.text });
    }
    i = j;
  }
  if (!ok) return { close: live.map((r) => r.id), insert: next.map((r, k) => ({ key: r.key, ord: k + 1, text: r.text })), kept: 0 };
  return { close: live.filter((r) => !used.has(r.id)).map((r) => r.id), insert, kept: used.size };
}

/** The rows of a document per stored table, in document order (keys by name). */
export function documentRows(doc: RoutingDocument): Record<StoredTable, Array<{ key: string; text: string }>> {
  const rows = <K extends TableName>(table: K) => (doc[table] as Array<Parameters<(typeof naturalKey)[K]>[0]>).map((r) => ({ key: (naturalKey[table] as (x: typeof r) => string)(r), text: canonicalJson(r) }));
  return {
    authorities: rows('authorities'),
    responsibilities: rows('responsibilities'),
    directory: rows('directory'),
    keys: Object.keys(doc.keys).sort().map((k) => ({ key: k, text: canonicalJson(doc.keys[k]) })),
  };
}

/** The newest version's rows, per table in order, and the document they make. */
export async function liveRows(q: Queryable): Promise<{ tables: Record<StoredTable, LiveRow[]>; document: RoutingDocument }> {
  const { rows } = await q.query<{ id: string; tbl: StoredTable; natural_key: string; ord: number; row: unknown }>(
    'SELECT id::text AS id, tbl, natural_key, ord, row FROM routing_rows WHERE last_version IS NULL ORDER BY tbl, ord');
  const tables = emptyTables<LiveRow>();
  for (const r of rows) tables[r.tbl].push({ id: r.id, key: r.natural_key, ord: Number(r.ord), text: canonicalJson(r.row) });
  return { tables, document: toDocument(rows) };
}

/** JSON with sorted object keys: the same dataset always has the same text and hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** The document of a row-stored version. */
export async function readRowDocument(q: Queryable, version: number): Promise<RoutingDocument> {
  const { rows } = await q.query<{ tbl: StoredTable; natural_key: string; row: unknown }>(
    `SELECT tbl, natural_key, row FROM routing_rows
      WHERE first_version <= $1 AND (last_version IS NULL OR last_version >= $1) ORDER BY tbl, ord`, [version]);
  return toDocument(rows);
}

function toDocument(rows: Array<{ tbl: StoredTable; natural_key: string; row: unknown }>): RoutingDocument {
  const doc: RoutingDocument = { authorities: [], responsibilities: [], directory: [], keys: {} };
  for (const r of rows) {
    if (r.tbl === 'keys') doc.keys[r.natural_key] = r.row as JWK;
    else (doc[r.tbl] as unknown[]).push(r.row);
  }
  return doc;
}

/** Stores `next` as `version` against the live rows; returns how many rows it wrote. */
export async function storeVersionRows(q: Queryable, version: number, live: Record<StoredTable, LiveRow[]>, next: Record<StoredTable, Array<{ key: string; text: string }>>): Promise<{ written: number; shared: number }> {
  const close: string[] = [];
  const insert: Array<NewRow & { tbl: StoredTable }> = [];
  let shared = 0;
  for (const tbl of STORED_TABLES) {
    const diff = diffTable(live[tbl], next[tbl]);
    close.push(...diff.close);
    for (const row of diff.insert) insert.push({ ...row, tbl });
    shared += diff.kept;
  }
  // Closed at the version before: they belong to it, not to the new one.
  for (let i = 0; i < close.length; i += INSERT_BATCH) {
    await q.query('UPDATE routing_rows SET last_version = $1 WHERE id = ANY($2::bigint[])', [version - 1, close.slice(i, i + INSERT_BATCH)]);
  }
  for (let i = 0; i < insert.length; i += INSERT_BATCH) {
    const part = insert.slice(i, i + INSERT_BATCH);
    await q.query(
      `INSERT INTO routing_rows (tbl, natural_key, ord, row, first_version)
       SELECT t, k, o, r::jsonb, $5 FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[]) AS u(t, k, o, r)`,
      [part.map((r) => r.tbl), part.map((r) => r.key), part.map((r) => r.ord), part.map((r) => r.text), version]);
  }
  return { written: close.length + insert.length, shared };
}

function emptyTables<T>(): Record<StoredTable, T[]> {
  return { authorities: [], responsibilities: [], directory: [], keys: [] };
}
