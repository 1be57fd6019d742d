import type { ErrorObject } from 'ajv';
import type { LoadedService } from '../services/registry.js';
import type { LocalText, LogicContext } from '../services/contract.js';
import { errorPath } from '../core/declarations.js';
import type { ConditionEnv } from './conditions.js';
import { conditionHolds, visibleSteps, type FormStep, type LoadedForm } from './definition.js';
import type { Body, FormField, ParseContext, ParseResult } from './fields/kind.js';
import { bindItem, bindRow, groupMessage, locateRow, rowMessage, rowsOf, rowTitle, segmentOf, specOf } from './fields/group.js';
import { MESSAGE_GROUPS, messageFor, type Named } from './messages.js';
import { fieldNamed, notOffered } from './options.js';
import { getAt, schemaAt, segments, setAt } from './pointer.js';
import { t, type Lang } from './text.js';

export interface FieldError {
  pointer: string;
  /** id of the control the error summary links to. */
  href: string;
  message: string;
  /**
   * For an error inside a group's row: the path of the row's page below the list's page, whose
   * page holds the control: "2", or in a nested group's row "2/einkommen/1" (from a step) or
   * "einkommen/1" (from the outer row's page).
   */
  row?: string;
}

export interface StepOutcome {
  data: Record<string, unknown>;
  /** pointer -> message, for the fields (and address parts) of this step. */
  errors: Map<string, string>;
  parsed: Map<string, ParseResult>;
}

export interface StepContext extends ParseContext {
  lang: Lang;
  logic: LogicContext;
  /** The tenant's wording of rule messages by code, where it overrides the service's. */
  ruleTexts?: ReadonlyMap<string, LocalText>;
  /** Parameters and derived values the conditions of steps and fields read. */
  conditions: ConditionEnv;
}

/**
 * Reads one posted step into the draft data and checks it: input parsing, then the schema (Ajv),
 * then the service's cross-field rules. Only problems of this step's fields are reported, so
 * later steps' missing answers don't block the applicant early.
 */
export function processStep(service: LoadedService, step: FormStep, draft: Record<string, unknown>, body: Body, ctx: StepContext): StepOutcome {
  const data = structuredClone(draft);
  const parsed = new Map<string, ParseResult>();
  const parseErrors = new Map<string, string>();
  // In field order: a condition on an earlier field of this step sees that field's new answer.
  for (const field of step.fields) {
    if (!conditionHolds(field.showIf, data, ctx.conditions)) {
      setAt(data, field.pointer, undefined);
      continue;
    }
    if (field.group) {
      // A group's rows come from their own pages (processRow); its step only checks them. Going on
      // from a list without rows that may be empty (minItems 0) answers "none": an empty array.
      if (getAt(data, field.pointer) === undefined && specOf(field).minItems === 0) setAt(data, field.pointer, []);
      parsed.set(field.pointer, { value: getAt(data, field.pointer), raw: {} });
      continue;
    }
    const result = field.kind.parse(field, body, ctx);
    parsed.set(field.pointer, result);
    setAt(data, field.pointer, result.value);
    if (result.error) parseErrors.set(result.error.pointer ?? field.pointer, overridden(field, result.error.code, ctx.lang) ?? t(result.error.message, ctx.lang));
  }
  const errors = collectErrors(service, step.fields.filter((f) => parsed.has(f.pointer)), data, ctx, parseErrors);
  return { data, errors, parsed };
}

/**
 * Reads one row of a group (its own page, /<step>/<n>) into the draft: the row at `index` is
 * replaced, or appended when `index` is the number of rows. Item fields are parsed and checked
 * like any step's fields; their messages stand on the row's page, so they do not name the row
 * (on the list and the check page they do: "Hund 2: …").
 */
