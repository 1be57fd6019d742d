import { cleanFileName } from './file-name.js';

/**
 * A stored file as the application data holds it: the schema value of a `file` field (or one item
 * of it when the field allows several files). The content never travels in the data; `id` names
 * the stored file and `sha512` its plaintext, so the submission's hashes cover the file too.
 */
export interface FileRef {
  id: string;
  filename: string;
  mediaType: string;
  size: number;
  sha512: string;
}

/** A file reference together with where it sits in the data (e.g. "/hunde/2/nachweis" or "/belege/0"). */
export interface PlacedFileRef extends FileRef {
  pointer: string;
}

const KEYS = ['filename', 'id', 'mediaType', 'sha512', 'size'];

export function isFileRef(value: unknown): value is FileRef {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return Object.keys(v).sort().join() === KEYS.join() && typeof v.id === 'string' && typeof v.filename === 'string'
    && typeof v.mediaType === 'string' && typeof v.size === 'number' && typeof v.sha512 === 'string';
}

/**
 * Every file reference in the data with its JSON Pointer, wherever it is: top level, nested, in an
 * array of files or inside a repeatable group's row. The form layout does not matter, the data does.
 */
export function fileRefsIn(data: unknown, pointer = ''): PlacedFileRef[] {
  if (isFileRef(data)) return [{ ...data, pointer }];
  if (Array.isArray(data)) return data.flatMap((item, i) => fileRefsIn(item, `${pointer}/${i}`));
  if (data !== null && typeof data === 'object') {
    return Object.entries(data as Record<string, unknown>).flatMap(([key, value]) => fileRefsIn(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return [];
}

/**
 * The data without the references to the files `ids` (a copy; the rest untouched): a single file's
 * property goes, an array of files loses those items. The schema's own rules (a required file, at
 * least one item) then speak at the check page, as for a file never uploaded.
 */
export function withoutFiles<T>(data: T, ids: ReadonlySet<string>): T {
  const drop = (value: unknown) => isFileRef(value) && ids.has(value.id);
  if (Array.isArray(data)) return data.filter((item) => !drop(item)).map((item) => withoutFiles(item, ids)) as T;
  if (data !== null && typeof data === 'object' && !isFileRef(data)) {
    // A list of files that loses all its items goes as a whole, as the file field stores "no files".
    const emptied = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(drop);
    return Object.fromEntries(Object.entries(data as Record<string, unknown>).filter(([, v]) => !drop(v) && !emptied(v)).map(([k, v]) => [k, withoutFiles(v, ids)])) as T;
  }
  return data;
}

/** The applicant's file name as the store keeps it: the one sanitiser (./file-name.ts). */
export const sanitiseFilename = cleanFileName;
