import { createHash } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, importJWK, calculateJwkThumbprint, type JWK } from 'jose';

/** The algorithms FIT-Connect prescribes for payloads; we use them for every transport. */
export const KEY_ALG = 'RSA-OAEP-256';
export const CONTENT_ENC = 'A256GCM';

const encoder = new TextEncoder();

export function sha512Hex(data: string | Uint8Array): string {
  return createHash('sha512').update(data).digest('hex');
}

/** kid of a public key: its JWK thumbprint (RFC 7638) unless the key names one. */
export async function keyId(jwk: JWK): Promise<string> {
  return jwk.kid ?? (await calculateJwkThumbprint(jwk, 'sha256'));
}

/** Encrypts plaintext for the holder of the private half of `publicJwk` (JWE compact, RFC 7516). */
export async function encryptFor(publicJwk: JWK, plaintext: string | Uint8Array, contentType?: string): Promise<string> {
  const key = await importJWK({ ...publicJwk, alg: KEY_ALG }, KEY_ALG);
  const bytes = typeof plaintext === 'string' ? encoder.encode(plaintext) : plaintext;
  return new CompactEncrypt(bytes)
    .setProtectedHeader({ alg: KEY_ALG, enc: CONTENT_ENC, kid: await keyId(publicJwk), ...(contentType ? { cty: contentType } : {}) })
    .encrypt(key);
}

/** Decrypts a JWE compact string with a private JWK; throws when the key or the ciphertext is wrong. */
export async function decryptWith(privateJwk: JWK, jwe: string): Promise<{ plaintext: Uint8Array; header: Record<string, unknown> }> {
  const key = await importJWK({ ...privateJwk, alg: KEY_ALG }, KEY_ALG);
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
    keyManagementAlgorithms: [KEY_ALG],
    contentEncryptionAlgorithms: [CONTENT_ENC],
  });
  return { plaintext, header: protectedHeader as Record<string, unknown> };
}
