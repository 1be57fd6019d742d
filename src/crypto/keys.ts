import { generateKeyPair, exportJWK, importJWK, calculateJwkThumbprint, type JWK } from 'jose';

/** The runtime's own identity towards authorities: it signs what it sends. */
export interface SenderIdentity {
  id: string;
  /** Private signing key (Ed25519) as a CryptoKey usable by jose and node:crypto. */
  signingKey: CryptoKey;
  /** Its public half, as published at /.well-known/jwks.json. */
  publicJwk: JWK & { kid: string };
}

export interface KeyPairJwk {
  publicJwk: JWK & { kid: string };
  privateJwk: JWK & { kid: string };
}

/** RSA key pair for payload encryption (RSA-OAEP-256); FIT-Connect demands at least 4096 bits. */
export async function generateEncryptionKeyPair(modulusLength = 4096): Promise<KeyPairJwk> {
  const { publicKey, privateKey } = await generateKeyPair('RSA-OAEP-256', { modulusLength, extractable: true });
  return withKid(await exportJWK(publicKey), await exportJWK(privateKey), { alg: 'RSA-OAEP-256', use: 'enc', key_ops: undefined });
}

/** Ed25519 key pair for signatures (webhooks, receipts, event tokens). */
export async function generateSigningKeyPair(): Promise<KeyPairJwk> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return withKid(await exportJWK(publicKey), await exportJWK(privateKey), { alg: 'EdDSA', use: 'sig' });
}

/** RSA-PSS key pair (PS512), as FIT-Connect destinations and the Submission Service sign event tokens with. */
export async function generatePs512KeyPair(modulusLength = 4096): Promise<KeyPairJwk> {
  const { publicKey, privateKey } = await generateKeyPair('PS512', { modulusLength, extractable: true });
  return withKid(await exportJWK(publicKey), await exportJWK(privateKey), { alg: 'PS512', use: 'sig' });
}

async function withKid(pub: JWK, priv: JWK, extra: Partial<JWK>): Promise<KeyPairJwk> {
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const clean = (k: JWK): JWK => Object.fromEntries(Object.entries({ ...k, ...extra, kid }).filter(([, v]) => v !== undefined));
  return { publicJwk: clean(pub) as JWK & { kid: string }, privateJwk: clean(priv) as JWK & { kid: string } };
}

/** Imports a signing JWK (Ed25519 private or public) as a CryptoKey. */
export async function importSigningKey(jwk: JWK): Promise<CryptoKey> {
  const key = await importJWK(jwk, jwk.alg ?? 'EdDSA');
  if (key instanceof Uint8Array) throw new TypeError('a symmetric key is not a signing key');
  return key;
}

/** Strips private members so a key can be published or written into routing data. */
export function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, k: _k, ...pub } = jwk as JWK & Record<string, unknown>;
  return pub as JWK;
}
