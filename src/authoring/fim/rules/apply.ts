/**
 * FIM rules made conditions: a translated rule (rules/parse.ts) shows the groups and fields it
 * decides only when its deciding answer says so (`showIf`, JsonLogic) and makes them required
 * when asked (`required`); "at least one of" and "required when empty" become checks in logic.ts.
 * Every optional group with required fields that no rule decides gets a question of its own, so
 * nothing is forced on an applicant it does not concern.
 */
import type { CodeLists } from '../../../codelists/genericode.js';
import { unique } from '../names.js';
import type { StepDraft, FormFieldDraft } from '../map/form.js';
import type { ElementIndex, FimRule, IndexedElement, Json, RuleUse } from '../tree.js';
import type { FimCheck } from '../types.js';
import { parseRule, type RuleRef } from './parse.js';

export interface RuleOutcome {
  /** Distinct rule ids, and those translated (each of their uses). */
  total: number;
  translated: number;
  untranslated: Array<{ rule: FimRule; owner: string; reason: string }>;
  checks: FimCheck[];
  questions: number;
}

type Hint = { de: string; en: string };

/** Field kinds the browser reads as one answer, so a condition on the same step may read them. */
const SINGLE_INPUT = new Set(['text', 'textarea', 'email', 'tel', 'integer', 'radios', 'select', 'yesno']);
/** `fallback`: the check in logic.ts that enforces the rule when the form cannot show it as a condition. */
type Cond = { target: string; logic: Json; hint: Hint; required: boolean; sources: string[]; rule?: string; fallback?: FimCheck };

const varOf = (pointer: string) => ({ var: `answers.${pointer.slice(1).split('/').join('.')}` });
const under = (pointer: string, base: string) => pointer === base || pointer.startsWith(`${base}/`);
const parentOf = (pointer: string) => pointer.slice(0, pointer.lastIndexOf('/'));
const keyOf = (pointer: string) => pointer.slice(pointer.lastIndexOf('/') + 1);

function schemaAt(schema: Json, pointer: string): Json | undefined {
  let node: Json | undefined = schema;
  for (const key of pointer.split('/').slice(1)) node = (node?.properties as Record<string, Json> | undefined)?.[key];
  return node;
}

function makeOptional(schema: Json, pointer: string): void {
  const parent = schemaAt(schema, parentOf(pointer));
  const required = parent?.required as string[] | undefined;
  if (!parent || !required) return;
  const rest = required.filter((k) => k !== keyOf(pointer));
  if (rest.length > 0) parent.required = rest;
  else delete parent.required;
}

export class RuleApplier {
  private readonly conds: Cond[] = [];
  private readonly checks: FimCheck[] = [];
  private readonly untranslated: RuleOutcome['untranslated'] = [];
  private readonly decided = new Set<string>();
  private questions = 0;

  constructor(private readonly schema: Json, private readonly steps: StepDraft[], private readonly index: ElementIndex, private readonly codeLists: CodeLists) {}

  /** An option's label: the schema's oneOf title, or the code list's label column. */
  private optionTitle(schema: Json | undefined, code: string): string {
    const own = (schema?.oneOf as Array<{ const: unknown; title?: string }> | undefined)?.find((o) => o.const === code)?.title;
    if (own) return own;
    const ref = schema?.['x-codelist'] as { urn: string; version: string } | undefined;
    const list = ref ? this.codeLists.get(ref.urn)?.get(ref.version) : undefined;
    const row = list?.rows.find((r) => r[list.codeColumn] === code);
    const label = list && row ? row[list.columns.find((c) => c !== list.codeColumn) ?? list.codeColumn] : undefined;
    return label ?? code;
  }

  private resolve(ref: RuleRef, owner: string, inRow = false): IndexedElement | string {
    const all = this.index.get(ref) ?? [];
    const near = all.filter((e) => under(e.pointer, owner));
    const found = near.length > 0 ? near : all;
    if (found.length === 0) return `${ref} is not part of the form (left out, or not in this file)`;
    if (found.length > 1) return `${ref} occurs ${found.length} times (${found.map((e) => e.pointer).join(', ')}): which one is meant is unclear`;
    const el = found[0] as IndexedElement;
    if (el.inRow && !inRow) return `${ref} is inside a repeatable group: conditions there read their own row`;
    return el;
  }

