import { randomUUID } from 'node:crypto';
import { buildXml, field, hasDoctype, parseXml } from './xml.js';
import { CompactSign } from 'jose';
import { TransportError } from '../core/errors.js';
import { messageStandard, type MessageStandard } from '../core/formats.js';
import { encryptFor, sha512Hex } from '../crypto/jwe.js';
import type { HealthResult, OutboundMessage, Receipt, Transport, TransportContext } from './types.js';
import {
  confirmsAttachments, describeAttachment, piecesAround, readJwe, streamedBody, streamedInit,
  type AttachmentDescription, type BodyPiece,
} from './attachments.js';
import { exchange } from './http.js';
import { signedClaims, verifiedReceipt } from './receipt.js';

/**
 * OSCI-Transport 1.2 ideas over one HTTP POST: the originator signs the content container, the
 * container is encrypted for the addressee, and only the addressing stands in clear, so whoever
 * relays the envelope learns who writes to whom, nothing more. The addressee answers with a
 * "Laufzettel" it signs, naming the hash of the container it received; the originator checks both.
 *
 * Attachments travel as further parts of the content package, one osci:EncryptedAttachment each,
 * already encrypted for the addressee at submit time. In clear they carry only their id; name,
 * media type, size and plaintext SHA-512 stand in the signed and encrypted content container.
 * Their JWEs are streamed from the store into the request.
 */

/** Our namespace: the envelope follows OSCI's ideas, not its schema, so it must not claim OSCI's. */
export const OSCI_NS = 'urn:efa-runtime:osci:1';
export const OSCI_MEDIA_TYPE = 'application/xml';

/** What the originator signs and only the addressee can read. */
export interface ContentContainer {
  messageId: string;
  reference: string;
  submittedAt: string;
  tenant: string;
  service: OutboundMessage['service'];
  region: string;
  originator: string;
  addressee: string;
  payload: OutboundMessage['payload'];
  /**
   * The standard and version the payload follows, as XTA's Qualifier names it. Only inside the
   * container: a relay learns who writes to whom, not what about.
   */
  standard: MessageStandard;
  /** The attachments that travel beside the container, bound to it by id and plaintext hash. */
  attachments: AttachmentDescription[];
  /**
   * The applicant's login: its eIDAS level; absent for an anonymous application. Inside the
   * container like the standard's naming: signed, and read by the addressee only.
   */
  authentication?: { trustLevel: 'low' | 'substantial' | 'high' };
}

/** What the addressee signs in the Laufzettel. */
export interface LaufzettelClaims {
  messageId: string;
  recipient: string;
  receivedAt: string;
  /** Hex SHA-512 of the encrypted content container exactly as it arrived. */
  contentSha512: string;
  duplicate: boolean;
  receiverReference?: string;
  /** Id and plaintext SHA-512 of each attachment the addressee decrypted and verified. */
  attachments?: unknown;
}


