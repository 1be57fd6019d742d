/** Which XDatenfelder message a file is, and the reader for it (one per version and message type). */
import type { FimTree } from '../tree.js';
import { FimImportError } from '../types.js';
import type { FimReader } from './reader.js';
import { stammdatenschemaV2 } from './v2.js';
import { datenfeldgruppeV3 } from './v3-datenfeldgruppe.js';

const READERS: readonly FimReader[] = [stammdatenschemaV2, datenfeldgruppeV3];

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

export function readTree(xml: string): FimTree {
  const { version, message } = messageType(xml);
  const reader = READERS.find((r) => r.version === version && r.message === message);
  try {
    if (reader) return reader.read(xml);
  } catch (err) {
    throw new FimImportError(`XDatenfelder ${version} ${message}: the parser (xdatenfelder-xml) refused it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (version === '3' && message === 'xdatenfelder.stammdatenschema.0102') {
    // xdatenfelder-xml 0.1.4's SchemaMessage3.fromString returns fixed placeholder data: importing it would invent a service.
    throw new FimImportError('XDatenfelder 3 Stammdatenschema (xdatenfelder.stammdatenschema.0102): the parser xdatenfelder-xml 0.1.4 cannot read these yet; export the schema\'s root Datenfeldgruppe as an xdatenfelder.datenfeldgruppe.0103 message, or the schema in XDatenfelder 2');
  }
  const readable = READERS.map((r) => `XDatenfelder ${r.version} ${r.message}`).join(', ');
  throw new FimImportError(`XDatenfelder ${version} ${message}: not a message this importer reads (${readable})`);
}
