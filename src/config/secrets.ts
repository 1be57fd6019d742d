import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigError } from '../core/errors.js';
import { generateSigningKeyPair, importSigningKey, publicPart } from '../crypto/keys.js';
import type { SenderIdentity } from '../routing/types.js';
import type { Config } from './env.js';

export interface Secrets {
  secret: string;
  sender: SenderIdentity;
}

/**
 * In production both secrets come from the environment (the same on every replica). In development
 * they are generated once and kept under DATA_DIR so drafts and cookies survive a restart.
 */
export async function loadSecrets(config: Config): Promise<Secrets> {
  let secret = config.secret;
  let signingJson = config.signingKey;
  if (!secret || !signingJson) {
    const file = join(config.dataDir, 'secrets.json');
    const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { secret: string; signingKey: JWK }) : undefined;
    const generated = stored ?? { secret: randomBytes(32).toString('base64url'), signingKey: (await generateSigningKeyPair()).privateJwk };
    if (!stored) {
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
    }
    secret ??= generated.secret;
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
  return { secret, sender: { id: 'efa-runtime', signingKey: await importSigningKey({ ...jwk, alg: 'EdDSA' }), publicJwk: { ...publicJwk, alg: 'EdDSA', use: 'sig' } } };
}
