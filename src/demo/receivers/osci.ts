import type { JWK } from 'jose';
import { decryptWith, sha512Hex } from '../../crypto/jwe.js';
import { decodeUtf8, signJson, verifyJson } from '../../crypto/jws.js';
import { attr, buildXml, children, field, parseXml, text } from '../../transports/xml.js';
import { OSCI_MEDIA_TYPE, OSCI_NS, type ContentContainer, type LaufzettelClaims } from '../../transports/osci.js';
import { AttachmentRefusal, RECEIVER_BODY_LIMIT, confirmedDigests, isDescriptionList, openAll } from './attachments.js';
import type { ReceivedAttachment } from './inbox.js';
import { standardProblem, type NamedStandard } from './standard.js';
import type { ReceiverAuthority, ReceiverPlugin } from './types.js';

/**
 * The addressee side of the OSCI-like transport: decrypts the content container with the
 * authority's key, verifies the originator's signature inside it, checks that the clear addressing
 * agrees with the signed one and that the payload and every attachment match their hashes, stores once per message id and
 * answers with a signed Laufzettel. A refusal stores nothing and answers 4xx with a Feedback entry.
 */
export const osciReceiver: ReceiverPlugin = async (app, { authorities, inbox, senderKeys }) => {
  // Our own parser: plugins are encapsulated, so other receivers keep theirs.
  app.addContentTypeParser(OSCI_MEDIA_TYPE, { parseAs: 'string', bodyLimit: RECEIVER_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Params: { authorityId: string }; Body: string }>('/osci/:authorityId', { bodyLimit: RECEIVER_BODY_LIMIT }, async (req, reply) => {
    try {
      const authority = authorities.get(req.params.authorityId);
      if (!authority) throw new Refusal(404, 'EFA_OSCI_ADDRESSEE_UNKNOWN', 'no addressee at this address');
      const envelope = readEnvelope(req.body);
      const contentSha512 = sha512Hex(envelope.encrypted);
      const signed = await decryptContainer(authority, envelope.encrypted);
      const keys = await senderKeys().catch((err: unknown) => {
        throw new Refusal(503, 'EFA_OSCI_KEYS_UNAVAILABLE', `originator keys unavailable: ${String(err)}`);
      });
      const { container, keyId } = await verifyOriginator(signed, keys);
      if (container.messageId !== envelope.messageId || container.addressee !== envelope.addressee || container.originator !== envelope.originator) {
        throw new Refusal(422, 'EFA_OSCI_ADDRESSING_CHANGED', 'clear addressing differs from the signed content container');
      }
      const standard = namedStandard(container);
      const document = await decryptPayload(authority, container);
      const problem = standardProblem(standard, document);
      if (problem) throw new Refusal(422, 'EFA_OSCI_STANDARD_INVALID', problem);
      const attachments = await openAttachments(authority, container, envelope.attachments);

      const { duplicate, message: stored } = inbox.add({
        messageId: container.messageId,
        transport: 'osci',
        authorityId: authority.id,
        receivedAt: new Date().toISOString(),
        reference: container.reference,
        serviceKey: container.service.leikaKey,
        mediaType: container.payload.mediaType,
        document,
        metadata: {
          originator: container.originator,
          addressee: container.addressee,
          originatorKeyId: keyId,
          contentSha512,
          tenant: container.tenant,
          service: container.service,
          region: container.region,
          submittedAt: container.submittedAt,
          schemaUri: container.payload.schemaUri,
          standard: container.standard,
          ...(container.authentication ? { trustLevel: container.authentication.trustLevel } : {}),
        },
        attachments,
      });
      return reply.code(200).type(`${OSCI_MEDIA_TYPE}; charset=utf-8`).send(await laufzettel(authority, container.addressee, container.messageId, contentSha512, stored.receivedAt, duplicate, attachments));
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(500, 'EFA_OSCI_INTERNAL', 'the receiver failed');
      if (!(err instanceof Refusal)) req.log.error({ err }, 'osci receiver failed');
      return reply.code(refusal.status).type(`${OSCI_MEDIA_TYPE}; charset=utf-8`).send(feedback(refusal));
    }
  });

  app.head('/osci/:authorityId', async (req, reply) => reply.code(authorities.has((req.params as { authorityId: string }).authorityId) ? 200 : 404).send());
};

/** Why a message was not accepted: 4xx means the originator must not retry, 5xx that it may. */
class Refusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

interface Envelope {
  messageId: string;
  originator: string;
  addressee: string;
  encrypted: string;
  /** The osci:EncryptedAttachment texts by id. */
  attachments: Map<string, string>;
}

function readEnvelope(body: unknown): Envelope {
  if (typeof body !== 'string' || body.length === 0) throw new Refusal(400, 'EFA_OSCI_MALFORMED', 'empty request');
  if (/<!DOCTYPE/i.test(body)) throw new Refusal(400, 'EFA_OSCI_MALFORMED', 'a DTD is not accepted');
  let envelope: unknown;
  try {
    envelope = parseXml(body).Envelope;
  } catch {
    throw new Refusal(400, 'EFA_OSCI_MALFORMED', 'request is not well-formed XML');
  }
  const header = (envelope as Record<string, unknown> | undefined)?.Header;
  const contentPackage = (envelope as Record<string, unknown> | undefined)?.ContentPackage;
  const result = {
    messageId: field(header, 'MessageId'),
    originator: field(header, 'Originator'),
    addressee: field(header, 'Addressee'),
    encrypted: field(contentPackage, 'EncryptedContentContainer'),
  };
  if (!result.messageId || !result.originator || !result.addressee || !result.encrypted) {
    throw new Refusal(400, 'EFA_OSCI_MALFORMED', 'MessageId, Originator, Addressee or EncryptedContentContainer missing');
  }
  const attachments = new Map<string, string>();
  for (const element of children(contentPackage, 'EncryptedAttachment')) {
    const id = attr(element, 'id');
    const content = text(element);
    if (!id || !content || attachments.has(id)) throw new Refusal(400, 'EFA_OSCI_MALFORMED', 'every EncryptedAttachment needs its own id and content');
    attachments.set(id, content);
  }
  return { ...(result as Omit<Envelope, 'attachments'>), attachments };
}

/** What the signed container says the payload is, as the Fachverfahren would dispatch it. */
function namedStandard(container: ContentContainer): NamedStandard {
  const s = container.standard as Partial<ContentContainer['standard']> | undefined;
  if (!s || typeof s !== 'object' || typeof s.format !== 'string') throw new Refusal(422, 'EFA_OSCI_STANDARD_INVALID', 'the content container does not name its standard');
  return { format: s.format, service: String(s.service), messageType: String(s.messageType?.code), messageTypeList: String(s.messageType?.listUri), payloadSchema: String(s.payloadSchema) };
}

async function decryptContainer(authority: ReceiverAuthority, encrypted: string): Promise<string> {
  try {
    return decodeUtf8((await decryptWith(authority.decryptionKey, encrypted)).plaintext);
  } catch {
    // Also what a container changed in transit gives: AES-GCM refuses a broken tag.
    throw new Refusal(422, 'EFA_OSCI_DECRYPTION_FAILED', 'content container cannot be decrypted with this addressee\'s key');
  }
}

async function verifyOriginator(jws: string, keys: JWK[]): Promise<{ container: ContentContainer; keyId?: string }> {
  for (const key of keys) {
    try {
      const { payload, header } = await verifyJson<ContentContainer>(key, jws);
      return { container: payload, keyId: typeof header.kid === 'string' ? header.kid : undefined };
    } catch {
      // not this key: try the next one (the originator may be rotating keys)
    }
  }
  throw new Refusal(401, 'EFA_OSCI_SIGNATURE_INVALID', 'content container signature does not verify with any trusted originator key');
}

async function decryptPayload(authority: ReceiverAuthority, container: ContentContainer): Promise<string> {
  let document: string;
  try {
    document = decodeUtf8((await decryptWith(authority.decryptionKey, container.payload.jwe)).plaintext);
  } catch {
    throw new Refusal(422, 'EFA_OSCI_DECRYPTION_FAILED', 'payload cannot be decrypted with this addressee\'s key');
  }
  if (sha512Hex(document) !== container.payload.sha512) throw new Refusal(422, 'EFA_OSCI_HASH_MISMATCH', 'payload does not match its SHA-512');
  return document;
}

/** Every attachment the signed container lists must be there and decrypt to its SHA-512; no other may come along. */
async function openAttachments(authority: ReceiverAuthority, container: ContentContainer, arrived: Map<string, string>): Promise<ReceivedAttachment[]> {
  const described = container.attachments ?? [];
  if (!isDescriptionList(described)) throw new Refusal(422, 'EFA_OSCI_MALFORMED', 'the content container lists attachments without id, filename, mediaType, size or sha512');
  try {
    return await openAll(authority, described, arrived);
  } catch (err) {
    if (!(err instanceof AttachmentRefusal)) throw err;
    const code = err.codeFor('EFA_OSCI');
    throw new Refusal(422, code, err.message);
  }
}

/**
 * The Laufzettel names the addressee of the (verified) container, not the mailbox it arrived in:
 * one intermediary key may receive for several addressees, and the sender checks the addressee it meant.
 */
async function laufzettel(authority: ReceiverAuthority, addressee: string, messageId: string, contentSha512: string, receivedAt: string, duplicate: boolean, attachments: ReceivedAttachment[]): Promise<string> {
  const claims: LaufzettelClaims = {
    messageId,
    recipient: addressee,
    receivedAt,
    contentSha512,
    duplicate,
    receiverReference: `${authority.id}:${messageId}`,
    attachments: confirmedDigests(attachments),
  };
  const signature = await signJson(authority.signingKey, { ...claims }, 'osci-laufzettel+jws');
  return buildXml({
    'osci:Laufzettel': {
      '@_xmlns:osci': OSCI_NS,
      'osci:MessageId': messageId,
      'osci:Reception': receivedAt,
      'osci:Recipient': addressee,
      'osci:ContentHash': { '@_algorithm': 'SHA-512', '#text': contentSha512 },
      'osci:Duplicate': String(duplicate),
      'osci:Signature': { '@_format': 'JWS', '#text': signature },
    },
  });
}

function feedback(refusal: Refusal): string {
  return buildXml({
    'osci:Feedback': {
      '@_xmlns:osci': OSCI_NS,
      'osci:Entry': { '@_code': refusal.code, '@_xml:lang': 'en', '#text': refusal.message },
    },
  });
}
