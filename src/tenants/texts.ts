import { CrossReferenceError, DeclarationError } from '../core/errors.js';
import type { LoadedForm } from '../forms/definition.js';
import type { FormField } from '../forms/fields/kind.js';
import { LANGS, type Lang } from '../forms/text.js';
import { uiTexts, type UiTexts } from '../forms/ui-texts.js';
import type { LocalText } from '../services/contract.js';
import type { LoadedService } from '../services/registry.js';

/** An override as a tenant writes it: German only, or per language (the others keep the default). */
export type TextOverride = string | Partial<Record<Lang, string>>;

/**
 * Codes a field's error message can be overridden for: the JSON Schema keywords that
 * src/forms/messages.ts words, and the field kinds' own input checks (src/forms/fields/). Rule
 * messages of a service's logic are not here: a logic file does not declare its codes up front,
 * and an override that can never apply must not pass silently.
 */
export const ERROR_CODES: readonly string[] = [
  'required', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'pattern', 'format', 'type', 'const', 'enum', 'oneOf',
  'incomplete', 'plz-unknown', 'choose-municipality', 'ambiguous', 'two-digit-year', 'past', 'future', 'not-offered',
  // Groups of the above (forms/messages.ts MESSAGE_GROUPS): one wording for every bound, length or shape.
  'range', 'length',
];

/** A group's own messages: too few or too many rows (src/forms/fields/group.ts). */
const GROUP_ERROR_CODES: readonly string[] = ['minItems', 'maxItems'];

/** Every text a tenant may override, by stable key, with its default (undefined: none by default). */
export type TextCatalogue = ReadonlyMap<string, LocalText | undefined>;

/** An override names a key that no text has; startup stops so a typo never goes unnoticed. */
export class UnknownTextKeyError extends DeclarationError {
  constructor(file: string, readonly key: string, hint: string) {
    super(file, `/texts/${pointerToken(key)}`, `unknown text key "${key}"${hint}`);
  }
}

/** What a tenant shows after its overrides: UI texts per language, and its own copy of each form. */
export interface TenantTexts {
  ui: Record<Lang, UiTexts>;
  /** Per offered service: the form with the tenant's labels, hints, options and error messages. */
  forms: Map<string, LoadedForm>;
  /** Per offered service: title and description as this tenant shows them. */
  services: Map<string, { title: LocalText; description?: LocalText }>;
  /** Per offered service: the rule messages (by code) this tenant overrides. */
  rules: Map<string, ReadonlyMap<string, LocalText>>;
}

export function textCatalogue(services: ReadonlyMap<string, LoadedService>, forms: ReadonlyMap<string, LoadedForm>): TextCatalogue {
  const catalogue = new Map<string, LocalText | undefined>();
  for (const key of Object.keys(uiTexts.de) as Array<keyof UiTexts>) catalogue.set(`ui.${key}`, { de: uiTexts.de[key], en: uiTexts.en[key] });
  for (const [id, service] of services) {
    catalogue.set(`service.${id}.title`, service.definition.title);
    catalogue.set(`service.${id}.description`, service.definition.description);
    for (const [code, text] of Object.entries(service.logic.messages ?? {})) catalogue.set(`service.${id}.rule.${code}`, text);
    const form = forms.get(id);
    if (form) formEntries(id, form).forEach(([key, text]) => catalogue.set(key, text));
  }
  return catalogue;
}

function formEntries(serviceId: string, form: LoadedForm): Array<[string, LocalText | undefined]> {
  const prefix = `form.${serviceId}`;
  const entries: Array<[string, LocalText | undefined]> = [[`${prefix}.intro`, form.intro]];
  for (const step of form.steps) {
    entries.push([`${prefix}.step.${step.id}.title`, step.title], [`${prefix}.step.${step.id}.intro`, step.intro]);
    for (const field of step.fields) entries.push(...fieldEntries(`${prefix}.field.${field.name}`, field));
  }
  return entries;
}

/** A group's own texts, then its item fields' under the group's key (form.<id>.field.hunde.name.label). */
function fieldEntries(f: string, field: FormField): Array<[string, LocalText | undefined]> {
  const entries: Array<[string, LocalText | undefined]> = [[`${f}.label`, field.label], [`${f}.hint`, field.hint], [`${f}.inMessages`, field.def.inMessages]];
  for (const option of field.options) entries.push([`${f}.option.${option.value}`, option.label]);
  for (const code of errorCodes(field)) entries.push([`${f}.error.${code}`, field.def.errors?.[code]]);
  if (field.group) {
    entries.push([`${f}.itemLabel`, field.group.itemLabel], [`${f}.addLabel`, field.group.addLabel], [`${f}.addFirstLabel`, field.group.addFirstLabel]);
    for (const item of field.group.items) entries.push(...fieldEntries(`${f}.${item.name}`, item));
  }
  return entries;
}

function errorCodes(field: FormField): readonly string[] {
  return field.group ? [...ERROR_CODES, ...GROUP_ERROR_CODES] : ERROR_CODES;
}

/**
 * Checks a tenant's `texts` against the catalogue and applies them. `offered` limits service and
 * form keys to the services this tenant offers: an override for another service would never show.
 */
