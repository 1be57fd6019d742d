import { TransportError } from '../../core/errors.js';
import { signEd25519 } from '../../crypto/jws.js';
import type { OutboundMessage, Receipt, Transport, TransportContext } from '../types.js';
import { exchange } from './http.js';
import { signedClaims, verifiedReceipt } from './receipt.js';

/**
 * Signed HTTPS webhook after the Standard Webhooks specification: headers webhook-id,
 * webhook-timestamp and webhook-signature ("v1a," + Ed25519 over `${id}.${timestamp}.${body}`).
 * The runtime signs with its own key, published at /.well-known/jwks.json, so authorities need no
 * shared secret. The receiver answers with a receipt signed by the authority (JWS).
 */
export const webhook: Transport = {
  name: 'webhook',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    const body = JSON.stringify(message);
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = await signEd25519(ctx.sender.signingKey, `${message.messageId}.${timestamp}.${body}`);
    const result = await exchange(this.name, ctx.endpoint.address, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': message.messageId,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1a,${signature}`,
        'efa-key-id': ctx.sender.publicJwk.kid,
      },
      body,
    }, ctx.timeoutMs);
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

interface ReceiptClaims {
  messageId: string;
  sha512: string;
  receivedAt: string;
  duplicate?: boolean;
  receiverReference?: string;
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
  return verifiedReceipt(transport, claims, parsed.receipt);
}
