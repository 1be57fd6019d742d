import { randomUUID } from 'node:crypto';
import { buildXml, child, hasDoctype, localName, parseXml, text } from './xml.js';
import { CompactSign } from 'jose';
import { TransportError } from '../core/errors.js';
import { EFA_BUSINESS_SCENARIO_LIST, EFA_MESSAGE_TYPE_LIST, LEIKA_URN_PREFIX, messageStandard, type MessageStandard } from '../core/formats.js';
import { encryptFor, sha512Hex } from '../crypto/jwe.js';
import type { HealthResult, OutboundMessage, Receipt, Transport, TransportContext } from './types.js';
import {
  describeAttachment, piecesAround, readJwe, streamedBody, streamedInit,
  type AttachmentDescription, type BodyPiece, type StreamedBody,
} from './attachments.js';
import { HttpStatusError, exchange } from './http.js';
import { signedClaims, verifiedReceipt } from './receipt.js';

/**
 * XTA 2 style delivery: one SOAP 1.2 request per message, XTA message metadata in the header and
 * the content in the body. The content is the payload JWE as it left the submit step, so neither
 * this transport nor an XTA server in between ever sees plaintext (XTA carries OSCI-encrypted
 * content the same way). The authority answers with a TransportReport that it signs.
 *
 * Attachments are further content parts of the GenericContentContainer, one efa:EncryptedAttachment
 * each with only its id and its JWE in clear. Their names, media types, sizes and plaintext hashes
 * travel in one more JWE for the reader (efa:EncryptedAttachmentList), as OSCI and FIT-Connect keep
 * them inside the encryption: a relay learns that files travel, not which. The envelope is built
 * with a marker where each JWE goes, and the JWEs are streamed from the store into the request.
 */

/** Namespaces: SOAP 1.2 and WS-Addressing as standardised, XTA's two, and ours for what XTA lacks. */
export const XTA_NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  /** Namespace of XTA 2's MessageMetaData. */
  meta: 'http://www.osci.eu/ws/2014/10/transport',
  /** GenericContentContainer, TransportReport. */
  xta: 'http://xoev.de/transport/xta/211',
  /** Our extensions: sender signature, submission reference, JWE content, report signature. */
  efa: 'urn:efa-runtime:xta:1',
} as const;

export const SOAP_MEDIA_TYPE = 'application/soap+xml';
export const SEND_ACTION = 'http://www.xta.de/XTA/SendMessage';
export { LEIKA_URN_PREFIX };
/** Code lists of our own: EfA business scenarios and message types are in no official XTA list. */
export const BUSINESS_SCENARIO_LIST = EFA_BUSINESS_SCENARIO_LIST;
export const MESSAGE_TYPE_LIST = EFA_MESSAGE_TYPE_LIST;

interface XtaOptions {
  businessScenario?: string;
  messageType?: string;
  authorCategory?: string;
  readerCategory?: string;
}

/**
 * What the sender signs. The signature covers these values as read from the XML, not the XML
 * bytes: no canonicalisation is needed, and any field changed in transit (including the JWE, by
 * its hash) fails the comparison on the receiving side.
 */
export interface XtaSignedRequest {
  messageId: string;
  author: string;
  reader: string;
  /** Qualifier/Service: the standard's XRepository version id, or the LeiKa URN for our own document. */
  service: string;
  businessScenario: string;
  messageType: string;
  /** Qualifier/MessageType/@listURI and @payloadSchema (the standard's namespace). */
  messageTypeList: string;
  payloadSchema: string;
  /** The payload format asked for, the standard and its version (efa:EncryptedContent). */
  format: string;
  standard: string;
  standardVersion: string;
  leikaKey: string;
  reference: string;
  tenant: string;
  region: string;
  submittedAt: string;
  mediaType: string;
  sha512: string;
  schemaUri: string;
  /** Hex SHA-512 of the JWE compact string as carried in the body. */
  contentSha512: string;
  /** The ids of the efa:EncryptedAttachment elements, in order. */
  attachmentIds: string[];
  /**
   * Hex SHA-512 of the efa:EncryptedAttachmentList JWE ("" without attachments). The list inside
   * names each attachment's plaintext SHA-512, which covers its JWE: a swapped JWE decrypts to
   * another hash, or not at all.
   */
  attachmentListSha512: string;
  /**
   * The eIDAS level of the applicant's login (efa:Submission/@trustLevel); absent for an anonymous
   * application. Signed like the rest, so nobody on the way can raise or remove it.
   */
  trustLevel?: 'low' | 'substantial' | 'high';
}

