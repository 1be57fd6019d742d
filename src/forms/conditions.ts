/**
 * Conditions of steps and fields: JsonLogic expressions (json-logic-js, the same library the
 * browser runs for progressive reveal), evaluated over three namespaces:
 *   answers.<path>  the applicant's answers (the JSON Pointer with dots: /betrieb/rechtsform → answers.betrieb.rechtsform)
 *   params.<name>   the service parameters in force for the applicant (Land, Kreis or municipality)
 *   derived.<name>  values of the service logic's derive(), declared in service.json "derived"
 *   row.<path>      in a field of a repeatable group's row: an answer of the same row (/tiere/2/gechippt → row.gechippt)
 * The old shorthand { "pointer": …, "equals" | "in": … } compiles to the same expressions; its
 * pointer "./<path>" reads the same row.
 */
import jsonLogic from 'json-logic-js';
import type { RulesLogic } from 'json-logic-js';
import { CrossReferenceError, DeclarationError } from '../core/errors.js';
import { getAt } from './pointer.js';

/** What a form file may write: a JsonLogic expression or the shorthand on one answer. */
export type ConditionDefinition = { pointer: string; equals?: unknown; in?: unknown[] } | Record<string, unknown>;

export interface Condition {
  /** The JsonLogic expression as evaluated on the server and in the browser. */
  logic: RulesLogic;
  /** Variables it reads, e.g. "answers.betrieb.rechtsform", "params.gebuehrCent". */
  vars: string[];
  /** True when it reads derived values: only then the (possibly costly) derive() is run. */
  usesDerived: boolean;
  /** The pointer of the row whose answers `row.<path>` reads (set when a group's field is bound to a row). */
  row?: string;
}

/** Everything a condition can read besides the answers. */
export interface ConditionEnv {
  params: Record<string, unknown>;
  /** The service logic's derive() on the answers so far; {} while it cannot compute yet. */
  derive(answers: Record<string, unknown>): Record<string, unknown>;
  /** The service's fee for these answers, where it can compute one (a choice's options show it). */
  fee?(answers: Record<string, unknown>): { cents: number } | undefined;
}

/** Where a variable may point, for the load-time check. */
export interface ConditionScope {
  /** Pointer -> explanation why it cannot be used here (undefined: allowed). */
  answer(pointer: string): string | undefined;
  params: ReadonlySet<string>;
  derived: ReadonlySet<string>;
  /** In a group's row: relative pointer -> why it cannot be used (undefined: allowed); absent elsewhere. */
  row?(pointer: string): string | undefined;
}

/** The operators json-logic-js implements; an unknown one would only fail when evaluated. */
const OPERATORS = new Set([
  '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!!', '!', '%', 'in', 'cat', 'substr', '+', '*', '-', '/', 'min', 'max', 'merge',
  'var', 'missing', 'missing_some', 'if', '?:', 'and', 'or', 'all', 'none', 'some', 'map', 'filter', 'reduce',
]);

export function isShorthand(def: ConditionDefinition): def is { pointer: string; equals?: unknown; in?: unknown[] } {
  return typeof (def as { pointer?: unknown }).pointer === 'string';
}

/** "/betrieb/rechtsform" → answers.betrieb.rechtsform; "./gechippt" (the same row) → row.gechippt. */
export function pointerToVar(pointer: string): string {
  if (pointer.startsWith('./')) return `row.${pointer.slice(2).split('/').join('.')}`;
  return `answers.${pointer.slice(1).split('/').join('.')}`;
}

/** The pointer a variable reads: absolute for answers.…, relative to the row for row.… */
export function varToPointer(name: string): string {
  return `/${name.split('.').slice(1).join('/')}`;
}

/**
 * Compiles and checks a condition: known operators only, every variable static and naming an
 * answer, parameter or derived value that exists where the condition is used.
 */
export function compileCondition(file: string, path: string, def: ConditionDefinition, scope: ConditionScope): Condition {
  let logic: RulesLogic;
  if (isShorthand(def)) {
    if (def.equals === undefined && def.in === undefined) throw new DeclarationError(file, path, 'needs "equals" or "in"');
    const v = { var: pointerToVar(def.pointer) };
    logic = (def.in !== undefined ? { in: [v, def.in] } : { '===': [v, def.equals] }) as RulesLogic;
  } else {
    logic = def as RulesLogic;
  }
  const found: VarUse[] = [];
  walk(file, path, logic, found);
  // The shorthand's one variable is its "pointer"; a JsonLogic variable is named where its "var" is.
  for (const use of found) checkVar(file, isShorthand(def) ? `${path}/pointer` : use.at, use.name, scope);
  const vars = [...new Set(found.map((v) => v.name))];
  return { logic, vars, usesDerived: vars.some((v) => v.startsWith('derived.')) };
}

/** A variable read by a condition and the JSON path of its "var" in the form file. */
interface VarUse {
  name: string;
  at: string;
}

