import type { LocalText } from '../../services/contract.js';
import { getAt } from '../pointer.js';
import { t, type Lang } from '../text.js';
import type { FieldKind, FormField, GroupSpec } from './kind.js';

/**
 * A repeatable group: an array of objects in the schema, filled one row at a time (the GOV.UK
 * "add another" pattern, no JavaScript). The group's step lists the rows with change and remove
 * controls and an "add" button; each row has its own page (/<step>/<n>) where the item fields are
 * ordinary fields of any kind, bound to that row by bindRow. The list page itself posts no
 * answers: the engine keeps a group's rows when its step is posted (forms/validate.ts). A row may
 * hold one group of its own (nested, one level): bound to its row by bindItem, it is a group like
 * any other, listed on the outer row's page, its rows on pages of their own (/<step>/<n>/<inner>/<m>).
 */
export const group: FieldKind = {
  name: 'group',
  accepts: ['array'],
  parse() {
    // Never called for a group (validate.ts keeps its rows): nothing of it is read from the list page's post.
    return { value: undefined, raw: {} };
  },
  view(field, value, _parsed, lang, errors) {
    const spec = specOf(field);
    const rows = rowsOf(value);
    const rowErrors = firstErrorPerRow(field, errors);
    return {
      partial: 'field-group',
      rows: rows.map((row, index) => ({
        number: index + 1,
        id: `${field.id}-${index}`,
        title: rowName(field, index, row, lang),
        lines: rowLines(spec, row, lang),
        error: rowErrors.get(index),
      })),
      segment: field.row ? segmentOf(field) : undefined,
      canAdd: rows.length < spec.maxItems,
      addLabel: rows.length === 0 ? t(firstAddLabel(spec), lang) : spec.addLabel ? t(spec.addLabel, lang) : undefined,
    };
  },
  summary(_field, value) {
    return String(rowsOf(value).length);
  },
};

export function specOf(field: FormField): GroupSpec {
  if (!field.group) throw new Error(`field ${field.pointer} is not a group`);
  return field.group;
}

export function rowsOf(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
}

/** "Hund 2": the row's number, in every message about it. */
export function rowTitle(field: FormField, index: number, lang: Lang): string {
  return `${t(specOf(field).itemLabel, lang)} ${index + 1}`;
}

/**
 * "Hund 2: Bello": the row's number and, once answered, its name (the group's `titleField`, by
 * default the row's first text field), as the list, the row's page and the check page head it.
 */
export function rowName(field: FormField, index: number, row: Record<string, unknown> | undefined, lang: Lang): string {
  const title = row ? rowTitleAnswer(specOf(field), row, lang) : undefined;
  return title ? `${rowTitle(field, index, lang)}: ${title}` : rowTitle(field, index, lang);
}

function rowTitleAnswer(spec: GroupSpec, row: Record<string, unknown>, lang: Lang): string | undefined {
  const item = spec.titleField ? spec.items.find((i) => i.pointer === spec.titleField) : spec.items.find((i) => i.kind.name === 'text');
  const value = item && getAt(row, item.pointer);
  if (!item || value === undefined || value === null || value === '') return undefined;
  return item.kind.summary(item, value, lang);
}

/**
 * A message about a row, prefixed with the row's name: "Hund 2: Geben Sie „Name“ an."; in a
 * nested group with the outer row's too: "Person 1: Einkommen 2: …".
 */
export function rowMessage(field: FormField, index: number, message: string, lang: Lang): string {
  const outer = field.row ? `${rowTitle(field.row.group, field.row.index, lang)}: ` : '';
  return `${outer}${rowTitle(field, index, lang)}: ${message}`;
}

/** The URL segment of a nested group's rows: the last token of its pointer (/einkommen → "einkommen"). */
export function segmentOf(field: FormField): string {
  return field.def.pointer.slice(field.def.pointer.lastIndexOf('/') + 1);
}

/**
 * One row's answers as label/value pairs for the list and the check page (unanswered fields left
 * out; a nested group by its number of rows, its rows listed on their own).
 */
export function rowLines(spec: GroupSpec, row: Record<string, unknown>, lang: Lang, opts: { nested: boolean } = { nested: true }): Array<{ label: string; value: string }> {
  const lines: Array<{ label: string; value: string }> = [];
  for (const item of spec.items) {
    const value = getAt(row, item.pointer);
    if (value === undefined || (item.group && !opts.nested)) continue;
    lines.push({ label: t(item.label, lang), value: item.kind.summary(item, value, lang) });
  }
  return lines;
}

