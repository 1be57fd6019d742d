import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AnySchemaObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { DIST_DIR } from './paths.js';

/**
 * JSON Schema validators compiled ahead of time. Ajv turns a schema into JavaScript when it is
 * compiled; for the schemas a process compiles at every start (our formats, each service's data
 * schema, the routing schemas) `npm run build` keeps that JavaScript (Ajv's standalone code) under
 * dist/validators/, named by a hash of everything the validator was made from. A process then
 * loads the file instead of compiling; a schema that changed since the build has another hash and
 * is compiled as before, so a stale build can never validate against an old schema.
 */
export const COMPILED_SCHEMAS_DIR = join(DIST_DIR, 'validators');

const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;
const loaded = new Map<string, ValidateFunction>();
let recordTo: string | undefined;

/** Build time: every compileSchema from now on also writes its standalone code into `dir`. */
export function recordCompiledSchemas(dir: string): void {
  mkdirSync(dir, { recursive: true });
  recordTo = dir;
}

/** Whether new Ajv instances must keep the generated source (only while recording). */
export function recordingSchemas(): boolean {
  return recordTo !== undefined;
}

/**
 * ajv.compile(schema), or the validator the build compiled from the same schema. `refs` are the
 * schemas added to `ajv` that `schema` may $ref: they are part of what the validator is made from.
 */
export function compileSchema(ajv: Ajv2020, schema: AnySchemaObject, refs: AnySchemaObject[] = []): ValidateFunction {
  const key = createHash('sha256').update(JSON.stringify([AJV_VERSION, ajv.opts.allErrors === true, ajv.opts.multipleOfPrecision ?? null, schema, refs])).digest('hex').slice(0, 32);
  const known = loaded.get(key);
  if (known) return known;
  const file = join(recordTo ?? COMPILED_SCHEMAS_DIR, `${key}.cjs`);
  if (!recordTo && existsSync(file)) {
    const validate = require(file) as ValidateFunction;
    loaded.set(key, validate);
    return validate;
  }
  const validate = ajv.compile(schema);
  if (recordTo) writeFileSync(file, standaloneCode(ajv, validate));
  loaded.set(key, validate);
  return validate;
}

let standalone: ((ajv: Ajv2020, validate: ValidateFunction) => string) | undefined;
function standaloneCode(ajv: Ajv2020, validate: ValidateFunction): string {
  // Loaded only while recording: the runtime never generates standalone code.
  standalone ??= (require('ajv/dist/standalone') as { default: (ajv: Ajv2020, validate: ValidateFunction) => string }).default;
  return standalone(ajv, validate);
}