export function processRow(service: LoadedService, groupField: FormField, index: number, draft: Record<string, unknown>, body: Body, ctx: StepContext): StepOutcome & { fields: FormField[] } {
  const data = structuredClone(draft);
  const fields = bindRow(groupField, index);
  const row: Record<string, unknown> = {};
  // The new row is in place before its fields are read: a condition on an earlier field of the
  // row (row.<path>) sees that field's new answer, in field order as on a step.
  const rows = [...rowsOf(getAt(data, groupField.pointer))];
  // A nested group's rows come from their own pages: the row keeps them (or, where none are
  // needed, answers "none" as a step's group does).
  for (const inner of specOf(groupField).items.filter((item) => item.group)) {
    const kept = getAt(rows[index] ?? {}, inner.pointer);
    setAt(row, inner.pointer, kept ?? (specOf(inner).minItems === 0 ? [] : undefined));
  }
  rows[index] = row;
  setAt(data, groupField.pointer, rows);
  const parsed = new Map<string, ParseResult>();
  const parseErrors = new Map<string, string>();
  for (const field of fields) {
    if (!conditionHolds(field.showIf, data, ctx.conditions)) {
      if (field.group) setAt(row, field.def.pointer, undefined);
      continue;
    }
    if (field.group) {
      parsed.set(field.pointer, { value: getAt(row, field.def.pointer), raw: {} });
      continue;
    }
    const result = field.kind.parse(field, body, ctx);
    parsed.set(field.pointer, result);
    setAt(row, field.def.pointer, result.value);
    // On the row's own page its messages need no "Hund 2:": the page is headed with the row.
    if (result.error) parseErrors.set(result.error.pointer ?? field.pointer, overridden(field, result.error.code, ctx.lang) ?? t(result.error.message, ctx.lang));
  }
  const errors = collectErrors(service, fields.filter((f) => parsed.has(f.pointer)), data, ctx, parseErrors, true);
  return { data, errors, parsed, fields };
}

/** Removes row `index` of a group; later rows move up. */
export function removeRow(groupField: FormField, index: number, draft: Record<string, unknown>): Record<string, unknown> {
  const data = structuredClone(draft);
  const rows = rowsOf(getAt(data, groupField.pointer)).filter((_row, i) => i !== index);
  setAt(data, groupField.pointer, rows);
  return data;
}

/** Validates the whole application before submit; returns the first step that has problems. */
export function validateAll(service: LoadedService, form: LoadedForm, data: Record<string, unknown>, ctx: StepContext): { step: FormStep; errors: Map<string, string> } | undefined {
  for (const step of visibleSteps(form, data, ctx.conditions)) {
    const fields = step.fields.filter((f) => conditionHolds(f.showIf, data, ctx.conditions));
    const errors = collectErrors(service, fields, data, ctx, new Map());
    if (errors.size > 0) return { step, errors };
  }
  return undefined;
}

/** Drops answers of steps and fields that their conditions hide now (the applicant changed course). */
export function pruneHidden(form: LoadedForm, data: Record<string, unknown>, env: ConditionEnv): Record<string, unknown> {
  const pruned = structuredClone(data);
  for (const step of form.steps) {
    const stepShown = conditionHolds(step.showIf, pruned, env);
    for (const field of step.fields) {
      if (!stepShown || !conditionHolds(field.showIf, pruned, env)) setAt(pruned, field.pointer, undefined);
      else if (field.group) pruneRows(field, pruned, env);
    }
  }
  return pruned;
}

/** Row by row, in field order: a condition may read the row's own answers (row.<path>); nested rows likewise. */
function pruneRows(groupField: FormField, data: Record<string, unknown>, env: ConditionEnv): void {
  const spec = specOf(groupField);
  const conditional = spec.items.filter((item) => item.showIf || item.group);
  if (conditional.length === 0) return;
  rowsOf(getAt(data, groupField.pointer)).forEach((row, index) => {
    for (const item of conditional) {
      const bound = bindItem(groupField, index, item);
      if (!conditionHolds(bound.showIf, data, env)) setAt(row, item.pointer, undefined);
      else if (item.group) pruneRows(bound, data, env);
    }
  });
}

