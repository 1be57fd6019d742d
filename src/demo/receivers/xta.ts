import type { JWK } from 'jose';
import { decryptWith, sha512Hex } from '../../crypto/jwe.js';
import { decodeUtf8, signJson, verifyJson } from '../../crypto/jws.js';
import {
  SOAP_MEDIA_TYPE, XTA_NS,
  type XtaReportClaims, type XtaSignedRequest,
} from '../../transports/xta.js';
import { attr, buildXml, child, children, hasDoctype, parseXml, text } from '../../transports/xml.js';
import { standardProblem } from './standard.js';
import type { AttachmentDescription } from '../../transports/attachments.js';
import { AttachmentRefusal, RECEIVER_BODY_LIMIT, isDescriptionList, openAll } from './attachments.js';
import type { ReceivedAttachment } from './inbox.js';
import type { ReceiverAuthority, ReceiverPlugin } from './types.js';

/**
 * The authority side of XTA: reads the SOAP request, checks the sender's signature over the
 * metadata and the content hash, decrypts with the authority's key, checks the plaintext hash
 * (of the content, and of every attachment against the encrypted attachment list), stores once per message id and answers with a signed TransportReport. Everything it refuses is
 * a SOAP fault: env:Sender when the message is wrong (the sender must not retry), env:Receiver
 * when we are (it may).
 */
export const xtaReceiver: ReceiverPlugin = async (app, { authorities, inbox, senderKeys }) => {
  // Our own parsers: plugins are encapsulated, so other receivers keep theirs.
  for (const type of [SOAP_MEDIA_TYPE, 'application/xml']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: RECEIVER_BODY_LIMIT }, (_req, body, done) => done(null, body));
  }

  app.post<{ Params: { authorityId: string }; Body: string }>('/xta/:authorityId', { bodyLimit: RECEIVER_BODY_LIMIT }, async (req, reply) => {
    try {
      const authority = authorities.get(req.params.authorityId);
      if (!authority) throw new SoapFault('Sender', 'EFA_XTA_READER_UNKNOWN', 'no reader at this address', 404);
      const request = readRequest(req.body);
      const keys = await senderKeys().catch((err: unknown) => {
        throw new SoapFault('Receiver', 'EFA_XTA_KEYS_UNAVAILABLE', `sender keys unavailable: ${String(err)}`);
      });
      const signed = await verifySender(request.signature, keys);
      compareSigned(signed, request.fields);
      checkStandard(signed);
      const document = await decrypt(authority, request.jwe, signed.sha512);
      checkStandard(signed, document);
      const attachments = await openAttachments(authority, await attachmentList(authority, request.attachmentList), request.attachmentJwes);

      const { duplicate, message: stored } = inbox.add({
        messageId: signed.messageId,
        transport: 'xta',
        authorityId: authority.id,
        receivedAt: new Date().toISOString(),
        reference: signed.reference,
        serviceKey: signed.leikaKey,
        mediaType: signed.mediaType,
        document,
        metadata: {
          reader: signed.reader,
          author: signed.author,
          service: signed.service,
          businessScenario: signed.businessScenario,
          messageType: signed.messageType,
          messageTypeList: signed.messageTypeList,
          payloadSchema: signed.payloadSchema,
          format: signed.format,
          standard: signed.standard,
          standardVersion: signed.standardVersion,
          origin: request.origin,
          tenant: signed.tenant,
          region: signed.region,
          submittedAt: signed.submittedAt,
          schemaUri: signed.schemaUri,
          ...(signed.trustLevel ? { trustLevel: signed.trustLevel } : {}),
        },
        attachments,
      });
      return reply.code(200).type(`${SOAP_MEDIA_TYPE}; charset=utf-8`).send(await report(authority, signed, stored.receivedAt, duplicate, attachments));
    } catch (err) {
      const fault = err instanceof SoapFault ? err : new SoapFault('Receiver', 'EFA_XTA_INTERNAL', 'the receiver failed');
      if (!(err instanceof SoapFault)) req.log.error({ err }, 'xta receiver failed');
      return reply.code(fault.status).type(`${SOAP_MEDIA_TYPE}; charset=utf-8`).send(faultEnvelope(fault));
    }
  });

  app.head('/xta/:authorityId', async (req, reply) => reply.code(authorities.has((req.params as { authorityId: string }).authorityId) ? 200 : 404).send());
};

/** A refusal with SOAP 1.2 fault code and our subcode; HTTP status as the SOAP HTTP binding maps it. */
class SoapFault extends Error {
  constructor(readonly code: 'Sender' | 'Receiver', readonly subcode: string, message: string, readonly status = code === 'Sender' ? 400 : 500) {
    super(message);
  }
}

