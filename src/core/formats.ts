/**
 * The payload formats a directory entry may ask for (`payloadFormat`): the runtime's own generic
 * document as JSON or XML, or a published standard message built from the service's mapping
 * (services/<id>/messages/<format>.json). Imports nothing, so routing can check entries with it and
 * transports can name the standard of what they carry (messageStandard).
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
  /**
   * XTA business scenario by default: XTA's catalogue has no code for it we could verify, so it
   * goes as BusinessScenario/Undefined; an operator sets the code their network uses in options.
   */
  businessScenario: string;
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
    businessScenario: 'XGEWERBEANZEIGE_DATA',
  }],
]);

/**
 * What routing checks a directory entry's standard format against, by LeiKa key of each service
 * that is here: its id and, per mapping file it has, null when the mapping loads, else why not.
 * Plain data, so a routing compile in a worker thread gets it too.
 */
export type ServiceFormats = Record<string, { service: string; mappings: Record<string, string | null> }>;

/** Every value `payloadFormat` accepts, for messages that list them. */
export function payloadFormats(): string[] {
  return [...GENERIC_FORMATS, ...STANDARD_FORMATS.keys()];
}

export function isPayloadFormat(value: unknown): value is string {
  return typeof value === 'string' && (value === 'json' || value === 'xml' || STANDARD_FORMATS.has(value));
}

/** XTA's list of message types: the code is the message's root element, payloadSchema its namespace. */
export const XTA_ELEMENT_NAME_LIST = { uri: 'urn:de:payloadSchema:elementName', version: '1.0' } as const;
/** Our own lists for the runtime's document: EfA scenarios and message types are in no official one. */
export const EFA_BUSINESS_SCENARIO_LIST = 'urn:efa-runtime:codeliste:xta-business-scenario';
export const EFA_MESSAGE_TYPE_LIST = 'urn:efa-runtime:codeliste:xta-message-type';
export const LEIKA_URN_PREFIX = 'urn:de:fim:leika:leistung:';
export const EFA_BUSINESS_SCENARIO = 'EFA_ANTRAG';

/**
 * What a message is, as XTA's Qualifier names it (service URN, business scenario, message type)
 * and OSCI carries it: the standard and its version for a standard message, the runtime's own
 * document type (per service and version) for the generic JSON or XML.
 */
export interface MessageStandard {
  /** The payload format the directory entry asked for at submit ('json', 'xml', 'xgewerbeanzeige-2.2'). */
  format: string;
  standard: string;
  version: string;
  /** XTA Qualifier/Service: the XRepository version id of the standard, or the LeiKa URN of the service. */
  service: string;
  businessScenario: { code: string; listUri?: string; listVersion?: string };
  messageType: { code: string; listUri: string; listVersion: string };
  /** Namespace (standard) or JSON Schema URI (generic) of the payload. */
  payloadSchema: string;
}

export interface StandardSource {
  /** Absent for messages submitted before formats were recorded: read from the media type. */
  format?: string;
  /** The root element of a standard message (the mapping's `root`). */
  messageType?: string;
  mediaType: string;
  schemaUri: string;
  service: { id: string; version: string; leikaKey: string };
}

export function messageStandard(source: StandardSource): MessageStandard {
  const format = source.format ?? (source.mediaType === 'application/xml' ? 'xml' : 'json');
  const standard = STANDARD_FORMATS.get(format);
  if (standard && source.messageType) {
    return {
      format,
      standard: standard.standard,
      version: standard.version,
      service: `${standard.standardUrn}_${standard.version}`,
      businessScenario: { code: standard.businessScenario },
      messageType: { code: source.messageType, listUri: XTA_ELEMENT_NAME_LIST.uri, listVersion: XTA_ELEMENT_NAME_LIST.version },
      payloadSchema: standard.namespace,
    };
  }
  return {
    format,
    standard: `efa-runtime:${source.service.id}`,
    version: source.service.version,
    service: `${LEIKA_URN_PREFIX}${source.service.leikaKey}`,
    businessScenario: { code: EFA_BUSINESS_SCENARIO, listUri: EFA_BUSINESS_SCENARIO_LIST, listVersion: '1' },
    messageType: { code: `efa.antrag.${source.service.id}`, listUri: EFA_MESSAGE_TYPE_LIST, listVersion: '1' },
    payloadSchema: source.schemaUri,
  };
}
