/**
 * External, versioned code lists in the XÖV Genericode format (OASIS Genericode 1.0 as XRepository
 * publishes them): codelists/<name>_<version>.xml, one file per list and version, identified by
 * the list's CanonicalUri (URN) and Version. Services reference a list from their schema with
 * "x-codelist"; the referenced string becomes an enum of the list's codes at load time.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { CrossReferenceError, DeclarationError } from '../core/errors.js';
import { displayPath } from '../core/declarations.js';
import type { LocalText } from '../core/local-text.js';

export interface CodeList {
  urn: string;
  version: string;
  /** Identification/CanonicalVersionUri. */
  versionUrn: string;
  name: string;
  columns: string[];
  /** The key column (ColumnSet/Key/ColumnRef, else the XÖV recommended code column, else the first). */
  codeColumn: string;
  rows: Array<Record<string, string>>;
  file: string;
}

/** A schema's reference: "x-codelist": { "urn": …, "version": …, "labelColumn"?: …, "labelColumnEn"?: … }. */
export interface CodeListRef {
  urn: string;
  version: string;
  labelColumn?: string;
  labelColumnEn?: string;
}

export interface CodeOption {
  value: string;
  label: LocalText;
}

/** What a schema node that references a list resolved to; looked up by its "x-codelist" object, which copies of the node share. */
export interface ResolvedCodeList {
  list: CodeList;
  options: CodeOption[];
}

const resolved = new WeakMap<object, ResolvedCodeList>();

/** The code list (and its labelled options) behind a schema node, if it references one. */
export function codeListOf(schemaNode: object | undefined): ResolvedCodeList | undefined {
  const ref = (schemaNode as Node | undefined)?.['x-codelist'];
  return ref && typeof ref === 'object' ? resolved.get(ref) : undefined;
}

const ARRAYS = new Set(['Row', 'Value', 'Column', 'Key', 'ColumnRef']);
const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false, trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

/** Lists by URN, then by version. A missing codelists/ folder means no lists. */
export type CodeLists = Map<string, Map<string, CodeList>>;

export function loadCodeLists(root: string): CodeLists {
  const dir = join(root, 'codelists');
  const lists: CodeLists = new Map();
  if (!existsSync(dir)) return lists;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
    const list = parseGenericode(join(dir, name));
    const versions = lists.get(list.urn) ?? new Map<string, CodeList>();
    const other = versions.get(list.version);
    if (other) throw new DeclarationError(displayPath(list.file), '/CodeList/Identification/Version', `${list.urn} version ${list.version} is also in ${displayPath(other.file)}`);
    versions.set(list.version, list);
    lists.set(list.urn, versions);
  }
  return lists;
}

type Node = Record<string, unknown>;

function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object' && typeof (node as Node)['#text'] === 'string') return (node as Node)['#text'] as string;
  return undefined;
}

export function parseGenericode(file: string): CodeList {
  return parseGenericodeText(readFileSync(file, 'utf8'), file);
}

