import { cleanFileName } from '../../attachments/file-name.js';
import type { FileRef } from '../../attachments/references.js';
import type { FileRules, IntakeResult, Refusal } from '../../attachments/store.js';
import type { LocalText } from '../../services/contract.js';
import { t, type Lang } from '../text.js';
import type { Body, FieldKind, FormField, ParseResult } from './kind.js';

/** The properties of a file reference in the schema (see docs/forms.md, "File uploads"). */
const REF_PROPERTIES = ['id', 'filename', 'mediaType', 'size', 'sha512'];

export interface FieldFileRules extends FileRules {
  /** The schema value is an array of references (several files). */
  multiple: boolean;
  maxFiles: number;
}

/**
 * The limits of a file field, all read from the service's schema, so the schema stays the one
 * declaration the data is validated against at submit: `mediaType.enum` lists the accepted types,
 * `size.maximum` the bytes per file, and for several files `maxItems` the count.
 */
export function fileRulesOf(schema: Record<string, unknown>): FieldFileRules | string {
  const multiple = schema.type === 'array';
  const ref = (multiple ? schema.items : schema) as Record<string, unknown> | undefined;
  if (!ref || ref.type !== 'object') return multiple ? 'a file array needs "items" of type object (a file reference)' : 'a file field needs a schema object (a file reference)';
  const props = (ref.properties ?? {}) as Record<string, Record<string, unknown>>;
  const missing = REF_PROPERTIES.filter((p) => !props[p]);
  if (missing.length > 0) return `a file reference needs the properties ${REF_PROPERTIES.join(', ')} (missing: ${missing.join(', ')})`;
  const mediaTypes = props.mediaType?.enum;
  if (!Array.isArray(mediaTypes) || mediaTypes.length === 0 || !mediaTypes.every((m) => typeof m === 'string')) return 'mediaType needs an "enum" of the accepted media types, e.g. ["application/pdf"]';
  const maxBytes = props.size?.maximum;
  if (typeof maxBytes !== 'number' || maxBytes < 1) return 'size needs a "maximum" in bytes';
  const maxFiles = multiple ? schema.maxItems : 1;
  if (typeof maxFiles !== 'number' || maxFiles < 1) return 'an array of files needs "maxItems"';
  return { multiple, maxFiles, mediaTypes: mediaTypes as string[], maxBytes };
}

function rulesOf(field: FormField): FieldFileRules {
  const rules = fileRulesOf(field.schema);
  if (typeof rules === 'string') throw new Error(`file field ${field.pointer}: ${rules}`);
  return rules;
}

