/**
 * The XML of an XDatenfelder message as plain objects (fast-xml-parser, namespace prefixes dropped),
 * and the small accessors the readers use. Read leniently, as the XSD allows: an element may be
 * empty (`<xdf:version/>`), optional elements may be missing, codes stand in a `<code>` child.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XNode = Record<string, unknown>;

/** Elements the XSDs of version 2 and 3 let occur more than once. */
const REPEATED = new Set(['struktur', 'regel', 'wert', 'mediaType', 'bezug', 'relation', 'stichwort', 'param', 'ziel', 'fehler', 'bezugRegelung']);

const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false,
  trimValues: true, processEntities: true, htmlEntities: true,
  isArray: (name) => REPEATED.has(name),
});

/** The document as objects; throws with line and column when it is not well-formed. */
export function parseXml(xml: string): XNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  return parser.parse(xml) as XNode;
}

export const isNode = (v: unknown): v is XNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The child element `key` as an object (an empty element is an empty object), or undefined. */
export function child(node: XNode | undefined, key: string): XNode | undefined {
  const v = node?.[key];
  if (isNode(v)) return v;
  if (v === '' || typeof v === 'string') return { '#text': v };
  return undefined;
}

export function children(node: XNode | undefined, key: string): XNode[] {
  const v = node?.[key];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((x) => (isNode(x) ? x : { '#text': typeof x === 'string' ? x : String(x) }));
}

/** The text of the child element `key` (whitespace folded); an empty or missing element is undefined. */
export function text(node: XNode | undefined, key: string): string | undefined {
  const v = node?.[key];
  const raw = typeof v === 'string' ? v : isNode(v) && typeof v['#text'] === 'string' ? v['#text'] : isNode(v) && typeof v['#text'] === 'number' ? String(v['#text']) : undefined;
  const folded = raw?.replace(/\s+/g, ' ').trim();
  return folded ? folded : undefined;
}

/** The text of the child element `key`, line breaks kept (rule texts, scripts). */
export function rawText(node: XNode | undefined, key: string): string | undefined {
  const v = node?.[key];
  const raw = typeof v === 'string' ? v : isNode(v) && typeof v['#text'] === 'string' ? v['#text'] : undefined;
  const trimmed = raw?.replace(/\r/g, '').trim();
  return trimmed ? trimmed : undefined;
}

/** A code element (`<xdf:feldart><code>select</code></xdf:feldart>`); its code. */
export function code(node: XNode | undefined, key: string): string | undefined {
  return text(child(node, key), 'code');
}

export function attr(node: XNode | undefined, name: string): string | undefined {
  const v = node?.[`@${name}`];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