/** The nested groups of a row (at most one level deep), bound to row `index`. */
export function innerGroups(field: FormField, index: number): FormField[] {
  return specOf(field).items.filter((item) => item.group).map((item) => bindItem(field, index, item));
}

/** The item fields as ordinary fields of row `index`: absolute pointer, control name and id. */
export function bindRow(field: FormField, index: number): FormField[] {
  return specOf(field).items.map((item) => bindItem(field, index, item));
}

export function bindItem(field: FormField, index: number, item: FormField): FormField {
  const pointer = `${field.pointer}/${index}${item.pointer}`;
  // Its condition reads this row as row.<path>; the controls it watches are this row's.
  const showIf = item.showIf && { ...item.showIf, row: `${field.pointer}/${index}` };
  const controls = item.controls.map((c) => ({ ...c, name: `${field.name}.${index}.${c.name}` }));
  return { ...item, pointer, name: pointer.slice(1).replace(/\//g, '.'), id: `f-${pointer.slice(1).replace(/\//g, '-')}`, row: { group: field, index }, showIf, controls };
}

/**
 * Where a pointer inside the group lies: its row and, when it addresses an item field or a part of
 * one (an address's postcode), that item. Undefined for the group itself (e.g. minItems).
 */
export function locateRow(field: FormField, pointer: string): { index: number; item?: FormField } | undefined {
  if (!pointer.startsWith(`${field.pointer}/`)) return undefined;
  const rest = pointer.slice(field.pointer.length + 1);
  const slash = rest.indexOf('/');
  const index = Number(slash < 0 ? rest : rest.slice(0, slash));
  if (!Number.isInteger(index) || index < 0) return undefined;
  const inner = slash < 0 ? '' : rest.slice(slash);
  const item = specOf(field).items.find((i) => inner === i.pointer || inner.startsWith(`${i.pointer}/`));
  return { index, item };
}

/**
 * While there is no row yet the button must not say "another": "Hund hinzufügen", "Add a dog". The
 * English article is a guess from the first letter ("an animal"); a form says `addFirstLabel` where
 * it guesses wrong. A name in capitals ("EU country") keeps them and goes without an article.
 */
function firstAddLabel(spec: GroupSpec): LocalText {
  if (spec.addFirstLabel) return spec.addFirstLabel;
  const [de, en] = [t(spec.itemLabel, 'de'), t(spec.itemLabel, 'en')];
  if (!/^\p{Lu}?\p{Ll}/u.test(en)) return { de: `${de} hinzufügen`, en: `Add ${en}` };
  return { de: `${de} hinzufügen`, en: `Add ${/^[aeio]/i.test(en) ? 'an' : 'a'} ${en.charAt(0).toLowerCase()}${en.slice(1)}` };
}

/**
 * Messages about the group as a whole, naming it: too few or too many rows (a missing array counts
 * as too few). The form's or the Land's `errors.minItems` / `errors.maxItems` word them, if given.
 */
export function groupMessage(field: FormField, keyword: string): LocalText {
  const spec = specOf(field);
  const own = field.def.errors?.[keyword === 'maxItems' ? 'maxItems' : 'minItems'];
  if (own !== undefined) return own;
  const label = { de: t(field.label, 'de'), en: t(field.label, 'en') };
  if (keyword === 'maxItems') {
    return { de: `Bei „${label.de}“ sind höchstens ${entries(spec.maxItems, 'de')} möglich.`, en: `“${label.en}” can have at most ${entries(spec.maxItems, 'en')}.` };
  }
  const min = Math.max(spec.minItems, 1);
  return { de: `Geben Sie bei „${label.de}“ mindestens ${entries(min, 'de')} an.`, en: `Add at least ${entries(min, 'en')} to “${label.en}”.` };
}

function entries(n: number, lang: Lang): string {
  if (lang === 'en') return n === 1 ? 'one entry' : `${n} entries`;
  return n === 1 ? 'einen Eintrag' : `${n} Einträge`;
}

function firstErrorPerRow(field: FormField, errors: Map<string, string>): Map<number, string> {
  const result = new Map<number, string>();
  for (const [pointer, message] of errors) {
    const at = locateRow(field, pointer);
    if (at && !result.has(at.index)) result.set(at.index, message);
  }
  return result;
}