export const osci: Transport = {
  name: 'osci',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    const { pieces, contentSha512 } = await buildEnvelopePieces(message, ctx);
    const result = await exchange(this.name, ctx.endpoint.address, {
      method: 'POST',
      ...streamedInit(streamedBody(this.name, pieces), `${OSCI_MEDIA_TYPE}; charset=utf-8`),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    }, ctx.timeoutMs);
    return readLaufzettel(this.name, result.body, message, contentSha512, ctx);
  },

  async check(ctx: TransportContext): Promise<HealthResult> {
    try {
      await exchange(this.name, ctx.endpoint.address, { method: 'HEAD' }, ctx.timeoutMs);
      return { ok: true, detail: `${ctx.endpoint.address} reachable` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  },
};

export function addresseeOf(ctx: TransportContext): string {
  return ctx.endpoint.identifiers.readerId ?? ctx.endpoint.authorityId;
}

/** The whole envelope as one string, attachments read into it; for tests that inspect or tamper with it. */
export async function buildEnvelope(message: OutboundMessage, ctx: TransportContext): Promise<{ xml: string; contentSha512: string }> {
  const { pieces, contentSha512 } = await buildEnvelopePieces(message, ctx);
  const texts = await Promise.all(pieces.map((p) => (typeof p === 'string' ? p : Buffer.isBuffer(p) ? p.toString('utf8') : readJwe(p))));
  return { xml: texts.join(''), contentSha512 };
}

/** Signs the content container, encrypts it for the addressee and wraps it with the attachments' JWEs. */
export async function buildEnvelopePieces(message: OutboundMessage, ctx: TransportContext): Promise<{ pieces: BodyPiece[]; contentSha512: string }> {
  const container: ContentContainer = {
    messageId: message.messageId,
    reference: message.reference,
    submittedAt: message.submittedAt,
    tenant: message.tenant,
    service: message.service,
    region: message.region,
    originator: ctx.sender.id,
    addressee: addresseeOf(ctx),
    payload: message.payload,
    standard: messageStandard({ ...message.payload, service: message.service }),
    attachments: message.attachments.map(describeAttachment),
    ...(message.authentication ? { authentication: { trustLevel: message.authentication.trustLevel } } : {}),
  };
  const signed = await new CompactSign(new TextEncoder().encode(JSON.stringify(container)))
    .setProtectedHeader({ alg: 'EdDSA', kid: ctx.sender.publicJwk.kid, typ: 'osci-content+jws' })
    .sign(ctx.sender.signingKey);
  // Sign, then encrypt: the signature is hidden too, so the relay cannot tell which key signed.
  const encrypted = await encryptFor(ctx.endpoint.encryptionKey, signed, 'osci-content+jws');
  const markers = new Map(message.attachments.map((a) => [`EFA-ATTACHMENT-${randomUUID()}`, a] as const));
  const xml = buildXml({
    'osci:Envelope': {
      '@_xmlns:osci': OSCI_NS,
      '@_type': 'forwardDelivery',
      'osci:Header': {
        'osci:MessageId': container.messageId,
        'osci:Originator': container.originator,
        'osci:Addressee': container.addressee,
      },
      'osci:ContentPackage': {
        'osci:EncryptedContentContainer': { '@_encoding': 'JWE-compact', '#text': encrypted },
        ...(markers.size > 0
          ? { 'osci:EncryptedAttachment': [...markers].map(([marker, a]) => ({ '@_id': a.id, '@_encoding': 'JWE-compact', '#text': marker })) }
          : {}),
      },
    },
  });
  return { pieces: piecesAround(xml, markers), contentSha512: sha512Hex(encrypted) };
}

async function readLaufzettel(transport: string, body: string, message: OutboundMessage, contentSha512: string, ctx: TransportContext): Promise<Receipt> {
  let card: unknown;
  try {
    card = hasDoctype(body) ? undefined : parseXml(body).Laufzettel;
  } catch {
    card = undefined;
  }
  // The addressee may have stored the message already; a retry is safe since it deduplicates.
  if (card === undefined) throw new TransportError(transport, 'receiver answered without a Laufzettel', true);
  const clear = {
    messageId: field(card, 'MessageId'),
    reception: field(card, 'Reception'),
    contentSha512: field(card, 'ContentHash'),
    duplicate: field(card, 'Duplicate') === 'true',
    signature: field(card, 'Signature'),
  };
  if (clear.messageId !== message.messageId || clear.contentSha512 !== contentSha512) {
    throw new TransportError(transport, 'Laufzettel names another message or another content hash', true);
  }
  const key = ctx.endpoint.verificationKey;
  if (!key) return { transport, deliveredAt: clear.reception ?? new Date().toISOString(), evidence: body, verified: false, duplicate: clear.duplicate };
  const claims = await signedClaims<LaufzettelClaims>(transport, 'Laufzettel', key, clear.signature);
  if (claims.messageId !== message.messageId || claims.contentSha512 !== contentSha512 || claims.recipient !== addresseeOf(ctx) || claims.duplicate !== clear.duplicate || !confirmsAttachments(claims.attachments, message.attachments)) {
    throw new TransportError(transport, 'signed Laufzettel does not match the message sent or its clear fields', true);
  }
  return verifiedReceipt(transport, claims, body);
}