  /** Translates one use of a rule; a reason when it cannot be. */
  private translate(use: RuleUse): string | undefined {
    const shape = parseRule(use.rule.text ?? use.rule.name);
    if (!shape) return 'its text has none of the shapes the importer translates';
    const refs = shape.type === 'when' ? [...shape.sources, ...shape.targets]
      : shape.type === 'compound' ? [...shape.atoms.map((a) => a.ref), ...shape.targets]
        : shape.type === 'requiredIf' || shape.type === 'soon' ? [shape.source, shape.target] : shape.type === 'unique' ? [shape.ref] : shape.refs;
    const els: IndexedElement[] = [];
    for (const ref of refs) {
      const el = this.resolve(ref, use.owner, shape.type === 'atLeastOne');
      if (typeof el === 'string') return el;
      els.push(el);
    }
    const [first, ...rest] = els as [IndexedElement, ...IndexedElement[]];
    const id = use.rule.id;
    switch (shape.type) {
      case 'when': {
        const sources = els.slice(0, shape.sources.length);
        const tests: Array<{ logic: Json; hint: Hint }> = [];
        for (const source of sources) {
          const test = this.test(source, shape.test);
          if (typeof test === 'string') return test;
          tests.push(test);
        }
        const logic = tests.length === 1 ? (tests[0] as { logic: Json }).logic : { or: tests.map((t) => t.logic) };
        const hint = { de: tests.map((t) => t.hint.de).join(' Oder: '), en: tests.map((t) => t.hint.en).join(' Or: ') };
        for (const [i, t] of els.slice(shape.sources.length).entries()) {
          const fallback = sources.length === 1 && shape.required ? this.fallback(use, sources[0] as IndexedElement, t, shape.targets[i] as string, shape.test) : undefined;
          this.conds.push({ target: t.pointer, logic, hint, required: shape.required && t.type === 'field', sources: sources.map((s) => s.pointer), rule: id, ...(fallback ? { fallback } : {}) });
          this.decided.add(t.pointer);
        }
        return undefined;
      }
      case 'compound': {
        const tests: Array<{ logic: Json; hint: Hint }> = [];
        for (const [i, a] of shape.atoms.entries()) {
          const test = this.test(els[i] as IndexedElement, a.test);
          if (typeof test === 'string') return test;
          tests.push(a.negate ? {
            logic: { '!': [test.logic] },
            hint: { de: test.hint.de.replace(/ gewählt haben\.$/, ' nicht gewählt haben.'), en: test.hint.en.replace(/^Only if you chose /, 'Only if you did not choose ') },
          } : test);
        }
        const hint = { de: tests.map((t) => t.hint.de).join(shape.join === 'or' ? ' Oder: ' : ' Und: '), en: tests.map((t) => t.hint.en).join(shape.join === 'or' ? ' Or: ' : ' And: ') };
        for (const t of els.slice(shape.atoms.length)) {
          this.conds.push({ target: t.pointer, logic: { [shape.join]: tests.map((x) => x.logic) }, hint, required: shape.required && t.type === 'field', sources: els.slice(0, shape.atoms.length).map((e) => e.pointer), rule: id });
          this.decided.add(t.pointer);
        }
        return undefined;
      }
      case 'soon': {
        const date = schemaAt(this.schema, first.pointer);
        if (date?.format !== 'date') return `${shape.source} is no date`;
        this.checks.push({ rule: id, text: use.rule.text ?? use.rule.name, kind: 'soon', pointers: [first.pointer, (rest[0] as IndexedElement).pointer], days: shape.days, exclusive: shape.exclusive, ...this.within(first.pointer) });
        return undefined;
      }
      case 'unique': {
        const target = schemaAt(this.schema, first.pointer);
        if (!first.repeated || target?.type !== 'array') return `${shape.ref} is not repeated`;
        target.uniqueItems = true;
        return undefined;
      }
      case 'oneOf': {
        const parent = parentOf(first.pointer);
        if (els.some((e) => e.type !== 'group' || parentOf(e.pointer) !== parent)) return 'the groups are not side by side in one group';
        const parentSchema = schemaAt(this.schema, parent);
        if (!parentSchema) return 'no place for the question';
        const props = parentSchema.properties as Record<string, Json>;
        const key = unique('auswahl', new Set(Object.keys(props)));
        props[key] = { title: 'Welche Angabe machen Sie?', type: 'string', oneOf: els.map((e) => ({ const: keyOf(e.pointer), title: e.label })) };
        const question: FormFieldDraft = { pointer: `${parent}/${key}`, kind: 'radios', label: { de: 'Welche der folgenden Angaben machen Sie?' }, required: true };
        if (!this.insertBefore(els.map((e) => e.pointer), question)) return 'its groups are not asked in one step';
        for (const e of els) {
          makeOptional(this.schema, e.pointer);
          const hint = { de: `Nur wenn Sie „${e.label}“ gewählt haben.`, en: `Only if you chose “${e.label}”.` };
          this.conds.push({ target: e.pointer, logic: { '===': [varOf(question.pointer), keyOf(e.pointer)] }, hint, required: false, sources: [question.pointer], rule: id });
          this.decided.add(e.pointer);
        }
        this.questions++;
        return undefined;
      }
      case 'atLeastOne': {
        if (els.some((e) => e.type !== 'field')) return 'it names groups: only fields can be checked';
        if (!els.some((e) => e.inRow)) {
          this.checks.push({ rule: id, text: use.rule.text ?? use.rule.name, kind: 'atLeastOne', pointers: els.map((e) => e.pointer), ...this.within(first.pointer) });
          return undefined;
        }
        // Fields of a repeatable group's row: checked in every row.
        const rows = this.rowsAround(first.pointer);
        if (!rows || els.some((e) => !e.pointer.startsWith(`${rows}/`))) return 'its fields are not in one row of a repeatable group, or that group is nested';
        const within = this.within(first.pointer).within;
        const rel = (p: string) => p.slice(rows.length);
        this.checks.push({ rule: id, text: use.rule.text ?? use.rule.name, kind: 'atLeastOne', rows, pointers: els.map((e) => rel(e.pointer)), ...(within && within.startsWith(`${rows}/`) ? { within: rel(within) } : {}) });
        return undefined;
      }
      case 'requiredIf':
        if (els.some((e) => e.type !== 'field')) return 'it names groups: only fields can be checked';
        this.checks.push({ rule: id, text: use.rule.text ?? use.rule.name, kind: 'requiredIf', pointers: [first.pointer, (rest[0] as IndexedElement).pointer], blank: shape.blank, ...this.within(first.pointer) });
        return undefined;
    }
  }

