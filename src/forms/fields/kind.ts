import type { LocalText } from '../../services/contract.js';
import type { PlaceIndex } from '../../places/places.js';
import type { Lang } from '../text.js';
import type { Condition, ConditionDefinition } from '../conditions.js';
import type { FileRef } from '../../attachments/references.js';
import type { IntakeResult } from '../../attachments/store.js';

export interface FormFieldDefinition {
  pointer: string;
  kind: string;
  label?: LocalText;
  hint?: LocalText;
  autocomplete?: string;
  width?: number;
  showIf?: ConditionDefinition;
  /** When the field applies, shown with it while JavaScript is off (needed for a condition on the same step). */
  conditionHint?: LocalText;
  /** Messages by keyword or group ("required", "format", "range", "length", "enum"), see forms/messages.ts. */
  errors?: Record<string, LocalText>;
  /** How messages name the field, German in the accusative ("Ihren Vornamen" / "your first name"). */
  inMessages?: LocalText;
  /** kind "date": "past" refuses a day after today (a date of birth), "future" one before today. */
  timing?: 'past' | 'future';
  /** Per option value: when the option is offered (a condition, typically over params.*); others are not shown and refused. */
  optionShowIf?: Record<string, ConditionDefinition>;
  /** Each option shows the service's fee for that choice. */
  optionFee?: boolean;
  /**
   * Required whenever the field is asked, though the schema cannot say so (it is required only for
   * some answers, e.g. by a rule of the service's logic): the label then never says "optional" and
   * an empty answer is refused on its own step.
   */
  required?: boolean;
  /** Option labels by value; the schema's `title` stays the default (it has no English). */
  options?: Record<string, LocalText>;
  /** kind "group": the fields of one row, their pointers relative to the array's item. */
  fields?: FormFieldDefinition[];
  /** kind "group": what one row is called, numbered on every page ("Hund 2"). */
  itemLabel?: LocalText;
  /** kind "group": the button that adds a row; default ui.addRow. */
  addLabel?: LocalText;
  /** kind "group": the same button while there is no row yet; default "<itemLabel> hinzufügen". */
  addFirstLabel?: LocalText;
  /** kind "group": the row field (pointer relative to the item) whose answer names a row, "Hund 1: Bello". */
  titleField?: string;
  /** Order of a choice's options: by label (default for a code list) or as listed (default for oneOf). */
  sort?: 'label' | 'list';
}

export interface Option {
  value: string;
  label: LocalText;
}

/** A form field resolved against the service schema at load time. */
export interface FormField {
  def: FormFieldDefinition;
  pointer: string;
  /** Name of the form control(s): the pointer with dots, e.g. "betrieb.name". */
  name: string;
  /** HTML id of the first control; error summary links point here. */
  id: string;
  label: LocalText;
  hint?: LocalText;
  schema: Record<string, unknown>;
  required: boolean;
  options: Option[];
  /** Compiled `optionShowIf` by option value (forms/options.ts); an option without one is always offered. */
  optionShowIf?: ReadonlyMap<string, Condition>;
  kind: FieldKind;
  /** The compiled condition; the field is asked and kept only while it holds. */
  showIf?: Condition;
  /**
   * Fields earlier on the same step (or, in a group, the same row) that the condition reads: the
   * browser re-evaluates when they change and sets each control's answer at `var` in the data
   * (answers.<name>, or row.<path> for a row's field).
   */
  controls: Array<{ name: string; var: string; type: 'string' | 'number' | 'yesno' }>;
  conditionHint?: LocalText;
  /** Set on a group (kind "group"): its rows' fields and bounds. */
  group?: GroupSpec;
  /** Set on a field bound to one row of a group (see fields/group.ts bindRow). */
  row?: RowRef;
}

export interface GroupSpec {
  /** The fields of one row; pointer, name and id relative to the item (e.g. "/name"). */
  items: FormField[];
  itemLabel: LocalText;
  addLabel?: LocalText;
  addFirstLabel?: LocalText;
  /** The item field whose answer names a row; default the first text field. */
  titleField?: string;
  /** From the schema's minItems / maxItems. */
  minItems: number;
  maxItems: number;
}

export interface RowRef {
  group: FormField;
  /** 0-based position in the array; the applicant sees index + 1. */
  index: number;
}

export type Body = Record<string, string | undefined>;

export interface ParseContext {
  places: PlaceIndex;
  /** The page's language: how a number is read where its marks are ambiguous ("1.850"); German when absent. */
  lang?: Lang;
  /** Today (YYYY-MM-DD, Europe/Berlin), for dates that must lie behind or ahead (`timing`). */
  today?: string;
  /** Files of a multipart post (file fields only; absent on urlencoded posts). */
  files?: StepFiles;
}

/** What the file kind needs to know about the draft's files and this post's uploads. */
export interface StepFiles {
  /** The draft's stored files by id: only these may be kept by id. */
  stored: ReadonlyMap<string, FileRef>;
  /** This post's uploads by control name, in order: stored, or refused with nothing stored. */
  uploaded: ReadonlyMap<string, readonly IntakeResult[]>;
}

export interface ParseResult {
  /** The typed value; undefined when the applicant left the field empty. */
  value: unknown;
  /** What the applicant typed, to show it again next to an error. */
  raw: Record<string, string>;
  /** A problem found while reading the input, before schema validation. */
  error?: { code: string; message: LocalText; /** Sub-field pointer for composite kinds. */ pointer?: string };
  /** Kind-specific view data (e.g. municipalities to choose from). */
  extra?: Record<string, unknown>;
}

export interface FieldView {
  partial: string;
  /** The control uploads files: its form must be sent as multipart/form-data. */
  multipart?: boolean;
  [key: string]: unknown;
}

/** How one kind of field parses, renders and summarises: all in one place (see fields/index.ts). */
export interface FieldKind {
  readonly name: string;
  /** Which JSON Schema types the kind can fill. */
  readonly accepts: ReadonlyArray<'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array'>;
  parse(field: FormField, body: Body, ctx: ParseContext): ParseResult;
  view(field: FormField, value: unknown, parsed: ParseResult | undefined, lang: Lang, errors: Map<string, string>): FieldView;
  summary(field: FormField, value: unknown, lang: Lang): string;
  /** Label of a composite kind's part (e.g. an address's postcode) for messages about that part. */
  partLabel?(part: string): LocalText | undefined;
  /** The part as messages name it (German accusative with its article: "die Postleitzahl"). */
  partPhrase?(part: string): LocalText | undefined;
  /**
   * id of the control that a message about the whole field leads to, when the field's own id is
   * not a control (an address is a fieldset of parts): the error summary links there.
   */
  anchor?(field: FormField): string;
  /**
   * Parts the kind fills from another part (an address's ARS from its postcode), by name: they have
   * no control of their own, so a schema message about one is a consequence of the part it comes
   * from. It is dropped when the field already has a message, else given in `message` at `from`.
   */
  derivedParts?: Readonly<Record<string, { from: string; message: LocalText }>>;
  /** Checks the schema value at load time beyond its type; returns the problem, if any. */
  checkSchema?(schema: Record<string, unknown>): string | undefined;
}

export function str(body: Body, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v.trim() : '';
}
