import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { JWK } from 'jose';
import { describeAjvError, errorPath, newAjv } from '../core/declarations.js';
import { compileSchema } from '../core/schema-cache.js';
import { arsPrefixProblem } from './responsibility.js';
import { JsonLocator, TABLES, naturalKey, tableOf, type RoutingChanges, type RoutingPatch, type TableName } from './document.js';
import { ProblemList, type Location } from './problems.js';

let validators: { document: ValidateFunction; changes: ValidateFunction } | undefined;

/** One Ajv with both routing schemas, so the changes schema can $ref the document's definitions. */
function schemas(formatsDir: string): { document: ValidateFunction; changes: ValidateFunction } {
  if (validators) return validators;
  const ajv = newAjv();
  const read = (name: string) => JSON.parse(readFileSync(join(formatsDir, name), 'utf8')) as Record<string, unknown>;
  const routing = read('routing.schema.json');
  ajv.addSchema(routing);
  const document = compileSchema(ajv, routing, [routing]);
  const changes = compileSchema(ajv, read('routing-changes.schema.json'), [routing]);
  validators = { document, changes };
  return validators;
}

/** JSON.parse, with a syntax error turned into line and column of the source. */
export function parseJsonText(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/ (in JSON )?at position \d+.*$/, '').replace(/, "[\s\S]*" is not valid JSON$/, '');
    const position = syntaxErrorAt(body);
    const problems = new ProblemList();
    if (position === undefined) problems.add({ source, path: '' }, `not valid JSON: ${message}`);
    else {
      const before = body.slice(0, position);
      problems.add({ source, line: before.split('\n').length, column: position - before.lastIndexOf('\n') }, `not valid JSON: ${message}`);
    }
    problems.throwIfAny();
    throw err;
  }
}

/**
 * Where JSON.parse gave up: V8 does not always say, so a small scanner finds the first character
 * that cannot continue a JSON text. Only ever run on text that failed to parse.
 */
export function syntaxErrorAt(text: string): number | undefined {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++; };
  const fail = (): never => { throw new SyntaxAt(i); };
  const literal = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') { i++; if (!'"\\/bfnrtu'.includes(text[i] ?? 'x')) fail(); if (text[i] === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4; } }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (depth: number): void => {
    // Deeper than any routing document, and shallow enough for the call stack.
    if (depth > 500) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) { ws(); if (text[i] !== '"') fail(); string(); ws(); if (text[i] !== ':') fail(); i++; value(depth + 1); ws(); if (text[i] === ',') { i++; continue; } if (text[i] === '}') { i++; return; } fail(); }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) { value(depth + 1); ws(); if (text[i] === ',') { i++; continue; } if (text[i] === ']') { i++; return; } fail(); }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : undefined;
  } catch (err) {
    return err instanceof SyntaxAt ? err.position : undefined;
  }
}

class SyntaxAt extends Error {
  constructor(readonly position: number) {
    super(`JSON syntax error at ${position}`);
  }
}

/** A routing document (routing/*.json, an import): every table it contains replaces the current one. */
export function patchFromJson(data: unknown, source: string, formatsDir: string): RoutingPatch {
  const { document } = schemas(formatsDir);
  if (!document(data)) schemaProblems(document.errors ?? [], data, source).throwIfAny();
  const doc = data as Partial<Record<TableName, unknown[]>> & { keys?: Record<string, JWK> };
  const patch: RoutingPatch = {};
  for (const table of TABLES) {
    if (doc[table] !== undefined) (patch as Record<TableName, unknown>)[table] = tableOf(doc[table] as never[], new JsonLocator(source, `/${table}`));
  }
  if (doc.keys) patch.keys = doc.keys;
  return patch;
}

interface ChangesBody {
  comment?: string;
  upsert?: Partial<Record<TableName, unknown[]>> & { keys?: Record<string, JWK> };
  remove?: { authorities?: string[]; responsibilities?: Array<{ leikaKey: string; arsPrefix: string }>; directory?: Array<{ authorityId: string; serviceKey: string }> };
}

/** The body of POST .../changes: upserts and removals, each located in the request. */
export function changesFromJson(data: unknown, source: string, formatsDir: string): { changes: RoutingChanges; comment?: string } {
  const { changes: validate } = schemas(formatsDir);
  if (!validate(data)) schemaProblems(validate.errors ?? [], data, source).throwIfAny();
  const body = data as ChangesBody;
  const upsert: RoutingPatch = {};
  for (const table of TABLES) {
    const rows = body.upsert?.[table];
    if (rows) (upsert as Record<TableName, unknown>)[table] = tableOf(rows as never[], new JsonLocator(source, `/upsert/${table}`));
  }
  if (body.upsert?.keys) upsert.keys = body.upsert.keys;
  const remove: RoutingChanges['remove'] = {};
  const removal = <T>(table: TableName, rows: T[] | undefined, key: (row: T) => string) => {
    if (!rows) return;
    const locator = new JsonLocator(source, `/remove/${table}`);
    remove[table] = { keys: rows.map(key), locate: (i) => locator.at(i) };
  };
  removal('authorities', body.remove?.authorities, (id) => id);
  removal('responsibilities', body.remove?.responsibilities, (r) => naturalKey.responsibilities({ ...r, authorityId: '' }));
  removal('directory', body.remove?.directory, (d) => `${d.authorityId}|${d.serviceKey}`);
  return { changes: { upsert, remove }, comment: body.comment };
}

/**
 * Ajv's errors as problems, one per JSON path (the most telling one), in words an operator
 * understands: "not a LeiKa key" rather than a regular expression.
 */
function schemaProblems(errors: ErrorObject[], data: unknown, source: string): ProblemList {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const path = errorPath(e);
    byPath.set(path, [...(byPath.get(path) ?? []), e]);
  }
  // A oneOf failure also fails every branch below it: report only the outermost path.
  const oneOfPaths = [...byPath.entries()].filter(([, es]) => es.some((e) => e.keyword === 'oneOf')).map(([p]) => p);
  const problems = new ProblemList();
  for (const [path, group] of byPath) {
    if (oneOfPaths.some((p) => path !== p && path.startsWith(`${p}/`))) continue;
    const at: Location = { source, path };
    problems.add(at, describe(group, valueAt(data, path), path));
  }
  return problems;
}

function describe(group: ErrorObject[], value: unknown, path: string): string {
  const oneOf = group.find((e) => e.keyword === 'oneOf');
  if (oneOf && /\$defs\/key\//.test(oneOf.schemaPath + '/')) {
    if (value && typeof value === 'object' && ('d' in value || 'k' in value)) return 'a private key must never be in routing data';
    return 'must be a key reference like keys/<authority>.enc.json or a public JWK object with "kty"';
  }
  const e = group.find((x) => x.keyword !== 'oneOf' && x.keyword !== 'anyOf' && x.keyword !== 'if') ?? group[0] as ErrorObject;
  const field = path.split('/').pop() ?? '';
  if (e.keyword === 'pattern' && typeof value === 'string') {
    if (field === 'arsPrefix') return arsPrefixProblem(value) ?? describeAjvError(e);
    if (field === 'leikaKey' || field === 'serviceKey') return `"${value}" is not a LeiKa key: 14 digits, or "*" for every service`;
    if (field === 'id') return `"${value}" is not an authority id: lower-case letters, digits and "-"`;
  }
  if (e.keyword === 'not' && value && typeof value === 'object') return 'a private key must never be in routing data';
  if (e.keyword === 'propertyNames') return 'key names are references like keys/<authority>.enc.json';
  return describeAjvError(e);
}

function valueAt(data: unknown, pointer: string): unknown {
  let current = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}