  /** The repeatable group whose row holds `pointer`, when it is not itself in a row. */
  private rowsAround(pointer: string): string | undefined {
    const groups = [...this.index.values()].flat().filter((e) => e.type === 'group' && e.repeated && pointer.startsWith(`${e.pointer}/`));
    const nearest = groups.sort((a, b) => b.pointer.length - a.pointer.length)[0];
    return nearest && !nearest.inRow ? nearest.pointer : undefined;
  }

  /** The check that enforces "when `source` is …, `target` must be answered" where the form cannot show it. */
  private fallback(use: RuleUse, source: IndexedElement, target: IndexedElement, targetId: string, test: { values: Array<string | boolean> } | { given: boolean }): FimCheck | undefined {
    if (source.type !== 'field') return undefined;
    const text = use.rule.text ?? use.rule.name;
    // "…, dann darf F… nicht befüllt sein" in the other case: an answer there is refused too.
    const exclusive = new RegExp(`darf (?:das (?:Daten)?[Ff]eld|die (?:Feld)?[Gg]ruppe) (?:[GF]\\d+\\.)*${targetId}\\b[^.]*nicht befüllt`).test(text.replace(/[„“”]/g, '"'));
    const base = { rule: use.rule.id, text, pointers: [source.pointer, target.pointer], ...(exclusive ? { exclusive } : {}), ...this.within(target.pointer) };
    return 'given' in test ? { ...base, kind: 'requiredIf', blank: !test.given } : { ...base, kind: 'requiredWhen', values: test.values };
  }

