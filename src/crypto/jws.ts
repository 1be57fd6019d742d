import { webcrypto } from 'node:crypto';
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import { keyId } from './jwe.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Signs a JSON document as JWS compact (RFC 7515) with a private JWK (alg taken from the key). */
export async function signJson(privateJwk: JWK, claims: Record<string, unknown>, typ?: string): Promise<string> {
  const alg = privateJwk.alg ?? 'EdDSA';
  const key = await importJWK(privateJwk, alg);
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, kid: await keyId(privateJwk), ...(typ ? { typ } : {}) })
    .sign(key);
}

/** Verifies a JWS compact with a public JWK and returns its JSON payload; throws if it does not verify. */
export async function verifyJson<T = Record<string, unknown>>(publicJwk: JWK, jws: string): Promise<{ payload: T; header: Record<string, unknown> }> {
  const alg = publicJwk.alg ?? 'EdDSA';
  const key = await importJWK(publicJwk, alg);
  const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: [alg] });
  return { payload: JSON.parse(decoder.decode(payload)) as T, header: protectedHeader as Record<string, unknown> };
}

/** Raw Ed25519 signature over bytes (Standard Webhooks "v1a"), base64. */
export async function signEd25519(key: CryptoKey, data: string): Promise<string> {
  const sig = await webcrypto.subtle.sign('Ed25519', key, encoder.encode(data));
  return Buffer.from(sig).toString('base64');
}

export async function verifyEd25519(publicJwk: JWK, data: string, signatureB64: string): Promise<boolean> {
  const key = await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA');
  if (key instanceof Uint8Array) return false;
  return webcrypto.subtle.verify('Ed25519', key, Buffer.from(signatureB64, 'base64'), encoder.encode(data));
}

export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
