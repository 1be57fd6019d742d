import type { JWK } from 'jose';
import { TransportError } from '../core/errors.js';
import { verifyJson } from '../crypto/jws.js';
import type { Receipt } from './types.js';

/**
 * The claims of a receipt the authority signed (webhook receipt, XTA TransportReport, OSCI
 * Laufzettel). A missing or wrong signature is retryable: the message may well have arrived, and
 * the resend is deduplicated by the receiver, which then signs again.
 */
export async function signedClaims<T>(transport: string, what: string, key: JWK, signature: string | undefined): Promise<T> {
  if (!signature) throw new TransportError(transport, `${what} carries no signature`, true);
  try {
    return (await verifyJson<T>(key, signature)).payload;
  } catch (err) {
    throw new TransportError(transport, `${what} signature does not verify with the authority key`, true, { cause: err });
  }
}

/** The receipt of a delivery whose signed claims were checked against the message sent. */
export function verifiedReceipt(transport: string, claims: { receivedAt: string; receiverReference?: string; duplicate?: boolean }, evidence: string): Receipt {
  return { transport, deliveredAt: claims.receivedAt, receiverReference: claims.receiverReference, evidence, verified: true, duplicate: claims.duplicate === true };
}
