/** One Datenfeld's value: its JSON Schema and the field kind that asks it, from feldart and datentyp. */
import type { CodeLists } from '../../../codelists/genericode.js';
import { isUrn, type InstalledList } from '../export.js';
import type { FimReport } from '../report.js';
import { patternSchema } from '../rules/pattern.js';
import type { FimElement, FimFieldInfo, Json } from '../tree.js';

/** What mapping a field needs besides the field: where to report, the project's code lists, the XDatenfelder version. */
export interface FieldContext {
  report: FimReport;
  /** The project's code lists and the export's. */
  codeLists: CodeLists;
  version: '2' | '3';
  /** The lists the export ships, where they are (or go) in the project. */
  installed?: InstalledList[];
  /** URN and version ("urn\0version") of every list a field uses. */
  used?: Set<string>;
}

export type TypedField = { schema: Json; kind: string };

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

/** A select (feldart select): its values, a code list of the project, or free text when neither can be had. */
export function choice(ctx: FieldContext, el: FimElement, f: FimFieldInfo, pointer: string): TypedField | null {
  const { report } = ctx;
  if (f.values.length > 0) {
    return { schema: { type: 'string', oneOf: f.values.map((v) => ({ const: v.code, title: v.name })) }, kind: choiceKind(f.values.length) };
  }
  const ref = f.codeList;
  if (!ref || (!ref.urn && !ref.versionUri)) {
    report.unmapped('feldart select without values', el, 'neither a value list nor a code list reference: asked as free text');
    return { schema: { type: 'string', minLength: 1, maxLength: 200 }, kind: 'text' };
  }
  const urn = ref.urn ?? '';
  const version = ref.version ?? '';
  const list = urn && version ? ctx.codeLists.get(urn)?.get(version) : undefined;
  if (list) {
    const shipped = ctx.installed?.find((i) => i.urn === urn && i.version === version);
    ctx.used?.add(`${urn}\u0000${version}`);
    const where = shipped ? `${shipped.file}${shipped.written ? `, installed from the export's ${shipped.entry}` : ' (already in the project)'}` : `codelists/${list.file.split('/').pop() ?? ''}`;
    const local = isUrn(urn) ? '' : ` (a list of this export only: „${urn}“ is no URN, so it is not published in a repository)`;
    report.note({ kind: 'codelist', where: pointer, text: `code list ${urn} version ${version}${ref.id ? ` (FIM ${ref.id})` : ''}: ${where}${local}, ${list.rows.length} option${list.rows.length === 1 ? '' : 's'}` });
    return { schema: { type: 'string', 'x-codelist': { urn, version } }, kind: choiceKind(list.rows.length) };
  }
  const known = urn ? [...(ctx.codeLists.get(urn)?.keys() ?? [])] : [];
  const name = `${urn || ref.versionUri}${version ? ` version ${version}` : ''}`;
  const there = known.length > 0 ? ` (there: versions ${known.join(', ')})` : '';
  const fetch = urn && isUrn(urn) && !/^urn:de:fim:/i.test(urn)
    ? `download it (Genericode) from the XRepository (${urn}), put it in codelists/`
    : 'it is a list of the FIM editor who made the export, not published in a repository: ask for its Genericode file, put it in codelists/';
  report.unmapped('codelisteReferenz', el, `code list ${name}${ref.id ? ` (FIM ${ref.id})` : ''} is neither in the export nor under codelists/${there}: ${fetch} and replace this text field by "x-codelist": { "urn": "${urn}", "version": "${version}" }`);
  report.note({ kind: 'codelist', where: pointer, text: `code list ${name} is missing: a text field until then` });
  return { schema: { type: 'string', minLength: 1, maxLength: 200 }, kind: 'text' };
}

/** One option is a box to tick (a consent: the applicant confirms it); radio buttons while the options are few enough to read at a glance, a select box above. */
export function choiceKind(options: number): 'checkbox' | 'radios' | 'select' {
  if (options === 1) return 'checkbox';
  return options <= RADIOS_UP_TO ? 'radios' : 'select';
}

/** E-mail addresses and phone numbers get their input types (keyboard, autofill); long texts a text area. */
function textKind(el: FimElement, f: FimFieldInfo): string {
  const label = `${el.name} ${el.label}`;
  if (/\b(?:E-?Mail|De-Mail)/i.test(label)) return 'email';
  if (/\b(?:Telefon|Telefax|Fax|Mobil(?:funk|telefon)?)(?:nummer)?\b/i.test(label)) return 'tel';
  return f.maxLength !== undefined && f.maxLength > TEXTAREA_FROM ? 'textarea' : 'text';
}

