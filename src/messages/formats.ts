/**
 * The payload formats a directory entry may ask for (`payloadFormat`): the runtime's own generic
 * document as JSON or XML, or a published standard message built from the service's mapping
 * (services/<id>/messages/<format>.json). Imports nothing, so routing can check entries with it.
 */

export interface StandardFormat {
  id: string;
  /** The standard as XÖV names it, and its version: transports put both into their metadata. */
  standard: string;
  version: string;
  /** XRepository URN of the standard (XTA Qualifier/Service, OSCI metadata). */
  standardUrn: string;
  namespace: string;
  prefix: string;
  /** The file an operator puts under messages/xsd/<format>/ to have every message checked with xmllint. */
  xsdFile: string;
}

export const GENERIC_FORMATS = ['json', 'xml'] as const;

export const STANDARD_FORMATS: ReadonlyMap<string, StandardFormat> = new Map([
  ['xgewerbeanzeige-2.2', {
    id: 'xgewerbeanzeige-2.2',
    standard: 'XGewerbeanzeige',
    version: '2.2',
    standardUrn: 'urn:xoev-de:kosit:standard:xgewerbeordnung',
    namespace: 'http://www.xgewerbeanzeige.de/spezifikation/2.2',
    prefix: 'xga',
    xsdFile: 'xgewerbeanzeige.xsd',
  }],
]);

/** Every value `payloadFormat` accepts, for messages that list them. */
export function payloadFormats(): string[] {
  return [...GENERIC_FORMATS, ...STANDARD_FORMATS.keys()];
}

export function isPayloadFormat(value: unknown): value is string {
  return typeof value === 'string' && (value === 'json' || value === 'xml' || STANDARD_FORMATS.has(value));
}
