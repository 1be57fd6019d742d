/** Which XDatenfelder message a file is, and the reader for it (one per version and message type). */
import type { FimTree } from '../tree.js';
import { FimImportError } from '../types.js';
import type { FimReader } from './reader.js';
import { datenfeldgruppeV2, stammdatenschemaV2 } from './v2.js';
import { datenfeldgruppeV3 } from './v3-datenfeldgruppe.js';
import { stammdatenschemaV3 } from './v3-stammdatenschema.js';
import { parseXml, isNode } from './xml.js';

const READERS: readonly FimReader[] = [stammdatenschemaV2, datenfeldgruppeV2, stammdatenschemaV3, datenfeldgruppeV3];

const NAMESPACES: ReadonlyArray<[RegExp, '1' | '2' | '3']> = [
  [/urn:xoev-de:fim:standard:xdatenfelder_1\b/, '1'],
  [/urn:xoev-de:fim:standard:xdatenfelder_2\b/, '2'],
  [/urn:xoev-de:fim:standard:xdatenfelder_3\.0\.0\b/, '3'],
];

/** Which message this is: the root element's name, and the version from its namespace. */
function messageType(xml: string): { version: '1' | '2' | '3'; message: string } {
  const root = /<(?:[A-Za-z_][\w.-]*:)?(xdatenfelder\.[A-Za-z]+\.\d{4,})[\s>/]/.exec(xml);
  if (!root) throw new FimImportError('not an XDatenfelder message: no root element xdatenfelder.<message>.<number>');
  const message = root[1] as string;
  const version = NAMESPACES.find(([ns]) => ns.test(xml))?.[1];
  if (!version) throw new FimImportError(`${message}: neither the XDatenfelder 2 namespace (urn:xoev-de:fim:standard:xdatenfelder_2) nor the 3.0.0 namespace (urn:xoev-de:fim:standard:xdatenfelder_3.0.0)`);
  return { version, message };
}

export function readTree(xml: string): FimTree {
  const { version, message } = messageType(xml);
  if (version === '1') {
    throw new FimImportError(`XDatenfelder 1 (${message}) is not read: version 1 was replaced by version 2 in 2018 and has another structure; export the data specification from the FIM repository as XDatenfelder 2 or 3`);
  }
  const reader = READERS.find((r) => r.version === version && r.message === message);
  if (!reader) {
    const readable = READERS.map((r) => `XDatenfelder ${r.version} ${r.message}`).join(', ');
    throw new FimImportError(`XDatenfelder ${version} ${message}: not a message this importer reads (${readable})`);
  }
  let doc;
  try {
    doc = parseXml(xml);
  } catch (err) {
    throw new FimImportError(`XDatenfelder ${version} ${message}: not well-formed XML: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const root = doc[message];
  return reader.read(isNode(root) ? root : {});
}