  /** The nearest optional group around `pointer`: a check applies only once it is answered. */
  private within(pointer: string): { within?: string } {
    const optional = [...this.index.values()].flat().filter((e) => e.type === 'group' && e.optional && pointer.startsWith(`${e.pointer}/`));
    const nearest = optional.sort((a, b) => b.pointer.length - a.pointer.length)[0];
    return nearest ? { within: nearest.pointer } : {};
  }

  /** The JsonLogic test of one deciding element: a value (list), or whether it is given. */
  private test(source: IndexedElement, test: { values: Array<string | boolean> } | { given: boolean }): { logic: Json; hint: Hint } | string {
    const v = varOf(source.pointer);
    const label = source.label;
    if ('given' in test) {
      return test.given
        ? { logic: { '!!': [v] }, hint: { de: `Nur wenn Sie „${label}“ angeben.`, en: `Only if you give “${label}”.` } }
        : { logic: { '!': [v] }, hint: { de: `Nur wenn Sie „${label}“ nicht angeben.`, en: `Only if you do not give “${label}”.` } };
    }
    if (source.type !== 'field') return `${source.pointer} is a group, not an answer`;
    const schema = schemaAt(this.schema, source.pointer);
    const boolean = schema?.type === 'boolean';
    if (test.values.some((x) => (typeof x === 'boolean') !== boolean)) return `${source.pointer} is ${boolean ? 'a yes/no field' : 'a choice'}: the values ${test.values.join(', ')} do not fit`;
    const named = (x: string | boolean, lang: 'de' | 'en') => (typeof x === 'boolean' ? (x ? (lang === 'de' ? 'Ja' : 'Yes') : (lang === 'de' ? 'Nein' : 'No')) : this.optionTitle(schema, x));
    const hint = {
      de: `Nur wenn Sie bei „${label}“ ${test.values.map((x) => `„${named(x, 'de')}“`).join(' oder ')} gewählt haben.`,
      en: `Only if you chose ${test.values.map((x) => `“${named(x, 'en')}”`).join(' or ')} for “${label}”.`,
    };
    // A multiple choice (an array of codes) has the value when one of its codes is it.
    if (schema?.type === 'array') return { logic: test.values.length === 1 ? { in: [test.values[0], v] } : { or: test.values.map((x) => ({ in: [x, v] })) }, hint };
    return { logic: test.values.length === 1 ? { '===': [v, test.values[0]] } : { in: [v, test.values] }, hint };
  }

  /** Puts `field` before the first form field under any of `pointers` (in one step's fields). */
  private insertBefore(pointers: string[], field: FormFieldDraft): boolean {
    for (const [i, step] of this.steps.entries()) {
      const at = step.fields.findIndex((f) => pointers.some((p) => under(f.pointer, p)));
      if (at < 0) continue;
      // A repeatable group is the only field of its step: the question gets a step of its own before it.
      if (step.fields.some((f) => f.kind === 'group')) {
        const ids = new Set(this.steps.map((s) => s.id));
        this.steps.splice(i, 0, { id: unique(`${step.id.slice(0, 34)}-frage`, ids), title: step.title, fields: [field] });
      } else {
        step.fields.splice(at, 0, field);
      }
      return true;
    }
    return false;
  }

  /** An optional group with required fields that no rule decides: asked first whether it applies. */
  private askOptionalGroups(): void {
    const groups = [...this.index.values()].flat().filter((e) => e.type === 'group' && e.optional && e.hasRequired && !this.decided.has(e.pointer));
    const seen = new Set<string>();
    for (const g of groups) {
      if (seen.has(g.pointer)) continue;
      seen.add(g.pointer);
      if (g.inRow) {
        if (this.askInRow(g)) this.questions++;
        continue;
      }
      const parentSchema = schemaAt(this.schema, parentOf(g.pointer));
      const props = parentSchema?.properties as Record<string, Json> | undefined;
      if (!props) continue;
      const key = unique(`${keyOf(g.pointer).slice(0, 52)}Angeben`, new Set(Object.keys(props)));
      const pointer = `${parentOf(g.pointer)}/${key}`;
      const field: FormFieldDraft = { pointer, kind: 'yesno', label: { de: `Möchten Sie Angaben zu „${g.label}“ machen?` }, required: true };
      if (!this.insertBefore([g.pointer], field)) continue;
      props[key] = { title: `Angaben zu „${g.label}“`, type: 'boolean' };
      const hint = { de: `Nur wenn Sie Angaben zu „${g.label}“ machen.`, en: `Only if you give details of “${g.label}”.` };
      this.conds.push({ target: g.pointer, logic: { '===': [varOf(pointer), true] }, hint, required: false, sources: [pointer] });
      this.questions++;
    }
  }

