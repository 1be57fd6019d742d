import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeclarationError } from '../core/errors.js';
import { displayPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import type { LocalText } from '../services/contract.js';
import type { LoadedService } from '../services/registry.js';
import { fieldKinds } from './fields/index.js';
import type { Condition, FormField, FormFieldDefinition, Option } from './fields/kind.js';
import { getAt, isRequired, schemaAt } from './pointer.js';

interface FormDefinition {
  service: string;
  intro?: LocalText;
  steps: Array<{ id: string; title: LocalText; intro?: LocalText; showIf?: Condition; fields: FormFieldDefinition[] }>;
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

/** Loads forms/<service>.form.json for every service and checks it against the service's schema. */
export function loadForms(root: string, formatsDir: string, services: Map<string, LoadedService>): Map<string, LoadedForm> {
  const forms = new Map<string, LoadedForm>();
  for (const [id, service] of services) {
    const file = join(root, 'forms', `${id}.form.json`);
    if (!existsSync(file)) throw new DeclarationError(displayPath(file), '', `service "${id}" has no form definition`);
    forms.set(id, loadForm(file, service, formatsDir));
  }
  return forms;
}

function loadForm(file: string, service: LoadedService, formatsDir: string): LoadedForm {
  const def = validateDeclaration<FormDefinition>(file, readJsonFile(file), join(formatsDir, 'form.schema.json'));
  const shown = displayPath(file);
  if (def.service !== service.definition.id) throw new DeclarationError(shown, '/service', `must be "${service.definition.id}" (the file name)`);
  const seenPointers = new Map<string, string>();
  const seenSteps = new Set<string>();
  const steps = def.steps.map((step, s) => {
    if (seenSteps.has(step.id)) throw new DeclarationError(shown, `/steps/${s}/id`, `step id "${step.id}" is used twice`);
    if (['pruefen', 'absenden', 'bestaetigung', 'start'].includes(step.id)) throw new DeclarationError(shown, `/steps/${s}/id`, `"${step.id}" is reserved`);
    seenSteps.add(step.id);
    if (step.showIf) checkCondition(shown, `/steps/${s}/showIf`, step.showIf, seenPointers, service);
    const fields = step.fields.map((f, i) => resolveField(shown, `/steps/${s}/fields/${i}`, f, service, seenPointers));
    fields.forEach((f) => seenPointers.set(f.pointer, step.id));
    return { id: step.id, title: step.title, intro: step.intro, showIf: step.showIf, fields };
  });
  return { serviceId: def.service, intro: def.intro, steps };
}

function resolveField(file: string, path: string, def: FormFieldDefinition, service: LoadedService, earlier: Map<string, string>): FormField {
  const schema = schemaAt(service.schema, def.pointer);
  if (!schema) throw new DeclarationError(file, `${path}/pointer`, `"${def.pointer}" does not exist in services/${service.definition.id}/schema.json`);
  if (earlier.has(def.pointer)) throw new DeclarationError(file, `${path}/pointer`, `"${def.pointer}" already has a field on step "${earlier.get(def.pointer)}"`);
  const kind = fieldKinds.get(def.kind);
  if (!kind) throw new DeclarationError(file, `${path}/kind`, `unknown field kind "${def.kind}"`);
  const options = labelledOptions(file, path, optionsOf(schema), def.options);
  const type = (schema.type as string | undefined) ?? (options.length > 0 ? 'string' : undefined);
  if (!type || !kind.accepts.includes(type as never)) throw new DeclarationError(file, `${path}/kind`, `kind "${def.kind}" cannot fill a schema value of type "${type ?? 'unknown'}" at ${def.pointer}`);
  if ((def.kind === 'radios' || def.kind === 'select') && options.length === 0) throw new DeclarationError(file, `${path}/kind`, `"${def.kind}" needs oneOf options (const + title) at ${def.pointer} in the schema`);
  if (def.showIf) checkCondition(file, `${path}/showIf`, def.showIf, earlier, service);
  const label = def.label ?? (schema.title as string | undefined);
  if (!label) throw new DeclarationError(file, `${path}/label`, `field ${def.pointer} needs a label here or a "title" in the schema`);
  return {
    def,
    pointer: def.pointer,
    name: def.pointer.slice(1).replace(/\//g, '.'),
    id: `f-${def.pointer.slice(1).replace(/\//g, '-')}`,
    label,
    hint: def.hint ?? (schema.description as string | undefined),
    schema,
    required: isRequired(service.schema, def.pointer),
    options,
    kind,
  };
}

/** Conditions may only look back: a field shown depending on an earlier step works without JavaScript. */
function checkCondition(file: string, path: string, condition: Condition, earlier: Map<string, string>, service: LoadedService): void {
  if (!schemaAt(service.schema, condition.pointer)) throw new DeclarationError(file, `${path}/pointer`, `"${condition.pointer}" does not exist in the schema`);
  if (!earlier.has(condition.pointer)) throw new DeclarationError(file, `${path}/pointer`, `"${condition.pointer}" must be a field of an earlier step`);
  if (condition.equals === undefined && condition.in === undefined) throw new DeclarationError(file, path, 'needs "equals" or "in"');
}

/** The form may label the schema's options (e.g. in English); a label for no option is a mistake. */
function labelledOptions(file: string, path: string, options: Option[], labels: Record<string, LocalText> | undefined): Option[] {
  for (const value of Object.keys(labels ?? {})) {
    if (!options.some((o) => o.value === value)) throw new DeclarationError(file, `${path}/options/${value}`, `"${value}" is not an option of the schema (options: ${options.map((o) => o.value).join(', ') || 'none'})`);
  }
  return options.map((o) => ({ ...o, label: labels?.[o.value] ?? o.label }));
}

function optionsOf(schema: Record<string, unknown>): Option[] {
  const oneOf = schema.oneOf as Array<{ const?: unknown; title?: LocalText }> | undefined;
  if (!Array.isArray(oneOf)) return [];
  return oneOf.filter((o) => typeof o.const === 'string').map((o) => ({ value: o.const as string, label: o.title ?? String(o.const) }));
}

export function conditionHolds(condition: Condition | undefined, data: unknown): boolean {
  if (!condition) return true;
  const value = getAt(data, condition.pointer);
  if (condition.in) return condition.in.includes(value);
  return value === condition.equals;
}

export function visibleSteps(form: LoadedForm, data: unknown): FormStep[] {
  return form.steps.filter((s) => conditionHolds(s.showIf, data));
}
