/** FIM rules (Regeln): kept with their element for the author, not run; the service's logic implements them. */
import type { FimReport } from '../report.js';
import type { FimRule, Json } from '../tree.js';

/** Rules stay with the element as `$comment` (FIM's words beside what became of them) and are collected for rules/apply.ts. */
export function ruleNotes(report: FimReport, rules: FimRule[], pointer: string, schema: Json, provenance: string): void {
  const lines = [provenance];
  for (const r of rules) {
    lines.push(`${ruleName(r)}${r.text ? `: ${r.text}` : ''}`);
    report.rules.push({ rule: r, owner: pointer });
  }
  schema.$comment = lines.join('\n');
}

export const ruleName = (r: FimRule): string => `FIM rule ${r.id}${r.version ? ` v${r.version}` : ''} „${r.name}“`;