/** What the authority signs in its TransportReport. */
export interface XtaReportClaims {
  messageId: string;
  sha512: string;
  receivedAt: string;
  status: 'delivered';
  duplicate: boolean;
  reader: string;
  receiverReference?: string;
  /** Ids of the attachments the reader decrypted and verified against the list (sorted). */
  attachmentIds?: unknown;
  /** SHA-512 of the efa:EncryptedAttachmentList JWE whose hashes the reader checked ("" without). */
  attachmentListSha512?: unknown;
}

export const xta: Transport = {
  name: 'xta',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      businessScenario: { type: 'string', minLength: 1, description: 'default: the standard\'s (XGEWERBEANZEIGE_DATA), EFA_ANTRAG for json/xml' },
      messageType: { type: 'string', minLength: 1, description: 'default: the standard message\'s root element, efa.antrag.<service id> for json/xml' },
      authorCategory: { type: 'string', minLength: 1 },
      readerCategory: { type: 'string', minLength: 1 },
    },
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    const { pieces, attachmentListSha512 } = await buildRequestParts(message, ctx);
    const answer = await post(this.name, ctx.endpoint.address, streamedBody(this.name, pieces), ctx.timeoutMs, ctx.signal);
    return readReport(this.name, answer, message, ctx, attachmentListSha512);
  },

  async check(ctx: TransportContext): Promise<HealthResult> {
    if (!ctx.endpoint.identifiers.readerId) return { ok: false, detail: 'directory entry lacks identifiers.readerId' };
    try {
      await exchange(this.name, ctx.endpoint.address, { method: 'HEAD' }, ctx.timeoutMs);
      return { ok: true, detail: `${ctx.endpoint.address} reachable` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  },
};

/**
 * What the reader learns of the attachments, and nobody on the way: one JWE for its key, made at
 * send time (the attachments' own JWEs were made at submit), undefined without attachments.
 */
export async function attachmentListFor(message: OutboundMessage, ctx: TransportContext): Promise<string | undefined> {
  if (message.attachments.length === 0) return undefined;
  const list: AttachmentDescription[] = message.attachments.map(describeAttachment);
  return encryptFor(ctx.endpoint.encryptionKey, JSON.stringify(list), 'application/json');
}

/** The signed values of a message; exported so tests can build requests and tamper with them. */
export function signedRequestOf(message: OutboundMessage, ctx: TransportContext, attachmentList?: string): XtaSignedRequest {
  const options = ctx.endpoint.options as XtaOptions;
  const reader = ctx.endpoint.identifiers.readerId;
  // An XTA network routes by reader identifier; guessing one would risk misdelivery.
  if (!reader) throw new TransportError('xta', `directory entry for ${ctx.endpoint.authorityId} lacks identifiers.readerId`, false);
  const named = messageStandard({ ...message.payload, service: message.service });
  return {
    messageId: message.messageId,
    author: ctx.sender.id,
    reader,
    service: named.service,
    businessScenario: options.businessScenario ?? named.businessScenario.code,
    messageType: options.messageType ?? named.messageType.code,
    messageTypeList: named.messageType.listUri,
    payloadSchema: named.payloadSchema,
    format: named.format,
    standard: named.standard,
    standardVersion: named.version,
    leikaKey: message.service.leikaKey,
    reference: message.reference,
    tenant: message.tenant,
    region: message.region,
    submittedAt: message.submittedAt,
    mediaType: message.payload.mediaType,
    sha512: message.payload.sha512,
    schemaUri: message.payload.schemaUri,
    contentSha512: sha512Hex(message.payload.jwe),
    attachmentIds: message.attachments.map((a) => a.id),
    attachmentListSha512: attachmentList ? sha512Hex(attachmentList) : '',
    ...(message.authentication ? { trustLevel: message.authentication.trustLevel } : {}),
  };
}

/** The whole request as one string, attachments read into it; for tests that inspect or tamper with it. */
export async function buildRequest(message: OutboundMessage, ctx: TransportContext): Promise<string> {
  const { pieces } = await buildRequestParts(message, ctx);
  const texts = await Promise.all(pieces.map((p) => (typeof p === 'string' ? p : Buffer.isBuffer(p) ? p.toString('utf8') : readJwe(p))));
  return texts.join('');
}

/** The SOAP request as fixed XML around each attachment's JWE, which is streamed when sent. */
export async function buildRequestParts(message: OutboundMessage, ctx: TransportContext): Promise<{ pieces: BodyPiece[]; attachmentListSha512: string }> {
  const attachmentList = await attachmentListFor(message, ctx);
  const signed = signedRequestOf(message, ctx, attachmentList);
  const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(signed)))
    .setProtectedHeader({ alg: 'EdDSA', kid: ctx.sender.publicJwk.kid, typ: 'xta-request+jws' })
    .sign(ctx.sender.signingKey);
  const options = ctx.endpoint.options as XtaOptions;
  const markers = new Map(message.attachments.map((a) => [`EFA-ATTACHMENT-${randomUUID()}`, a] as const));
  const xml = buildXml({
    'env:Envelope': {
      '@_xmlns:env': XTA_NS.env,
      '@_xmlns:wsa': XTA_NS.wsa,
      '@_xmlns:meta': XTA_NS.meta,
      '@_xmlns:xta': XTA_NS.xta,
      '@_xmlns:efa': XTA_NS.efa,
      'env:Header': {
        'wsa:Action': SEND_ACTION,
        'wsa:To': ctx.endpoint.address,
        'meta:MessageMetaData': metaData(signed, message, options),
        'efa:Submission': {
          '@_reference': signed.reference,
          '@_leikaKey': signed.leikaKey,
          '@_tenant': signed.tenant,
          '@_region': signed.region,
          '@_submittedAt': signed.submittedAt,
          ...(signed.trustLevel ? { '@_trustLevel': signed.trustLevel } : {}),
        },
        'efa:SenderSignature': { '@_format': 'JWS', '@_keyId': ctx.sender.publicJwk.kid, '#text': signature },
      },
      'env:Body': {
        'xta:GenericContentContainer': {
          'efa:EncryptedContent': {
            '@_encoding': 'JWE-compact',
            '@_mediaType': signed.mediaType,
            '@_sha512': signed.sha512,
            '@_schemaUri': signed.schemaUri,
            '@_format': signed.format,
            '@_standard': signed.standard,
            '@_standardVersion': signed.standardVersion,
            '#text': message.payload.jwe,
          },
          ...(attachmentList ? { 'efa:EncryptedAttachmentList': { '@_encoding': 'JWE-compact', '#text': attachmentList } } : {}),
          ...(markers.size > 0 ? { 'efa:EncryptedAttachment': [...markers].map(([marker, a]) => ({ '@_id': a.id, '@_encoding': 'JWE-compact', '#text': marker })) } : {}),
        },
      },
    },
  });
  return { pieces: piecesAround(xml, markers), attachmentListSha512: signed.attachmentListSha512 };
}