/** A Genericode list from its text; `file` names it in errors (and is where it is, or will be, stored). */
export function parseGenericodeText(xml: string, file: string): CodeList {
  const shown = displayPath(file);
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    throw new DeclarationError(shown, '', `not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = doc.CodeList as Node | undefined;
  if (!root) throw new DeclarationError(shown, '', 'not a Genericode code list: the root element must be gc:CodeList');
  const id = (root.Identification ?? {}) as Node;
  const urn = text(id.CanonicalUri);
  const version = text(id.Version);
  if (!urn) throw new DeclarationError(shown, '/CodeList/Identification/CanonicalUri', 'is missing: the list\'s URN identifies it');
  if (!version) throw new DeclarationError(shown, '/CodeList/Identification/Version', 'is missing');
  const columnSet = (root.ColumnSet ?? {}) as Node;
  const columns = ((columnSet.Column ?? []) as Node[]).map((c) => String(c['@Id'] ?? ''));
  if (columns.length === 0 || columns.some((c) => c === '')) throw new DeclarationError(shown, '/CodeList/ColumnSet/Column', 'needs columns, each with an Id');
  const keyRef = (((columnSet.Key ?? []) as Node[])[0]?.ColumnRef as Node[] | undefined)?.[0]?.['@Ref'] as string | undefined;
  const recommended = text(((root.Annotation as Node | undefined)?.AppInfo as Node | undefined)?.empfohleneCodeSpalte);
  const codeColumn = keyRef ?? recommended ?? (columns[0] as string);
  if (!columns.includes(codeColumn)) throw new DeclarationError(shown, '/CodeList/ColumnSet/Key', `refers to column "${codeColumn}", which is not declared`);
  const rows = (((root.SimpleCodeList ?? {}) as Node).Row ?? []) as Node[];
  const seen = new Set<string>();
  const table = rows.map((row, r) => {
    const values: Record<string, string> = {};
    for (const value of (row.Value ?? []) as Node[]) {
      const column = String(value['@ColumnRef'] ?? '');
      if (!columns.includes(column)) throw new DeclarationError(shown, `/CodeList/SimpleCodeList/Row/${r}`, `value for unknown column "${column}"`);
      values[column] = text(value.SimpleValue) ?? '';
    }
    const code = values[codeColumn];
    if (!code) throw new DeclarationError(shown, `/CodeList/SimpleCodeList/Row/${r}`, `has no code (column "${codeColumn}")`);
    if (seen.has(code)) throw new DeclarationError(shown, `/CodeList/SimpleCodeList/Row/${r}`, `code "${code}" appears twice`);
    seen.add(code);
    return values;
  });
  if (table.length === 0) throw new DeclarationError(shown, '/CodeList/SimpleCodeList', 'has no rows');
  return { urn, version, versionUrn: text(id.CanonicalVersionUri) ?? `${urn}_${version}`, name: text(id.LongName) ?? text(id.ShortName) ?? urn, columns, codeColumn, rows: table, file };
}

/**
 * Resolves every "x-codelist" in a service's data schema: the node becomes an enum of the list's
 * codes (Ajv validates it like any enum) and remembers its labelled options for the form.
 * Returns the lists the schema uses, by URN.
 */
export function resolveSchemaCodeLists(file: string, schema: Node, lists: CodeLists): Map<string, CodeList> {
  const used = new Map<string, CodeList>();
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}/${i}`));
    if (!node || typeof node !== 'object') return;
    const obj = node as Node;
    const ref = obj['x-codelist'] as CodeListRef | undefined;
    if (ref !== undefined) {
      const list = findList(file, `${path}/x-codelist`, ref, lists);
      const labels = labelColumns(file, `${path}/x-codelist`, ref, list);
      obj.enum = list.rows.map((r) => r[list.codeColumn]);
      resolved.set(ref, { list, options: list.rows.map((r) => ({ value: r[list.codeColumn] as string, label: labelOf(r, labels) })) });
      used.set(list.urn, list);
    }
    for (const [key, value] of Object.entries(obj)) if (key !== 'x-codelist') visit(value, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  visit(schema, '');
  return used;
}

function findList(file: string, path: string, ref: CodeListRef, lists: CodeLists): CodeList {
  if (!ref || typeof ref.urn !== 'string' || typeof ref.version !== 'string') throw new DeclarationError(file, path, 'must be { "urn": "urn:…", "version": "…" } (the version as a string)');
  const versions = lists.get(ref.urn);
  if (!versions) throw new CrossReferenceError('EFA_XREF_CODELIST', file, `${path}/urn`, `no code list "${ref.urn}" under codelists/: add its Genericode file (codelists/<name>_<version>.xml) or fix the URN (known: ${[...lists.keys()].join(', ') || 'none'})`);
  const list = versions.get(ref.version);
  if (!list) throw new CrossReferenceError('EFA_XREF_CODELIST', file, `${path}/version`, `${ref.urn} has no version "${ref.version}" under codelists/: add that version's file or reference one that is there (versions: ${[...versions.keys()].join(', ')})`);
  return list;
}

function labelColumns(file: string, path: string, ref: CodeListRef, list: CodeList): { de: string; en?: string } {
  const de = ref.labelColumn ?? list.columns.find((c) => c !== list.codeColumn) ?? list.codeColumn;
  if (!list.columns.includes(de)) throw new DeclarationError(file, `${path}/labelColumn`, `${list.urn} has no column "${de}" (columns: ${list.columns.join(', ')})`);
  const en = ref.labelColumnEn ?? (list.columns.includes(`${de}_en`) ? `${de}_en` : undefined);
  if (en !== undefined && !list.columns.includes(en)) throw new DeclarationError(file, `${path}/labelColumnEn`, `${list.urn} has no column "${en}" (columns: ${list.columns.join(', ')})`);
  return { de, en };
}

function labelOf(row: Record<string, string>, columns: { de: string; en?: string }): LocalText {
  const de = row[columns.de] || (row[Object.keys(row)[0] as string] as string);
  const en = columns.en ? row[columns.en] : undefined;
  return en ? { de, en } : de;
}
