import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'json-schema-to-typescript';

export const TYPES_FILE = 'types.gen.ts';
const BANNER = '/* Generated from schema.json by json-schema-to-typescript (npm run gen:types). Do not edit. */';

/** The TypeScript types of a service's data, generated from its schema.json. */
export async function generateTypes(serviceDir: string): Promise<string> {
  const schema = JSON.parse(readFileSync(join(serviceDir, 'schema.json'), 'utf8')) as Record<string, unknown>;
  // Arrays stay plain arrays: tuples for minItems..maxItems (a union of 12 tuple types for a
  // household) help no author, and the schema checks the bounds anyway.
  return compile(schema as never, String(schema.title ?? 'Data'), { bannerComment: BANNER, additionalProperties: false, cwd: serviceDir, format: true, ignoreMinAndMaxItems: true });
}
