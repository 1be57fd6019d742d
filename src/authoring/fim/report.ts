/**
 * What the import tells the author: every construct it could not map (`unsupported`: construct,
 * where, why) and everything to act on (`notes`), collected while mapping, and the notes file
 * written beside the schema. Nothing is dropped without a word.
 */
import type { ElementIndex, FimElement, RuleUse } from './tree.js';
import type { FimImport, FimNote, Unsupported } from './types.js';

export class FimReport {
  readonly unsupported: Unsupported[] = [];
  readonly notes: FimNote[] = [];
  /** Every rule with the element it belongs to, for rules/apply.ts. */
  readonly rules: RuleUse[] = [];
  /** Every mapped element by FIM id: where it is, for the rules that name it. */
  readonly index: ElementIndex = new Map();

  /** The element as the author finds it in the FIM repository: kind, id, version and label. */
  where(el: FimElement): string {
    return `${el.type === 'group' ? 'Datenfeldgruppe' : 'Datenfeld'} ${el.id}${el.version ? ` v${el.version}` : ''} „${el.label}“`;
  }

  /** A construct of `el` that is not mapped, or only approximately. */
  unmapped(construct: string, el: FimElement, detail?: string): void {
    this.unsupported.push({ construct, where: this.where(el), ...(detail ? { detail } : {}) });
  }

  note(note: FimNote): void {
    this.notes.push(note);
  }
}

/** The notes file written next to the schema (services/<id>/fim-import.md): what the import kept for the author; no line twice. */
export function notesMarkdown(result: FimImport): string {
  const s = result.source;
  const once = (lines: string[]) => [...new Set(lines)];
  const r = result.rules;
  const lines = [
    `# FIM import: ${s.name}`,
    '',
    `Source: XDatenfelder ${s.xdatenfelder}, ${s.message}, ${s.id}${s.version ? ` version ${s.version}` : ''}. Written by \`efa import-fim\` (docs/fim.md); schema.json and forms/${result.serviceId}.form.json are a draft to review.`,
    '',
    `FIM rules: ${r.translated} of ${r.total} translated (${r.total === 0 ? 100 : Math.round((100 * r.translated) / r.total)} %) into conditions of the form (showIf, required) or checks in logic.ts${result.checks.length > 0 ? ` (${result.checks.length})` : ''}; the others are listed below with their text.`,
    '',
    '## Not mapped, or only approximately',
    '',
    ...(result.unsupported.length === 0 ? ['Nothing.'] : once(result.unsupported.map((u) => `- **${u.construct}** at ${u.where}${u.detail ? `: ${u.detail}` : ''}`))),
    '',
    '## Notes (rules to implement, code lists, prefill)',
    '',
    ...once(result.notes.filter((n) => n.kind !== 'source').map((n) => `- \`${n.where || '/'}\` (${n.kind}): ${n.text}${n.script ? `\n\n  \`\`\`\n  ${n.script.replace(/\n/g, '\n  ')}\n  \`\`\`` : ''}`)),
    '',
  ];
  return lines.join('\n');
}
