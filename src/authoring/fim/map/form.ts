/**
 * The form draft: the mapped elements become steps (one per top-level group, loose fields
 * together, one per repeatable group), with FIM labels as the steps' introductions.
 */
import { FILE_SIZE_IN_TEXT } from '../../../core/patterns.js';
import { pointerOf, slug, unique } from '../names.js';
import type { Ask, Mapped } from './schema.js';

export type Text = { de: string };
export const de = (s: string): Text => ({ de: s });

/** A form field as forms/<id>.form.json writes it. */
export interface FormFieldDraft {
  pointer: string;
  kind: string;
  label: Text;
  hint?: Text;
  fields?: FormFieldDraft[];
  itemLabel?: Text;
  /** A JsonLogic condition (a FIM rule, or the question whether an optional group applies). */
  showIf?: Record<string, unknown>;
  /** When the field applies, in words: shown while JavaScript is off. */
  conditionHint?: { de: string; en: string };
  required?: boolean;
}

export interface StepDraft {
  id: string;
  title: Text;
  intro?: Text;
  showIf?: Record<string, unknown>;
  fields: FormFieldDraft[];
}

type RowsAt = { pointer: string; ask: Extract<Ask, { type: 'rows' }> };

/** An upload's page states its types and sizes from the schema: sentences of the FIM hint that repeat a size are left to the schema's description. */
function hintOf(ask: Extract<Ask, { type: 'field' }>): string | undefined {
  if (!ask.hint || ask.kind !== 'file') return ask.hint;
  const kept = ask.hint.split(/(?<=[.!?])\s+/).filter((s) => !FILE_SIZE_IN_TEXT.test(s)).join(' ').trim();
  return kept || undefined;
}

function fieldDraft(pointer: string, ask: Extract<Ask, { type: 'field' }>): FormFieldDraft {
  const hint = hintOf(ask);
  return { pointer, kind: ask.kind, label: de(ask.label), ...(hint ? { hint: de(hint) } : {}) };
}

/** The fields of an object, flattened (nested groups' fields with deeper pointers); repeatable groups are returned apart. */
function flatten(children: Array<{ key: string; mapped: Mapped }>, pointer: string): { fields: FormFieldDraft[]; groups: RowsAt[]; intro: string[] } {
  const fields: FormFieldDraft[] = [];
  const groups: RowsAt[] = [];
  const intro: string[] = [];
  for (const { key, mapped } of children) {
    const at = pointerOf(pointer, key);
    if (mapped.intro !== undefined) intro.push(mapped.intro);
    const ask = mapped.ask;
    if (!ask) continue;
    if (ask.type === 'field') fields.push(fieldDraft(at, ask));
    else if (ask.type === 'rows') groups.push({ pointer: at, ask });
    else {
      const inner = flatten(ask.children, at);
      fields.push(...inner.fields);
      groups.push(...inner.groups);
      intro.push(...inner.intro);
    }
  }
  return { fields, groups, intro };
}

/** A repeatable group as a form field: its row's fields relative to the row, a group inside the row with them (docs/forms.md "Nested groups"). */
function groupField(g: RowsAt): FormFieldDraft {
  return { pointer: g.pointer, kind: 'group', label: de(g.ask.label), ...(g.ask.hint ? { hint: de(g.ask.hint) } : {}), itemLabel: de(g.ask.item.label), fields: rowFields(g.ask.item) };
}

function rowFields(item: Ask): FormFieldDraft[] {
  if (item.type === 'field') return [fieldDraft('/wert', item)];
  if (item.type === 'rows') return [];
  const inner = flatten(item.children, '');
  return [...inner.fields, ...inner.groups.map(groupField)];
}

export function buildSteps(children: Array<{ key: string; mapped: Mapped }>): StepDraft[] {
  const steps: StepDraft[] = [];
  // Page names the runtime uses next to the steps (src/forms/definition.ts refuses them as step ids; the others would shadow a page).
  const ids = new Set<string>(['pruefen', 'absenden', 'bestaetigung', 'start', 'status', 'home', 'impressum', 'datenschutz', 'barrierefreiheit', 'kontakt']);
  let loose: FormFieldDraft[] = [];
  let pendingIntro: string[] = [];
  const push = (title: string, idFrom: string, fields: FormFieldDraft[], intro: string[]) => {
    const text = [...pendingIntro, ...intro].join('\n\n');
    pendingIntro = [];
    if (fields.length === 0) {
      pendingIntro.push(...(text ? [text] : []));
      return;
    }
    steps.push({ id: unique(slug(idFrom), ids), title: de(title), ...(text ? { intro: de(text) } : {}), fields });
  };
  const flushLoose = () => {
    if (loose.length > 0) push('Angaben', 'angaben', loose, []);
    loose = [];
  };
  const groupStep = (g: RowsAt) => push(g.ask.label, g.ask.label, [groupField(g)], []);
  for (const { key, mapped } of children) {
    if (mapped.intro !== undefined) {
      // Static text before the next question: it introduces the step that question opens.
      flushLoose();
      pendingIntro.push(mapped.intro);
      continue;
    }
    const ask = mapped.ask;
    if (!ask) continue;
    if (ask.type === 'field') {
      loose.push(fieldDraft(`/${key}`, ask));
      continue;
    }
    flushLoose();
    if (ask.type === 'rows') {
      groupStep({ pointer: `/${key}`, ask });
      continue;
    }
    const inner = flatten(ask.children, `/${key}`);
    push(ask.label, ask.label, inner.fields, [...(ask.hint ? [ask.hint] : []), ...inner.intro]);
    for (const g of inner.groups) groupStep(g);
  }
  flushLoose();
  return steps;
}
