import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_SIZE_IN_TEXT } from '../core/patterns.js';
import { codeListOf } from '../codelists/genericode.js';
import { CrossReferenceError, DeclarationError, DeclarationErrors } from '../core/errors.js';
import type { DeclarationProblems } from '../core/problems.js';
import { displayPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import type { LocalText } from '../services/contract.js';
import type { LoadedService } from '../services/registry.js';
import { compileCondition, evaluate, isShorthand, pointerToVar, type Condition, type ConditionDefinition, type ConditionEnv, type ConditionScope } from './conditions.js';
import { fieldKinds } from './fields/index.js';
import type { FormField, FormFieldDefinition, GroupSpec, Option } from './fields/kind.js';
import { getAt, isRequired, resolveRef, schemaAt } from './pointer.js';

interface FormDefinition {
  service: string;
  intro?: LocalText;
  steps: Array<{ id: string; title: LocalText; intro?: LocalText; showIf?: ConditionDefinition; fields: FormFieldDefinition[] }>;
}

export interface FormStep {
  id: string;
  title: LocalText;
  intro?: LocalText;
  showIf?: Condition;
  fields: FormField[];
}

export interface LoadedForm {
  serviceId: string;
  intro?: LocalText;
  steps: FormStep[];
}

const FORM_SUFFIX = '.form.json';

/**
 * Names a step cannot take: the applicant's pages of a service (/<land>/<service>/<name>) and the
 * pages `efa preview` names next to the steps, among them the Land's legal pages (their slugs are
 * LEGAL_PAGES in src/http/pages.ts; test/forms-step-ids.test.ts keeps the two lists together).
 */
export const RESERVED_STEP_IDS: ReadonlyMap<string, string> = new Map([
  ['start', 'the service\'s start page'],
  ['pruefen', 'the check page'],
  ['absenden', 'the address the check page submits to'],
  ['bestaetigung', 'the confirmation page'],
  ['bezahlen', 'paying the fee (/<land>/<service>/bezahlen, docs/payment.md)'],
  ['speichern', 'the "save and continue later" page'],
  ['fortsetzen', 'the address of a "continue later" link sent by e-mail'],
  ['keine-stelle', 'the page saying that no office is connected for the place the answers name'],
  ['home', 'the Land\'s home page in the preview'],
  ['status', 'the status page in the preview'],
  ['impressum', 'the Land\'s imprint page (/<land>/impressum, also a page of the preview)'],
  ['datenschutz', 'the Land\'s privacy page (/<land>/datenschutz, also a page of the preview)'],
  ['barrierefreiheit', 'the Land\'s accessibility statement (/<land>/barrierefreiheit, also a page of the preview)'],
  ['kontakt', 'the Land\'s contact page (/<land>/kontakt, also a page of the preview)'],
]);

/**
 * Loads forms/<service>.form.json for every service and checks it against the service's schema.
 * With `problems` (efa check) a broken form is reported and its service marked broken.
 */
export function loadForms(root: string, formatsDir: string, services: Map<string, LoadedService>, problems?: DeclarationProblems): Map<string, LoadedForm> {
  const forms = new Map<string, LoadedForm>();
  for (const [id, service] of services) {
    const file = join(root, 'forms', `${id}${FORM_SUFFIX}`);
    const load = () => {
      if (!existsSync(file)) throw new CrossReferenceError('EFA_XREF_SERVICE', displayPath(file), '', `service "${id}" (services/${id}/service.json) has no form definition: add forms/${id}${FORM_SUFFIX}`);
      return loadForm(file, service, formatsDir, problems !== undefined);
    };
    const form = problems ? problems.attempt(load) : load();
    if (form) forms.set(id, form);
    else problems?.broken.add(id);
  }
  const unused = orphanForm(root, services, problems?.broken);
  if (unused && !problems) throw unused;
  if (unused) problems?.add(unused);
  return forms;
}

/** A form whose file name names no service is never shown: most likely a typo in the name. */
function orphanForm(root: string, services: Map<string, LoadedService>, broken: ReadonlySet<string> | undefined): DeclarationError | undefined {
  const dir = join(root, 'forms');
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir).filter((f) => f.endsWith(FORM_SUFFIX)).sort()) {
    const id = name.slice(0, -FORM_SUFFIX.length);
    if (services.has(id) || broken?.has(id)) continue;
    return new CrossReferenceError('EFA_XREF_SERVICE', displayPath(join(dir, name)), '', `no service "${id}" under services/ (services: ${[...services.keys()].join(', ') || 'none'}): a form belongs to services/<id>/ with the same id; rename the file or remove it`);
  }
  return undefined;
}