function collectErrors(service: LoadedService, fields: FormField[], data: Record<string, unknown>, ctx: StepContext, initial: Map<string, string>, ownRow = false): Map<string, string> {
  const errors = new Map(initial);
  const lang = ctx.lang;
  const inRow = (field: FormField, pointer: string, message: string) => (ownRow ? message : rowNamed(field, pointer, message, lang));
  // A choice the parameters in force do not offer (a term the municipality does not issue), also
  // when the parameters changed since it was chosen (another place).
  for (const field of fields) {
    const refused = blocked(errors, field.pointer) ? undefined : notOffered(field, getAt(data, field.pointer), data, ctx.conditions);
    if (refused) errors.set(field.pointer, inRow(field, field.pointer, overridden(field, 'not-offered', lang) ?? t(refused, lang)));
  }
  const owner = (pointer: string) => fields.find((f) => pointer === f.pointer || pointer.startsWith(`${f.pointer}/`));

  // One copy for the schema and the rules: Ajv (no defaults, no coercion, no removal) does not change it.
  const probe = withParents(data, fields);
  service.validate(probe);
  const consequences: Array<{ field: FormField; pointer: string }> = [];
  for (const error of (service.validate.errors ?? []) as ErrorObject[]) {
    if (error.keyword === 'if' || error.keyword === 'additionalProperties') continue;
    const pointer = errorPath(error);
    const field = owner(pointer);
    if (!field || blocked(errors, pointer)) continue;
    if (derivedPart(field, pointer)) consequences.push({ field, pointer });
    else errors.set(pointer, schemaMessage(service, field, pointer, error, lang, ownRow));
  }
  // After the field's own messages: a derived part (no control) speaks only when nothing else does.
  for (const { field, pointer } of consequences) {
    const part = derivedPart(field, pointer) as { from: string; message: LocalText };
    if ([...errors.keys()].some((p) => p === field.pointer || p.startsWith(`${field.pointer}/`))) continue;
    const message = t(part.message, ctx.lang);
    errors.set(`${field.pointer}/${part.from}`, inRow(field, field.pointer, message));
  }
  // The rules see this step's objects even when it was posted empty, as the schema does: a rule
  // that waits for "the step was answered" (e.g. taetigkeit present) speaks in the same round as
  // the field errors instead of only after they are fixed.
  for (const issue of service.logic.rules(probe, ctx.logic)) {
    const field = owner(issue.pointer);
    if (!field || blocked(errors, issue.pointer)) continue;
    errors.set(issue.pointer, inRow(field, issue.pointer, t(ctx.ruleTexts?.get(issue.code) ?? issue.message, lang)));
  }
  // A field the form declares required when asked; a rule's own wording (above) takes precedence.
  for (const field of fields) {
    if (field.def.required !== true || field.group || blocked(errors, field.pointer) || !isBlank(getAt(data, field.pointer))) continue;
    const missing = { keyword: 'required', params: { missingProperty: field.pointer.split('/').pop() }, instancePath: field.pointer, schemaPath: '', message: '' } as ErrorObject;
    errors.set(field.pointer, schemaMessage(service, field, field.pointer, missing, lang, ownRow));
  }
  return errors;
}

/** Whether `pointer` or a part or parent of it has a message already. */
function blocked(errors: Map<string, string>, pointer: string): boolean {
  return [...errors.keys()].some((p) => pointer === p || pointer.startsWith(`${p}/`) || p.startsWith(`${pointer}/`));
}

function derivedPart(field: FormField, pointer: string): { from: string; message: LocalText } | undefined {
  return pointer.startsWith(`${field.pointer}/`) ? field.kind.derivedParts?.[pointer.slice(field.pointer.length + 1)] : undefined;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
}

function schemaMessage(service: LoadedService, field: FormField, pointer: string, error: ErrorObject, lang: Lang, ownRow = false): string {
  if (field.group) {
    const at = locateRow(field, pointer);
    // The group itself: too few or too many rows (a missing array counts as too few).
    if (!at) return (error.keyword === 'minItems' || error.keyword === 'maxItems' ? undefined : overridden(field, error.keyword, lang)) ?? t(groupMessage(field, error.keyword), lang);
    if (at.item) return schemaMessage(service, bindItem(field, at.index, at.item), pointer, error, lang, ownRow);
    return rowMessage(field, at.index, t(messageFor(error, { label: { de: rowTitle(field, at.index, 'de'), en: rowTitle(field, at.index, 'en') } }, 'group'), lang), lang);
  }
  const message = overridden(field, error.keyword, lang) ?? t(messageFor(error, namedOf(service, field, pointer), field.kind.name), lang);
  return field.row && !ownRow ? rowMessage(field.row.group, field.row.index, message, lang) : message;
}

