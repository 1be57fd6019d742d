/**
 * Sample applications guessed from a given schema and form (e.g. a FIM import) for examples.json:
 * `efa check` runs every example against the schema, the rules and region(), and the preview shows
 * every conditional step with an example that meets its condition, so the guesses must pass as
 * written. What cannot be guessed is named in `warnings`.
 */
import jsonLogic from 'json-logic-js';
import type { RulesLogic } from 'json-logic-js';
import type { CodeLists } from '../codelists/genericode.js';
import type { FimCheck } from './fim/index.js';
import { SAMPLE_ADDRESS } from './scaffold-templates.js';

type Node = Record<string, unknown>;

/** Values tried, in order, for a pattern the sample must match (postcodes, phone numbers, codes). */
const PATTERN_CANDIDATES = ['10115', '24103', '0431 123456', '+49 431 123456', 'erika@example.org', 'DE89370400440532013000', 'Beispiel', 'A', '1', '01', '001', '12', '123', '1234', 'AB123', '12:00', '2000-01-01', '1234,50', '12,5', 'HRB 1234', 'DE123456789'];

export interface SampleContext {
  root: Node;
  warnings: string[];
  codeLists?: CodeLists;
}

function matches(pattern: string, value: string, s: Node): boolean {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    return false;
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  return re.test(value) && [...value].length >= min && [...value].length <= max;
}

function fileSample(s: Node): Node {
  const media = ((s.properties as Node).mediaType as Node | undefined)?.enum as string[] | undefined;
  return { id: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', filename: 'nachweis.pdf', mediaType: media?.[0] ?? 'application/pdf', size: 2048, sha512: 'ab'.repeat(64) };
}

function stringSample(s: Node, ctx: SampleContext, path: string): string {
  if (s.format === 'date') return '2000-01-01';
  if (s.format === 'date-time') return '2000-01-01T12:00:00+01:00';
  if (s.format === 'email') return 'erika@example.org';
  if (typeof s.pattern === 'string') {
    const found = PATTERN_CANDIDATES.find((v) => matches(s.pattern as string, v, s));
    if (found !== undefined) return found;
    ctx.warnings.push(`/examples/0/data${path}: give a sample value matching ${s.pattern}`);
    return '';
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  return 'Beispiel'.padEnd(min, 'x').slice(0, typeof s.maxLength === 'number' ? Math.max(min, s.maxLength) : undefined);
}

/** A value for `node` with every required property, as the schema allows it. */
export function sampleOf(node: unknown, ctx: SampleContext, path = '', depth = 0): unknown {
  if (!node || typeof node !== 'object' || depth > 20) return undefined;
  let s = node as Node;
  if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
    const target = s.$ref.slice(2).split('/').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Node)[k] : undefined), ctx.root);
    s = { ...(target as Node), ...s, $ref: undefined };
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const ref = s['x-codelist'] as { urn: string; version: string } | undefined;
  if (ref) {
    const list = ctx.codeLists?.get(ref.urn)?.get(ref.version);
    if (list?.rows[0]) return list.rows[0][list.codeColumn];
    ctx.warnings.push(`/examples/0/data${path}: give a code of ${ref.urn} version ${ref.version}`);
    return '';
  }
  const choice = (s.oneOf ?? s.anyOf) as Node[] | undefined;
  if (Array.isArray(choice) && choice[0]) return sampleOf(choice[0], ctx, path, depth + 1);
  const props = (s.properties ?? {}) as Node;
  if (s.type === 'object' || s.properties) {
    if (['strasse', 'hausnummer', 'plz', 'ort', 'ars'].every((k) => k in props)) return { ...SAMPLE_ADDRESS };
    if (['id', 'filename', 'mediaType', 'size', 'sha512'].every((k) => k in props)) return fileSample(s);
    const required = new Set((s.required as string[] | undefined) ?? []);
    const out: Node = {};
    for (const [name, sub] of Object.entries(props)) {
      if (required.has(name)) out[name] = sampleOf(sub, ctx, `${path}/${name}`, depth + 1);
      else if (nestedList(path, sub)) out[name] = [sampleOf(sub.items, ctx, `${path}/${name}/0`, depth + 1)];
    }
    return out;
  }
  if (s.type === 'array') {
    const n = typeof s.minItems === 'number' ? s.minItems : 0;
    return Array.from({ length: n }, (_v, i) => sampleOf(s.items, ctx, `${path}/${i}`, depth + 1));
  }
  if (s.type === 'boolean') return false;
  if (s.type === 'integer' || s.type === 'number') return typeof s.minimum === 'number' ? s.minimum : 1;
  if (s.type === 'string') return stringSample(s, ctx, path);
  return undefined;
}

/** An optional list inside a row (a nested group): the example shows one row of it, so the authority sees its shape. */
function nestedList(path: string, s: unknown): s is Node & { items: Node } {
  const node = s as Node | undefined;
  if (!/\/\d+(?:\/|$)/.test(path) || node?.type !== 'array' || !node.items || typeof node.items !== 'object') return false;
  const props = ((node.items as Node).properties ?? {}) as Node;
  return !('sha512' in props);
}

function schemaAt(root: Node, pointer: string): Node | undefined {
  let node: Node | undefined = root;
  for (const key of pointer.split('/').slice(1)) node = (node?.properties as Record<string, Node> | undefined)?.[key];
  return node;
}

