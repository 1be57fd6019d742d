import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, validateDeclaration } from '../core/declarations.js';
import { DeclarationError } from '../core/errors.js';

/** What a client of the runtime's APIs may do; each admin or authority route demands one. */
export const SCOPES = ['deliveries:read', 'deliveries:write', 'routing:read', 'routing:write', 'metrics:read', 'submissions:pull', 'payments:read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiClient {
  id: string;
  description?: string;
  secretSha256: string;
  scopes: Scope[];
  /** The authority an authority client (scope submissions:pull) acts for. */
  authority?: string;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison: a wrong secret must not leak how much of it was right. */
export function secretMatches(client: ApiClient, secret: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(client.secretSha256, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** A new client secret: 32 random bytes, so SHA-256 without salt or stretching is enough. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Reads and validates the clients file (EFA_API_CLIENTS); duplicate ids stop startup. */
export function loadApiClients(file: string, schemasDir: string): Map<string, ApiClient> {
  const doc = validateDeclaration<{ clients: ApiClient[] }>(file, readJsonFile(file), join(schemasDir, 'api-clients.schema.json'));
  const clients = new Map<string, ApiClient>();
  doc.clients.forEach((client, i) => {
    if (clients.has(client.id)) throw new DeclarationError(file, `/clients/${i}/id`, `duplicate client id "${client.id}"`);
    clients.set(client.id, client);
  });
  return clients;
}

export interface DevCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Development only: one operator client with every admin scope, its secret kept in DATA_DIR so
 * that `npm start` prints working credentials and they survive a restart.
 */
export function devOperatorClient(dataDir: string): { client: ApiClient; credentials: DevCredentials } {
  const file = join(dataDir, 'dev-credentials.json');
  let credentials: DevCredentials;
  if (existsSync(file)) credentials = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
  else {
    credentials = { clientId: 'dev-operator', clientSecret: newSecret() };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  }
  const client: ApiClient = {
    id: credentials.clientId,
    description: 'development operator (generated)',
    secretSha256: hashSecret(credentials.clientSecret),
    scopes: ['deliveries:read', 'deliveries:write', 'routing:read', 'routing:write', 'metrics:read', 'payments:read'],
  };
  return { client, credentials };
}
