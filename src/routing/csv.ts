import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { JWK } from 'jose';
import type { Authority, ResponsibilityRule } from './types.js';
import type { Locator, RoutingDocument, SourceDirectoryEntry, Table, TableName } from './document.js';
import { ProblemList, type Location } from './problems.js';

/**
 * The CSV columns of each table (docs/routing.md). Directory entries may spread identifiers and
 * options over columns named "identifiers.<name>" and "options.<name>" (strings), which is what
 * a spreadsheet handles well; "options" also takes a whole JSON object.
 */
export const CSV_COLUMNS: Record<TableName, { required: string[]; optional: string[]; prefixed?: string[] }> = {
  authorities: { required: ['id', 'name'], optional: ['nameEn', 'email', 'phone', 'web'] },
  responsibilities: { required: ['leikaKey', 'arsPrefix', 'authorityId'], optional: [] },
  directory: {
    required: ['authorityId', 'serviceKey', 'transport', 'address', 'encryptionKey'],
    optional: ['payloadFormat', 'verificationKey', 'options'],
    prefixed: ['identifiers.', 'options.'],
  },
};

/** A record longer than this is not a routing row but an attack or a broken file. */
const MAX_RECORD_BYTES = 64 * 1024;
const MAX_COLUMNS = 40;

class CsvLocator implements Locator {
  constructor(private readonly source: string, private readonly lines: number[], private readonly columns: Map<string, number>, private readonly headers: string[]) {}

  at(index: number, field?: string): Location {
    const line = this.lines[index] ?? 0;
    if (!field) return { source: this.source, line };
    // "identifiers/readerId" lives in column identifiers.readerId; "options/x" in options.x or options.
    const [top, sub] = field.split('/');
    const column = (sub !== undefined ? this.columns.get(`${top}.${sub.replace(/~1/g, '/').replace(/~0/g, '~')}`) : undefined) ?? this.columns.get(top ?? field);
    return column === undefined ? { source: this.source, line } : { source: this.source, line, column: column + 1, field: this.headers[column] };
  }
}

/** Parses one table from CSV text; every problem names line and column. */
export function tableFromCsv(text: string, table: TableName, source: string): Table<unknown> {
  const problems = new ProblemList();
  if (text.includes('\uFFFD')) {
    const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
    problems.add({ source, line }, 'the file is not UTF-8 (export it as "CSV UTF-8")');
    problems.throwIfAny();
  }
  const records = parseRecords(text, source, problems);
  problems.throwIfAny();
  const [head, ...body] = records;
  if (!head) {
    problems.add({ source, line: 1 }, `empty: the first line must name the columns (${CSV_COLUMNS[table].required.join(', ')}, …)`);
    problems.throwIfAny();
  }
  const headers = (head as Parsed).cells.map((h) => h.trim());
  const columns = headerColumns(headers, table, source, problems);
  problems.throwIfAny();
  const locator = new CsvLocator(source, body.map((r) => r.line), columns, headers);
  const rows = body.map((record, i) => rowOf(table, record.cells, headers, columns, (field) => locator.at(i, field), problems));
  problems.throwIfAny();
  return { rows, locate: (i, f) => locator.at(i, f) };
}

interface Parsed {
  cells: string[];
  line: number;
}

function parseRecords(text: string, source: string, problems: ProblemList): Parsed[] {
  const firstLine = text.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  // German spreadsheets write ";" — decide by the header line, never inside data.
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  try {
    const out = parse(text, { bom: true, delimiter, skip_empty_lines: true, info: true, max_record_size: MAX_RECORD_BYTES, relax_column_count: false }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    // info.lines is where a record ends; a quoted cell may span lines, so count back to its start.
    return out.map(({ record, info }, i) => ({ cells: i === 0 ? record : record.map(unescapeFormula), line: info.lines - record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0) }));
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    problems.add({ source, line: e.lines ?? 0 }, `not valid CSV: ${e.message.replace(/ on line \d+$| at line \d+/, '')}`);
    return [];
  }
}

function headerColumns(headers: string[], table: TableName, source: string, problems: ProblemList): Map<string, number> {
  const spec = CSV_COLUMNS[table];
  const known = [...spec.required, ...spec.optional];
  const columns = new Map<string, number>();
  if (headers.length > MAX_COLUMNS) problems.add({ source, line: 1 }, `${headers.length} columns; a routing table has at most ${MAX_COLUMNS}`);
  headers.forEach((h, i) => {
    const at = { source, line: 1, column: i + 1, field: h };
    const canonical = known.find((k) => k.toLowerCase() === h.toLowerCase());
    const prefixed = spec.prefixed?.find((p) => h.toLowerCase().startsWith(p) && h.length > p.length);
    const name = canonical ?? (prefixed ? `${prefixed}${h.slice(prefixed.length)}` : undefined);
    if (!name) return problems.add(at, `unknown column "${h}" for ${table}; known: ${known.join(', ')}${spec.prefixed ? `, ${spec.prefixed.map((p) => `${p}<name>`).join(', ')}` : ''}`);
    if (columns.has(name)) return problems.add(at, `column "${h}" appears twice`);
    columns.set(name, i);
  });
  for (const required of spec.required) if (!columns.has(required)) problems.add({ source, line: 1 }, `column "${required}" is missing (${table} need ${spec.required.join(', ')})`);
  return columns;
}

