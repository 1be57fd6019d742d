import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** XML helpers shared by the XML-speaking transports (XTA, OSCI) and their receivers. */

/** One parser for both sides: prefixes dropped (senders choose their own), values kept as strings. */
export function parseXml(xml: string): Record<string, unknown> {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
  }).parse(xml) as Record<string, unknown>;
}

export function buildXml(tree: Record<string, unknown>): string {
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, ...tree }) as string;
}

/** SOAP 1.2 forbids a DTD in a message; refusing it also shuts out entity expansion tricks. */
export function hasDoctype(xml: string): boolean {
  return /<!DOCTYPE/i.test(xml);
}

/** Walks element names (prefixes removed); takes the first of repeated elements. */
export function child(node: unknown, ...path: string[]): unknown {
  let current = node;
  for (const name of path) {
    if (Array.isArray(current)) current = current[0];
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return Array.isArray(current) ? current[0] : current;
}

/** All direct child elements of that name, whether the parser gave one or several. */
export function children(node: unknown, name: string): unknown[] {
  if (Array.isArray(node)) node = node[0];
  if (node === null || typeof node !== 'object') return [];
  const value = (node as Record<string, unknown>)[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Text content of an element, whether it carries attributes or not. */
export function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (node !== null && typeof node === 'object') {
    const value = (node as Record<string, unknown>)['#text'];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

export function attr(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as Record<string, unknown>)[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** "env:Sender" -> "Sender": fault codes are QNames whose prefix is the sender's choice. */
export function localName(qname: string | undefined): string | undefined {
  return qname?.slice(qname.indexOf(':') + 1);
}

/** Text of a direct child element, whether it carries attributes or not. */
export function field(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  if (typeof first === 'string') return first;
  if (first !== null && typeof first === 'object') {
    const inner = (first as Record<string, unknown>)['#text'];
    return typeof inner === 'string' ? inner : undefined;
  }
  return undefined;
}

/** The root element of a document: its local name and namespace URI (undefined when not XML). */
export function rootOf(xml: string): { name: string; namespace?: string } | undefined {
  if (hasDoctype(xml)) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false }).parse(xml) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const qname = Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('#'));
  if (!qname) return undefined;
  const [prefix, name] = qname.includes(':') ? qname.split(':', 2) as [string, string] : [undefined, qname];
  const namespace = attr(doc[qname], prefix ? `xmlns:${prefix}` : 'xmlns');
  return { name, ...(namespace ? { namespace } : {}) };
}