/** Form values for a repeated name arrive as an array, a single one as a string. */
function list(body: Body, name: string): string[] {
  const v = (body as Record<string, unknown>)[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' && v !== '' ? [v] : [];
}

function refsOf(value: unknown): FileRef[] {
  if (Array.isArray(value)) return value as FileRef[];
  return value && typeof value === 'object' ? [value as FileRef] : [];
}

/**
 * One or several uploaded files, without JavaScript: an <input type="file"> in a multipart form.
 * Files already stored stay by hidden inputs naming their ids (only ids of the draft's own files
 * count), a checkbox removes one, a new upload adds one (or replaces the single file). The upload
 * itself (sniffing, limits, scan, storage) happened before parsing; parse only decides the value.
 */
export const file: FieldKind = {
  name: 'file',
  accepts: ['object', 'array'],
  checkSchema(schema) {
    const rules = fileRulesOf(schema);
    return typeof rules === 'string' ? rules : undefined;
  },
  parse(field, body, ctx) {
    const rules = rulesOf(field);
    const stored = ctx.files?.stored ?? new Map<string, FileRef>();
    const removed = new Set(list(body, `${field.name}.remove`));
    const kept = [...new Set(list(body, `${field.name}.keep`))].filter((id) => !removed.has(id)).map((id) => stored.get(id)).filter((r): r is FileRef => r !== undefined);
    const outcomes: readonly IntakeResult[] = ctx.files?.uploaded.get(field.name) ?? [];
    const fresh = outcomes.flatMap((o) => ('ref' in o ? [o.ref] : []));
    const refused = outcomes.find((o): o is Extract<IntakeResult, { refused: Refusal }> => 'refused' in o);
    let files: FileRef[];
    let error: ParseResult['error'];
    if (refused) {
      // One too many (counted while the files streamed in): as below, none of this post's files is kept.
      files = refused.refused.code === 'too-many' ? kept : rules.multiple ? [...kept, ...fresh] : kept.slice(0, 1);
      error = { code: `upload-${refused.refused.code}`, message: refusalMessage(field, refused.filename, refused.refused, rules) };
    } else if (rules.multiple ? kept.length + fresh.length > rules.maxFiles : fresh.length > 1) {
      files = kept;
      error = { code: 'upload-too-many', message: tooMany(field, rules.maxFiles) };
    } else {
      files = rules.multiple ? [...kept, ...fresh] : fresh.length > 0 ? fresh : kept.slice(0, 1);
    }
    const value = files.length === 0 ? undefined : rules.multiple ? files : files[0];
    return { value, raw: {}, extra: { files }, ...(error ? { error } : {}) };
  },
  view(field, value, parsed, lang) {
    const rules = rulesOf(field);
    const files = (parsed?.extra?.files as FileRef[] | undefined) ?? refsOf(value);
    return {
      partial: 'field-file',
      multipart: true,
      multiple: rules.multiple,
      accept: rules.mediaTypes.join(','),
      limits: limitsText(rules, lang),
      files: files.map((f, i) => ({ id: f.id, filename: cleanFileName(f.filename), size: formatSize(f.size, lang), removeId: `${field.id}-remove-${i}` })),
      removeLabel: lang === 'en' ? 'Remove' : 'Entfernen',
      currentLabel: files.length === 1 ? (lang === 'en' ? 'Uploaded file' : 'Hochgeladene Datei') : (lang === 'en' ? 'Uploaded files' : 'Hochgeladene Dateien'),
      replaceHint: !rules.multiple && files.length > 0 ? (lang === 'en' ? 'To replace this file, choose another one below. The current file is then removed.' : 'Um die Datei zu ersetzen, wählen Sie unten eine andere aus. Die bisherige wird dann entfernt.') : undefined,
    };
  },
  summary(_field, value, lang) {
    return refsOf(value).map((f) => `${cleanFileName(f.filename)} (${formatSize(f.size, lang)})`).join(', ');
  },
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/tiff': 'TIFF', 'image/gif': 'GIF', 'image/webp': 'WebP', 'image/heic': 'HEIC',
  'application/zip': 'ZIP', 'application/x-msdownload': 'EXE', 'application/vnd.microsoft.portable-executable': 'EXE',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX', 'application/vnd.oasis.opendocument.text': 'ODT', 'application/xml': 'XML',
};

export function typeName(mediaType: string): string {
  return TYPE_NAMES[mediaType] ?? (mediaType.split('/')[1] ?? mediaType).toUpperCase();
}

export function formatSize(bytes: number, lang: Lang): string {
  const locale = lang === 'en' ? 'en-GB' : 'de-DE';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(bytes / 1024)} KB`;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(bytes / (1024 * 1024))} MB`;
}

function joined(types: readonly string[], lang: Lang): string {
  const names = [...new Set(types.map(typeName))];
  if (names.length === 1) return names[0] as string;
  return `${names.slice(0, -1).join(', ')} ${lang === 'en' ? 'or' : 'oder'} ${names[names.length - 1]}`;
}

function limitsText(rules: FieldFileRules, lang: Lang): string {
  if (lang === 'en') return `${joined(rules.mediaTypes, 'en')}, at most ${formatSize(rules.maxBytes, 'en')} per file${rules.multiple ? `, up to ${rules.maxFiles} files` : ''}.`;
  return `${joined(rules.mediaTypes, 'de')}, höchstens ${formatSize(rules.maxBytes, 'de')} je Datei${rules.multiple ? `, bis zu ${rules.maxFiles} Dateien` : ''}.`;
}

function tooMany(field: FormField, max: number): LocalText {
  return { de: `Bei „${t(field.label, 'de')}“ können Sie höchstens ${max} Dateien hochladen. Entfernen Sie eine Datei, bevor Sie eine weitere hochladen.`, en: `You can upload at most ${max} files for “${t(field.label, 'en')}”. Remove a file before you upload another.` };
}

