/** A field's `pattern` (praezisierung): an XML Schema regular expression, checked as a JSON Schema pattern. */
import { translateXsdPattern } from '../../../core/patterns.js';
import type { FimReport } from '../report.js';
import type { FimElement, Json } from '../tree.js';

/** FIM patterns are XML Schema regular expressions: translated (src/core/patterns.ts), or refused by name and left unchecked. */
export function patternSchema(report: FimReport, el: FimElement, pattern: string | undefined): Json {
  if (!pattern) return {};
  const translated = translateXsdPattern(pattern);
  if ('problem' in translated) {
    report.unmapped('praezisierung pattern', el, `EFA_PATTERN_UNSUPPORTED: ${translated.problem}: not checked, write a pattern for this field in schema.json`);
    return {};
  }
  for (const note of translated.notes) report.unmapped('praezisierung pattern', el, `"${pattern}": ${note}`);
  return { pattern: translated.pattern };
}
