import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, newSecret, type ApiClient } from '../auth/clients.js';
import { readJsonFile } from '../core/declarations.js';
import type { FitConnectOptions } from '../transports/fit-connect.js';
import { isPullEndpoint } from '../transports/vocabulary.js';
import type { DirectoryEntry } from '../transports/types.js';
import type { ReceiverAuthority } from './receivers/types.js';

/**
 * What the demo's authorities hold, for `npm start` and the tests (never production): their private
 * keys (routing/demo-private/), the FIT-Connect client secrets their submission service knows, and
 * the credentials with which a pull authority calls the runtime's pull API.
 */

/** Every authority with a key file in routing/demo-private/, named as the routing data names it. */
export function loadDemoAuthorities(root: string, names: ReadonlyMap<string, string> = new Map()): Map<string, ReceiverAuthority> {
  const dir = join(root, 'routing', 'demo-private');
  const authorities = new Map<string, ReceiverAuthority>();
  for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []) {
    const id = file.slice(0, -'.json'.length);
    const keys = readJsonFile(join(dir, file)) as Pick<ReceiverAuthority, 'decryptionKey' | 'signingKey'>;
    authorities.set(id, { id, name: names.get(id) ?? id, ...keys });
  }
  return authorities;
}

/** The variable routing/demo.json's fit-connect entry names for its client secret. */
export const DEMO_FIT_CONNECT_SECRET_ENV = 'EFA_DEMO_FIT_CONNECT_SECRET';

/**
 * Gives the demo's FIT-Connect client a generated secret unless one is configured. Called before
 * the runtime starts delivering: a queued submission must not meet an unset secret, which is an
 * operator error and would not be retried.
 */
export function ensureDemoFitConnectSecret(env: Record<string, string | undefined> = process.env): void {
  env[DEMO_FIT_CONNECT_SECRET_ENV] ||= newSecret();
}

/**
 * The OAuth2 clients the demo FIT-Connect service issues tokens to: each fit-connect directory
 * entry's clientId with the secret from its clientSecretEnv. An unset variable gets a generated
 * secret, written into `env` because the transport reads it from there, so both sides agree
 * without anyone configuring a secret for the demo.
 */
export function demoFitConnectClients(directory: Iterable<DirectoryEntry>, env: Record<string, string | undefined> = process.env): Map<string, string> {
  const clients = new Map<string, string>();
  for (const entry of directory) {
    if (entry.transport !== 'fit-connect') continue;
    const { clientId, clientSecretEnv } = entry.options as Partial<FitConnectOptions>;
    if (!clientId || !clientSecretEnv) continue;
    const secret = env[clientSecretEnv] || newSecret();
    env[clientSecretEnv] = secret;
    clients.set(clientId, secret);
  }
  return clients;
}

export interface PullCredentials {
  authorityId: string;
  clientId: string;
  clientSecret: string;
}

/**
 * One pull API client (scope submissions:pull) per pull authority of the directory. The secrets are
 * kept in DATA_DIR like the development operator's, so the credentials `npm start` prints keep
 * working across restarts.
 */
export function demoPullClients(dataDir: string, directory: Iterable<DirectoryEntry>): { clients: ApiClient[]; credentials: PullCredentials[] } {
  const file = join(dataDir, 'dev-pull-clients.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, PullCredentials>) : {};
  const authorities = [...new Set([...directory].filter(isPullEndpoint).map((e) => e.authorityId))].sort();
  const credentials = authorities.map((authorityId) => known[authorityId] ?? { authorityId, clientId: `${authorityId}-pull`.slice(0, 63), clientSecret: newSecret() });
  if (credentials.some((c) => !known[c.authorityId])) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(Object.fromEntries(credentials.map((c) => [c.authorityId, c])), null, 2), { mode: 0o600 });
  }
  const clients = credentials.map((c): ApiClient => ({
    id: c.clientId,
    description: `development pull client of ${c.authorityId} (generated)`,
    secretSha256: hashSecret(c.clientSecret),
    scopes: ['submissions:pull'],
    authority: c.authorityId,
  }));
  return { clients, credentials };
}
