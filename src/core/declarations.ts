import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { DeclarationError } from './errors.js';
import { patternEngine } from './patterns.js';
import { compileSchema, recordingSchemas } from './schema-cache.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

/**
 * An Ajv for JSON Schema 2020-12 with formats and all errors. `checkSchemas` validates each schema
 * against the 2020-12 meta-schema first: on for schemas that service authors write, off for the
 * runtime's own (schemas/*.schema.json, inline ones), because every Ajv that checks compiles the
 * meta-schema once, which made up a third of startup's schema work.
 */
export function newAjv(opts: { checkSchemas?: boolean } = {}): Ajv2020 {
  // Patterns run on RE2 (src/core/patterns.ts): linear in the input, whoever wrote the pattern.
  // multipleOfPrecision: without it 0.3 is no multiple of 0.1 (binary floats); 6 digits hold for
  // up to 10^9 steps (a decimal field's 15 digits, src/forms/fields/numbers.ts, checks exactly first).
  const ajv = new Ajv2020({ allErrors: true, strict: false, multipleOfPrecision: 6, validateSchema: opts.checkSchemas ?? false, code: { regExp: patternEngine, ...(recordingSchemas() ? { source: true } : {}) } });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv;
}

const formatAjv = newAjv();
const compiled = new Map<string, ValidateFunction>();

/** Path as the operator sees it: relative to the working directory. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Reads a JSON file; a syntax error names the file and the line. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DeclarationError(displayPath(file), '', `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DeclarationError(displayPath(file), '', `not valid JSON: ${(err as Error).message}`);
  }
}

/** Validates `data` from `file` against a format schema; the first problem becomes a DeclarationError. */
export function validateDeclaration<T>(file: string, data: unknown, schemaFile: string): T {
  const validate = formatValidator(schemaFile);
  if (!validate(data)) {
    const error = mostSpecific(validate.errors ?? []);
    throw new DeclarationError(displayPath(file), errorPath(error), describeAjvError(error));
  }
  return data as T;
}

/** The validator of one of the runtime's format schemas: compiled once per process, or made by the build. */
export function formatValidator(schemaFile: string): ValidateFunction {
  let validate = compiled.get(schemaFile);
  if (!validate) {
    // Shared definitions referenced as siblings ($ref: "text.schema.json") must be known first.
    const shared = join(dirname(schemaFile), 'text.schema.json');
    const sharedSchema = readJsonFile(shared) as { $id: string };
    if (!formatAjv.getSchema(sharedSchema.$id)) formatAjv.addSchema(sharedSchema);
    validate = compileSchema(formatAjv, readJsonFile(schemaFile) as object, [sharedSchema]);
    compiled.set(schemaFile, validate);
  }
  return validate;
}

/** Among Ajv's errors, the deepest one is usually the one that names the real mistake. */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const relevant = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const pool = relevant.length > 0 ? relevant : errors;
  return pool.reduce((best, e) => (errorPath(e).length > errorPath(best).length ? e : best), pool[0] as ErrorObject);
}

export function errorPath(e: ErrorObject): string {
  if (e.keyword === 'required') return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`;
  return e.instancePath;
}

export function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required': return 'is required but missing';
    case 'additionalProperties': return 'is not a known property here';
    case 'enum': return `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    default: return e.message ?? e.keyword;
  }
}