function metaData(signed: XtaSignedRequest, message: OutboundMessage, options: XtaOptions): Record<string, unknown> {
  const named = messageStandard({ ...message.payload, service: message.service });
  return {
    'meta:DeliveryAttributes': { 'meta:Origin': signed.submittedAt, 'meta:InitialSend': new Date().toISOString() },
    'meta:Originators': {
      'meta:Author': { 'meta:Identifier': { '@_type': 'efa', '@_category': options.authorCategory ?? 'EfA-Onlinedienst', '#text': signed.author } },
    },
    'meta:Destinations': {
      'meta:Reader': { 'meta:Identifier': { '@_type': 'xta', '@_name': message.authority.name, '@_category': options.readerCategory ?? 'Fachverfahren', '#text': signed.reader } },
    },
    'meta:MsgIdentification': { 'wsa:MessageID': signed.messageId },
    'meta:Qualifier': {
      'meta:Service': signed.service,
      'meta:BusinessScenario': businessScenario(signed, named, options),
      'meta:MessageType': { '@_listURI': signed.messageTypeList, '@_listVersionID': named.messageType.listVersion, '@_payloadSchema': signed.payloadSchema, code: signed.messageType },
    },
    'meta:MsgSize': String(Buffer.byteLength(message.payload.jwe) + message.attachments.reduce((sum, a) => sum + a.jweLength, 0)),
  };
}

/** A scenario from a code list goes as Defined; a standard's own, in no list we could verify, as Undefined. */
function businessScenario(signed: XtaSignedRequest, named: MessageStandard, options: XtaOptions): Record<string, unknown> {
  const list = options.businessScenario ? { listUri: BUSINESS_SCENARIO_LIST, listVersion: '1' } : named.businessScenario;
  return list.listUri ? { 'meta:Defined': { '@_listURI': list.listUri, '@_listVersionID': list.listVersion, code: signed.businessScenario } } : { 'meta:Undefined': signed.businessScenario };
}

