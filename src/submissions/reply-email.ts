/**
 * The e-mail address an applicant gave: the answer the service declares as its contact
 * (`service.json` `contact.email`, a JSON Pointer), else the value of the first property of the
 * service's data schema declared `"format": "email"` (in the schema's order, through nested
 * objects, not into lists) that the data fills. One address for everything the runtime sends or
 * announces: FIT-Connect's reply channel, the confirmation mail, the resume link's form, the
 * Postfach's notice.
 */
import { getAt } from '../forms/pointer.js';
import type { LoadedService } from '../services/registry.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_LENGTH = 254;

export function replyEmailOf(schema: Record<string, unknown>, data: unknown): string | undefined {
  return walk(schema, data, 0);
}

export function applicantEmailOf(service: LoadedService, data: Record<string, unknown>): string | undefined {
  const pointer = service.definition.contact?.email;
  if (pointer === undefined) return replyEmailOf(service.schema, data);
  const value = getAt(data, pointer);
  return typeof value === 'string' && value.length <= MAX_LENGTH && EMAIL.test(value) ? value : undefined;
}

function walk(schema: unknown, value: unknown, depth: number): string | undefined {
  if (depth > 16 || typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as { format?: unknown; properties?: Record<string, unknown> };
  if (s.format === 'email') return typeof value === 'string' && value.length <= MAX_LENGTH && EMAIL.test(value) ? value : undefined;
  if (!s.properties || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const [name, sub] of Object.entries(s.properties)) {
    const found = walk(sub, (value as Record<string, unknown>)[name], depth + 1);
    if (found) return found;
  }
  return undefined;
}
