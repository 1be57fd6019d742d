/** A field's `pattern` (praezisierung): an XML Schema regular expression, checked as a JSON Schema pattern. */
import { translateXsdPattern } from '../../../core/patterns.js';
import type { FimReport } from '../report.js';
import type { FimElement, Json } from '../tree.js';

/** FIM patterns are XML Schema regular expressions: translated (src/core/patterns.ts), or refused by name and left unchecked. */
export function patternSchema(report: FimReport, el: FimElement, pattern: string | undefined): Json {
  if (!pattern) return {};
  // A lone "^" at the start or "$" at the end is literal in XSD but surely meant as an anchor (XSD patterns are anchored anyway).
  const bare = pattern.replace(/^\^(?!$)/, '').replace(/(?<!\\)\$$/, '');
  if (bare !== pattern && !(pattern.startsWith('^') && /(?<!\\)\$$/.test(pattern))) {
    report.unmapped('praezisierung pattern', el, `"${pattern}": the "^" or "$" at its edge is read as an anchor, as surely meant (XML Schema patterns match the whole value anyway)`);
    pattern = bare;
  }
  // "\\." (a backslash, then any character) where "\." (a dot) is meant: an escape doubled by an export or conversion.
  const undoubled = pattern.replace(/\\\\([.\-+*?()[\]{}|^$dDsSwW])/g, '\\$1');
  if (undoubled !== pattern) {
    report.unmapped('praezisierung pattern', el, `"${pattern}": a doubled backslash before a special character is read as a single escape ("${undoubled}"), as surely meant: check the pattern in the FIM repository`);
    pattern = undoubled;
  }
  const translated = translateXsdPattern(pattern);
  if ('problem' in translated) {
    report.unmapped('praezisierung pattern', el, `EFA_PATTERN_UNSUPPORTED: ${translated.problem}: not checked, write a pattern for this field in schema.json`);
    return {};
  }
  for (const note of translated.notes) report.unmapped('praezisierung pattern', el, `"${pattern}": ${note}`);
  return { pattern: translated.pattern };
}
