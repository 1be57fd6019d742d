/** FIM `anzahl` ("min:max") and what it makes of a schema property: absent, a single value or an array. */
import { FimImportError } from './types.js';

/** A repeated element without an upper bound (1:n) gets this many rows at most: forms need a bound. */
export const UNBOUNDED_MAX_ITEMS = 20;

/** A FIM `anzahl` ("min:max"); `max` null means unbounded ("n" or "*"). */
export interface Cardinality {
  min: number;
  max: number | null;
}

export function parseCardinality(value: string): Cardinality {
  const m = /^\s*(\d+)\s*:\s*(\d+|\*|n|N)\s*$/.exec(value);
  if (!m) throw new FimImportError(`cardinality "${value}" is not "min:max" (e.g. 0:1, 1:1, 1:n, 2:5)`);
  const min = Number(m[1]);
  const max = /^\d+$/.test(m[2] as string) ? Number(m[2]) : null;
  if (max !== null && max < min) throw new FimImportError(`cardinality "${value}": the maximum is below the minimum`);
  return { min, max };
}

/** How a cardinality shapes the JSON Schema: a required or optional value, or an array with bounds. */
export type CardinalityShape =
  | { type: 'absent' }
  | { type: 'value'; required: boolean }
  | { type: 'array'; required: boolean; minItems: number; maxItems: number; capped: boolean };

export function cardinalityShape(c: Cardinality): CardinalityShape {
  if (c.max === 0) return { type: 'absent' };
  if (c.max === 1) return { type: 'value', required: c.min >= 1 };
  const capped = c.max === null;
  const maxItems = c.max ?? Math.max(UNBOUNDED_MAX_ITEMS, c.min);
  return { type: 'array', required: c.min >= 1, minItems: c.min, maxItems, capped };
}