  /** The same question for an optional group inside a repeatable group's row: its condition reads the row (row.<path>). */
  private askInRow(g: IndexedElement): boolean {
    let rows = this.steps.flatMap((s) => s.fields).find((f) => f.kind === 'group' && g.pointer.startsWith(`${f.pointer}/`));
    let item = (schemaAt(this.schema, rows?.pointer ?? '')?.items as Json | undefined);
    if (!rows?.fields || !item) return false;
    let rel = g.pointer.slice(rows.pointer.length);
    // In a group nested in the row, the question is asked in the inner row and reads it.
    const nested = rows.fields.find((f) => f.kind === 'group' && rel.startsWith(`${f.pointer}/`));
    if (nested) {
      item = schemaAt(item, nested.pointer)?.items as Json | undefined;
      rel = rel.slice(nested.pointer.length);
      rows = nested;
      if (!rows.fields || !item) return false;
    }
    const props = schemaAt(item, parentOf(rel))?.properties as Record<string, Json> | undefined;
    const at = rows.fields.findIndex((f) => under(f.pointer, rel));
    if (!props || at < 0) return false;
    const key = unique(`${keyOf(rel).slice(0, 52)}Angeben`, new Set(Object.keys(props)));
    props[key] = { title: `Angaben zu „${g.label}“`, type: 'boolean' };
    const question = `${parentOf(rel)}/${key}`;
    rows.fields.splice(at, 0, { pointer: question, kind: 'yesno', label: { de: `Möchten Sie Angaben zu „${g.label}“ machen?` }, required: true });
    const logic = { '===': [{ var: `row.${question.slice(1).split('/').join('.')}` }, true] };
    const hint = { de: `Nur wenn Sie Angaben zu „${g.label}“ machen.`, en: `Only if you give details of “${g.label}”.` };
    for (const f of rows.fields.filter((x) => under(x.pointer, rel))) {
      f.showIf = f.showIf ? { and: [...((f.showIf as { and?: Json[] }).and ?? [f.showIf]), logic] } : logic;
      f.conditionHint = f.conditionHint ? { de: `${f.conditionHint.de} ${hint.de}`, en: `${f.conditionHint.en} ${hint.en}` } : hint;
    }
    return true;
  }

  /** Field order over all steps: a condition may only read an answer asked before. */
  private order(): Map<string, number> {
    const order = new Map<string, number>();
    let i = 0;
    for (const step of this.steps) for (const f of step.fields) order.set(f.pointer, i++);
    return order;
  }

