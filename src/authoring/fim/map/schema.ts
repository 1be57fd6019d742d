/**
 * The tree becomes the JSON Schema: groups become objects, cardinality becomes required or an
 * array with bounds, and each element remembers how the form asks it (`Ask`, for map/form.ts).
 */
import { cardinalityShape, parseCardinality, type Cardinality } from '../cardinality.js';
import { pointerOf, propertyName, unique } from '../names.js';
import { ruleNotes } from '../rules/notes.js';
import type { FimElement, FimFieldInfo, Json } from '../tree.js';
import { addressBlock } from './blocks.js';
import { choice, input, type FieldContext } from './fields.js';

/** What one element became: its schema, and how the form asks it (null: not asked). */
export interface Mapped {
  schema: Json;
  required: boolean;
  ask: Ask | null;
  /** A FIM label (feldart label): static text for the step's introduction, no value. */
  intro?: string;
}

export type Ask =
  | { type: 'field'; kind: string; label: string; hint?: string }
  | { type: 'object'; label: string; hint?: string; children: Array<{ key: string; mapped: Mapped }> }
  | { type: 'rows'; label: string; hint?: string; item: Ask };

/** The fields below a group, by id and label: what a left-out group takes with it. */
function fieldsOf(el: FimElement): string {
  const out: string[] = [];
  const walk = (e: FimElement) => (e.type === 'field' ? out.push(`${e.id} „${e.label}“`) : e.children.forEach(walk));
  el.children.forEach(walk);
  return out.join(', ');
}

export class SchemaMapper {
  constructor(private readonly ctx: FieldContext) {}

  private get report() {
    return this.ctx.report;
  }

  /** The children of a group (or of the root) as properties of one object; `rows`: how many repeatable groups are around it. */
  object(children: FimElement[], pointer: string, rows: number): { schema: Json; children: Array<{ key: string; mapped: Mapped }> } {
    const taken = new Set<string>();
    const properties: Json = {};
    const required: string[] = [];
    const asked: Array<{ key: string; mapped: Mapped }> = [];
    for (const child of children) {
      const key = unique(propertyName(child.label), taken);
      const mapped = this.element(child, pointerOf(pointer, key), rows);
      if (!mapped) continue;
      asked.push({ key, mapped });
      if (mapped.intro !== undefined) continue;
      properties[key] = mapped.schema;
      if (mapped.required) required.push(key);
    }
    return { schema: { type: 'object', additionalProperties: false, ...(required.length > 0 ? { required } : {}), properties }, children: asked };
  }

  element(el: FimElement, pointer: string, rows: number): Mapped | null {
    const inRow = rows > 0;
    let card: Cardinality;
    try {
      card = parseCardinality(el.cardinality);
    } catch (err) {
      this.report.unmapped('anzahl', el, `${(err as Error).message}; read as 0:1`);
      card = { min: 0, max: 1 };
    }
    const shape = cardinalityShape(card);
    if (shape.type === 'absent') {
      this.report.unmapped('anzahl 0:0', el, 'the element may not occur at all: left out');
      return null;
    }
    if (el.type === 'field' && el.field?.feldart === 'label') return this.label(el, pointer, rows);
    const single = el.type === 'group' ? this.group(el, pointer, rows + (shape.type === 'array' ? 1 : 0)) : this.field(el, pointer, rows);
    if (!single) return null;
    const hasRequired = shape.type === 'value' && ((single.schema.required as string[] | undefined)?.length ?? 0) > 0;
    const entries = this.report.index.get(el.id) ?? [];
    entries.push({ pointer, type: el.type, label: el.label, inRow, repeated: shape.type === 'array', optional: card.min === 0, hasRequired });
    this.report.index.set(el.id, entries);
    if (shape.type === 'value') return { ...single, required: this.requiredValue(el, single, shape.required) };
    const cap = () => {
      if (shape.capped) this.report.unmapped(`anzahl ${el.cardinality}`, el, `no upper bound: a form needs one, maxItems is ${shape.maxItems}; change it in schema.json if more are needed`);
    };
    // The engine holds one group inside a group's row (docs/forms.md "Nested groups"), no deeper.
    if (rows > 1 && single.ask?.type !== 'field') {
      this.report.unmapped(`anzahl ${el.cardinality} inside a repeatable group inside a repeatable group`, el, `a form nests groups one level deep only: left out, with its fields ${fieldsOf(el)}`);
      return null;
    }
    if (inRow && single.ask?.type !== 'field') {
      this.report.note({ kind: 'group', where: pointer, text: `${this.report.where(el)}: a repeatable group inside a repeatable group: asked as a list on each row's page (nested group)` });
    }
    const { title, ...itemSchema } = single.schema;
    if (single.ask?.type === 'field' && single.ask.kind === 'file') {
      cap();
      return { schema: { title, type: 'array', minItems: shape.minItems, maxItems: shape.maxItems, items: itemSchema }, required: shape.required, ask: single.ask };
    }
    if (single.ask?.type === 'field' && ['checkbox', 'radios', 'select'].includes(single.ask.kind)) {
      // FIM's Mehrfachauswahl (a choice that may occur several times): boxes to tick, one per option.
      cap();
      this.report.note({ kind: 'group', where: pointer, text: `${this.report.where(el)}: anzahl ${el.cardinality}, a multiple choice: asked as checkboxes (an array of codes)` });
      return { schema: { title, type: 'array', minItems: shape.minItems, maxItems: shape.maxItems, uniqueItems: true, items: itemSchema }, required: shape.required, ask: { ...single.ask, kind: 'checkboxes' } };
    }
    if (single.ask?.type === 'field') {
      // A form has no list of single values: each value becomes a row with one field, "wert".
      if (rows > 1) {
        this.report.unmapped(`anzahl ${el.cardinality} inside a repeatable group inside a repeatable group`, el, 'a form nests groups one level deep only: left out');
        return null;
      }
      cap();
      this.report.unmapped(`anzahl ${el.cardinality} (Datenfeld)`, el, 'a repeated single field becomes a repeatable group of rows with one field "wert"');
      const row = { type: 'object', additionalProperties: false, required: ['wert'], properties: { wert: { title, ...itemSchema } } };
      return {
        schema: { title, type: 'array', minItems: shape.minItems, maxItems: shape.maxItems, items: row }, required: shape.required,
        ask: { type: 'rows', label: el.label, ...(el.hint ? { hint: el.hint } : {}), item: { type: 'object', label: el.label, children: [{ key: 'wert', mapped: { schema: {}, required: true, ask: single.ask } }] } },
      };
    }
    cap();
    return {
      schema: { title, type: 'array', minItems: shape.minItems, maxItems: shape.maxItems, items: itemSchema }, required: shape.required,
      ask: single.ask ? { type: 'rows', label: el.label, ...(el.hint ? { hint: el.hint } : {}), item: single.ask } : null,
    };
  }