/**
 * `collect` (efa check): a field's or a condition's problem does not stop the file, so one run
 * lists every one; a field that failed still counts as asked, so later conditions on it do not
 * repeat its problem. The problems are thrown together at the end.
 */
function loadForm(file: string, service: LoadedService, formatsDir: string, collect = false): LoadedForm {
  const def = validateDeclaration<FormDefinition>(file, readJsonFile(file), join(formatsDir, 'form.schema.json'));
  const shown = displayPath(file);
  if (def.service !== service.definition.id) throw new DeclarationError(shown, '/service', `must be "${service.definition.id}" (the file name)`);
  const found: DeclarationError[] = [];
  const guard = <T>(unit: () => T, fallback: T): T => {
    if (!collect) return unit();
    try {
      return unit();
    } catch (err) {
      if (!(err instanceof DeclarationError)) throw err;
      found.push(err);
      return fallback;
    }
  };
  const seenPointers = new Map<string, string>();
  const seenSteps = new Set<string>();
  const steps = def.steps.map((step, s) => {
    guard(() => {
      if (seenSteps.has(step.id)) throw new DeclarationError(shown, `/steps/${s}/id`, `step id "${step.id}" is used twice`);
      const reserved = RESERVED_STEP_IDS.get(step.id);
      if (reserved) throw new DeclarationError(shown, `/steps/${s}/id`, `step id "${step.id}" is reserved: it is ${reserved}, which the step would hide; choose another id`);
    }, undefined);
    seenSteps.add(step.id);
    const showIf = step.showIf ? guard(() => compileCondition(shown, `/steps/${s}/showIf`, step.showIf as ConditionDefinition, scopeOf(service, seenPointers, [])), undefined) : undefined;
    const fields: FormField[] = [];
    step.fields.forEach((f, i) => {
      const field = guard(() => resolveField(shown, `/steps/${s}/fields/${i}`, f, service, seenPointers, fields), undefined);
      if (field) fields.push(field);
      else seenPointers.set(f.pointer, step.id);
    });
    // A group's step is its list of rows; other questions on it would be lost between row pages.
    guard(() => {
      if (fields.length > 1 && fields.some((f) => f.group)) throw new DeclarationError(shown, `/steps/${s}/fields`, 'a step with a "group" field must have no other fields');
    }, undefined);
    fields.forEach((f) => seenPointers.set(f.pointer, step.id));
    return { id: step.id, title: step.title, intro: step.intro, showIf, fields };
  });
  if (found.length === 1) throw found[0] as DeclarationError;
  if (found.length > 1) throw new DeclarationErrors(found);
  return { serviceId: def.service, intro: def.intro, steps };
}

