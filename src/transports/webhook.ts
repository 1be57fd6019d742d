import { randomUUID } from 'node:crypto';
import { TransportError } from '../core/errors.js';
import { signEd25519 } from '../crypto/jws.js';
import type { OutboundAttachment, OutboundMessage, Receipt, Transport, TransportContext } from './types.js';
import { confirmsAttachments, describeAttachment, streamedBody, streamedInit, type AttachmentDescription, type BodyPiece } from './attachments.js';
import { exchange } from './http.js';
import { signedClaims, verifiedReceipt } from './receipt.js';

/**
 * Signed HTTPS webhook after the Standard Webhooks specification: headers webhook-id,
 * webhook-timestamp and webhook-signature ("v1a," + Ed25519 over `${id}.${timestamp}.${body}`).
 * The runtime signs with its own key, published at /.well-known/jwks.json, so authorities need no
 * shared secret. The receiver answers with a receipt signed by the authority (JWS).
 *
 * Without attachments the body is the message as JSON, as the specification has it. With
 * attachments it is multipart/form-data: the same JSON as part "message" (it lists every
 * attachment's id and SHA-512, so the signature over it covers the files), then one part
 * "attachment" per file, its JWE streamed from the store.
 */
export const webhook: Transport = {
  name: 'webhook',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    const json = JSON.stringify(wireMessage(message));
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = await signEd25519(ctx.sender.signingKey, `${message.messageId}.${timestamp}.${json}`);
    const signed = {
      'webhook-id': message.messageId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1a,${signature}`,
      'efa-key-id': ctx.sender.publicJwk.kid,
    };
    const init: RequestInit = message.attachments.length === 0
      ? { headers: { 'content-type': 'application/json', ...signed }, body: json }
      : multipart(this.name, json, message.attachments, signed);
    const result = await exchange(this.name, ctx.endpoint.address, { method: 'POST', ...init, ...(ctx.signal ? { signal: ctx.signal } : {}) }, ctx.timeoutMs);
    return readReceipt(this.name, result.body, message, ctx);
  },

  async check(ctx: TransportContext) {
    try {
      await exchange(this.name, ctx.endpoint.address, { method: 'HEAD' }, ctx.timeoutMs);
      return { ok: true, detail: `${ctx.endpoint.address} reachable` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  },
};

/** An attachment as the signed JSON lists it: everything but the stream. */
export type WebhookAttachment = AttachmentDescription & { pointer: string };

/** The signed JSON: the message as it is, attachments described instead of opened. */
export type WebhookMessage = Omit<OutboundMessage, 'attachments'> & { attachments: WebhookAttachment[] };

export function wireMessage(message: OutboundMessage): WebhookMessage {
  return { ...message, attachments: message.attachments.map((a) => ({ ...describeAttachment(a), pointer: a.pointer })) };
}

/** Part name of each attachment in the multipart body; its filename parameter is the attachment id. */
export const ATTACHMENT_PART = 'attachment';

/** multipart/form-data (RFC 7578) with a known length, the JWEs streamed; exported for tests. */
export function multipart(transport: string, json: string, attachments: readonly OutboundAttachment[], headers: Record<string, string>): RequestInit & { duplex: 'half' } {
  // Base64url JWEs and this JSON cannot contain a random boundary by chance.
  const boundary = `efa-${randomUUID()}`;
  const pieces: BodyPiece[] = [`--${boundary}\r\nContent-Disposition: form-data; name="message"\r\nContent-Type: application/json\r\n\r\n`, json];
  for (const a of attachments) {
    pieces.push(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="${ATTACHMENT_PART}"; filename="${a.id}"\r\nContent-Type: application/jose\r\n\r\n`, a);
  }
  pieces.push(`\r\n--${boundary}--\r\n`);
  const init = streamedInit(streamedBody(transport, pieces), `multipart/form-data; boundary=${boundary}`);
  return { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } };
}

interface ReceiptClaims {
  messageId: string;
  sha512: string;
  receivedAt: string;
  duplicate?: boolean;
  receiverReference?: string;
  /** Id and plaintext SHA-512 of each attachment the receiver decrypted and verified. */
  attachments?: unknown;
}

async function readReceipt(transport: string, body: string, message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
  let parsed: { receipt?: unknown };
  try {
    parsed = JSON.parse(body) as { receipt?: unknown };
  } catch {
    throw new TransportError(transport, 'receiver answered 2xx without a JSON receipt', true);
  }
  if (typeof parsed.receipt !== 'string') throw new TransportError(transport, 'receiver answered 2xx without a receipt', true);
  const key = ctx.endpoint.verificationKey;
  if (!key) {
    return { transport, deliveredAt: new Date().toISOString(), evidence: parsed.receipt, verified: false };
  }
  const claims = await signedClaims<ReceiptClaims>(transport, 'receipt', key, parsed.receipt);
  if (claims.messageId !== message.messageId || claims.sha512 !== message.payload.sha512) {
    throw new TransportError(transport, 'receipt names another message or payload hash', true);
  }
  if (!confirmsAttachments(claims.attachments, message.attachments)) {
    throw new TransportError(transport, 'receipt does not confirm the attachments sent', true);
  }
  return verifiedReceipt(transport, claims, parsed.receipt);
}
