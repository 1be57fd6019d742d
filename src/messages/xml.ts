/** Serialises a rendered message with fast-xml-parser's builder, keeping the element order as mapped. */
import { XMLBuilder } from 'fast-xml-parser';
import type { Element } from './mapping.js';

type Ordered = Record<string, unknown>;

const builder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: false });

function ordered(el: Element): Ordered {
  const node: Ordered = { [el.name]: el.text !== undefined ? [{ '#text': el.text }] : (el.children ?? []).map(ordered) };
  const attrs = Object.entries(el.attributes);
  if (attrs.length > 0) node[':@'] = Object.fromEntries(attrs.map(([k, v]) => [`@_${k}`, v]));
  return node;
}

export function toXml(root: Element): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${(builder.build([ordered(root)]) as string).trim()}\n`;
}