/** `base` is set for a group's item fields: their pointers are relative to the item (`/hunde/0`). */
function resolveField(file: string, path: string, def: FormFieldDefinition, service: LoadedService, earlier: Map<string, string>, sameStep: FormField[], base = ''): FormField {
  // One level of nesting: a group in a row (base /a/0), never in a row of a row (/a/0/b/0).
  if (def.kind === 'group' && base.split('/').length > 3) throw new DeclarationError(file, `${path}/kind`, 'a group inside a group\'s row cannot contain another group (one level of nesting)');
  const at = `${base}${def.pointer}`;
  const found = schemaAt(service.schema, at);
  // An array of files declares its items by $ref: the file kind reads the limits from the item.
  const items = found?.items as Record<string, unknown> | undefined;
  const schema = found && items && typeof items === 'object' && typeof items.$ref === 'string' ? { ...found, items: resolveRef(service.schema, items) } : found;
  if (!schema) throw new CrossReferenceError('EFA_XREF_POINTER', file, `${path}/pointer`, `"${def.pointer}" does not exist in services/${service.definition.id}/schema.json${base ? ` (in the items of ${base.slice(0, -2)}: a group's fields point into one row)` : ''}: fix the pointer or add the property to the schema${nearestHint(service.schema, at)}`);
  if (!base && earlier.has(def.pointer)) throw new DeclarationError(file, `${path}/pointer`, `"${def.pointer}" already has a field on step "${earlier.get(def.pointer)}"`);
  if (sameStep.some((f) => f.pointer === def.pointer)) throw new DeclarationError(file, `${path}/pointer`, `"${def.pointer}" already has a field on this step`);
  const kind = fieldKinds.get(def.kind);
  if (!kind) throw new DeclarationError(file, `${path}/kind`, `unknown field kind "${def.kind}"`);
  // A multiple choice (an array of codes) offers its items' options.
  const choices = schema.type === 'array' && schema.items && typeof schema.items === 'object' && def.kind === 'checkboxes' ? schema.items as Record<string, unknown> : schema;
  const codeList = codeListOf(choices)?.list;
  const options = sortOptions(labelledOptions(file, path, optionsOf(choices), def.options, codeList), def.sort ?? (codeList ? 'label' : 'list'));
  const type = (schema.type as string | undefined) ?? (options.length > 0 ? 'string' : undefined);
  if (!type || !kind.accepts.includes(type as never)) throw new DeclarationError(file, `${path}/kind`, `kind "${def.kind}" cannot fill a schema value of type "${type ?? 'unknown'}" at ${at}`);
  if ((def.kind === 'radios' || def.kind === 'select' || def.kind === 'checkboxes') && options.length === 0) throw new DeclarationError(file, `${path}/kind`, `"${def.kind}" needs oneOf options (const + title) at ${def.pointer} in the schema`);
  const schemaProblem = kind.checkSchema?.(schema);
  if (schemaProblem) throw new DeclarationError(file, `${path}/kind`, `kind "${def.kind}" at ${def.pointer}: ${schemaProblem}`);
  const label = def.label ?? (schema.title as string | undefined);
  if (!label) throw new DeclarationError(file, `${path}/label`, `field ${def.pointer} needs a label here or a "title" in the schema`);
  const marked = optionalMarker(label);
  if (marked) throw new DeclarationError(file, `${path}/label`, `the label says "${marked}": the runtime marks a field that is not required itself (KERN's "(optional)"), once, and never in summaries; remove it from the label`);
  if (def.kind === 'file' && def.hint && FILE_SIZE_IN_TEXT.test(Object.values(typeof def.hint === 'string' ? { de: def.hint } : def.hint).join(' '))) throw new DeclarationError(file, `${path}/hint`, 'the hint repeats the file limits: the page states the types and sizes from the schema itself, once; keep only what the file should contain');
  if (def.timing && def.kind !== 'date') throw new DeclarationError(file, `${path}/timing`, '"timing" belongs to a field of kind "date"');
  if ((def.optionShowIf || def.optionFee) && def.kind !== 'radios' && def.kind !== 'select') throw new DeclarationError(file, `${path}/kind`, '"optionShowIf" and "optionFee" belong to a field of kind "radios" or "select"');
  // In a group's row (base set) the fields before this one are the row's: read as row.<path>, never as answers.
  const scope = base ? scopeOf(service, earlier, [], { base: base.slice(0, -2), fields: sameStep }) : scopeOf(service, earlier, sameStep);
  const showIf = def.showIf ? compileCondition(file, `${path}/showIf`, def.showIf, scope) : undefined;
  const varOf = (f: FormField) => `${base ? 'row' : 'answers'}.${f.name}`;
  const controls = showIf ? sameStep.filter((f) => showIf.vars.includes(varOf(f))) : [];
  const where = base ? 'in the same row' : 'on the same step';
  const composite = controls.find((f) => !SINGLE_INPUT_KINDS.has(f.kind.name));
  if (composite) throw new DeclarationError(file, `${path}/showIf`, `reads ${composite.pointer} ${where}, a "${composite.kind.name}" field of several inputs the browser cannot read as one answer: ask it ${base ? 'on a step before the group' : 'on an earlier step'}`);
  let conditionHint = def.conditionHint;
  if (controls.length > 0 && !conditionHint) {
    conditionHint = def.showIf && isShorthand(def.showIf) ? shorthandHint(def.showIf, controls[0] as FormField, varOf(controls[0] as FormField)) : undefined;
    if (!conditionHint) throw new DeclarationError(file, `${path}/conditionHint`, `the condition reads ${controls.map((f) => f.pointer).join(', ')} ${where}: without JavaScript the field is always shown, so say when it applies, e.g. { "de": "Nur wenn …", "en": "Only if …" }`);
  }
  const field: FormField = {
    def,
    pointer: def.pointer,
    name: def.pointer.slice(1).replace(/\//g, '.'),
    id: `f-${def.pointer.slice(1).replace(/\//g, '-')}`,
    label,
    hint: def.hint ?? (schema.description as string | undefined),
    schema,
    required: isRequired(service.schema, at) || def.required === true,
    options,
    ...(def.optionShowIf ? { optionShowIf: optionConditions(file, path, def.optionShowIf, options, scope) } : {}),
    kind,
    showIf,
    controls: controls.map((f) => ({ name: f.name, var: varOf(f), type: f.kind.name === 'yesno' ? 'yesno' : f.schema.type === 'integer' || f.schema.type === 'number' ? 'number' : 'string' })),
    conditionHint,
  };
  if (def.kind === 'group') {
    if (base && def.kind === 'group' && containsFile(def)) throw new DeclarationError(file, `${path}/fields`, 'a group inside a group\'s row cannot ask for files (kind "file"): ask them in the outer row');
    field.group = resolveGroup(file, path, def, schema, service, earlier, base);
  } else if (def.fields || def.itemLabel || def.addLabel || def.addFirstLabel || def.titleField) {
    throw new DeclarationError(file, path, '"fields", "itemLabel", "titleField", "addLabel" and "addFirstLabel" belong to a field of kind "group"');
  }
  return field;
}

function containsFile(def: FormFieldDefinition): boolean {
  return (def.fields ?? []).some((f) => f.kind === 'file' || containsFile(f));
}

/** A group's rows: item fields of any kind against the array's `items`, bounded by minItems/maxItems. */
function resolveGroup(file: string, path: string, def: FormFieldDefinition, schema: Record<string, unknown>, service: LoadedService, earlier: Map<string, string>, base = ''): GroupSpec {
  const at = `${base}${def.pointer}`;
  const items = schemaAt(service.schema, `${at}/0`);
  if (items?.type !== 'object') throw new DeclarationError(file, `${path}/kind`, `a group needs "items" of type "object" at ${at} in the schema`);
  if (typeof schema.maxItems !== 'number') throw new DeclarationError(file, `${path}/pointer`, `${at} needs "maxItems" in the schema: a group must be bounded`);
  if (!def.itemLabel) throw new DeclarationError(file, `${path}/itemLabel`, 'a group needs "itemLabel": what one row is called, e.g. { "de": "Hund", "en": "Dog" }');
  if (!def.fields || def.fields.length === 0) throw new DeclarationError(file, `${path}/fields`, 'a group needs "fields": the fields of one row');
  const seen = new Set<string>();
  const fields: FormField[] = [];
  def.fields.forEach((f, i) => {
    if (seen.has(f.pointer)) throw new DeclarationError(file, `${path}/fields/${i}/pointer`, `"${f.pointer}" is used twice in this group`);
    seen.add(f.pointer);
    // The row's earlier fields: a condition may read them as row.<path>.
    fields.push(resolveField(file, `${path}/fields/${i}`, f, service, earlier, [...fields], `${at}/0`));
  });
  if (def.titleField !== undefined && !fields.some((f) => f.pointer === def.titleField && !f.group)) {
    throw new DeclarationError(file, `${path}/titleField`, `"${def.titleField}" is no field of this group's row (fields: ${fields.filter((f) => !f.group).map((f) => f.pointer).join(', ')}): the title names a row by one of its answers`);
  }
  return { items: fields, itemLabel: def.itemLabel, addLabel: def.addLabel, addFirstLabel: def.addFirstLabel, titleField: def.titleField, minItems: typeof schema.minItems === 'number' ? schema.minItems : 0, maxItems: schema.maxItems };
}

/** The deepest part of a pointer that exists, and what it offers there: the usual typo is the last token. */
function nearestHint(schema: Record<string, unknown>, pointer: string): string {
  const tokens = pointer.split('/').slice(1);
  for (let n = tokens.length - 1; n >= 0; n--) {
    const prefix = tokens.slice(0, n).map((t) => `/${t}`).join('');
    const node = n === 0 ? schema : schemaAt(schema, prefix);
    if (!node) continue;
    const props = node.properties && typeof node.properties === 'object' ? Object.keys(node.properties) : [];
    const item = node.type === 'array' ? ' (an array: its rows are /0/…)' : '';
    return props.length > 0 ? ` (${prefix || 'the schema\'s top level'} has: ${props.join(', ')})` : item ? ` (${prefix}${item})` : '';
  }
  return '';
}

/** Kinds whose answer is one form control's value: a same-step condition can be evaluated in the browser. */
const SINGLE_INPUT_KINDS = new Set(['text', 'textarea', 'email', 'tel', 'integer', 'radios', 'select', 'yesno']);

/**
 * Step conditions may only read earlier steps (the step list is known before the page is shown).
 * A field's condition may also read fields placed before it on its own step: without JavaScript
 * the field is shown with its condition explained and only kept when the condition holds after
 * the post; with JavaScript it is revealed as the controlling answer changes.
 */
function scopeOf(service: LoadedService, earlier: Map<string, string>, sameStep: FormField[], row?: { base: string; fields: FormField[] }): ConditionScope {
  return {
    ...(row ? { row: (pointer: string) => rowProblem(service, row.base, row.fields, pointer) } : {}),
    answer(pointer) {
      if (!schemaAt(service.schema, pointer)) return `${pointer} does not exist in services/${service.definition.id}/schema.json: a condition reads answers by their schema path (answers.a.b is /a/b)${nearestHint(service.schema, pointer)}`;
      if (sameStep.some((f) => f.pointer === pointer)) return undefined;
      if ([...earlier.keys()].some((p) => pointer === p || pointer.startsWith(`${p}/`))) return undefined;
      return `${pointer} must be answered by a field of an earlier step${sameStep.length > 0 || earlier.size > 0 ? ' or earlier on this step' : ''}`;
    },
    params: new Set(Object.keys(service.definition.parameters ?? {})),
    derived: new Set(Object.keys(service.definition.derived ?? {})),
  };
}

/**
 * A row's field may read fields before it in the same row (row.<path>): with JavaScript it is
 * revealed on the row's page as they change, without it shown with its condition in words.
 */
function rowProblem(service: LoadedService, group: string, fields: FormField[], pointer: string): string | undefined {
  if (fields.some((f) => f.pointer === pointer)) return undefined;
  if (!schemaAt(service.schema, `${group}/0${pointer}`)) return `${pointer} is not in a row of ${group} in services/${service.definition.id}/schema.json: row.<path> reads the row's own answers by their path in the item (row.a is /a)${nearestHint(service.schema, `${group}/0${pointer}`)}`;
  return `${pointer} must be asked by a field before this one in the same row (row fields: ${fields.map((f) => f.pointer).join(', ') || 'none before it'})`;
}

/** "Nur wenn Sie bei „Grund der Anmeldung“ „Übernahme“ gewählt haben" for the shorthand. */
function shorthandHint(def: { pointer: string; equals?: unknown; in?: unknown[] }, control: FormField, controlVar: string): LocalText | undefined {
  if (pointerToVar(def.pointer) !== controlVar) return undefined;
  const values = def.in ?? [def.equals];
  const label = (value: unknown, lang: 'de' | 'en') => {
    if (typeof value === 'boolean') return value ? (lang === 'de' ? 'Ja' : 'Yes') : (lang === 'de' ? 'Nein' : 'No');
    const option = control.options.find((o) => o.value === value);
    return option ? localised(option.label, lang) : String(value);
  };
  const list = (lang: 'de' | 'en') => values.map((v) => `„${label(v, lang)}“`).join(lang === 'de' ? ' oder ' : ' or ');
  return {
    de: `Nur wenn Sie bei „${localised(control.label, 'de')}“ ${list('de')} gewählt haben.`,
    en: `Only if you chose ${values.map((v) => `“${label(v, 'en')}”`).join(' or ')} for “${localised(control.label, 'en')}”.`,
  };
}

function localised(text: LocalText, lang: 'de' | 'en'): string {
  return typeof text === 'string' ? text : (text[lang] ?? text.de);
}

/** "(freiwillig)", "(optional)" in a label: the runtime's own marker would make it two. */
function optionalMarker(label: LocalText): string | undefined {
  for (const text of typeof label === 'string' ? [label] : Object.values(label)) {
    const found = /\((?:[^()]*,\s*)?(freiwillig|optional)\)|\b(freiwillig|optional)\s*$/i.exec(text ?? '');
    if (found) return found[0];
  }
  return undefined;
}

/** `optionShowIf`: a condition per option value, each value one of the field's options. */
function optionConditions(file: string, path: string, defs: Record<string, ConditionDefinition>, options: Option[], scope: ConditionScope): Map<string, Condition> {
  const compiled = new Map<string, Condition>();
  for (const [value, def] of Object.entries(defs)) {
    const at = `${path}/optionShowIf/${value.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!options.some((o) => o.value === value)) throw new DeclarationError(file, at, `"${value}" is not an option of the schema (options: ${options.map((o) => o.value).join(', ') || 'none'})`);
    compiled.set(value, compileCondition(file, at, def, scope));
  }
  return compiled;
}

/** The form may label the schema's options (e.g. in English); a label for no option is a mistake. */
function labelledOptions(file: string, path: string, options: Option[], labels: Record<string, LocalText> | undefined, list?: { urn: string; version: string }): Option[] {
  for (const value of Object.keys(labels ?? {})) {
    if (options.some((o) => o.value === value)) continue;
    const at = `${path}/options/${value.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (list) throw new CrossReferenceError('EFA_XREF_CODELIST', file, at, `"${value}" is not a code of ${list.urn} version ${list.version}, the list the schema references here: fix the code or remove the label`);
    throw new DeclarationError(file, at, `"${value}" is not an option of the schema (options: ${options.map((o) => o.value).join(', ') || 'none'})`);
  }
  return options.map((o) => ({ ...o, label: labels?.[o.value] ?? o.label }));
}

/**
 * A code list's codes are no order a person searches in (dog breeds by their number): by default
 * its options go by their German label; a form says `sort: "list"` to keep the list's order.
 */
function sortOptions(options: Option[], sort: 'label' | 'list'): Option[] {
  if (sort === 'list') return options;
  const collator = new Intl.Collator('de', { sensitivity: 'base', numeric: true });
  return [...options].sort((a, b) => collator.compare(localised(a.label, 'de'), localised(b.label, 'de')));
}

function optionsOf(schema: Record<string, unknown>): Option[] {
  // Labels of a referenced code list come from the list (written once, in codelists/).
  const codeList = codeListOf(schema);
  if (codeList) return codeList.options;
  const oneOf = schema.oneOf as Array<{ const?: unknown; title?: LocalText }> | undefined;
  if (!Array.isArray(oneOf)) return [];
  // Whole numbers too (a term of 1, 2 or 3 years): the control carries them as text.
  return oneOf.filter((o) => typeof o.const === 'string' || Number.isSafeInteger(o.const)).map((o) => ({ value: String(o.const), label: o.title ?? String(o.const) }));
}

export function conditionHolds(condition: Condition | undefined, data: Record<string, unknown>, env: ConditionEnv): boolean {
  return evaluate(condition, data, env);
}

export function visibleSteps(form: LoadedForm, data: Record<string, unknown>, env: ConditionEnv): FormStep[] {
  return form.steps.filter((s) => evaluate(s.showIf, data, env));
}

/**
 * Where a change made from the check page leads: the first step after `changed` that the answers
 * now show and whose questions hold no answer yet, i.e. a step the change revealed (company →
 * person shows the person's step). The applicant answers it, and any it reveals in turn, before
 * returning to the check page, instead of meeting errors there for questions never seen. Undefined:
 * back to the check page. Step conditions read only earlier steps, so nothing before `changed` can
 * have appeared.
 */
export function revealedStep(form: LoadedForm, changed: string, data: Record<string, unknown>, env: ConditionEnv): FormStep | undefined {
  const steps = visibleSteps(form, data, env);
  const at = steps.findIndex((s) => s.id === changed);
  return steps.slice(at + 1).find((step) => {
    const asked = step.fields.filter((f) => evaluate(f.showIf, data, env));
    return asked.length > 0 && asked.every((f) => getAt(data, f.pointer) === undefined);
  });
}
