import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { DeclarationError } from '../core/errors.js';
import { displayPath } from '../core/declarations.js';
import { compileRouting, type CompiledRouting } from './compile.js';
import { concatTables, type LocatedDocument, type RoutingPatch, type SourceDirectoryEntry, type Table } from './document.js';
import { parseJsonText, patchFromJson } from './json.js';
import { ProblemList, RoutingDataError } from './problems.js';
import type { RoutingData } from './data.js';
import type { Authority, ResponsibilityRule } from './types.js';
import type { DirectoryEntry } from '../transports/types.js';

export type { RoutingData, RoutingVersionInfo } from './data.js';

/**
 * The seed: every routing/*.json file, read as one dataset (tables concatenated, file by file).
 * Subfolders are not read, so generated datasets and keys can live beside it.
 */
export function readSeed(root: string, formatsDir: string): LocatedDocument {
  const dir = join(root, 'routing');
  const authorities: Array<Table<Authority>> = [];
  const responsibilities: Array<Table<ResponsibilityRule>> = [];
  const directory: Array<Table<SourceDirectoryEntry>> = [];
  const keys: Record<string, JWK> = {};
  const problems = new ProblemList();
  for (const name of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []) {
    const file = displayPath(join(dir, name));
    let patch: RoutingPatch;
    try {
      patch = patchFromJson(parseJsonText(readFileSync(join(dir, name), 'utf8'), file), file, formatsDir);
    } catch (err) {
      if (!(err instanceof RoutingDataError)) throw err;
      for (const p of err.problems) problems.add(p, p.message);
      continue;
    }
    if (patch.authorities) authorities.push(patch.authorities);
    if (patch.responsibilities) responsibilities.push(patch.responsibilities);
    if (patch.directory) directory.push(patch.directory);
    for (const [k, jwk] of Object.entries(patch.keys ?? {})) {
      if (k in keys) problems.add({ source: file, path: `/keys/${k.replace(/~/g, '~0').replace(/\//g, '~1')}` }, `key "${k}" is also named in another routing file`);
      keys[k] = jwk;
    }
  }
  problems.throwIfAny();
  return { authorities: concatTables(authorities), responsibilities: concatTables(responsibilities), directory: concatTables(directory), keys };
}

/** The seed files compiled; throws RoutingDataError listing every problem. */
export function compileSeed(root: string, formatsDir: string, env: Record<string, string | undefined>): CompiledRouting {
  return compileRouting(readSeed(root, formatsDir), { env, routingDir: join(root, 'routing') });
}

/**
 * Loads every routing/*.json file at startup. Addresses may name environment variables as ${NAME},
 * because the same directory serves several environments whose receivers live at different URLs.
 * The first problem stops startup like any other broken declaration.
 */
export function loadRouting(root: string, formatsDir: string, env: Record<string, string | undefined>): RoutingData {
  try {
    const { routing } = compileSeed(root, formatsDir, env);
    return { ...routing, version: { version: 0, source: 'seed', loadedAt: new Date().toISOString() } };
  } catch (err) {
    if (!(err instanceof RoutingDataError)) throw err;
    const first = err.problems[0];
    if (!first) throw err;
    const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more problem${err.problems.length > 2 ? 's' : ''}: efa routing check lists them)` : '';
    const where = first.line !== undefined ? ` (line ${first.line}${first.column !== undefined ? `, column ${first.column}` : ''})` : '';
    throw new DeclarationError(first.source, first.path ?? '', `${first.message}${where}${more}`);
  }
}

/** The directory entry for (authority, service); a service-specific entry beats the authority's "*". */
export function endpointFor(routing: RoutingData, authorityId: string, leikaKey: string): DirectoryEntry | undefined {
  return routing.directory.get(`${authorityId}|${leikaKey}`) ?? routing.directory.get(`${authorityId}|*`);
}
