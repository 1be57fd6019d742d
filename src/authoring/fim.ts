/**
 * `efa import-fim`: a FIM XDatenfelder data specification becomes a first draft of a service's
 * JSON Schema (services/<id>/schema.json) and form (forms/<id>.form.json).
 *
 * The XML is read by the maintained parser xdatenfelder-xml (EUPL-1.2), never by hand: version 2
 * Stammdatenschema messages (xdatenfelder.stammdatenschema.0102) and version 3 Datenfeldgruppe
 * messages (xdatenfelder.datenfeldgruppe.0103). Both are first turned into one small
 * version-independent tree (FimElement), which the mapping below walks. Whatever the runtime cannot
 * express is listed in `unsupported` (construct, where, why), FIM rules and other hints for the
 * author in `notes` (and as `$comment` in the schema): nothing is dropped without a word.
 */
import { readFileSync } from 'node:fs';
import { DataGroupMessage3, v2 } from 'xdatenfelder-xml/dist/index.js';
import type { DataField as DataField3, DataGroup as DataGroup3, Rule as Rule3 } from 'xdatenfelder-xml/dist/v3/schema.js';
import { loadCodeLists, type CodeLists } from '../codelists/genericode.js';
import { EfaError } from '../core/errors.js';
import { translateXsdPattern } from '../core/patterns.js';

/** The file is not an XDatenfelder message this importer reads, or the parser refused it. */
export class FimImportError extends EfaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EFA_FIM_INVALID', message, 400, options);
  }
}

/** A FIM construct the runtime cannot express (or only approximately); `where` names the element. */
export interface Unsupported {
  construct: string;
  where: string;
  detail?: string;
}

/** Something the author has to act on that is not an error: a rule to implement, a prefill, a code list. */
export interface FimNote {
  kind: 'source' | 'rule' | 'codelist' | 'prefill' | 'default' | 'label';
  /** JSON Pointer into schema.json ("" = the whole schema). */
  where: string;
  text: string;
  /** A rule's script, as FIM gives it (not run by the runtime). */
  script?: string;
}

export interface FimImport {
  schema: Record<string, unknown>;
  form: Record<string, unknown>;
  unsupported: Unsupported[];
  notes: FimNote[];
  /** The service id the schema's $id and the form use. */
  serviceId: string;
  /** What was read: XDatenfelder version, message type, id and version of the root element. */
  source: { xdatenfelder: '2' | '3'; message: string; id: string; version: string; name: string };
}

export interface FimImportOptions {
  /** Service id (folder and URL name); default: made from the root element's label. */
  serviceId?: string;
  /** Project root whose codelists/ are matched against FIM code list references; without it every reference needs a download. */
  root?: string;
  /** Code lists already loaded (instead of `root`). */
  codeLists?: CodeLists;
}

/** A repeated element without an upper bound (1:n) gets this many rows at most: forms need a bound. */
export const UNBOUNDED_MAX_ITEMS = 20;
/** A text longer than this is asked in a multi-line text area. */
const TEXTAREA_FROM = 200;
/** A choice of up to this many values is shown as radio buttons, more as a select box. */
const RADIOS_UP_TO = 6;
const DEFAULT_FILE_MAX_BYTES = 10 * 1024 * 1024;
/** Media types the upload check can recognise by content (src/attachments: file-type); others cannot be accepted. */
const SNIFFABLE_MEDIA_TYPES = new Set([
  'application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'image/gif', 'image/webp', 'image/heic',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
  'application/zip', 'application/xml',
]);
const DEFAULT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];

// ---------------------------------------------------------------------------------------------
// Cardinality
// ---------------------------------------------------------------------------------------------

/** A FIM `anzahl` ("min:max"); `max` null means unbounded ("n" or "*"). */
export interface Cardinality {
  min: number;
  max: number | null;
}

export function parseCardinality(value: string): Cardinality {
  const m = /^\s*(\d+)\s*:\s*(\d+|\*|n|N)\s*$/.exec(value);
  if (!m) throw new FimImportError(`cardinality "${value}" is not "min:max" (e.g. 0:1, 1:1, 1:n, 2:5)`);
  const min = Number(m[1]);
  const max = /^\d+$/.test(m[2] as string) ? Number(m[2]) : null;
  if (max !== null && max < min) throw new FimImportError(`cardinality "${value}": the maximum is below the minimum`);
  return { min, max };
}

/** How a cardinality shapes the JSON Schema: a required or optional value, or an array with bounds. */
export type CardinalityShape =
  | { type: 'absent' }
  | { type: 'value'; required: boolean }
  | { type: 'array'; required: boolean; minItems: number; maxItems: number; capped: boolean };