export function applyTexts(file: string, overrides: Record<string, TextOverride> | undefined, catalogue: TextCatalogue, offered: readonly string[], forms: ReadonlyMap<string, LoadedForm>): TenantTexts {
  const resolved = new Map<string, LocalText>();
  for (const [key, override] of Object.entries(overrides ?? {})) {
    if (!catalogue.has(key)) throw new UnknownTextKeyError(file, key, suggestion(key, catalogue));
    const serviceId = serviceOfKey(key);
    if (serviceId !== undefined && !offered.includes(serviceId)) {
      throw new CrossReferenceError('EFA_XREF_SERVICE', file, `/texts/${pointerToken(key)}`, `service "${serviceId}" is not offered by this tenant, so the text would never show: offer it under /services or remove the override`);
    }
    const base = catalogue.get(key);
    const text = merged(base, override);
    if (typeof text !== 'string' && !text.de) throw new DeclarationError(file, `/texts/${pointerToken(key)}`, 'has no default text: give the German text ("de") as well');
    resolved.set(key, text);
  }
  return {
    ui: Object.fromEntries(LANGS.map((lang) => [lang, uiFor(lang, resolved)])) as Record<Lang, UiTexts>,
    forms: overlayForms(offered, forms, resolved),
    services: new Map(offered.map((id) => [id, {
      title: resolved.get(`service.${id}.title`) ?? catalogue.get(`service.${id}.title`) ?? id,
      description: resolved.get(`service.${id}.description`) ?? catalogue.get(`service.${id}.description`),
    }])),
    rules: new Map(offered.map((id) => [id, ruleOverrides(id, resolved)])),
  };
}

function ruleOverrides(serviceId: string, resolved: ReadonlyMap<string, LocalText>): Map<string, LocalText> {
  const prefix = `service.${serviceId}.rule.`;
  return new Map([...resolved].filter(([key]) => key.startsWith(prefix)).map(([key, text]) => [key.slice(prefix.length), text]));
}

function overlayForms(offered: readonly string[], forms: ReadonlyMap<string, LoadedForm>, resolved: ReadonlyMap<string, LocalText>): Map<string, LoadedForm> {
  const result = new Map<string, LoadedForm>();
  for (const id of offered) {
    const form = forms.get(id);
    if (form) result.set(id, overlayForm(id, form, resolved));
  }
  return result;
}

function uiFor(lang: Lang, resolved: ReadonlyMap<string, LocalText>): UiTexts {
  const ui = { ...uiTexts[lang] };
  for (const key of Object.keys(ui) as Array<keyof UiTexts>) {
    const text = resolved.get(`ui.${key}`);
    if (text === undefined) continue;
    ui[key] = typeof text === 'string' ? (lang === 'de' ? text : ui[key]) : (text[lang] ?? ui[key]);
  }
  return ui;
}

/** A copy of the form with the tenant's texts; logic, pointers and conditions stay shared. */
function overlayForm(serviceId: string, form: LoadedForm, resolved: ReadonlyMap<string, LocalText>): LoadedForm {
  const prefix = `form.${serviceId}`;
  const pick = (key: string, fallback: LocalText | undefined) => resolved.get(key) ?? fallback;
  return {
    ...form,
    intro: pick(`${prefix}.intro`, form.intro),
    steps: form.steps.map((step) => ({
      ...step,
      title: pick(`${prefix}.step.${step.id}.title`, step.title) as LocalText,
      intro: pick(`${prefix}.step.${step.id}.intro`, step.intro),
      fields: step.fields.map((field) => overlayField(`${prefix}.field.${field.name}`, field, pick)),
    })),
  };
}

function overlayField(f: string, field: FormField, pick: (key: string, fallback: LocalText | undefined) => LocalText | undefined): FormField {
  const errors = Object.fromEntries(errorCodes(field).flatMap((code) => { const text = pick(`${f}.error.${code}`, field.def.errors?.[code]); return text === undefined ? [] : [[code, text]]; }));
  const group = field.group && {
    ...field.group,
    itemLabel: pick(`${f}.itemLabel`, field.group.itemLabel) as LocalText,
    addLabel: pick(`${f}.addLabel`, field.group.addLabel),
    addFirstLabel: pick(`${f}.addFirstLabel`, field.group.addFirstLabel),
    items: field.group.items.map((item) => overlayField(`${f}.${item.name}`, item, pick)),
  };
  const label = pick(`${f}.label`, field.label) as LocalText;
  // The form's phrase for messages names its own label: a Land's new label speaks for itself unless the Land words the phrase too.
  const inMessages = pick(`${f}.inMessages`, label === field.label ? field.def.inMessages : undefined);
  const { inMessages: _formPhrase, ...def } = field.def;
  return {
    ...field,
    def: { ...def, errors, ...(inMessages ? { inMessages } : {}) },
    label,
    hint: pick(`${f}.hint`, field.hint),
    options: field.options.map((o) => ({ ...o, label: pick(`${f}.option.${o.value}`, o.label) as LocalText })),
    ...(group ? { group } : {}),
  };
}

/** A partial override keeps the default's other languages: overriding German does not lose English. */
function merged(base: LocalText | undefined, override: TextOverride): LocalText {
  const over = typeof override === 'string' ? { de: override } : override;
  const from = base === undefined ? {} : typeof base === 'string' ? { de: base } : base;
  return { ...from, ...over } as LocalText;
}

function serviceOfKey(key: string): string | undefined {
  const match = /^(?:service|form)\.([^.]+)\./.exec(key);
  return match?.[1];
}

function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The closest known key, so "ui.strat" points at "ui.start" instead of at the documentation only. */
function suggestion(key: string, catalogue: TextCatalogue): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of catalogue.keys()) {
    const d = distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const closeEnough = best !== undefined && bestDistance <= Math.max(3, Math.floor(key.length / 4));
  return `${closeEnough ? ` (did you mean "${best}"?)` : ''}; the keys are listed in docs/tenants.md and by \`efa preview --texts\``;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
