import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import type { JWK } from 'jose';

/** FIT-Connect's floor for payload encryption keys; we hold every transport to it. */
export const MIN_ENCRYPTION_RSA_BITS = 4096;
const MIN_SIGNATURE_RSA_BITS = 2048;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Bits of an RSA modulus given as base64url (leading zero bytes do not count). */
export function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i) * 8 - Math.clz32(bytes[i] as number) + 24;
}

function privateMember(jwk: JWK): string | undefined {
  return PRIVATE_MEMBERS.find((m) => m in jwk);
}

/** Whether node can build a public key from it: catches truncated or garbled key material. */
function unusable(jwk: JWK): string | undefined {
  try {
    createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    return undefined;
  } catch (err) {
    return `is not a usable public key (${err instanceof Error ? err.message : String(err)})`;
  }
}

// Many entries share a key (an authority with many services; the generated dataset): check each once.
const verdicts = new Map<string, string | undefined>();
function cached(kind: string, jwk: JWK, check: () => string | undefined): string | undefined {
  const id = `${kind}:${jwk.kty}:${jwk.n ?? ''}:${jwk.x ?? ''}:${jwk.y ?? ''}:${jwk.use ?? ''}:${jwk.alg ?? ''}:${(jwk.key_ops ?? []).join(',')}:${privateMember(jwk) ?? ''}`;
  if (verdicts.has(id)) return verdicts.get(id);
  const verdict = check();
  if (verdicts.size > 100_000) verdicts.clear();
  verdicts.set(id, verdict);
  return verdict;
}

/** Why a JWK cannot be an authority's payload encryption key, or undefined when it can. */
export function encryptionKeyProblem(jwk: JWK): string | undefined {
  return cached('enc', jwk, () => {
    if (privateMember(jwk)) return 'a private key must never be in routing data';
    if (jwk.kty !== 'RSA') return `must be an RSA key (payloads use RSA-OAEP-256), not kty "${String(jwk.kty)}"`;
    if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return 'an RSA key needs "n" and "e"';
    const bits = rsaModulusBits(jwk.n);
    if (bits < MIN_ENCRYPTION_RSA_BITS) return `is an RSA key of ${bits} bits; payload encryption needs at least ${MIN_ENCRYPTION_RSA_BITS}`;
    if (jwk.use !== undefined && jwk.use !== 'enc') return `has "use": "${jwk.use}"; an encryption key must have "enc" or none`;
    if (jwk.alg !== undefined && jwk.alg !== 'RSA-OAEP-256') return `has "alg": "${jwk.alg}"; payloads are encrypted with RSA-OAEP-256`;
    if (jwk.key_ops !== undefined && !jwk.key_ops.some((op) => op === 'wrapKey' || op === 'encrypt')) return '"key_ops" allows neither wrapKey nor encrypt';
    return unusable(jwk);
  });
}

/** Why a JWK cannot verify an authority's receipts and event tokens, or undefined when it can. */
export function verificationKeyProblem(jwk: JWK): string | undefined {
  return cached('sig', jwk, () => {
    if (privateMember(jwk)) return 'a private key must never be in routing data';
    if (!['OKP', 'EC', 'RSA'].includes(String(jwk.kty))) return `must be an OKP (Ed25519), EC or RSA public key, not kty "${String(jwk.kty)}"`;
    if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && rsaModulusBits(jwk.n) < MIN_SIGNATURE_RSA_BITS) return `is an RSA key of ${rsaModulusBits(jwk.n)} bits; signatures need at least ${MIN_SIGNATURE_RSA_BITS}`;
    if (jwk.use !== undefined && jwk.use !== 'sig') return `has "use": "${jwk.use}"; a verification key must have "sig" or none`;
    return unusable(jwk);
  });
}

const KEY_REF = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.json$/;

/** Where a key reference may point: a relative path inside routing/, never up or into private keys. */
export function keyRefProblem(ref: string): string | undefined {
  if (!KEY_REF.test(ref) || ref.split('/').some((s) => s === '..' || s === '.')) return `"${ref}" is not a key reference: use a relative path like keys/<authority>.enc.json`;
  if (ref.startsWith('demo-private/')) return `"${ref}" is a private key file; routing data holds public keys only`;
  return undefined;
}

/** A JWK read from routing/<ref>, or why not. */
export function readKeyFile(routingDir: string, ref: string): { jwk: JWK } | { problem: string } {
  const file = normalize(join(routingDir, ref));
  if (!file.startsWith(normalize(routingDir) + sep)) return { problem: `"${ref}" leaves the routing folder` };
  if (!existsSync(file)) return { problem: `key file routing/${ref} does not exist` };
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { problem: `key file routing/${ref} is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JWK).kty !== 'string') return { problem: `key file routing/${ref} does not hold a JWK` };
  return { jwk: jwk as JWK };
}