  run(uses: RuleUse[]): RuleOutcome {
    const failed = new Map<string, string>();
    const ids = new Set<string>();
    for (const use of uses) {
      ids.add(use.rule.id);
      const reason = this.translate(use);
      if (reason) {
        failed.set(use.rule.id, reason);
        this.untranslated.push({ ...use, reason });
      }
    }
    this.askOptionalGroups();
    const order = this.order();
    const fields = this.steps.flatMap((s) => s.fields);
    for (const c of this.conds) {
      // A group decides by its last field: it is given once that was asked.
      const asked = c.sources.map((p) => Math.max(-1, ...fields.filter((f) => under(f.pointer, p)).map((f) => order.get(f.pointer) ?? -1)));
      const sourceAt = asked.length > 0 && asked.every((a) => a >= 0) ? Math.max(...asked) : undefined;
      const targets = fields.filter((f) => under(f.pointer, c.target));
      const problem = sourceAt === undefined || targets.length === 0 || targets.some((f) => (order.get(f.pointer) ?? 0) <= sourceAt)
        ? 'its deciding field is asked after what it decides'
        : this.composite(c, targets);
      if (problem && c.fallback) {
        // Not shown by a condition, but enforced: the check in logic.ts refuses the answers that break it.
        this.checks.push(c.fallback);
        continue;
      }
      if (problem) {
        if (c.rule && !failed.has(c.rule)) {
          failed.set(c.rule, problem);
          const use = uses.find((u) => u.rule.id === c.rule) as RuleUse;
          this.untranslated.push({ ...use, reason: problem });
        }
        continue;
      }
      makeOptional(this.schema, c.target);
      const logic = this.expand(c.logic, fields);
      for (const f of targets) {
        f.showIf = f.showIf ? { and: [...((f.showIf as { and?: Json[] }).and ?? [f.showIf]), logic] } : logic;
        f.conditionHint = f.conditionHint ? { de: `${f.conditionHint.de} ${c.hint.de}`, en: `${f.conditionHint.en} ${c.hint.en}` } : { ...c.hint };
        if (c.required && f.pointer === c.target) f.required = true;
      }
    }
    this.liftStepConditions();
    return { total: ids.size, translated: ids.size - failed.size, untranslated: this.untranslated, checks: this.checks, questions: this.questions };
  }

  /** A field of several inputs (an upload, a date, an address) cannot decide on its own step: the browser cannot read it as one answer. */
  private composite(c: Cond, targets: FormFieldDraft[]): string | undefined {
    const stepOf = (p: string) => this.steps.findIndex((s) => s.fields.some((f) => f.pointer === p));
    const sources = this.steps.flatMap((s) => s.fields).filter((f) => c.sources.some((p) => under(f.pointer, p)));
    const multi = sources.find((f) => !SINGLE_INPUT.has(f.kind) && targets.some((t) => stepOf(t.pointer) === stepOf(f.pointer)));
    return multi ? `its deciding field ${multi.pointer} (${multi.kind}) stands on the same step as what it decides, and a field of several inputs cannot be read there` : undefined;
  }

  /** A condition may read fields only: "a group is given" becomes "one of its fields is answered". */
  private expand(logic: Json, fields: FormFieldDraft[]): Json {
    const [op, args] = Object.entries(logic)[0] ?? [];
    if (op !== '!!' && op !== '!') {
      return Array.isArray(args) && (op === 'and' || op === 'or') ? { [op as string]: args.map((a: Json) => this.expand(a, fields)) } : logic;
    }
    const name = ((args as Json[])[0] as { var?: string } | undefined)?.var;
    // A negated comparison ("<> wahr"), not "is given".
    if (typeof name !== 'string') return { [op]: (args as Json[]).map((a) => this.expand(a, fields)) };
    const pointer = `/${name.slice('answers.'.length).split('.').join('/')}`;
    if (fields.some((f) => f.pointer === pointer)) return logic;
    const inner = fields.filter((f) => f.pointer.startsWith(`${pointer}/`) && f.kind !== 'group').map((f) => ({ '!!': [varOf(f.pointer)] }));
    const any = inner.length === 1 ? inner[0] as Json : { or: inner };
    return op === '!!' ? any : { '!': [any] };
  }

  /** A step whose fields all share one condition on earlier steps' answers is itself conditional (not shown empty). */
  private liftStepConditions(): void {
    const earlier = new Set<string>();
    for (const step of this.steps) {
      const first = step.fields[0]?.showIf;
      const same = first !== undefined && step.fields.every((f) => JSON.stringify(f.showIf) === JSON.stringify(first));
      const reads = [...JSON.stringify(first ?? {}).matchAll(/"answers\.([^"]+)"/g)].map((m) => `/${(m[1] as string).split('.').join('/')}`);
      if (same && reads.every((p) => [...earlier].some((e) => under(p, e)))) {
        step.showIf = first;
        for (const f of step.fields) {
          delete f.showIf;
          delete f.conditionHint;
        }
      }
      for (const f of step.fields) earlier.add(f.pointer);
    }
  }
}