interface ParsedRequest {
  /** The signed values as they stand in the XML, to be compared with what the sender signed. */
  fields: XtaSignedRequest;
  signature: string;
  jwe: string;
  /** The efa:EncryptedAttachment texts by id. */
  attachmentJwes: Map<string, string>;
  /** The efa:EncryptedAttachmentList JWE: names, sizes and hashes, for the reader only. */
  attachmentList?: string;
  origin?: string;
}

function readRequest(body: unknown): ParsedRequest {
  if (typeof body !== 'string' || body.length === 0) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'empty request');
  if (hasDoctype(body)) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'a SOAP message must not contain a DTD');
  let doc: unknown;
  try {
    doc = parseXml(body);
  } catch {
    throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'request is not well-formed XML');
  }
  const header = child(doc, 'Envelope', 'Header');
  const meta = child(header, 'MessageMetaData');
  const submission = child(header, 'Submission');
  const content = child(doc, 'Envelope', 'Body', 'GenericContentContainer', 'EncryptedContent');
  const jwe = text(content);
  const signature = text(child(header, 'SenderSignature'));
  if (!meta || !jwe || !signature) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'MessageMetaData, SenderSignature or EncryptedContent missing');
  const qualifier = child(meta, 'Qualifier');
  const attachmentElements = children(child(doc, 'Envelope', 'Body', 'GenericContentContainer'), 'EncryptedAttachment');
  const attachmentList = text(child(doc, 'Envelope', 'Body', 'GenericContentContainer', 'EncryptedAttachmentList'));
  const attachmentJwes = new Map<string, string>();
  for (const element of attachmentElements) {
    const id = attr(element, 'id');
    const content = text(element);
    if (!id || !content || attachmentJwes.has(id)) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'every EncryptedAttachment needs its own id and content');
    attachmentJwes.set(id, content);
  }
  const fields: XtaSignedRequest = {
    messageId: text(child(meta, 'MsgIdentification', 'MessageID')) ?? '',
    author: text(child(meta, 'Originators', 'Author', 'Identifier')) ?? '',
    reader: text(child(meta, 'Destinations', 'Reader', 'Identifier')) ?? '',
    service: text(child(qualifier, 'Service')) ?? '',
    businessScenario: text(child(qualifier, 'BusinessScenario', 'Defined', 'code')) ?? text(child(qualifier, 'BusinessScenario', 'Undefined')) ?? '',
    messageType: text(child(qualifier, 'MessageType', 'code')) ?? '',
    messageTypeList: attr(child(qualifier, 'MessageType'), 'listURI') ?? '',
    payloadSchema: attr(child(qualifier, 'MessageType'), 'payloadSchema') ?? '',
    format: attr(content, 'format') ?? '',
    standard: attr(content, 'standard') ?? '',
    standardVersion: attr(content, 'standardVersion') ?? '',
    leikaKey: attr(submission, 'leikaKey') ?? '',
    reference: attr(submission, 'reference') ?? '',
    tenant: attr(submission, 'tenant') ?? '',
    region: attr(submission, 'region') ?? '',
    submittedAt: attr(submission, 'submittedAt') ?? '',
    mediaType: attr(content, 'mediaType') ?? '',
    sha512: attr(content, 'sha512') ?? '',
    schemaUri: attr(content, 'schemaUri') ?? '',
    contentSha512: sha512Hex(jwe),
    attachmentIds: [...attachmentJwes.keys()],
    attachmentListSha512: attachmentList ? sha512Hex(attachmentList) : '',
  };
  const trustLevel = attr(submission, 'trustLevel');
  if (trustLevel !== undefined) fields.trustLevel = trustLevel as XtaSignedRequest['trustLevel'];
  if (!fields.messageId || !fields.reader) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'MessageID or Reader missing');
  return { fields, signature, jwe, attachmentJwes, attachmentList, origin: text(child(meta, 'DeliveryAttributes', 'Origin')) };
}

async function verifySender(jws: string, keys: JWK[]): Promise<XtaSignedRequest> {
  for (const key of keys) {
    try {
      return (await verifyJson<XtaSignedRequest>(key, jws)).payload;
    } catch {
      // not this key: try the next one (the sender may be rotating keys)
    }
  }
  throw new SoapFault('Sender', 'EFA_XTA_SIGNATURE_INVALID', 'sender signature does not verify with any trusted key');
}

/** The Qualifier names what the reader's system will read; a wrong name is the sender's fault. */
function checkStandard(signed: XtaSignedRequest, document?: string): void {
  const problem = standardProblem(signed, document);
  if (problem) throw new SoapFault('Sender', 'EFA_XTA_QUALIFIER_INVALID', `Qualifier: ${problem}`);
}

/**
 * Every signed value must stand unchanged in the XML; the JWE is covered by its hash. The optional
 * ones (trustLevel) are compared whichever side has them: one removed in transit fails as well.
 */