  /**
   * Whether a single group stays required, and what the form makes of an optional one. The form
   * checks a step with its groups present (src/forms/validate.ts withParents): an optional group's
   * required fields are asked as required, and a required group without a required field would
   * pass its step empty and then fail at submit. An empty object says nothing, so such a group is
   * not required.
   */
  private requiredValue(el: FimElement, single: Mapped, required: boolean): boolean {
    if (el.type !== 'group') return required;
    // An optional group with required fields is shown by a rule, or asked whether it applies (rules/apply.ts).
    const inner = (single.schema.required as string[] | undefined) ?? [];
    return required && inner.length > 0;
  }

  private label(el: FimElement, pointer: string, rows: number): Mapped | null {
    const inRow = rows > 0;
    const text = el.field?.content ?? el.hint ?? el.label;
    if (inRow) {
      this.report.unmapped('feldart label inside a repeated group', el, `a row has no place for static text: left out („${text}“)`);
      return null;
    }
    this.report.note({ kind: 'label', where: pointer.slice(0, pointer.lastIndexOf('/')), text: `label ${el.id} „${el.label}“: ${text} (taken as the introduction of the step)` });
    return { schema: {}, required: false, ask: null, intro: text };
  }

  private group(el: FimElement, pointer: string, rows: number): Mapped | null {
    const address = rows > 0 ? null : addressBlock(this.report, el, pointer);
    if (address) {
      ruleNotes(this.report, el.rules, pointer, address, `FIM ${this.report.where(el)}`);
      return { schema: address, required: false, ask: { type: 'field', kind: 'address', label: el.label, ...(el.hint ? { hint: el.hint } : {}) } };
    }
    const { schema, children } = this.object(el.children, pointer, rows);
    if (children.length === 0) {
      this.report.unmapped('empty Datenfeldgruppe', el, 'no element of the group could be mapped: left out');
      return null;
    }
    const full: Json = { title: el.label, ...(el.hint ? { description: el.hint } : {}), ...schema };
    ruleNotes(this.report, el.rules, pointer, full, `FIM ${this.report.where(el)}`);
    return { schema: full, required: false, ask: { type: 'object', label: el.label, ...(el.hint ? { hint: el.hint } : {}), children } };
  }

  private field(el: FimElement, pointer: string, rows: number): Mapped | null {
    const f = el.field as FimFieldInfo;
    const report = this.report;
    if (rows > 1 && f.datentyp === 'file') {
      report.unmapped('datentyp file inside a nested group', el, 'a row of a group inside a group\'s row holds no upload (docs/forms.md "Nested groups"): left out; ask for it in a step of its own');
      return null;
    }
    if (f.feldart === 'hidden') {
      report.unmapped('feldart hidden', el, 'a hidden field is filled by the system, not asked: left out; derive() in logic.ts can compute it');
      return null;
    }
    if (f.feldart === 'locked') report.unmapped('feldart locked', el, 'read-only fields are not supported: asked as a normal field');
    if (f.rawPraezisierung) report.unmapped('praezisierung', el, `not understood (${f.rawPraezisierung}): only minLength, maxLength, minValue, maxValue and pattern are read`);
    if (f.prefill) report.note({ kind: 'prefill', where: pointer, text: `${report.where(el)}: prefill "${f.prefill}" from the user account (vorbefuellung) is not connected` });
    const typed = f.feldart === 'select' ? choice(this.ctx, el, f, pointer) : input(this.ctx, el, f, pointer);
    if (!typed) return null;
    if (f.content && f.feldart !== 'select') report.note({ kind: 'default', where: pointer, text: `${report.where(el)}: the default value (inhalt) „${f.content}“ is not filled in` });
    const schema: Json = { title: el.label, ...(el.hint ? { description: el.hint } : {}), ...typed.schema };
    ruleNotes(report, el.rules, pointer, schema, `FIM ${report.where(el)}`);
    return { schema, required: false, ask: { type: 'field', kind: typed.kind, label: el.label, ...(el.hint ? { hint: el.hint } : {}) } };
  }
}
