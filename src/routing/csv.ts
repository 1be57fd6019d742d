import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseStream, type Options as ParseOptions } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { JWK } from 'jose';
import type { Authority, ResponsibilityRule } from './types.js';
import type { Locator, RoutingDocument, SourceDirectoryEntry, Table, TableName } from './document.js';
import { EfaError } from '../core/errors.js';
import { ProblemList, type Location } from './problems.js';

/**
 * The CSV columns of each table (docs/routing.md). Directory entries may spread identifiers and
 * options over columns named "identifiers.<name>" and "options.<name>" (strings), which is what
 * a spreadsheet handles well; "options" also takes a whole JSON object.
 */
export const CSV_COLUMNS: Record<TableName, { required: string[]; optional: string[]; prefixed?: string[] }> = {
  authorities: { required: ['id', 'name'], optional: ['nameEn', 'street', 'postalCode', 'city', 'email', 'phone', 'web'] },
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
  const reader = new CsvTableReader(table, source);
  let records: Array<{ record: string[]; info: { lines: number } }> = [];
  try {
    records = parse(text, parseOptions(delimiterOf(text))) as unknown as typeof records;
  } catch (err) {
    reader.syntaxError(err);
  }
  for (const { record, info } of records) reader.push(record, info.lines);
  return reader.finish();
}

/**
 * One table from a CSV stream (an admin API import), record by record: the text is never held
 * whole. More than `maxBytes` ends the read with ImportTooLargeError (413); problems are reported
 * with their lines as by tableFromCsv.
 */
export async function tableFromCsvStream(body: AsyncIterable<Buffer | string>, table: TableName, source: string, maxBytes: number): Promise<Table<unknown>> {
  const chunks = limitBytes(body, maxBytes)[Symbol.asyncIterator]();
  // The delimiter is decided by the header line: read until it is complete.
  const head: Buffer[] = [];
  let done = false;
  while (!done && !Buffer.concat(head).includes(0x0a)) {
    const next = await chunks.next();
    if (next.done) done = true;
    else head.push(next.value);
  }
  const reader = new CsvTableReader(table, source);
  const parser = parseStream(parseOptions(delimiterOf(Buffer.concat(head).toString('utf8'))));
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  };
  const feeding = pipeline(Readable.from(rest()), parser);
  // Whatever ends the read first (a problem, the limit, bad CSV) is thrown from the loop below.
  feeding.catch(() => undefined);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const bad = record.findIndex((c) => c.includes('\uFFFD'));
      if (bad >= 0) reader.notUtf8(info.lines);
      reader.push(record, info.lines);
    }
    await feeding;
  } catch (err) {
    if (err instanceof EfaError) throw err;
    reader.syntaxError(err);
  }
  return reader.finish();
}

/** A request body larger than the import limit: refused with 413, nothing read further or stored. */
export class ImportTooLargeError extends EfaError {
  constructor(readonly maxBytes: number) {
    super('EFA_ROUTING_IMPORT_TOO_LARGE', `the body is larger than ${formatBytes(maxBytes)} (EFA_ROUTING_IMPORT_MAX_BYTES)`, 413);
  }
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/**
 * Passes chunks through until more than `maxBytes` have come. A request stays open when reading
 * stops early, so its sender can still read the answer (the admin API then discards the rest).
 */
export async function* limitBytes(body: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  const readable = body instanceof Readable ? body : undefined;
  // Not destroyed when reading stops early: destroying a request closes its socket before the answer.
  const chunks = readable ? readable.iterator({ destroyOnReturn: false }) : body;
  for await (const chunk of chunks as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > maxBytes) throw new ImportTooLargeError(maxBytes);
    yield buf;
  }
}

function delimiterOf(text: string): ',' | ';' {
  const firstLine = text.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  // German spreadsheets write ";" — decide by the header line, never inside data.
  return firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
}

function parseOptions(delimiter: string): ParseOptions {
  return { bom: true, delimiter, skip_empty_lines: true, info: true, max_record_size: MAX_RECORD_BYTES, relax_column_count: false };
}

/**
 * Builds a table record by record (header first), so text and stream are read alike. Checking
 * stops at MAX_PROBLEMS; what was found is thrown by finish().
 */
class CsvTableReader {
  private readonly problems = new ProblemList();
  private headers?: string[];
  private columns = new Map<string, number>();
  private readonly rows: unknown[] = [];
  private readonly lines: number[] = [];

  constructor(private readonly table: TableName, private readonly source: string) {}

  /** `endLine`: where the record ends (csv-parse's info.lines); a quoted cell may span lines. */
  push(record: string[], endLine: number): void {
    const line = endLine - record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);
    if (!this.headers) {
      this.headers = record.map((h) => h.trim());
      this.columns = headerColumns(this.headers, this.table, this.source, this.problems);
      this.problems.throwIfAny();
      return;
    }
    if (this.problems.full) this.problems.throwIfAny();
    const cells = record.map(unescapeFormula);
    const index = this.rows.length;
    this.lines.push(line);
    const locator = new CsvLocator(this.source, this.lines, this.columns, this.headers);
    this.rows.push(rowOf(this.table, cells, this.headers, this.columns, (field) => locator.at(index, field), this.problems));
  }

  notUtf8(line: number): void {
    this.problems.add({ source: this.source, line }, 'the file is not UTF-8 (export it as "CSV UTF-8")');
    this.problems.throwIfAny();
  }

  syntaxError(err: unknown): void {
    const e = err as Error & { code?: string; lines?: number };
    this.problems.add({ source: this.source, line: e.lines ?? 0 }, `not valid CSV: ${e.message.replace(/ on line \d+$| at line \d+/, '')}`);
    this.problems.throwIfAny();
  }

  finish(): Table<unknown> {
    if (!this.headers) this.problems.add({ source: this.source, line: 1 }, `empty: the first line must name the columns (${CSV_COLUMNS[this.table].required.join(', ')}, …)`);
    this.problems.throwIfAny();
    const locator = new CsvLocator(this.source, this.lines, this.columns, this.headers ?? []);
    return { rows: this.rows, locate: (i, f) => locator.at(i, f) };
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
    const address = Object.fromEntries(['street', 'postalCode', 'city'].map((k) => [k, value(k)]).filter(([, v]) => v !== undefined)) as Authority['address'];
    const nameEn = value('nameEn');
    const a: Authority = { id: required('id'), name: required('name'), ...(nameEn !== undefined ? { nameEn } : {}) };
    return { ...a, ...(address && Object.keys(address).length > 0 ? { address } : {}), ...(contact && Object.keys(contact).length > 0 ? { contact } : {}) };
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
  if (payloadFormat !== undefined) entry.payloadFormat = payloadFormat;
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
    rows.push(['id', 'name', 'nameEn', 'street', 'postalCode', 'city', 'email', 'phone', 'web']);
    for (const a of doc.authorities) {
      rows.push([a.id, a.name, a.nameEn ?? '', a.address?.street ?? '', a.address?.postalCode ?? '', a.address?.city ?? '', a.contact?.email ?? '', a.contact?.phone ?? '', a.contact?.web ?? '']);
    }
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