export function cardinalityShape(c: Cardinality): CardinalityShape {
  if (c.max === 0) return { type: 'absent' };
  if (c.max === 1) return { type: 'value', required: c.min >= 1 };
  const capped = c.max === null;
  const maxItems = c.max ?? Math.max(UNBOUNDED_MAX_ITEMS, c.min);
  return { type: 'array', required: c.min >= 1, minItems: c.min, maxItems, capped };
}

// ---------------------------------------------------------------------------------------------
// The version-independent tree
// ---------------------------------------------------------------------------------------------

interface FimRule {
  id: string;
  version?: string;
  name: string;
  text?: string;
  script?: string;
}

interface FimFieldInfo {
  feldart: string;
  datentyp: string;
  minLength?: number;
  maxLength?: number;
  minValue?: string;
  maxValue?: string;
  pattern?: string;
  /** v2 praezisierung that is not the JSON object FIM prescribes, kept to be reported. */
  rawPraezisierung?: string;
  values: Array<{ code: string; name: string }>;
  codeList?: { urn?: string; version?: string; versionUri?: string };
  mediaTypes: string[];
  /** v3 maxSize, in kilobytes. */
  maxSizeKb?: number;
  content?: string;
  prefill?: string;
}

interface FimElement {
  type: 'group' | 'field';
  id: string;
  version?: string;
  name: string;
  label: string;
  hint?: string;
  cardinality: string;
  rules: FimRule[];
  children: FimElement[];
  field?: FimFieldInfo;
}

interface FimTree {
  source: FimImport['source'];
  label: string;
  description?: string;
  hint?: string;
  rules: FimRule[];
  children: FimElement[];
}

const NS_V2 = 'urn:xoev-de:fim:standard:xdatenfelder_2';
const NS_V3 = 'urn:xoev-de:fim:standard:xdatenfelder_3.0.0';

/** Which message this is, from the root element's name and namespace; the parser does the reading. */
function messageType(xml: string): { version: '2' | '3'; message: string } {
  const root = /<(?:[A-Za-z_][\w.-]*:)?(xdatenfelder\.[A-Za-z]+\.\d{4})[\s>/]/.exec(xml);
  if (!root) throw new FimImportError('not an XDatenfelder message: no root element xdatenfelder.<message>.<number>');
  const message = root[1] as string;
  const version = xml.includes(NS_V3) ? '3' : xml.includes(NS_V2) ? '2' : undefined;
  if (!version) throw new FimImportError(`${message}: neither the XDatenfelder 2 namespace (${NS_V2}) nor the 3.0.0 namespace (${NS_V3})`);
  return { version, message };
}

