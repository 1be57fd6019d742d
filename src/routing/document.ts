import type { JWK } from 'jose';
import type { Location } from './problems.js';
import type { Authority, ResponsibilityRule } from './types.js';

/** The three tables of routing data; an import replaces the tables it contains. */
export const TABLES = ['authorities', 'responsibilities', 'directory'] as const;
export type TableName = (typeof TABLES)[number];

export function isTableName(name: string): name is TableName {
  return (TABLES as readonly string[]).includes(name);
}

/** A public JWK inline, or the name of one: a key of the document's `keys` or a file under routing/. */
export type KeySource = JWK | string;

/** A directory entry as written by people: keys by reference, the address with ${VARIABLES}. */
export interface SourceDirectoryEntry {
  authorityId: string;
  serviceKey: string;
  transport: string;
  /** Absent only for transport "pull": the authority collects, nothing is sent. */
  address?: string;
  payloadFormat?: string;
  encryptionKey: KeySource;
  verificationKey?: KeySource;
  /** Marks an entry without verificationKey as meant so (refused in production otherwise). */
  unverifiedReceipts?: { reason: string };
  identifiers?: Record<string, string>;
  options?: Record<string, unknown>;
}

/**
 * Routing data in its stored and exchanged form (schemas/routing.schema.json). A version in the
 * database carries every key it references in `keys`, so it reads the same in every process.
 */
export interface RoutingDocument {
  authorities: Authority[];
  responsibilities: ResponsibilityRule[];
  directory: SourceDirectoryEntry[];
  keys: Record<string, JWK>;
}

export interface RowOf {
  authorities: Authority;
  responsibilities: ResponsibilityRule;
  directory: SourceDirectoryEntry;
}

/** Maps a row and field to where its author wrote it. */
export interface Locator {
  at(index: number, field?: string): Location;
}

export class JsonLocator implements Locator {
  constructor(readonly source: string, readonly prefix: string) {}

  at(index: number, field?: string): Location {
    return { source: this.source, path: `${this.prefix}/${index}${field ? `/${field}` : ''}` };
  }
}

/** Rows of one table with the way back to their source, which may be several files or requests. */
export interface Table<T> {
  rows: T[];
  locate(index: number, field?: string): Location;
}

export function tableOf<T>(rows: T[], locator: Locator): Table<T> {
  return { rows, locate: (i, f) => locator.at(i, f) };
}

/** Rows from several sources, each remembering its own. */
export function concatTables<T>(parts: Array<Table<T>>): Table<T> {
  if (parts.length === 1 && parts[0]) return parts[0];
  const rows: T[] = [];
  const from: Array<[Table<T>, number]> = [];
  for (const part of parts) part.rows.forEach((row, i) => { rows.push(row); from.push([part, i]); });
  return { rows, locate: (i, f) => { const [t, j] = from[i] as [Table<T>, number]; return t.locate(j, f); } };
}

/** A whole dataset with locations, ready to be compiled. */
export interface LocatedDocument {
  authorities: Table<Authority>;
  responsibilities: Table<ResponsibilityRule>;
  directory: Table<SourceDirectoryEntry>;
  keys: Record<string, JWK>;
}

/** Input that replaces some tables (those present) and may bring named keys. */
export interface RoutingPatch {
  authorities?: Table<Authority>;
  responsibilities?: Table<ResponsibilityRule>;
  directory?: Table<SourceDirectoryEntry>;
  keys?: Record<string, JWK>;
}

/** A stored document with locations "version N: /table/i". */
export function locatedDocument(doc: RoutingDocument, source: string): LocatedDocument {
  return {
    authorities: tableOf(doc.authorities, new JsonLocator(source, '/authorities')),
    responsibilities: tableOf(doc.responsibilities, new JsonLocator(source, '/responsibilities')),
    directory: tableOf(doc.directory, new JsonLocator(source, '/directory')),
    keys: doc.keys,
  };
}

/** Tables present in the patch replace the base's; the others are kept. */
export function replaceTables(base: LocatedDocument, patch: RoutingPatch): LocatedDocument {
  return {
    authorities: patch.authorities ?? base.authorities,
    responsibilities: patch.responsibilities ?? base.responsibilities,
    directory: patch.directory ?? base.directory,
    keys: { ...base.keys, ...patch.keys },
  };
}

export const naturalKey: { [K in TableName]: (row: RowOf[K]) => string } = {
  authorities: (a) => a.id,
  responsibilities: (r) => `${r.leikaKey}|${r.arsPrefix}`,
  directory: (d) => `${d.authorityId}|${d.serviceKey}`,
};

export interface Removal {
  /** Natural keys ("id", "leikaKey|arsPrefix", "authorityId|serviceKey") with where each was asked for. */
  keys: string[];
  locate(index: number): Location;
}

export interface RoutingChanges {
  upsert: RoutingPatch;
  remove: Partial<Record<TableName, Removal>>;
}

/**
 * Upserts replace the row with the same natural key in place (or are appended), removals drop rows.
 * Removing what does not exist is reported: it is almost always a typo in an id.
 */
export function applyChanges(base: LocatedDocument, changes: RoutingChanges, problems: { add(at: Location, message: string): void }): LocatedDocument {
  const merge = <K extends TableName>(table: K): Table<RowOf[K]> => {
    const current = base[table] as Table<RowOf[K]>;
    const upsert = changes.upsert[table] as Table<RowOf[K]> | undefined;
    const removal = changes.remove[table];
    if (!upsert && !removal) return current;
    const keyOf = naturalKey[table] as (row: RowOf[K]) => string;
    const removed = new Set(removal?.keys ?? []);
    const present = new Set(current.rows.map(keyOf));
    removal?.keys.forEach((k, i) => { if (!present.has(k)) problems.add(removal.locate(i), `there is no ${describeKey(table, k)} to remove`); });
    const pending = new Map<string, number>();
    upsert?.rows.forEach((row, i) => { if (!pending.has(keyOf(row))) pending.set(keyOf(row), i); });
    const parts: Array<[Table<RowOf[K]>, number]> = [];
    current.rows.forEach((row, i) => {
      const k = keyOf(row);
      const replacement = pending.get(k);
      if (replacement !== undefined && upsert) { parts.push([upsert, replacement]); pending.delete(k); return; }
      if (!removed.has(k)) parts.push([current, i]);
    });
    // Appended: new keys, and repeated keys within the upsert, which the compiler reports as duplicates.
    const placed = new Set(parts.filter(([t]) => t === upsert).map(([, i]) => i));
    upsert?.rows.forEach((_row, i) => { if (!placed.has(i)) parts.push([upsert, i]); });
    return { rows: parts.map(([t, i]) => t.rows[i] as RowOf[K]), locate: (i, f) => { const [t, j] = parts[i] as [Table<RowOf[K]>, number]; return t.locate(j, f); } };
  };
  return {
    authorities: merge('authorities'),
    responsibilities: merge('responsibilities'),
    directory: merge('directory'),
    keys: { ...base.keys, ...changes.upsert.keys },
  };
}

function describeKey(table: TableName, key: string): string {
  const [a, b] = key.split('|');
  if (table === 'authorities') return `authority "${key}"`;
  if (table === 'responsibilities') return `responsibility for service ${a} and region ${b}`;
  return `directory entry for authority "${a}" and service ${b}`;
}

/** JSON Pointer escaping (RFC 6901) for names used as path segments. */
export function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}
