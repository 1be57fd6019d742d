import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { DeclarationError } from '../core/errors.js';
import { displayPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import { transports } from './transports/index.js';
import { newAjv } from '../core/declarations.js';
import { ResponsibilityIndex } from './responsibility.js';
import type { Authority, DirectoryEntry, ResponsibilityRule } from './types.js';

export interface RoutingData {
  authorities: Map<string, Authority>;
  responsibility: ResponsibilityIndex;
  /** Directory: `${authorityId}|${serviceKey}` -> entry. */
  directory: Map<string, DirectoryEntry>;
}

interface RoutingFile {
  authorities?: Authority[];
  responsibilities?: ResponsibilityRule[];
  directory?: Array<Omit<DirectoryEntry, 'encryptionKey' | 'verificationKey'> & { encryptionKey: JWK | string; verificationKey?: JWK | string }>;
}

const ajv = newAjv();

/**
 * Loads every routing/*.json file. Addresses may name environment variables as ${NAME}, because
 * the same directory serves several environments whose receivers live at different URLs.
 */
export function loadRouting(root: string, formatsDir: string, env: Record<string, string | undefined>): RoutingData {
  const dir = join(root, 'routing');
  const authorities = new Map<string, Authority>();
  const rules: ResponsibilityRule[] = [];
  const directory = new Map<string, DirectoryEntry>();
  const pending: Array<{ file: string; index: number; entry: NonNullable<RoutingFile['directory']>[number] }> = [];
  const ruleSources: Array<{ file: string; index: number; rule: ResponsibilityRule }> = [];

  for (const name of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []) {
    const file = join(dir, name);
    const data = validateDeclaration<RoutingFile>(file, readJsonFile(file), join(formatsDir, 'routing.schema.json'));
    data.authorities?.forEach((a, i) => {
      if (authorities.has(a.id)) throw new DeclarationError(displayPath(file), `/authorities/${i}/id`, `authority "${a.id}" is declared twice`);
      authorities.set(a.id, a);
    });
    data.responsibilities?.forEach((rule, index) => ruleSources.push({ file, index, rule }));
    data.directory?.forEach((entry, index) => pending.push({ file, index, entry }));
  }

  for (const { file, index, rule } of ruleSources) {
    if (!authorities.has(rule.authorityId)) throw new DeclarationError(displayPath(file), `/responsibilities/${index}/authorityId`, `unknown authority "${rule.authorityId}"`);
    rules.push(rule);
  }
  for (const { file, index, entry } of pending) {
    const at = (p: string) => `/directory/${index}${p}`;
    const shown = displayPath(file);
    if (!authorities.has(entry.authorityId)) throw new DeclarationError(shown, at('/authorityId'), `unknown authority "${entry.authorityId}"`);
    const transport = transports.get(entry.transport);
    if (!transport) throw new DeclarationError(shown, at('/transport'), `unknown transport "${entry.transport}" (known: ${[...transports.keys()].join(', ')})`);
    const options = entry.options ?? {};
    const validOptions = ajv.compile(transport.configSchema);
    if (!validOptions(options)) throw new DeclarationError(shown, at(`/options${validOptions.errors?.[0]?.instancePath ?? ''}`), validOptions.errors?.[0]?.message ?? 'invalid');
    const resolved: DirectoryEntry = {
      authorityId: entry.authorityId,
      serviceKey: entry.serviceKey,
      transport: entry.transport,
      address: substitute(shown, at('/address'), entry.address, env),
      payloadFormat: entry.payloadFormat ?? 'json',
      encryptionKey: resolveKey(dir, shown, at('/encryptionKey'), entry.encryptionKey),
      verificationKey: entry.verificationKey === undefined ? undefined : resolveKey(dir, shown, at('/verificationKey'), entry.verificationKey),
      identifiers: entry.identifiers ?? {},
      options,
    };
    if (resolved.encryptionKey.kty !== 'RSA') throw new DeclarationError(shown, at('/encryptionKey'), 'must be an RSA key (payloads use RSA-OAEP-256)');
    const key = `${entry.authorityId}|${entry.serviceKey}`;
    if (directory.has(key)) throw new DeclarationError(shown, at(''), `a second entry for authority "${entry.authorityId}" and service "${entry.serviceKey}"`);
    directory.set(key, resolved);
  }
  return { authorities, responsibility: new ResponsibilityIndex(rules), directory };
}

/** The directory entry for (authority, service); a service-specific entry beats the authority's "*". */
export function endpointFor(routing: RoutingData, authorityId: string, leikaKey: string): DirectoryEntry | undefined {
  return routing.directory.get(`${authorityId}|${leikaKey}`) ?? routing.directory.get(`${authorityId}|*`);
}

function substitute(file: string, path: string, value: string, env: Record<string, string | undefined>): string {
  const result = value.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new DeclarationError(file, path, `environment variable ${name} is not set`);
    return v;
  });
  try {
    const url = new URL(result);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new DeclarationError(file, path, `"${result}" is not an http(s) URL`);
  }
  return result;
}

function resolveKey(dir: string, file: string, path: string, key: JWK | string): JWK {
  if (typeof key !== 'string') return key;
  const keyFile = join(dir, key);
  if (!existsSync(keyFile)) throw new DeclarationError(file, path, `key file routing/${key} does not exist`);
  const jwk = readJsonFile(keyFile) as JWK;
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw new DeclarationError(displayPath(keyFile), '', 'not a JWK');
  if ('d' in jwk || 'k' in jwk) throw new DeclarationError(displayPath(keyFile), '/d', 'a private key must never be in routing data');
  return jwk;
}