function readTree(xml: string): FimTree {
  const { version, message } = messageType(xml);
  try {
    if (version === '2' && message === 'xdatenfelder.stammdatenschema.0102') return treeV2(v2.SchemaMessage.fromString(xml).message.schemaContainer);
    if (version === '3' && message === 'xdatenfelder.datenfeldgruppe.0103') return treeV3Group(DataGroupMessage3.fromString(xml));
  } catch (err) {
    throw new FimImportError(`XDatenfelder ${version} ${message}: the parser (xdatenfelder-xml) refused it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (version === '3' && message === 'xdatenfelder.stammdatenschema.0102') {
    // xdatenfelder-xml 0.1.4's SchemaMessage3.fromString returns fixed placeholder data: importing it would invent a service.
    throw new FimImportError('XDatenfelder 3 Stammdatenschema (xdatenfelder.stammdatenschema.0102): the parser xdatenfelder-xml 0.1.4 cannot read these yet; export the schema\'s root Datenfeldgruppe as an xdatenfelder.datenfeldgruppe.0103 message, or the schema in XDatenfelder 2');
  }
  throw new FimImportError(`XDatenfelder ${version} ${message}: not a message this importer reads (XDatenfelder 2 xdatenfelder.stammdatenschema.0102, XDatenfelder 3 xdatenfelder.datenfeldgruppe.0103)`);
}

const blank = (s: string | undefined): string | undefined => {
  const v = s?.replace(/\s+/g, ' ').trim();
  return v ? v : undefined;
};

type V2Container = v2.SchemaContainer;

/** A rule an element names but the file does not define: still a note, so the author looks it up. */
function missingRule(identifier: string): FimRule {
  const [id, version] = identifier.split(':');
  return { id: id ?? identifier, version, name: 'not defined in this file', text: 'look it up in the FIM repository' };
}

function anzahlV2(a: v2.Anzahl): string {
  return a.type === 'value' ? (a.optional ? '0:1' : '1:1') : `${a.minSize}:${a.maxSize ?? '*'}`;
}

function rulesV2(container: V2Container, ids: string[]): FimRule[] {
  return ids.map((id) => {
    if (!container.regeln.has(id)) return missingRule(id);
    const r = container.regeln.get(id);
    return { id: r.id, version: r.version, name: r.name, text: blank(r.definition) ?? blank(r.beschreibung), script: blank(r.script) };
  });
}

/** v2 praezisierung is a JSON object as text, e.g. {"minLength":"1","maxLength":"120"}. */
function praezisierungV2(value: string | undefined): Partial<FimFieldInfo> {
  const raw = blank(value);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { rawPraezisierung: raw };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { rawPraezisierung: raw };
  const p = parsed as Record<string, unknown>;
  const num = (v: unknown) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === '' ? undefined : String(v));
  const known = new Set(['minLength', 'maxLength', 'minValue', 'maxValue', 'pattern']);
  const rest = Object.keys(p).filter((k) => !known.has(k));
  return {
    minLength: num(p.minLength), maxLength: num(p.maxLength), minValue: str(p.minValue), maxValue: str(p.maxValue), pattern: str(p.pattern),
    ...(rest.length > 0 ? { rawPraezisierung: raw } : {}),
  };
}

function elementV2(container: V2Container, ref: v2.ElementReference, path: Set<string>): FimElement {
  const cardinality = anzahlV2(ref.anzahl);
  if (path.has(ref.identifier)) throw new FimImportError(`${ref.identifier} contains itself`);
  if (ref.type === 'dataGroup') {
    const g = container.datenfeldgruppen.get(ref.identifier);
    const inner = new Set(path).add(ref.identifier);
    return {
      type: 'group', id: g.id, version: g.version, name: g.name, label: blank(g.bezeichnungEingabe) ?? g.name, hint: blank(g.hilfetextEingabe), cardinality,
      rules: rulesV2(container, g.regeln), children: g.elemente.map((e) => elementV2(container, e, inner)),
    };
  }
  const f = container.datenfelder.get(ref.identifier);
  const list = f.codelisteReferenz;
  return {
    type: 'field', id: f.id, version: f.version, name: f.name, label: blank(f.bezeichnungEingabe) ?? f.name, hint: blank(f.hilfetextEingabe), cardinality,
    rules: rulesV2(container, f.regeln), children: [],
    field: {
      feldart: f.feldart, datentyp: f.datentyp, ...praezisierungV2(f.praezisierung), values: [], mediaTypes: [], content: blank(f.inhalt),
      ...(list ? { codeList: { urn: blank(list.genericode.canonicalIdentification), version: blank(list.genericode.version), versionUri: blank(list.genericode.canonicalVersionUri) } } : {}),
    },
  };
}

function treeV2(container: V2Container): FimTree {
  const s = container.schema;
  return {
    source: { xdatenfelder: '2', message: 'xdatenfelder.stammdatenschema.0102', id: s.id, version: s.version ?? '', name: s.name },
    label: blank(s.bezeichnungEingabe) ?? s.name, description: blank(s.beschreibung), hint: blank(s.hilfetext),
    rules: rulesV2(container, s.regeln), children: s.elemente.map((e) => elementV2(container, e, new Set())),
  };
}

type V3Message = DataGroupMessage3;

function rulesV3(msg: V3Message, ids: string[]): FimRule[] {
  return ids.map((id) => {
    if (!msg.rules.has(id)) return missingRule(id);
    const r: Rule3 = msg.rules.get(id);
    return { id: r.id, version: r.version, name: r.name, text: blank(r.freeFormDefinition) ?? blank(r.description), script: blank(r.script) };
  });
}

function fieldInfoV3(f: DataField3): FimFieldInfo {
  const c = f.constraints;
  const ref = f.codeListReference;
  const maxSize = (f as DataField3 & { maxSize?: number }).maxSize;
  return {
    feldart: f.inputType, datentyp: f.dataType, minLength: c.minLength, maxLength: c.maxLength, minValue: blank(c.minValue), maxValue: blank(c.maxValue), pattern: blank(c.pattern),
    values: f.values.map((v) => ({ code: v.code, name: v.name })), mediaTypes: f.mediaTypes, content: blank(f.content),
    ...(maxSize !== undefined ? { maxSizeKb: maxSize } : {}),
    ...(f.fillType !== 'keine' ? { prefill: f.fillType } : {}),
    ...(ref ? { codeList: { urn: blank(ref.canonicalIdentification), version: blank(ref.version), versionUri: blank(ref.canonicalVersionUri) } } : {}),
  };
}

function elementV3(msg: V3Message, type: 'dataGroup' | 'dataField', identifier: string, cardinality: string, path: Set<string>): FimElement {
  if (path.has(identifier)) throw new FimImportError(`${identifier} contains itself`);
  if (type === 'dataGroup') {
    const g: DataGroup3 = msg.dataGroups.get(identifier);
    const inner = new Set(path).add(identifier);
    return {
      type: 'group', id: g.id, version: g.version, name: g.name, label: blank(g.inputLabel) ?? g.name, hint: blank(g.inputHelp), cardinality,
      rules: rulesV3(msg, g.rules), children: g.children.map((c) => elementV3(msg, c.type, c.identifier, c.cardinality, inner)),
    };
  }
  const f: DataField3 = msg.dataFields.get(identifier);
  return {
    type: 'field', id: f.id, version: f.version, name: f.name, label: blank(f.inputLabel) ?? f.name, hint: blank(f.inputHelp), cardinality,
    rules: rulesV3(msg, f.rules), children: [], field: fieldInfoV3(f),
  };
}

function treeV3Group(msg: V3Message): FimTree {
  const root = msg.dataGroups.get(msg.rootDataGroup);
  return {
    source: { xdatenfelder: '3', message: 'xdatenfelder.datenfeldgruppe.0103', id: root.id, version: root.version, name: root.name },
    label: blank(root.inputLabel) ?? root.name, description: blank(root.description), hint: blank(root.inputHelp),
    rules: rulesV3(msg, root.rules), children: root.children.map((c) => elementV3(msg, c.type, c.identifier, c.cardinality, new Set([msg.rootDataGroup]))),
  };
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const TRANSLIT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };

function words(label: string): string[] {
  const ascii = label.replace(/[äöüÄÖÜß]/g, (c) => TRANSLIT[c] ?? c).normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

/** "Natürliche Person" → "natuerlichePerson": a property name as the shipped services write them. */
export function propertyName(label: string): string {
  const parts = words(label).slice(0, 5);
  let name = parts.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
  if (!name) name = 'feld';
  if (/^[0-9]/.test(name)) name = `f${name}`;
  return name.slice(0, 40);
}

/** "Natürliche Person" → "natuerliche-person": a service or step id. */
export function slug(label: string, max = 40): string {
  let id = words(label).map((w) => w.toLowerCase()).join('-').slice(0, max).replace(/-+$/, '');
  if (!/^[a-z]/.test(id)) id = `s-${id}`.replace(/-+$/, '');
  return id.length >= 2 ? id : 'fim-import';
}

function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}${i}`;
  taken.add(candidate);
  return candidate;
}

const pointerOf = (parent: string, key: string) => `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type Text = { de: string };
const de = (s: string): Text => ({ de: s });

/** A form field as forms/<id>.form.json writes it. */
interface FormFieldDraft {
  pointer: string;
  kind: string;
  label: Text;
  hint?: Text;
  fields?: FormFieldDraft[];
  itemLabel?: Text;
}

/** What one element became: its schema, and how the form asks it (null: not asked). */
interface Mapped {
  schema: Json;
  required: boolean;
  ask: Ask | null;
  /** A FIM label (feldart label): static text for the step's introduction, no value. */
  intro?: string;
}

type Ask =
  | { type: 'field'; kind: string; label: string; hint?: string }
  | { type: 'object'; label: string; hint?: string; children: Array<{ key: string; mapped: Mapped }> }
  | { type: 'rows'; label: string; hint?: string; item: Ask };

class Mapper {
  readonly unsupported: Unsupported[] = [];
  readonly notes: FimNote[] = [];

  constructor(private readonly codeLists: CodeLists, private readonly version: '2' | '3') {}

  where(el: FimElement): string {
    return `${el.type === 'group' ? 'Datenfeldgruppe' : 'Datenfeld'} ${el.id}${el.version ? ` v${el.version}` : ''} „${el.label}“`;
  }

  report(construct: string, el: FimElement, detail?: string): void {
    this.unsupported.push({ construct, where: this.where(el), ...(detail ? { detail } : {}) });
  }

  /** Rules stay with the element as `$comment` and in the notes: FIM states them in prose or script, the logic must implement them. */
  rules(rules: FimRule[], pointer: string, schema: Json, provenance: string): void {
    const lines = [provenance];
    for (const r of rules) {
      const name = `FIM rule ${r.id}${r.version ? ` v${r.version}` : ''} „${r.name}“`;
      lines.push(`${name}${r.text ? `: ${r.text}` : ''}`);
      this.notes.push({ kind: 'rule', where: pointer, text: `${name}${r.text ? `: ${r.text}` : ''} (implement it in logic.ts rules())`, ...(r.script ? { script: r.script } : {}) });
    }
    schema.$comment = lines.join('\n');
  }

  /** The children of a group (or of the root) as properties of one object. */
  object(children: FimElement[], pointer: string, inRow: boolean): { schema: Json; children: Array<{ key: string; mapped: Mapped }> } {
    const taken = new Set<string>();
    const properties: Json = {};
    const required: string[] = [];
    const asked: Array<{ key: string; mapped: Mapped }> = [];
    for (const child of children) {
      const key = unique(propertyName(child.label), taken);
      const mapped = this.element(child, pointerOf(pointer, key), inRow);
      if (!mapped) continue;
      asked.push({ key, mapped });
      if (mapped.intro !== undefined) continue;
      properties[key] = mapped.schema;
      if (mapped.required) required.push(key);
    }
    return { schema: { type: 'object', additionalProperties: false, ...(required.length > 0 ? { required } : {}), properties }, children: asked };
  }

  element(el: FimElement, pointer: string, inRow: boolean): Mapped | null {
    let card: Cardinality;
    try {
      card = parseCardinality(el.cardinality);
    } catch (err) {
      this.report('anzahl', el, `${(err as Error).message}; read as 0:1`);
      card = { min: 0, max: 1 };
    }
    const shape = cardinalityShape(card);
    if (shape.type === 'absent') {
      this.report('anzahl 0:0', el, 'the element may not occur at all: left out');
      return null;
    }
    if (el.type === 'field' && el.field?.feldart === 'label') return this.label(el, pointer, inRow);
    const single = el.type === 'group' ? this.group(el, pointer, inRow || shape.type === 'array') : this.field(el, pointer);
    if (!single) return null;
    if (shape.type === 'value') return { ...single, required: this.requiredValue(el, single, shape.required) };
    const cap = () => {
      if (shape.capped) this.report(`anzahl ${el.cardinality}`, el, `no upper bound: a form needs one, maxItems is ${shape.maxItems}; change it in schema.json if more are needed`);
    };
    if (inRow && single.ask?.type !== 'field') {
      this.report(`anzahl ${el.cardinality} inside a repeated group`, el, 'a repeatable group inside a repeatable group cannot be asked (a row holds no group): left out');
      return null;
    }
    const { title, ...itemSchema } = single.schema;
    if (single.ask?.type === 'field' && single.ask.kind === 'file') {
      cap();
      return { schema: { title, type: 'array', minItems: shape.minItems, maxItems: shape.maxItems, items: itemSchema }, required: shape.required, ask: single.ask };
    }
    if (single.ask?.type === 'field') {
      // A form has no list of single values: each value becomes a row with one field, "wert".
      if (inRow) {
        this.report(`anzahl ${el.cardinality} inside a repeated group`, el, 'a repeated field inside a repeatable group cannot be asked (a row holds no group): left out');
        return null;
      }
      cap();
      this.report(`anzahl ${el.cardinality} (Datenfeld)`, el, 'a repeated single field becomes a repeatable group of rows with one field "wert"');
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
  requiredValue(el: FimElement, single: Mapped, required: boolean): boolean {
    if (el.type !== 'group') return required;
    const inner = (single.schema.required as string[] | undefined) ?? [];
    if (!required && inner.length > 0) {
      this.report(`anzahl ${el.cardinality} (Datenfeldgruppe)`, el, `an optional group with required fields (${inner.join(', ')}): the form asks them as required; if the group may be left out, ask first whether it applies and give its step a showIf, or make the fields optional`);
    }
    return required && inner.length > 0;
  }

  label(el: FimElement, pointer: string, inRow: boolean): Mapped | null {
    const text = el.field?.content ?? el.hint ?? el.label;
    if (inRow) {
      this.report('feldart label inside a repeated group', el, `a row has no place for static text: left out („${text}“)`);
      return null;
    }
    this.notes.push({ kind: 'label', where: pointer.slice(0, pointer.lastIndexOf('/')), text: `label ${el.id} „${el.label}“: ${text} (taken as the introduction of the step)` });
    return { schema: {}, required: false, ask: null, intro: text };
  }

  group(el: FimElement, pointer: string, inRow: boolean): Mapped | null {
    const { schema, children } = this.object(el.children, pointer, inRow);
    if (children.length === 0) {
      this.report('empty Datenfeldgruppe', el, 'no element of the group could be mapped: left out');
      return null;
    }
    const full: Json = { title: el.label, ...(el.hint ? { description: el.hint } : {}), ...schema };
    this.rules(el.rules, pointer, full, `FIM ${this.where(el)}`);
    return { schema: full, required: false, ask: { type: 'object', label: el.label, ...(el.hint ? { hint: el.hint } : {}), children } };
  }

  field(el: FimElement, pointer: string): Mapped | null {
    const f = el.field as FimFieldInfo;
    if (f.feldart === 'hidden') {
      this.report('feldart hidden', el, 'a hidden field is filled by the system, not asked: left out; derive() in logic.ts can compute it');
      return null;
    }
    if (f.feldart === 'locked') this.report('feldart locked', el, 'read-only fields are not supported: asked as a normal field');
    if (f.rawPraezisierung) this.report('praezisierung', el, `not understood (${f.rawPraezisierung}): only minLength, maxLength, minValue, maxValue and pattern are read`);
    if (f.prefill) this.notes.push({ kind: 'prefill', where: pointer, text: `${this.where(el)}: prefill "${f.prefill}" from the user account (vorbefuellung) is not connected` });
    const typed = f.feldart === 'select' ? this.choice(el, f, pointer) : this.input(el, f, pointer);
    if (!typed) return null;
    if (f.content && f.feldart !== 'select') this.notes.push({ kind: 'default', where: pointer, text: `${this.where(el)}: the default value (inhalt) „${f.content}“ is not filled in` });
    const schema: Json = { title: el.label, ...(el.hint ? { description: el.hint } : {}), ...typed.schema };
    this.rules(el.rules, pointer, schema, `FIM ${this.where(el)}`);
    return { schema, required: false, ask: { type: 'field', kind: typed.kind, label: el.label, ...(el.hint ? { hint: el.hint } : {}) } };
  }

  choice(el: FimElement, f: FimFieldInfo, pointer: string): { schema: Json; kind: string } | null {
    if (f.values.length > 0) {
      return { schema: { type: 'string', oneOf: f.values.map((v) => ({ const: v.code, title: v.name })) }, kind: f.values.length <= RADIOS_UP_TO ? 'radios' : 'select' };
    }
    const ref = f.codeList;
    if (this.version === '3' && !ref) {
      this.report('feldart select (XDatenfelder 3)', el, 'the parser xdatenfelder-xml 0.1.4 does not read <werte> or <codelisteReferenz> of XDatenfelder 3: asked as free text; add the options ("oneOf") or "x-codelist" to schema.json by hand');
      return { schema: { type: 'string', minLength: 1, maxLength: 200 }, kind: 'text' };
    }
    if (!ref || (!ref.urn && !ref.versionUri)) {
      this.report('feldart select without values', el, 'neither a value list nor a code list reference: asked as free text');
      return { schema: { type: 'string', minLength: 1, maxLength: 200 }, kind: 'text' };
    }
    const urn = ref.urn ?? '';
    const version = ref.version ?? '';
    const list = urn && version ? this.codeLists.get(urn)?.get(version) : undefined;
    if (list) {
      this.notes.push({ kind: 'codelist', where: pointer, text: `code list ${urn} version ${version}: codelists/${list.file.split('/').pop() ?? ''} (x-codelist)` });
      return { schema: { type: 'string', 'x-codelist': { urn, version } }, kind: 'select' };
    }
    const known = urn ? [...(this.codeLists.get(urn)?.keys() ?? [])] : [];
    const name = `${urn || ref.versionUri}${version ? ` version ${version}` : ''}`;
    this.report('codelisteReferenz', el, `code list ${name} is not under codelists/${known.length > 0 ? ` (there: versions ${known.join(', ')})` : ''}: download it (Genericode) from https://www.xrepository.de/details/${urn || ref.versionUri}, put it in codelists/ and replace this text field by "x-codelist": { "urn": "${urn}", "version": "${version}" }`);
    this.notes.push({ kind: 'codelist', where: pointer, text: `code list ${name} is missing under codelists/: a text field until then` });
    return { schema: { type: 'string', minLength: 1, maxLength: 200 }, kind: 'text' };
  }

  input(el: FimElement, f: FimFieldInfo, pointer: string): { schema: Json; kind: string } | null {
    const length: Json = {
      ...(f.minLength !== undefined && f.minLength > 0 ? { minLength: f.minLength } : {}),
      ...(f.maxLength !== undefined && f.maxLength > 0 ? { maxLength: f.maxLength } : {}),
      ...this.pattern(el, f.pattern),
    };
    const range = (what: string) => {
      if (f.minValue !== undefined || f.maxValue !== undefined) this.report(`praezisierung minValue/maxValue (${f.datentyp})`, el, `${what}: the range ${f.minValue ?? ''}..${f.maxValue ?? ''} is not checked; add a rule in logic.ts`);
    };
    switch (f.datentyp) {
      case 'text':
      case 'text_latin':
        if (f.datentyp === 'text_latin') this.report('datentyp text_latin', el, 'the DIN SPEC 91379 character set is not checked: a plain text field');
        return { schema: { type: 'string', ...length }, kind: f.maxLength !== undefined && f.maxLength > TEXTAREA_FROM ? 'textarea' : 'text' };
      case 'date':
        range('a date');
        return { schema: { type: 'string', format: 'date' }, kind: 'date' };
      case 'time':
        this.report('datentyp time', el, 'no time field kind: a text field for HH:MM');
        return { schema: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }, kind: 'text' };
      case 'datetime':
        this.report('datentyp datetime', el, 'no date-time field kind: a text field for an ISO 8601 date-time (2024-05-01T10:30:00+02:00)');
        return { schema: { type: 'string', format: 'date-time' }, kind: 'text' };
      case 'bool':
        return { schema: { type: 'boolean' }, kind: 'yesno' };
      case 'num_int': {
        const min = f.minValue !== undefined && Number.isInteger(Number(f.minValue)) ? { minimum: Number(f.minValue) } : {};
        const max = f.maxValue !== undefined && Number.isInteger(Number(f.maxValue)) ? { maximum: Number(f.maxValue) } : {};
        return { schema: { type: 'integer', ...min, ...max }, kind: 'integer' };
      }
      case 'num':
        this.report('datentyp num', el, 'no field kind for decimal numbers: a text field with a decimal pattern (the value arrives as a string, e.g. "12,5")');
        range('a decimal number');
        return { schema: { type: 'string', pattern: '^-?[0-9]{1,15}(,[0-9]{1,10})?$' }, kind: 'text' };
      case 'num_currency':
        this.report('datentyp num_currency', el, 'no money field kind: a text field for euros with up to two decimals (the value arrives as a string, e.g. "1234,50")');
        range('an amount');
        return { schema: { type: 'string', pattern: '^-?[0-9]{1,13}(,[0-9]{1,2})?$' }, kind: 'text' };
      case 'file':
        return { schema: this.file(el, f, pointer), kind: 'file' };
      case 'obj':
        this.report('datentyp obj', el, 'a binary object (Blob) is not a form answer: left out');
        return null;
      default:
        this.report(`datentyp ${f.datentyp}`, el, 'unknown data type: left out');
        return null;
    }
  }

  /** FIM patterns are XML Schema regular expressions: translated (src/core/patterns.ts), or refused by name and left unchecked. */
  pattern(el: FimElement, pattern: string | undefined): Json {
    if (!pattern) return {};
    const translated = translateXsdPattern(pattern);
    if ('problem' in translated) {
      this.report('praezisierung pattern', el, `EFA_PATTERN_UNSUPPORTED: ${translated.problem}: not checked, write a pattern for this field in schema.json`);
      return {};
    }
    for (const note of translated.notes) this.report('praezisierung pattern', el, `"${pattern}": ${note}`);
    return { pattern: translated.pattern };
  }

  file(el: FimElement, f: FimFieldInfo, pointer: string): Json {
    const accepted = f.mediaTypes.filter((t) => SNIFFABLE_MEDIA_TYPES.has(t));
    const refused = f.mediaTypes.filter((t) => !SNIFFABLE_MEDIA_TYPES.has(t));
    if (refused.length > 0) this.report('mediaType', el, `${refused.join(', ')} cannot be recognised by content: not accepted`);
    if (f.mediaTypes.length === 0) this.notes.push({ kind: 'default', where: pointer, text: `${this.where(el)}: no media types given, accepting ${DEFAULT_MEDIA_TYPES.join(', ')}` });
    const types = accepted.length > 0 ? accepted : DEFAULT_MEDIA_TYPES;
    const maximum = f.maxSizeKb !== undefined && f.maxSizeKb > 0 ? f.maxSizeKb * 1024 : DEFAULT_FILE_MAX_BYTES;
    return {
      type: 'object', additionalProperties: false, required: ['id', 'filename', 'mediaType', 'size', 'sha512'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        filename: { type: 'string', minLength: 1, maxLength: 255 },
        mediaType: { enum: types },
        size: { type: 'integer', minimum: 1, maximum },
        sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' },
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The form draft
// ---------------------------------------------------------------------------------------------

interface StepDraft {
  id: string;
  title: Text;
  intro?: Text;
  fields: FormFieldDraft[];
}

function fieldDraft(pointer: string, ask: Extract<Ask, { type: 'field' }>): FormFieldDraft {
  return { pointer, kind: ask.kind, label: de(ask.label), ...(ask.hint ? { hint: de(ask.hint) } : {}) };
}

/** The fields of an object, flattened (nested groups' fields with deeper pointers); repeatable groups are returned apart. */
function flatten(children: Array<{ key: string; mapped: Mapped }>, pointer: string): { fields: FormFieldDraft[]; groups: Array<{ pointer: string; ask: Extract<Ask, { type: 'rows' }> }>; intro: string[] } {
  const fields: FormFieldDraft[] = [];
  const groups: Array<{ pointer: string; ask: Extract<Ask, { type: 'rows' }> }> = [];
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

function rowFields(item: Ask): FormFieldDraft[] {
  if (item.type === 'field') return [fieldDraft('/wert', item)];
  if (item.type === 'rows') return [];
  return flatten(item.children, '').fields;
}

function buildSteps(children: Array<{ key: string; mapped: Mapped }>): StepDraft[] {
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
  const groupStep = (g: { pointer: string; ask: Extract<Ask, { type: 'rows' }> }) => {
    const rows = rowFields(g.ask.item);
    push(g.ask.label, g.ask.label, [{
      pointer: g.pointer, kind: 'group', label: de(g.ask.label), ...(g.ask.hint ? { hint: de(g.ask.hint) } : {}), itemLabel: de(g.ask.item.label), fields: rows,
    }], []);
  };
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

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/** Maps one XDatenfelder message (the XML text) to a schema and a form draft; see docs/fim.md. */
export function importFim(xml: string, opts: FimImportOptions = {}): FimImport {
  const tree = readTree(xml);
  const serviceId = opts.serviceId ?? slug(tree.label, 40);
  if (!/^[a-z][a-z0-9-]{1,62}$/.test(serviceId)) throw new EfaError('EFA_USAGE', `service id "${serviceId}" must be 2-63 of a-z 0-9 - starting with a letter`);
  const mapper = new Mapper(opts.codeLists ?? (opts.root ? loadCodeLists(opts.root) : new Map()), tree.source.xdatenfelder);
  const { schema: body, children } = mapper.object(tree.children, '', false);
  const src = tree.source;
  const provenance = `Imported by efa import-fim from FIM XDatenfelder ${src.xdatenfelder} (${src.message}) ${src.id}${src.version ? ` v${src.version}` : ''} „${src.name}“: a draft to review.`;
  const schema: Json = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://efa-runtime.example/services/${serviceId}/1.0.0/schema.json`,
    title: tree.label,
    ...(tree.description ? { description: tree.description } : {}),
    ...body,
  };
  mapper.rules(tree.rules, '', schema, provenance);
  mapper.notes.unshift({ kind: 'source', where: '', text: provenance });
  if (children.length === 0) throw new FimImportError(`${src.id} „${src.name}“: no element could be mapped (${mapper.unsupported.map((u) => u.construct).join(', ') || 'it is empty'})`);
  const steps = buildSteps(children);
  if (steps.length === 0) throw new FimImportError(`${src.id} „${src.name}“: nothing to ask in a form`);
  const form: Json = {
    $schema: '../schemas/form.schema.json',
    service: serviceId,
    ...(tree.hint ?? tree.description ? { intro: de((tree.hint ?? tree.description) as string) } : {}),
    steps,
  };
  return { schema, form, unsupported: mapper.unsupported, notes: mapper.notes, serviceId, source: src };
}

/** Reads an XDatenfelder file and maps it (see importFim); code lists come from `opts.root`'s codelists/ when given. */
export function importFimFile(path: string, opts: FimImportOptions = {}): FimImport {
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FimImportError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  try {
    return importFim(xml, opts);
  } catch (err) {
    if (err instanceof FimImportError) throw new FimImportError(`${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The notes file written next to the schema (services/<id>/fim-import.md): what the import kept for the author. */
export function notesMarkdown(result: FimImport): string {
  const s = result.source;
  const lines = [
    `# FIM import: ${s.name}`,
    '',
    `Source: XDatenfelder ${s.xdatenfelder}, ${s.message}, ${s.id}${s.version ? ` version ${s.version}` : ''}. Written by \`efa import-fim\` (docs/fim.md); schema.json and forms/${result.serviceId}.form.json are a draft to review.`,
    '',
    '## Not mapped, or only approximately',
    '',
    ...(result.unsupported.length === 0 ? ['Nothing.'] : result.unsupported.map((u) => `- **${u.construct}** at ${u.where}${u.detail ? `: ${u.detail}` : ''}`)),
    '',
    '## Notes (rules to implement, code lists, prefill)',
    '',
    ...result.notes.filter((n) => n.kind !== 'source').map((n) => `- \`${n.where || '/'}\` (${n.kind}): ${n.text}${n.script ? `\n\n  \`\`\`\n  ${n.script.replace(/\n/g, '\n  ')}\n  \`\`\`` : ''}`),
    '',
  ];
  return lines.join('\n');
}
