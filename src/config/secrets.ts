import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigError } from '../core/errors.js';
import { generateSigningKeyPair, importSigningKey, publicPart } from '../crypto/keys.js';
import type { SenderIdentity } from '../crypto/keys.js';
import type { Config } from './env.js';

/**
 * Keys by purpose, each a list: the first signs or encrypts, every one verifies or decrypts, so a
 * key is rotated by putting a new one in front (docs/operations.md, "Rotating keys").
 */
export interface Secrets {
  /** Signed cookies (draft id, CSRF secret). */
  cookieKeys: string[];
  /** HS256 access tokens of the admin and authority APIs (src/http/api-auth.ts derives the MAC key). */
  tokenKeys: string[];
  /** Draft encryption at rest (src/submissions/drafts.ts derives the AES key and its id). */
  draftKeys: string[];
  sender: SenderIdentity;
}

/**
 * Without a list of its own, each purpose derives its key from EFA_SECRET. Tokens and drafts use
 * the master secret through the same HKDF step as before key lists existed, so tokens and drafts
 * made by an older version stay valid. Cookies get a derived key of their own; the master secret
 * (what older versions signed with) still verifies, so applicants keep their draft cookies.
 */
function keysOf(config: Config, master: string | undefined): Pick<Secrets, 'cookieKeys' | 'tokenKeys' | 'draftKeys'> {
  const need = (name: string): string => {
    if (!master) throw new ConfigError(`${name} is not set and there is no EFA_SECRET to derive it from`);
    return master;
  };
  const { cookieKeys, tokenKeys, draftKeys } = config.guard;
  return {
    cookieKeys: cookieKeys ?? [Buffer.from(hkdfSync('sha256', need('EFA_COOKIE_KEYS'), 'efa-cookies', 'cookie-signing-v1', 32)).toString('base64url'), need('EFA_COOKIE_KEYS')],
    tokenKeys: tokenKeys ?? [need('EFA_TOKEN_KEYS')],
    draftKeys: draftKeys ?? [need('EFA_DRAFT_KEYS')],
  };
}

/**
 * In production both secrets come from the environment (the same on every replica). In development
 * they are generated once and kept under DATA_DIR so drafts and cookies survive a restart.
 */
export async function loadSecrets(config: Config): Promise<Secrets> {
  let secret = config.secret;
  let signingJson = config.signingKey;
  const { cookieKeys, tokenKeys, draftKeys } = config.guard;
  const needMaster = !secret && !(cookieKeys && tokenKeys && draftKeys);
  if (needMaster || !signingJson) {
    const file = join(config.dataDir, 'secrets.json');
    const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { secret: string; signingKey: JWK }) : undefined;
    const generated = stored ?? { secret: randomBytes(32).toString('base64url'), signingKey: (await generateSigningKeyPair()).privateJwk };
    if (!stored) {
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
    }
    if (needMaster) secret = generated.secret;
    signingJson ??= JSON.stringify(generated.signingKey);
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(signingJson) as JWK;
  } catch {
    throw new ConfigError('EFA_SIGNING_KEY is not JSON (expected an Ed25519 private JWK)');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d) throw new ConfigError('EFA_SIGNING_KEY must be an Ed25519 private JWK (kty OKP, crv Ed25519, with d)');
  const publicJwk = publicPart(jwk) as JWK & { kid: string };
  if (!publicJwk.kid) throw new ConfigError('EFA_SIGNING_KEY needs a "kid"');
  return { ...keysOf(config, secret), sender: { id: 'efa-runtime', signingKey: await importSigningKey({ ...jwk, alg: 'EdDSA' }), publicJwk: { ...publicJwk, alg: 'EdDSA', use: 'sig' } } };
}
