import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile } from 'json-schema-to-typescript';

export const TYPES_FILE = 'types.gen.ts';
const BANNER = '/* Generated from schema.json by json-schema-to-typescript (npm run gen:types). Do not edit. */';
/** A longer schema title (a FIM document's "Antrag auf Erteilung einer …") names the type by the service id instead. */
export const MAX_TYPE_TITLE = 40;

/**
 * The TypeScript types of a service's data, generated from its schema.json. The type of the whole
 * application is named after the schema's title (json-schema-to-typescript's way: "Gewerbeanmeldung");
 * a title over MAX_TYPE_TITLE characters would make a name of a hundred characters, so the service
 * id names it then ("sondernutzung-container" → SondernutzungContainer).
 */
export async function generateTypes(serviceDir: string, serviceId = basename(serviceDir)): Promise<string> {
  const schema = JSON.parse(readFileSync(join(serviceDir, 'schema.json'), 'utf8')) as Record<string, unknown>;
  const title = rootTitle(schema.title, serviceId);
  // Arrays stay plain arrays: tuples for minItems..maxItems (a union of 12 tuple types for a
  // household) help no author, and the schema checks the bounds anyway.
  return compile({ ...schema, ...(title === undefined ? {} : { title }) } as never, title ?? 'Data', { bannerComment: BANNER, additionalProperties: false, cwd: serviceDir, format: true, ignoreMinAndMaxItems: true });
}

/** The title the root type is named after: the schema's when short enough, else the service id in PascalCase. */
export function rootTitle(title: unknown, serviceId: string): string | undefined {
  if (typeof title !== 'string') return undefined;
  if (title.length <= MAX_TYPE_TITLE) return title;
  return serviceId.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
