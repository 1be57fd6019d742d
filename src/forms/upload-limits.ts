import type { DraftLimits } from '../attachments/quotas.js';
import { fileRulesOf } from './fields/file.js';
import type { FormField } from './fields/kind.js';

/**
 * The most a set of fields can hold by their declarations: per file field `size.maximum` (capped by
 * EFA_UPLOAD_MAX_BYTES) × `maxItems`, a repeatable group's files × its `maxItems`.
 */
export function declaredLimits(fields: readonly FormField[], ceiling: number, rowsOfGroups = true): DraftLimits {
  let bytes = 0;
  let files = 0;
  for (const field of fields) {
    if (field.group) {
      const inner = declaredLimits(field.group.items, ceiling);
      const rows = rowsOfGroups ? field.group.maxItems : 1;
      bytes += inner.bytes * rows;
      files += inner.files * rows;
      continue;
    }
    if (field.kind.name !== 'file') continue;
    const rules = fileRulesOf(field.schema);
    if (typeof rules === 'string') continue;
    bytes += Math.min(rules.maxBytes, ceiling) * rules.maxFiles;
    files += rules.maxFiles;
  }
  return { bytes, files };
}