function refusalMessage(field: FormField, filename: string, refusal: Refusal, rules: FieldFileRules): LocalText {
  const de = t(field.label, 'de');
  const en = t(field.label, 'en');
  switch (refusal.code) {
    case 'empty':
      return { de: `„${de}“: Die Datei „${filename}“ ist leer. Wählen Sie die richtige Datei aus.`, en: `“${en}”: the file “${filename}” is empty. Choose the right file.` };
    case 'too-large':
      return { de: `„${de}“: Die Datei „${filename}“ ist größer als ${formatSize(refusal.maxBytes, 'de')}. Laden Sie eine kleinere Datei hoch.`, en: `“${en}”: the file “${filename}” is larger than ${formatSize(refusal.maxBytes, 'en')}. Upload a smaller file.` };
    case 'type-mismatch':
      return {
        de: `Die Datei „${filename}“ ist keine echte ${refusal.claimed.toUpperCase()}-Datei: Ihr Inhalt ist ${typeName(refusal.detected)}. Laden Sie die Datei im Format ${joined(rules.mediaTypes, 'de')} hoch, zum Beispiel neu gespeichert oder gescannt.`,
        en: `The file “${filename}” is not a real ${refusal.claimed.toUpperCase()} file: its content is ${typeName(refusal.detected)}. Upload it as ${joined(rules.mediaTypes, 'en')}, for example saved or scanned again.`,
      };
    case 'type': {
      // The name promises an accepted type the content is not (a text file named scan.pdf): say so.
      const claimed = claimedType(filename, rules);
      if (claimed && !refusal.detected) {
        return {
          de: `Die Datei „${filename}“ ist keine echte ${claimed}-Datei. Laden Sie eine Datei im Format ${joined(rules.mediaTypes, 'de')} hoch, zum Beispiel neu gespeichert oder gescannt.`,
          en: `The file “${filename}” is not a real ${claimed} file. Upload a file in ${joined(rules.mediaTypes, 'en')} format, for example saved or scanned again.`,
        };
      }
      return {
        de: `„${de}“: Die Datei „${filename}“ hat ein Format, das hier nicht angenommen wird${refusal.detected ? ` (${typeName(refusal.detected)})` : ''}. Laden Sie eine Datei im Format ${joined(rules.mediaTypes, 'de')} hoch.`,
        en: `“${en}”: the file “${filename}” is in a format that is not accepted here${refusal.detected ? ` (${typeName(refusal.detected)})` : ''}. Upload a file in ${joined(rules.mediaTypes, 'en')} format.`,
      };
    }
    case 'infected':
      return { de: `„${de}“: In der Datei „${filename}“ wurde Schadsoftware gefunden. Sie wurde nicht gespeichert.`, en: `“${en}”: malware was found in the file “${filename}”. It was not stored.` };
    case 'scan-failed':
      return { de: `„${de}“: Die Datei „${filename}“ konnte gerade nicht auf Schadsoftware geprüft werden. Versuchen Sie es in einigen Minuten erneut.`, en: `“${en}”: the file “${filename}” could not be checked for malware just now. Try again in a few minutes.` };
    case 'too-many':
      return tooMany(field, refusal.maxFiles);
    case 'quota-draft':
      return {
        de: `„${de}“: Die Datei „${filename}“ wurde nicht gespeichert. Zu diesem Antrag können Sie höchstens ${refusal.maxFiles} Dateien mit zusammen ${formatSize(refusal.maxBytes, 'de')} hochladen. Entfernen Sie eine Datei, bevor Sie eine weitere hochladen.`,
        en: `“${en}”: the file “${filename}” was not stored. You can upload at most ${refusal.maxFiles} files of ${formatSize(refusal.maxBytes, 'en')} together for this application. Remove a file before you upload another.`,
      };
    case 'quota-store':
      return { de: `„${de}“: Die Datei „${filename}“ kann gerade nicht gespeichert werden, weil der Speicher für Anträge in Bearbeitung voll ist. Ihre übrigen Angaben sind gespeichert. Versuchen Sie es später erneut.`, en: `“${en}”: the file “${filename}” cannot be stored just now because the storage for applications in progress is full. Your other answers are saved. Try again later.` };
    case 'quota-client': {
      const minutes = Math.max(1, Math.ceil(refusal.retryAfterMs / 60_000));
      return { de: `„${de}“: Die Datei „${filename}“ wurde nicht gespeichert. Von Ihrem Anschluss wurden in kurzer Zeit zu viele Dateien hochgeladen. Versuchen Sie es in ${minutes} Minuten erneut.`, en: `“${en}”: the file “${filename}” was not stored. Too many files were uploaded from your connection in a short time. Try again in ${minutes} minutes.` };
    }
  }
}

/** The accepted type a file name claims by its extension ("scan.pdf" → "PDF"), if any. */
function claimedType(filename: string, rules: FieldFileRules): string | undefined {
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(filename)?.[1]?.toUpperCase();
  if (!ext) return undefined;
  const names = rules.mediaTypes.map(typeName);
  const alias: Readonly<Record<string, string>> = { JPG: 'JPEG', TIF: 'TIFF' };
  const name = alias[ext] ?? ext;
  return names.includes(name) ? name : undefined;
}