/** Away from the row's page a message about a row names the row ("Hund 2: …"), like the schema's messages do. */
function rowNamed(field: FormField, pointer: string, message: string, lang: Lang): string {
  if (field.row) return rowMessage(field.row.group, field.row.index, message, lang);
  const at = field.group ? locateRow(field, pointer) : undefined;
  return field.group && at ? rowMessage(field, at.index, message, lang) : message;
}

/**
 * A step posted empty leaves its parent object (e.g. /inhaber) out entirely; the schema then only
 * says "inhaber is required", which belongs to no field, and the step would pass. With the parents
 * present, the schema names each missing field.
 */
function withParents(data: Record<string, unknown>, fields: FormField[]): Record<string, unknown> {
  // Copied only when a parent is missing: the whole document is large with many rows, and Ajv and
  // the rules only read it.
  if (fields.every((field) => hasParents(data, field.pointer))) return data;
  const probe = structuredClone(data);
  for (const field of fields) {
    let node = probe;
    for (const key of segments(field.pointer).slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
  }
  return probe;
}

function hasParents(data: Record<string, unknown>, pointer: string): boolean {
  let node: unknown = data;
  for (const key of segments(pointer).slice(0, -1)) {
    node = (node as Record<string, unknown>)[key];
    if (node === null || typeof node !== 'object') return false;
  }
  return true;
}

function namedOf(service: LoadedService, field: FormField, pointer: string): Named {
  if (pointer !== field.pointer) {
    const name = pointer.slice(field.pointer.length + 1);
    const part = field.kind.partLabel?.(name);
    const phrase = field.kind.partPhrase?.(name);
    if (part) return { label: { de: t(part, 'de'), en: t(part, 'en') }, ...(phrase ? { phrase: { de: t(phrase, 'de'), en: t(phrase, 'en') } } : {}) };
    const title = schemaAt(service.schema, pointer)?.title as string | undefined;
    if (title) return { label: { de: title, en: title } };
  }
  return fieldNamed(field);
}

/** The form's wording for a keyword, or for its group ("range" for minimum and maximum, see MESSAGE_GROUPS). */
function overridden(field: FormField, keyword: string, lang: Lang): string | undefined {
  const group = MESSAGE_GROUPS[keyword];
  const text = field.def.errors?.[keyword] ?? (group ? field.def.errors?.[group] : undefined);
  return text === undefined ? undefined : t(text, lang);
}

/** "2", or "2/einkommen/1" when the control is on a nested group's row page. */
function rowPath(field: FormField, at: { index: number; item?: FormField }, pointer: string): string {
  const prefix = field.row ? `${segmentOf(field)}/` : '';
  if (!at.item?.group) return `${prefix}${at.index + 1}`;
  const inner = bindItem(field, at.index, at.item);
  const innerAt = locateRow(inner, pointer);
  return `${prefix}${at.index + 1}${innerAt ? `/${segmentOf(inner)}/${innerAt.index + 1}` : ''}`;
}

/**
 * The error summary in field order, each entry linking to its control. An error inside a group's
 * row names the row's page (`row`, 1-based) and the control there, since the list page has none.
 */
export function summarise(fields: FormField[], errors: Map<string, string>): FieldError[] {
  const list: FieldError[] = [];
  for (const field of fields) {
    for (const [pointer, message] of errors) {
      if (pointer !== field.pointer && !pointer.startsWith(`${field.pointer}/`)) continue;
      const at = field.group ? locateRow(field, pointer) : undefined;
      const sub = pointer.slice(field.pointer.length + 1).replace(/\//g, '-');
      if (at) list.push({ pointer, href: `${field.id}-${sub}`, message, row: rowPath(field, at, pointer) });
      else list.push({ pointer, href: sub ? `${field.id}-${sub}` : (field.kind.anchor?.(field) ?? field.id), message });
    }
  }
  return list;
}