/** One record as the row object the JSON format would have; empty cells are absent values. */
function rowOf(table: TableName, cells: string[], headers: string[], columns: Map<string, number>, at: (field?: string) => Location, problems: ProblemList): unknown {
  const value = (name: string): string | undefined => {
    const i = columns.get(name);
    const v = i === undefined ? undefined : cells[i]?.trim();
    return v === '' ? undefined : v;
  };
  const required = (name: string): string => {
    const v = value(name);
    if (v === undefined) problems.add(at(name), 'is required but empty');
    return v ?? '';
  };
  if (table === 'authorities') {
    const contact = Object.fromEntries(['email', 'phone', 'web'].map((k) => [k, value(k)]).filter(([, v]) => v !== undefined)) as Authority['contact'];
    const nameEn = value('nameEn');
    const a: Authority = { id: required('id'), name: required('name'), ...(nameEn !== undefined ? { nameEn } : {}) };
    return contact && Object.keys(contact).length > 0 ? { ...a, contact } : a;
  }
  if (table === 'responsibilities') return { leikaKey: required('leikaKey'), arsPrefix: required('arsPrefix'), authorityId: required('authorityId') } satisfies ResponsibilityRule;
  const transport = required('transport');
  // A pull authority has no endpoint; every other transport needs one.
  const address = transport === 'pull' ? value('address') : required('address');
  const entry: SourceDirectoryEntry = {
    authorityId: required('authorityId'), serviceKey: required('serviceKey'), transport, ...(address !== undefined ? { address } : {}),
    encryptionKey: keyCell(required('encryptionKey'), at('encryptionKey'), problems),
  };
  const payloadFormat = value('payloadFormat');
  if (payloadFormat !== undefined) entry.payloadFormat = payloadFormat as 'json' | 'xml';
  const verificationKey = value('verificationKey');
  if (verificationKey !== undefined) entry.verificationKey = keyCell(verificationKey, at('verificationKey'), problems);
  const identifiers: Record<string, string> = {};
  let options: Record<string, unknown> = {};
  const whole = value('options');
  if (whole !== undefined) {
    const parsed = jsonCell(whole, at('options'), problems);
    if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) problems.add(at('options'), 'must be a JSON object, e.g. {"clientId":"…"}');
    else if (parsed !== undefined) options = parsed as Record<string, unknown>;
  }
  headers.forEach((h, i) => {
    const v = cells[i]?.trim();
    if (!v) return;
    const lower = h.toLowerCase();
    if (lower.startsWith('identifiers.')) identifiers[h.slice('identifiers.'.length)] = v;
    if (lower.startsWith('options.')) {
      const name = h.slice('options.'.length);
      if (name in options) problems.add(at(`options/${name}`), `option "${name}" is also in the "options" column`);
      options[name] = v;
    }
  });
  if (Object.keys(identifiers).length > 0) entry.identifiers = identifiers;
  if (Object.keys(options).length > 0) entry.options = options;
  return entry;
}

/** A key cell: a reference (keys/x.enc.json) or a whole JWK as JSON. */
function keyCell(cell: string, at: Location, problems: ProblemList): JWK | string {
  if (!cell.startsWith('{')) return cell;
  const parsed = jsonCell(cell, at, problems);
  return parsed !== undefined && typeof parsed === 'object' && parsed !== null ? (parsed as JWK) : cell;
}

function jsonCell(cell: string, at: Location, problems: ProblemList): unknown {
  try {
    return JSON.parse(cell);
  } catch (err) {
    problems.add(at, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** One table as CSV in the import format, so an export can be edited and imported again. */
export function tableToCsv(doc: RoutingDocument, table: TableName): string {
  const rows: string[][] = [];
  if (table === 'authorities') {
    rows.push(['id', 'name', 'nameEn', 'email', 'phone', 'web']);
    for (const a of doc.authorities) rows.push([a.id, a.name, a.nameEn ?? '', a.contact?.email ?? '', a.contact?.phone ?? '', a.contact?.web ?? '']);
  } else if (table === 'responsibilities') {
    rows.push(['leikaKey', 'arsPrefix', 'authorityId']);
    for (const r of doc.responsibilities) rows.push([r.leikaKey, r.arsPrefix, r.authorityId]);
  } else {
    const identifierNames = [...new Set(doc.directory.flatMap((e) => Object.keys(e.identifiers ?? {})))].sort();
    rows.push(['authorityId', 'serviceKey', 'transport', 'address', 'payloadFormat', 'encryptionKey', 'verificationKey', ...identifierNames.map((n) => `identifiers.${n}`), 'options']);
    const key = (k: JWK | string | undefined) => (k === undefined ? '' : typeof k === 'string' ? k : JSON.stringify(k));
    for (const e of doc.directory) {
      const options = e.options && Object.keys(e.options).length > 0 ? JSON.stringify(e.options) : '';
      rows.push([e.authorityId, e.serviceKey, e.transport, e.address ?? '', e.payloadFormat ?? '', key(e.encryptionKey), key(e.verificationKey), ...identifierNames.map((n) => e.identifiers?.[n] ?? ''), options]);
    }
  }
  // A cell beginning with = + - @ (or tab, CR) is a formula to a spreadsheet: an exported
  // "=HYPERLINK(…)" would run when an operator opens the file. csv-stringify prefixes such cells
  // with an apostrophe; a cell that already begins with apostrophe + such a character gets one
  // more, so the import (which removes one) gives back exactly what was exported.
  const guarded = rows.map((r) => r.map((cell) => (ESCAPED_FORMULA.test(cell) ? `'${cell}` : cell)));
  return stringify(guarded, { escape_formulas: true, quoted_match: /;/, record_delimiter: 'unix' });
}

/** What the export wrote for a formula-like cell: the import takes the apostrophe away again. */
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

function unescapeFormula(cell: string): string {
  return ESCAPED_FORMULA.test(cell) ? cell.slice(1) : cell;
}