function compareSigned(signed: XtaSignedRequest, fields: XtaSignedRequest): void {
  for (const name of new Set([...Object.keys(fields), ...Object.keys(signed)]) as Set<keyof XtaSignedRequest>) {
    if (JSON.stringify(signed[name]) !== JSON.stringify(fields[name])) {
      const content = name === 'contentSha512' || name === 'attachmentListSha512';
      throw new SoapFault('Sender', content ? 'EFA_XTA_CONTENT_CHANGED' : 'EFA_XTA_METADATA_CHANGED', `${name} differs from what the sender signed`);
    }
  }
}

/** The attachments' descriptions, decrypted: only the reader learns names, sizes and hashes. */
async function attachmentList(authority: ReceiverAuthority, jwe: string | undefined): Promise<AttachmentDescription[]> {
  if (jwe === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(decodeUtf8((await decryptWith(authority.decryptionKey, jwe)).plaintext));
  } catch {
    throw new SoapFault('Sender', 'EFA_XTA_DECRYPTION_FAILED', 'attachment list cannot be decrypted with this reader\'s key');
  }
  if (!isDescriptionList(list)) throw new SoapFault('Sender', 'EFA_XTA_MALFORMED', 'the attachment list names an attachment without id, filename, mediaType, size or sha512');
  return list;
}

/** Each attachment must decrypt with the reader's key to the SHA-512 its (signed, encrypted) list names. */
async function openAttachments(authority: ReceiverAuthority, described: AttachmentDescription[], jwes: Map<string, string>): Promise<ReceivedAttachment[]> {
  try {
    return await openAll(authority, described, jwes);
  } catch (err) {
    if (!(err instanceof AttachmentRefusal)) throw err;
    const subcode = err.codeFor('EFA_XTA');
    throw new SoapFault('Sender', subcode, err.message);
  }
}

async function decrypt(authority: ReceiverAuthority, jwe: string, sha512: string): Promise<string> {
  let document: string;
  try {
    document = decodeUtf8((await decryptWith(authority.decryptionKey, jwe)).plaintext);
  } catch {
    throw new SoapFault('Sender', 'EFA_XTA_DECRYPTION_FAILED', 'content cannot be decrypted with this reader\'s key');
  }
  if (sha512Hex(document) !== sha512) throw new SoapFault('Sender', 'EFA_XTA_HASH_MISMATCH', 'decrypted content does not match its SHA-512');
  return document;
}

async function report(authority: ReceiverAuthority, signed: XtaSignedRequest, receivedAt: string, duplicate: boolean, attachments: ReceivedAttachment[]): Promise<string> {
  const claims: XtaReportClaims = {
    messageId: signed.messageId,
    sha512: signed.sha512,
    receivedAt,
    status: 'delivered',
    duplicate,
    reader: signed.reader,
    receiverReference: `${authority.id}:${signed.messageId}`,
    // Ids and the list's hash, not the files' hashes: the report travels in clear like the request.
    attachmentIds: attachments.map((a) => a.id).sort(),
    attachmentListSha512: signed.attachmentListSha512,
  };
  const signature = await signJson(authority.signingKey, { ...claims }, 'xta-report+jws');
  return buildXml({
    'env:Envelope': {
      '@_xmlns:env': XTA_NS.env,
      '@_xmlns:wsa': XTA_NS.wsa,
      '@_xmlns:xta': XTA_NS.xta,
      '@_xmlns:efa': XTA_NS.efa,
      'env:Header': { 'wsa:Action': 'http://www.xta.de/XTA/SendMessageResponse', 'wsa:RelatesTo': signed.messageId },
      'env:Body': {
        'xta:TransportReport': {
          'xta:MessageID': signed.messageId,
          'xta:ReportTime': receivedAt,
          'xta:XTAServerIdentity': authority.id,
          // XTA status: 0 = delivered without error (green), 1 = with warnings, 2 = failed.
          'xta:MessageStatus': { 'xta:Status': '0', 'xta:StatusText': duplicate ? 'Zugestellt (bereits vorhanden)' : 'Zugestellt' },
          'efa:Duplicate': String(duplicate),
          'efa:ReceivedContentHash': { '@_algorithm': 'SHA-512', '#text': signed.sha512 },
          ...(attachments.length > 0 ? { 'efa:ReceivedAttachmentList': { '@_algorithm': 'SHA-512', '@_count': String(attachments.length), '#text': signed.attachmentListSha512 } } : {}),
          'efa:ReportSignature': { '@_format': 'JWS', '#text': signature },
        },
      },
    },
  });
}

function faultEnvelope(fault: SoapFault): string {
  return buildXml({
    'env:Envelope': {
      '@_xmlns:env': XTA_NS.env,
      '@_xmlns:efa': XTA_NS.efa,
      'env:Body': {
        'env:Fault': {
          'env:Code': { 'env:Value': `env:${fault.code}`, 'env:Subcode': { 'env:Value': `efa:${fault.subcode}` } },
          'env:Reason': { 'env:Text': { '@_xml:lang': 'en', '#text': fault.message } },
        },
      },
    },
  });
}