/** Sets the value at `pointer`, creating every object on the way with its own required sample. */
function setSample(data: Node, pointer: string, value: unknown, ctx: SampleContext): void {
  const keys = pointer.split('/').slice(1);
  let node = data;
  let at = '';
  for (const key of keys.slice(0, -1)) {
    at += `/${key}`;
    if (!node[key] || typeof node[key] !== 'object') node[key] = sampleOf(schemaAt(ctx.root, at), ctx, at) ?? {};
    node = node[key] as Node;
  }
  node[keys[keys.length - 1] as string] = value;
}

const pointerOfVar = (v: unknown): string | undefined => {
  const name = (v as { var?: unknown } | undefined)?.var;
  return typeof name === 'string' && name.startsWith('answers.') ? `/${name.slice('answers.'.length).split('.').join('/')}` : undefined;
};

/** Makes `data` meet a condition the importer writes (===, in, and, or, !!, !); false when it cannot. */
export function meet(logic: Node, data: Node, ctx: SampleContext): boolean {
  const [op, args] = Object.entries(logic)[0] ?? [];
  const list = Array.isArray(args) ? args : [args];
  switch (op) {
    case 'and':
      return list.every((l) => meet(l as Node, data, ctx));
    case 'or':
      return meet(list[0] as Node, data, ctx);
    case '===':
    case '==': {
      const p = pointerOfVar(list[0]);
      if (!p) return false;
      setSample(data, p, list[1], ctx);
      return true;
    }
    case 'in': {
      const p = pointerOfVar(list[0]);
      if (!p || !Array.isArray(list[1])) return false;
      setSample(data, p, list[1][0], ctx);
      return true;
    }
    case '!!': {
      const p = pointerOfVar(list[0]);
      if (!p) return false;
      setSample(data, p, sampleOf(schemaAt(ctx.root, p), ctx, p), ctx);
      return true;
    }
    case '!':
      return pointerOfVar(list[0]) !== undefined;
    default:
      return false;
  }
}

/** What the service's checks (logic.ts, FIM rules) need in a sample: one of each "at least one", the field a "required if" asks. */
export function meetChecks(data: Node, checks: FimCheck[], ctx: SampleContext): void {
  const get = (p: string) => p.split('/').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Node)[k] : undefined), data);
  for (const c of checks) {
    if (c.within !== undefined && get(c.within) === undefined) continue;
    const target = c.kind === 'atLeastOne' ? c.pointers[0] : c.pointers[1];
    if (target && get(target) === undefined) setSample(data, target, sampleOf(schemaAt(ctx.root, target), ctx, target), ctx);
  }
}

/**
 * The choice between alternative groups ("Welche Angabe machen Sie?", a required radio the importer
 * adds): the first alternative, with what that group requires, wherever the question is asked;
 * and every other field the form requires where it is shown (a rule's target).
 */
function chooseAlternatives(data: Node, form: Node, ctx: SampleContext): void {
  const get = (p: string) => p.split('/').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Node)[k] : undefined), data);
  const fields = ((form.steps as Array<{ fields: Array<{ pointer: string; kind: string; required?: boolean; showIf?: unknown }> }> | undefined) ?? []).flatMap((st) => st.fields);
  for (const f of fields) {
    const parent = f.pointer.slice(0, f.pointer.lastIndexOf('/'));
    const inParent = ((schemaAt(ctx.root, parent)?.required as string[] | undefined) ?? []).includes(f.pointer.slice(parent.length + 1));
    if (!(f.required || (inParent && f.showIf !== undefined)) || f.kind === 'yesno' || get(f.pointer) !== undefined) continue;
    if (f.showIf !== undefined && !jsonLogic.truthy(jsonLogic.apply(f.showIf as RulesLogic, { answers: data }))) continue;
    // A field a rule makes required where it is shown: what the form will ask for.
    if (f.kind !== 'radios') {
      setSample(data, f.pointer, sampleOf(schemaAt(ctx.root, f.pointer), ctx, f.pointer), ctx);
      continue;
    }
    const first = ((schemaAt(ctx.root, f.pointer)?.oneOf as Array<{ const: unknown }> | undefined) ?? [])[0]?.const;
    if (typeof first !== 'string') continue;
    setSample(data, f.pointer, first, ctx);
    const group = `${parent}/${first}`;
    const groupSchema = schemaAt(ctx.root, group);
    if (groupSchema?.type === 'object') setSample(data, group, sampleOf(groupSchema, ctx, group), ctx);
  }
}

/** The examples: one with what is required, and one more for each conditional step that it does not show. */
export function samplesFor(schema: Node, form: Node, checks: FimCheck[], ctx: SampleContext): Array<{ id: string; title: { de: string; en: string }; data: Node }> {
  const base = sampleOf(schema, ctx) as Node;
  chooseAlternatives(base, form, ctx);
  meetChecks(base, checks, ctx);
  const out = [{ id: 'beispiel', title: { de: 'Beispielantrag', en: 'Sample application' }, data: base }];
  const steps = (form.steps as Array<{ id: string; showIf?: Node }> | undefined) ?? [];
  for (const step of steps) {
    if (!step.showIf) continue;
    const data = structuredClone(base);
    if (!meet(step.showIf, data, { ...ctx, warnings: [] })) continue;
    meetChecks(data, checks, ctx);
    out.push({ id: `beispiel-${step.id}`.slice(0, 63), title: { de: `Beispielantrag mit „${step.id}“`, en: `Sample application with “${step.id}”` }, data });
  }
  return out;
}
