/** FIM rules (Regeln): kept with their element for the author, not run; the service's logic implements them. */
import type { FimReport } from '../report.js';
import type { FimRule, Json } from '../tree.js';

/** Rules stay with the element as `$comment` and in the notes: FIM states them in prose or script, the logic must implement them. */
export function ruleNotes(report: FimReport, rules: FimRule[], pointer: string, schema: Json, provenance: string): void {
  const lines = [provenance];
  for (const r of rules) {
    const name = `FIM rule ${r.id}${r.version ? ` v${r.version}` : ''} „${r.name}“`;
    lines.push(`${name}${r.text ? `: ${r.text}` : ''}`);
    report.note({ kind: 'rule', where: pointer, text: `${name}${r.text ? `: ${r.text}` : ''} (implement it in logic.ts rules())`, ...(r.script ? { script: r.script } : {}) });
  }
  schema.$comment = lines.join('\n');
}
