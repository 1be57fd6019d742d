import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';

/**
 * Parses `xml` as a strict XML 1.0 processor must (saxes, with namespaces): a character outside
 * XML's Char production (U+FFFF, a C0 control, a lone surrogate) or an unbound prefix is an error,
 * as it would be for the Fachverfahren's parser. Returns the element count so a caller sees it ran.
 */
export function parseStrictXml(xml: string, what: string): number {
  const parser = new SaxesParser({ xmlns: true });
  const errors: string[] = [];
  let elements = 0;
  parser.on('error', (err) => errors.push(err.message));
  parser.on('opentag', () => { elements++; });
  parser.write(xml).close();
  assert.deepEqual(errors, [], `${what} is not well-formed XML 1.0`);
  return elements;
}