/** Any other input, by datentyp; what has no field kind of its own becomes text with a pattern, or is left out. */
export function input(ctx: FieldContext, el: FimElement, f: FimFieldInfo, pointer: string): TypedField | null {
  const { report } = ctx;
  const length: Json = {
    ...(f.minLength !== undefined && f.minLength > 0 ? { minLength: f.minLength } : {}),
    ...(f.maxLength !== undefined && f.maxLength > 0 ? { maxLength: f.maxLength } : {}),
    ...patternSchema(report, el, f.pattern),
  };
  const range = (what: string) => {
    if (f.minValue !== undefined || f.maxValue !== undefined) report.unmapped(`praezisierung minValue/maxValue (${f.datentyp})`, el, `${what}: the range ${f.minValue ?? ''}..${f.maxValue ?? ''} is not checked; add a rule in logic.ts`);
  };
  switch (f.datentyp) {
    case 'text':
    case 'text_latin':
      if (f.datentyp === 'text_latin') report.unmapped('datentyp text_latin', el, 'the DIN SPEC 91379 character set is not checked: a plain text field');
    {
      const kind = textKind(el, f);
      // What the phone field stores (digits in groups, src/forms/fields/normalise.ts): the examples then hold a number.
      const phone = kind === 'tel' && !('pattern' in length) ? { pattern: '^\\+?(?:[0-9] ?){5,14}[0-9]$' } : {};
      return { schema: { type: 'string', ...length, ...phone }, kind };
    }
    case 'date':
      range('a date');
      return { schema: { type: 'string', format: 'date' }, kind: 'date' };
    case 'time':
      report.unmapped('datentyp time', el, 'no time field kind: a text field for HH:MM');
      return { schema: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }, kind: 'text' };
    case 'datetime':
      report.unmapped('datentyp datetime', el, 'no date-time field kind: a text field for an ISO 8601 date-time (2024-05-01T10:30:00+02:00)');
      return { schema: { type: 'string', format: 'date-time' }, kind: 'text' };
    case 'bool':
      return { schema: { type: 'boolean' }, kind: 'yesno' };
    case 'num_int': {
      const min = f.minValue !== undefined && Number.isInteger(Number(f.minValue)) ? { minimum: Number(f.minValue) } : {};
      const max = f.maxValue !== undefined && Number.isInteger(Number(f.maxValue)) ? { maximum: Number(f.maxValue) } : {};
      return { schema: { type: 'integer', ...min, ...max }, kind: 'integer' };
    }
    case 'num':
      report.unmapped('datentyp num', el, 'no field kind for decimal numbers: a text field with a decimal pattern (the value arrives as a string, e.g. "12,5")');
      range('a decimal number');
      return { schema: { type: 'string', pattern: '^-?[0-9]{1,15}(,[0-9]{1,10})?$' }, kind: 'text' };
    case 'num_currency':
      report.unmapped('datentyp num_currency', el, 'no money field kind: a text field for euros with up to two decimals (the value arrives as a string, e.g. "1234,50")');
      range('an amount');
      return { schema: { type: 'string', pattern: '^-?[0-9]{1,13}(,[0-9]{1,2})?$' }, kind: 'text' };
    case 'file':
      return { schema: file(report, el, f, pointer), kind: 'file' };
    case 'obj':
      report.unmapped('datentyp obj', el, 'a binary object (Blob) is not a form answer: left out');
      return null;
    default:
      report.unmapped(`datentyp ${f.datentyp}`, el, 'unknown data type: left out');
      return null;
  }
}

/** An upload: the attachment reference the runtime stores, limited to media types it can recognise. */
function file(report: FimReport, el: FimElement, f: FimFieldInfo, pointer: string): Json {
  const accepted = f.mediaTypes.filter((t) => SNIFFABLE_MEDIA_TYPES.has(t));
  const refused = f.mediaTypes.filter((t) => !SNIFFABLE_MEDIA_TYPES.has(t));
  if (refused.length > 0) report.unmapped('mediaType', el, `${refused.join(', ')} cannot be recognised by content: not accepted`);
  if (f.mediaTypes.length === 0) report.note({ kind: 'default', where: pointer, text: `${report.where(el)}: no media types given, accepting ${DEFAULT_MEDIA_TYPES.join(', ')}` });
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
