import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { JWK } from 'jose';
import { CSV_COLUMNS, tableFromCsv } from './csv.js';
import { TABLES, concatTables, tableOf, JsonLocator, type RoutingPatch, type Table, type TableName } from './document.js';
import { parseJsonText, patchFromJson } from './json.js';
import { ProblemList, RoutingDataError } from './problems.js';

/**
 * Routing input as text: a JSON document (its tables replace the current ones), a JSON array of
 * one table's rows, or one table as CSV. The table of a CSV is named by the caller or told by its
 * header line.
 */
export function patchFromText(text: string, format: 'json' | 'csv', opts: { source: string; formatsDir: string; table?: TableName }): RoutingPatch {
  if (format === 'csv') {
    const table = opts.table ?? detectCsvTable(text, opts.source);
    return { [table]: tableFromCsv(text, table, opts.source) } as RoutingPatch;
  }
  const data = parseJsonText(text, opts.source);
  return opts.table ? tablePatchFromJson(data, opts.table, opts.source, opts.formatsDir) : patchFromJson(data, opts.source, opts.formatsDir);
}

/** A JSON array of one table's rows; problems point into the array ("/3/arsPrefix"). */
function tablePatchFromJson(data: unknown, table: TableName, source: string, formatsDir: string): RoutingPatch {
  if (!Array.isArray(data)) {
    const problems = new ProblemList();
    problems.add({ source, path: '' }, `must be an array of ${table} rows`);
    problems.throwIfAny();
  }
  try {
    patchFromJson({ [table]: data }, source, formatsDir);
  } catch (err) {
    if (!(err instanceof RoutingDataError)) throw err;
    throw new RoutingDataError(err.problems.map((p) => ({ ...p, path: p.path?.replace(new RegExp(`^/${table}`), '') })), err.truncated);
  }
  return { [table]: tableOf(data as never[], new JsonLocator(source, '')) } as RoutingPatch;
}

/** Which table a CSV holds, from the columns its first line names. */
export function detectCsvTable(text: string, source: string): TableName {
  const header = (text.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '').toLowerCase().split(/[;,]/).map((h) => h.trim().replace(/^"|"$/g, ''));
  // The table whose required columns are best covered; a misspelt column is then reported as missing.
  const score = (t: TableName) => CSV_COLUMNS[t].required.filter((c) => header.includes(c.toLowerCase())).length / CSV_COLUMNS[t].required.length;
  const best = [...TABLES].sort((a, b) => score(b) - score(a))[0] as TableName;
  if (score(best) > 0.5) return best;
  const problems = new ProblemList();
  problems.add({ source, line: 1 }, `cannot tell which table this CSV holds: ${TABLES.map((t) => `${t} need ${CSV_COLUMNS[t].required.join(', ')}`).join('; ')}`);
  problems.throwIfAny();
  return 'authorities';
}

/** Files and folders (their *.json and *.csv) as one patch; problems of all files are reported together. */
export function patchFromPaths(paths: string[], formatsDir: string): RoutingPatch {
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => /\.(json|csv)$/i.test(f)).sort().map((f) => join(p, f)) : [p]));
  const patches: RoutingPatch[] = [];
  const problems = new ProblemList();
  for (const file of files) {
    const format = extname(file).toLowerCase() === '.csv' ? 'csv' : 'json';
    try {
      patches.push(patchFromText(readFileSync(file, 'utf8'), format, { source: file, formatsDir }));
    } catch (err) {
      if (!(err instanceof RoutingDataError)) throw err;
      for (const p of err.problems) problems.add(p, p.message);
    }
  }
  if (files.length === 0) problems.add({ source: paths.join(', ') }, 'no .json or .csv file to import');
  problems.throwIfAny();
  return mergePatches(patches);
}

/** Several inputs together: rows of the same table are concatenated, keys merged. */
export function mergePatches(patches: RoutingPatch[]): RoutingPatch {
  const merged: RoutingPatch = {};
  for (const table of TABLES) {
    const parts = patches.map((p) => p[table]).filter((t): t is NonNullable<typeof t> => t !== undefined);
    if (parts.length > 0) (merged as Record<TableName, Table<unknown>>)[table] = concatTables(parts as Array<Table<unknown>>);
  }
  const keys: Record<string, JWK> = Object.assign({}, ...patches.map((p) => p.keys ?? {})) as Record<string, JWK>;
  if (Object.keys(keys).length > 0) merged.keys = keys;
  return merged;
}