function walk(file: string, path: string, node: unknown, vars: VarUse[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(file, `${path}/${i}`, item, vars));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new DeclarationError(file, path, `a JsonLogic operation has exactly one operator as its key (found ${keys.length === 0 ? 'none' : keys.map((k) => `"${k}"`).join(', ')})`);
  const op = keys[0] as string;
  if (!OPERATORS.has(op)) throw new DeclarationError(file, `${path}/${op}`, `unknown JsonLogic operator "${op}" (known: ${[...OPERATORS].join(' ')})`);
  const arg = (node as Record<string, unknown>)[op];
  if (op === 'var') {
    const name = Array.isArray(arg) ? arg[0] : arg;
    if (typeof name !== 'string' || name === '') throw new DeclarationError(file, `${path}/var`, 'must name a variable as a string, e.g. "answers.betrieb.rechtsform"');
    vars.push({ name, at: Array.isArray(arg) ? `${path}/var/0` : `${path}/var` });
    return;
  }
  if (op === 'missing' || op === 'missing_some') throw new DeclarationError(file, `${path}/${op}`, `"${op}" is not supported: compare the answer with "==" or test it with "!!"`);
  walk(file, `${path}/${op}`, arg, vars);
}

function checkVar(file: string, at: string, name: string, scope: ConditionScope): void {
  const [space, ...rest] = name.split('.');
  if (rest.length === 0 || rest.some((r) => r === '')) throw new DeclarationError(file, at, `variable "${name}" must be answers.<path>, params.<name>, derived.<name> or row.<path>`);
  if (space === 'answers') {
    const problem = scope.answer(varToPointer(name));
    if (problem) throw new CrossReferenceError('EFA_XREF_ANSWER', file, at, `"${name}": ${problem}`);
  } else if (space === 'row') {
    const problem = scope.row ? scope.row(varToPointer(name)) : 'row.<path> reads a field of the same row and works only in the "fields" of a field of kind "group"; elsewhere read answers.<path>';
    if (problem) throw new CrossReferenceError('EFA_XREF_ANSWER', file, at, `"${name}": ${problem}`);
  } else if (space === 'params') {
    if (rest.length !== 1 || !scope.params.has(rest[0] as string)) throw new CrossReferenceError('EFA_XREF_PARAMETER', file, at, `"${name}": no such service parameter: declare "${rest.join('.')}" under "parameters" in service.json or fix the name (declared: ${[...scope.params].join(', ') || 'none'})`);
  } else if (space === 'derived') {
    if (rest.length !== 1 || !scope.derived.has(rest[0] as string)) throw new CrossReferenceError('EFA_XREF_DERIVED', file, at, `"${name}": no such derived value: declare "${rest.join('.')}" under "derived" in service.json (and return it from derive()) or fix the name (declared: ${[...scope.derived].join(', ') || 'none'})`);
  } else {
    throw new DeclarationError(file, at, `variable "${name}" must start with answers., params., derived. or (in a group's row) row.`);
  }
}

/** The data a condition is evaluated on. */
export function conditionData(condition: Condition, answers: Record<string, unknown>, env: ConditionEnv): Record<string, unknown> {
  const row = condition.row ? getAt(answers, condition.row) : undefined;
  return { answers, params: env.params, derived: condition.usesDerived ? env.derive(answers) : {}, row: row ?? {} };
}

/** JsonLogic truthiness (an empty array is false), like in the browser. */
export function evaluate(condition: Condition | undefined, answers: Record<string, unknown>, env: ConditionEnv): boolean {
  if (!condition) return true;
  return jsonLogic.truthy(jsonLogic.apply(condition.logic, conditionData(condition, answers, env)));
}

/**
 * Whether the condition holds for at least one of `values` of the variable `name` (a control on
 * the same page), the rest of its data as it is: a field that no answer there could reveal is not
 * asked at all (a certificate for a listed breed in a Land that lists none).
 */
export function mayHold(condition: Condition, answers: Record<string, unknown>, env: ConditionEnv, name: string, values: readonly unknown[]): boolean {
  const base = conditionData(condition, answers, env);
  const keys = name.split('.');
  return values.some((value) => jsonLogic.truthy(jsonLogic.apply(condition.logic, withValue(base, keys, value))));
}

/** A shallow copy of `node` with `value` at `keys`: only the objects on the path are copied. */
function withValue(node: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = keys as [string, ...string[]];
  const child = node[key];
  return { ...node, [key]: rest.length === 0 ? value : withValue(child !== null && typeof child === 'object' ? (child as Record<string, unknown>) : {}, rest, value) };
}

/** No parameters, and derive() unknown: for code that only knows the answers (tests, tools). */
export const ANSWERS_ONLY: ConditionEnv = { params: {}, derive: () => ({}) };

/**
 * What the browser needs to evaluate a same-step condition: the expression, the values it reads
 * that are not on this page (earlier answers, parameters, derived values; nothing else of the
 * draft), and the controls on this page whose changes re-evaluate it.
 */
export function revealData(condition: Condition, answers: Record<string, unknown>, env: ConditionEnv, controls: ReadonlyArray<{ name: string; var?: string }>): Record<string, unknown> {
  const all = conditionData(condition, answers, env);
  const known: Record<string, unknown> = {};
  for (const name of condition.vars) {
    if (controls.some((c) => name === (c.var ?? `answers.${c.name}`))) continue;
    const value = jsonLogic.apply({ var: name }, all) as unknown;
    if (value === undefined || value === null) continue;
    const keys = name.split('.');
    let node = known;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = value;
  }
  return known;
}