/**
 * One SOAP call. Every answer's body is read for a fault, whatever the HTTP status: a SOAP fault
 * says by its code who is at fault, and that decides retrying, not the status the server chose.
 */
async function post(transport: string, url: string, body: StreamedBody, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  let answer: string;
  try {
    ({ body: answer } = await exchange(transport, url, {
      method: 'POST',
      ...streamedInit(body, `${SOAP_MEDIA_TYPE}; charset=utf-8; action="${SEND_ACTION}"`),
      ...(signal ? { signal } : {}),
    }, timeoutMs));
  } catch (err) {
    const fault = err instanceof HttpStatusError ? readFault(err.responseBody) : undefined;
    throw fault ? faultError(transport, fault) : err;
  }
  const fault = readFault(answer);
  if (fault) throw faultError(transport, fault);
  return answer;
}

interface Fault {
  code: string;
  subcode?: string;
  reason: string;
}

function readFault(body: string): Fault | undefined {
  if (!body.includes('Fault') || hasDoctype(body)) return undefined;
  let doc: unknown;
  try {
    doc = parseXml(body);
  } catch {
    return undefined;
  }
  const fault = child(doc, 'Envelope', 'Body', 'Fault');
  if (fault === undefined) return undefined;
  return {
    code: localName(text(child(fault, 'Code', 'Value'))) ?? 'Receiver',
    subcode: localName(text(child(fault, 'Code', 'Subcode', 'Value'))),
    reason: text(child(fault, 'Reason', 'Text')) ?? '',
  };
}

/** env:Sender: the message itself is wrong, sending it again cannot help. Anything else may pass later. */
function faultError(transport: string, fault: Fault): TransportError {
  const retryable = fault.code !== 'Sender' && fault.code !== 'VersionMismatch' && fault.code !== 'MustUnderstand';
  return new TransportError(transport, `SOAP fault env:${fault.code}${fault.subcode ? ` (${fault.subcode})` : ''}: ${fault.reason}`, retryable);
}

/** The report confirms the ids sent and the very list sent: the list names every plaintext hash. */
function confirmsList(claims: XtaReportClaims, message: OutboundMessage, signedList: string): boolean {
  const ids = Array.isArray(claims.attachmentIds) ? claims.attachmentIds : [];
  return JSON.stringify(ids) === JSON.stringify(message.attachments.map((a) => a.id).sort()) && (claims.attachmentListSha512 ?? '') === signedList;
}

async function readReport(transport: string, body: string, message: OutboundMessage, ctx: TransportContext, signedList: string): Promise<Receipt> {
  let report: unknown;
  try {
    report = hasDoctype(body) ? undefined : child(parseXml(body), 'Envelope', 'Body', 'TransportReport');
  } catch {
    report = undefined;
  }
  // The receiver may have stored the message already; a retry is safe since it deduplicates.
  if (report === undefined) throw new TransportError(transport, 'receiver answered without a TransportReport', true);
  const clear = {
    messageId: text(child(report, 'MessageID')),
    reportTime: text(child(report, 'ReportTime')),
    status: text(child(report, 'MessageStatus', 'Status')),
    duplicate: text(child(report, 'Duplicate')) === 'true',
    signature: text(child(report, 'ReportSignature')),
  };
  if (clear.messageId !== message.messageId) throw new TransportError(transport, `TransportReport names message ${clear.messageId ?? '(none)'}`, true);
  if (clear.status !== '0') throw new TransportError(transport, `TransportReport status ${clear.status ?? '(none)'} is not "delivered without error"`, true);

  const key = ctx.endpoint.verificationKey;
  if (!key) return { transport, deliveredAt: clear.reportTime ?? new Date().toISOString(), evidence: body, verified: false, duplicate: clear.duplicate };
  const claims = await signedClaims<XtaReportClaims>(transport, 'TransportReport', key, clear.signature);
  // The clear XML is for people and Fachverfahren; only the signed claims count, and they must agree.
  if (claims.messageId !== message.messageId || claims.sha512 !== message.payload.sha512 || claims.status !== 'delivered' || claims.duplicate !== clear.duplicate || !confirmsList(claims, message, signedList)) {
    throw new TransportError(transport, 'signed TransportReport does not match the message or its clear fields', true);
  }
  return verifiedReceipt(transport, claims, body);
}
