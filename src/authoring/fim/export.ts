/**
 * A FIM export as the repositories hand it out: a ZIP, or a folder, holding one XDatenfelder
 * message and the Genericode code lists it uses. The lists go into the project's codelists/
 * (one file per URN and version: a list another import already installed is reused, never
 * written twice), so the import's choices offer the export's own options and labels.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { parseGenericodeText, type CodeList, type CodeLists } from '../../codelists/genericode.js';
import { FimImportError, type CodeListFile, type Unsupported } from './types.js';
import { slugWords } from './names.js';

/** A shipped list, parsed; `entry` is its name in the export. */
export interface ShippedList {
  entry: string;
  list: CodeList;
  text: string;
}

export interface FimExport {
  /** The XDatenfelder message's name in the export, and its text. */
  entry: string;
  xml: string;
  lists: ShippedList[];
  warnings: Unsupported[];
}

/** Bounds for a ZIP: an export is a few megabytes; a bigger one is no FIM export (or a ZIP bomb). */
const MAX_ENTRY_BYTES = 20 * 1024 * 1024;
const MAX_ENTRIES = 2000;

const MESSAGE = /<(?:[A-Za-z_][\w.-]*:)?xdatenfelder\.([A-Za-z]+)\.\d{4,}[\s>/]/;
const CODE_LIST = /<(?:[A-Za-z_][\w.-]*:)?CodeList[\s>]/;

function entriesOf(path: string): Array<{ entry: string; text: string }> {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new FimImportError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  if (stat.isDirectory()) {
    return readdirSync(path, { recursive: true, encoding: 'utf8' }).filter((f) => f.toLowerCase().endsWith('.xml')).sort()
      .map((f) => ({ entry: f, text: readFileSync(join(path, f), 'utf8') }));
  }
  const bytes = readFileSync(path);
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) return [{ entry: basename(path), text: bytes.toString('utf8') }];
  let count = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (++count > MAX_ENTRIES) throw new FimImportError(`${path}: more than ${MAX_ENTRIES} files: not a FIM export`);
        if (f.originalSize > MAX_ENTRY_BYTES) throw new FimImportError(`${path}: ${f.name} unpacks to ${f.originalSize} bytes, more than a FIM export holds`);
        return f.name.toLowerCase().endsWith('.xml');
      },
    });
  } catch (err) {
    if (err instanceof FimImportError) throw err;
    throw new FimImportError(`${path}: not a readable ZIP file (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  return Object.keys(files).sort().map((name) => ({ entry: name, text: strFromU8(files[name] as Uint8Array) }));
}

/** The export at `path` (a ZIP, a folder, or one XDatenfelder file): its message and the code lists beside it. */
export function readFimExport(path: string): FimExport {
  const warnings: Unsupported[] = [];
  const messages: Array<{ entry: string; text: string; type: string }> = [];
  const lists: ShippedList[] = [];
  const entries = entriesOf(path);
  for (const { entry, text } of entries) {
    const head = text.slice(0, 4000).replace(/<!--[\s\S]*?-->/g, '');
    const message = MESSAGE.exec(head);
    if (message) {
      messages.push({ entry, text, type: message[1] as string });
      continue;
    }
    if (!CODE_LIST.test(head)) {
      warnings.push({ construct: 'file in the export', where: entry, detail: 'neither an XDatenfelder message nor a Genericode code list: not read' });
      continue;
    }
    try {
      lists.push({ entry, list: parseGenericodeText(text, entry), text });
    } catch (err) {
      warnings.push({ construct: 'Genericode code list', where: entry, detail: `not read: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  if (messages.length === 0) throw new FimImportError(`${path}: not an XDatenfelder message: no root element xdatenfelder.<message>.<number>${entries.length === 1 ? '' : ` in any of its ${entries.length} XML files`}`);
  // An export holds one Stammdatenschema; a folder of building blocks may hold several groups.
  const schemas = messages.filter((m) => m.type === 'stammdatenschema');
  const chosen = schemas.length > 0 ? schemas : messages;
  if (chosen.length > 1) throw new FimImportError(`${path}: ${chosen.length} XDatenfelder messages (${chosen.map((m) => m.entry).join(', ')}): import one of them`);
  const message = chosen[0] as { entry: string; text: string };
  return { entry: message.entry, xml: message.text, lists, warnings };
}

/** Lists published in a repository have a URN; a list only an export defines has some other name. */
export const isUrn = (id: string): boolean => /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(id);

/** codelists/<name>_<version>.xml: the URN's words after "urn:de:", or "lokal.<service>.<name>" for a list without a URN. */
export function codeListFileName(list: CodeList, serviceId: string): string {
  const segments = (s: string) => s.split(':').map((seg) => slugWords(seg).join('-')).filter(Boolean).join('.');
  const words = isUrn(list.urn) ? segments(list.urn.replace(/^urn:(de:)?/i, '')) : `lokal.${serviceId}.${slugWords(list.urn).join('-')}`;
  return `${words || 'liste'}_${slugWords(list.version).join('-') || '1'}.xml`;
}

export interface InstalledList {
  urn: string;
  version: string;
  /** Where the list is in the project, relative to the root. */
  file: string;
  entry: string;
  /** False when the project already had this URN and version (the shipped copy is not written). */
  written: boolean;
}

/**
 * The project's lists plus the export's: an export's list whose URN and version the project
 * already has is taken from the project. `write` puts the new ones into codelists/.
 */
export function mergeCodeLists(root: string | undefined, project: CodeLists, shipped: ShippedList[], serviceId: string): { lists: CodeLists; installed: InstalledList[]; files: CodeListFile[] } {
  const lists: CodeLists = new Map([...project].map(([urn, versions]) => [urn, new Map(versions)]));
  const installed: InstalledList[] = [];
  const files: CodeListFile[] = [];
  const taken = new Set(root && existsSync(join(root, 'codelists')) ? readdirSync(join(root, 'codelists')) : []);
  for (const s of shipped) {
    const known = lists.get(s.list.urn)?.get(s.list.version);
    if (known) {
      installed.push({ urn: s.list.urn, version: s.list.version, file: join('codelists', basename(known.file)), entry: s.entry, written: false });
      continue;
    }
    const base = codeListFileName(s.list, serviceId);
    let name = base;
    for (let i = 2; taken.has(name); i++) name = base.replace(/\.xml$/, `-${i}.xml`);
    taken.add(name);
    const file = join('codelists', name);
    const versions = lists.get(s.list.urn) ?? new Map<string, CodeList>();
    versions.set(s.list.version, { ...s.list, file: root ? join(root, file) : file });
    lists.set(s.list.urn, versions);
    installed.push({ urn: s.list.urn, version: s.list.version, file, entry: s.entry, written: true });
    files.push({ urn: s.list.urn, version: s.list.version, file, text: s.text });
  }
  return { lists, installed, files };
}
