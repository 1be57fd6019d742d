import type { JWK } from 'jose';
import type { ValidateFunction } from 'ajv';
import { errorPath, newAjv } from '../core/declarations.js';
import { compileSchema } from '../core/schema-cache.js';
import { transports } from '../transports/registry.js';
import { ResponsibilityIndex, arsPrefixProblem } from './responsibility.js';
import { encryptionKeyProblem, keyRefProblem, readKeyFile, verificationKeyProblem } from './keys.js';
import { pointerSegment, type KeySource, type LocatedDocument, type RoutingDocument, type SourceDirectoryEntry } from './document.js';
import { MAX_PROBLEMS, ProblemList, formatLocation, type Location, type Problem } from './problems.js';
import type { Authority, ResponsibilityRule } from './types.js';
import type { DirectoryEntry, Transport } from '../transports/types.js';
import type { RoutingData } from './data.js';
import { STANDARD_FORMATS, isPayloadFormat, payloadFormats, type ServiceFormats } from '../core/formats.js';

export const AUTHORITY_ID = /^[a-z0-9][a-z0-9-]*$/;
export const SERVICE_KEY = /^([0-9]{14}|\*)$/;
const MAX_ID = 100;

export interface CompileOptions {
  /** Values for ${NAME} in addresses: the same data serves environments with different hosts. */
  env: Record<string, string | undefined>;
  /** The routing/ folder: key references not found in the document's `keys` are read from there. */
  routingDir?: string;
  /**
   * Refuse push entries without a verificationKey unless marked `unverifiedReceipts` (with a
   * reason). Default: in production (env NODE_ENV=production). Versions already stored are read
   * without it: they passed the check when they were imported.
   */
  requireVerificationKeys?: boolean;
  /**
   * The services here and their message mappings: an entry asking for a standard format a service
   * it serves has no working mapping for is refused. Absent: not checked (stored versions).
   */
  messageFormats?: ServiceFormats;
}

export interface CompiledRouting {
  routing: RoutingData;
  /** The stored form: every referenced key resolved into `keys`, nothing else. */
  document: RoutingDocument;
  /** Not wrong, but probably not meant: e.g. a responsibility whose authority has no endpoint. */
  warnings: Problem[];
}

const ajv = newAjv();
const optionValidators = new Map<Transport, ValidateFunction>();
function optionsValidator(transport: Transport): ValidateFunction {
  let validate = optionValidators.get(transport);
  if (!validate) optionValidators.set(transport, (validate = compileSchema(ajv, transport.configSchema)));
  return validate;
}

/**
 * Checks a whole dataset and builds the in-memory index from it. Every problem found is reported
 * (up to MAX_PROBLEMS) with its location; on any problem nothing is returned, so a caller can only
 * ever put complete, consistent data in force.
 */
export function compileRouting(input: LocatedDocument, opts: CompileOptions): CompiledRouting {
  const problems = new ProblemList();
  const authorities = compileAuthorities(input, problems);
  const rules = compileResponsibilities(input, authorities, problems);
  const keys = new KeyResolver(input.keys, opts.routingDir);
  const { directory, entries } = compileDirectory(input, authorities, keys, opts.env, problems, opts.requireVerificationKeys ?? opts.env.NODE_ENV === 'production');
  if (opts.messageFormats) checkMessageFormats(input, rules, directory, opts.messageFormats, problems);
  problems.throwIfAny();
  return {
    routing: { authorities, responsibility: new ResponsibilityIndex(rules), directory },
    document: { authorities: [...authorities.values()], responsibilities: rules, directory: entries, keys: keys.used },
    warnings: endpointWarnings(input, rules, directory),
  };
}

/**
 * A standard format must be one every service the entry serves can be delivered in: else the first
 * submission would fail at submit. A `*` entry serves the authority's responsibilities that no
 * entry of its own covers; services that are not here are left to their own deployment.
 */
function checkMessageFormats(input: LocatedDocument, rules: ResponsibilityRule[], directory: Map<string, DirectoryEntry>, formats: ServiceFormats, problems: ProblemList): void {
  const index = new Map<string, number>(input.directory.rows.map((e, i) => [`${e.authorityId}|${e.serviceKey}`, i]));
  for (const [key, entry] of directory) {
    if (!STANDARD_FORMATS.has(entry.payloadFormat)) continue;
    const served = entry.serviceKey !== '*' ? [entry.serviceKey] : [...new Set(rules.filter((r) => r.authorityId === entry.authorityId)
      .flatMap((r) => (r.leikaKey === '*' ? Object.keys(formats) : [r.leikaKey])))].filter((k) => !directory.has(`${entry.authorityId}|${k}`));
    for (const leikaKey of served) {
      const service = formats[leikaKey];
      if (!service) continue;
      const broken = service.mappings[entry.payloadFormat];
      if (broken === null) continue;
      const file = `services/${service.service}/messages/${entry.payloadFormat}.json`;
      problems.add(input.directory.locate(index.get(key) as number, 'payloadFormat'), broken === undefined
        ? `"${entry.payloadFormat}": service ${service.service} (${leikaKey}) has no mapping for it (${file}); use json or xml, or add the mapping`
        : `"${entry.payloadFormat}": the mapping of service ${service.service} (${leikaKey}) is broken: ${broken}`);
    }
  }
}

function compileAuthorities(input: LocatedDocument, problems: ProblemList): Map<string, Authority> {
  const authorities = new Map<string, Authority>();
  const first = new Map<string, number>();
  input.authorities.rows.forEach((a, i) => {
    const at = (f?: string) => input.authorities.locate(i, f);
    if (!isId(a.id)) return problems.add(at('id'), `"${String(a.id ?? '')}" is not an authority id: lower-case letters, digits and "-", at most ${MAX_ID} characters`);
    if (typeof a.name !== 'string' || a.name.trim() === '') return problems.add(at('name'), 'the authority needs a name');
    const seen = first.get(a.id);
    if (seen !== undefined) return problems.add(at('id'), `authority "${a.id}" is declared twice (first at ${where(input.authorities.locate(seen, 'id'))})`);
    first.set(a.id, i);
    const contact = a.contact && Object.keys(a.contact).length > 0 ? { contact: a.contact } : {};
    const address = a.address && Object.keys(a.address).length > 0 ? { address: a.address } : {};
    const nameEn = typeof a.nameEn === 'string' && a.nameEn.trim() !== '' ? { nameEn: a.nameEn } : {};
    authorities.set(a.id, { id: a.id, name: a.name, ...nameEn, ...address, ...contact });
  });
  return authorities;
}

function compileResponsibilities(input: LocatedDocument, authorities: Map<string, Authority>, problems: ProblemList): ResponsibilityRule[] {
  const rules: ResponsibilityRule[] = [];
  const first = new Map<string, number>();
  input.responsibilities.rows.forEach((r, i) => {
    const at = (f?: string) => input.responsibilities.locate(i, f);
    if (problems.full) return;
    let ok = true;
    if (!SERVICE_KEY.test(String(r.leikaKey))) { problems.add(at('leikaKey'), `"${String(r.leikaKey ?? '')}" is not a LeiKa key: 14 digits, or "*" for every service`); ok = false; }
    const arsProblem = arsPrefixProblem(String(r.arsPrefix ?? ''));
    if (arsProblem) { problems.add(at('arsPrefix'), arsProblem); ok = false; }
    const authority = authorities.get(r.authorityId);
    if (!authority) { problems.add(at('authorityId'), `unknown authority "${String(r.authorityId ?? '')}"`); ok = false; }
    if (!ok || !authority) return;
    const key = `${r.leikaKey}|${r.arsPrefix}`;
    const seen = first.get(key);
    if (seen !== undefined) return problems.add(at(), `a second responsibility for service ${r.leikaKey} and region ${r.arsPrefix} (first at ${where(input.responsibilities.locate(seen))})`);
    first.set(key, i);
    // The authority's own id string, so 100k rules share ~10k strings instead of holding copies.
    rules.push({ leikaKey: r.leikaKey, arsPrefix: r.arsPrefix, authorityId: authority.id });
  });
  return rules;
}

function compileDirectory(input: LocatedDocument, authorities: Map<string, Authority>, keys: KeyResolver, env: CompileOptions['env'], problems: ProblemList, requireVerificationKeys: boolean): { directory: Map<string, DirectoryEntry>; entries: SourceDirectoryEntry[] } {
  const directory = new Map<string, DirectoryEntry>();
  const entries: SourceDirectoryEntry[] = [];
  const first = new Map<string, number>();
  input.directory.rows.forEach((e, i) => {
    const at = (f?: string) => input.directory.locate(i, f);
    if (problems.full) return;
    const before = problems.size;
    if (!authorities.has(e.authorityId)) problems.add(at('authorityId'), `unknown authority "${String(e.authorityId ?? '')}"`);
    if (!SERVICE_KEY.test(String(e.serviceKey))) problems.add(at('serviceKey'), `"${String(e.serviceKey ?? '')}" is not a LeiKa key: 14 digits, or "*" for every service of the authority`);
    const transport = transports.get(e.transport);
    if (!transport) problems.add(at('transport'), `unknown transport "${String(e.transport ?? '')}" (known: ${[...transports.keys()].join(', ')})`);
    const options = e.options ?? {};
    if (transport) {
      const valid = optionsValidator(transport);
      if (!valid(options)) for (const err of (valid.errors ?? []).slice(0, 3)) problems.add(at(`options${errorPath(err)}`), `${err.keyword === 'required' ? 'is required' : (err.message ?? 'invalid')} (options of transport ${transport.name})`);
    }
    if (e.payloadFormat !== undefined && !isPayloadFormat(e.payloadFormat)) problems.add(at('payloadFormat'), `"${String(e.payloadFormat)}" is not a payload format: ${payloadFormats().join(', ')}`);
    // A pull authority has no endpoint: it collects its submissions through the pull API.
    const address: { url: string } | { problem: string } = e.transport === 'pull' && (e.address === undefined || e.address === '') ? { url: '' } : substitute(String(e.address ?? ''), env);
    if ('problem' in address) problems.add(at('address'), address.problem);
    const encryptionKey = keys.resolve(e.encryptionKey, encryptionKeyProblem, at('encryptionKey'), problems);
    const verificationKey = e.verificationKey === undefined ? undefined : keys.resolve(e.verificationKey, verificationKeyProblem, at('verificationKey'), problems);
    const unverified = e.unverifiedReceipts;
    if (unverified !== undefined && (typeof unverified !== 'object' || unverified === null || typeof unverified.reason !== 'string' || unverified.reason.trim().length < 10)) {
      problems.add(at('unverifiedReceipts'), 'must be {"reason": "…"}: why this authority signs no receipts (at least 10 characters)');
    }
    // Without the authority's key any 2xx would count as delivered: in production only on purpose.
    // A FIT-Connect entry may name the destination's key set instead (options.verificationJwksUrl).
    const keySet = typeof (options as { verificationJwksUrl?: unknown }).verificationJwksUrl === 'string';
    if (requireVerificationKeys && e.transport !== 'pull' && e.verificationKey === undefined && !keySet && unverified === undefined) {
      problems.add(at('verificationKey'), 'is required in production: without the authority\'s public signing key no receipt can be checked and any 2xx answer would count as delivered. Add it, or mark the entry "unverifiedReceipts": {"reason": "…"} (the status page then says "handed over", never "confirmed")');
    }
    for (const [name, value] of Object.entries(e.identifiers ?? {})) {
      if (typeof value !== 'string' || value === '') problems.add(at(`identifiers/${pointerSegment(name)}`), 'an identifier must be a non-empty string');
    }
    if (problems.size > before || !encryptionKey || !('url' in address)) return;
    const key = `${e.authorityId}|${e.serviceKey}`;
    const seen = first.get(key);
    if (seen !== undefined) return problems.add(at(), `a second directory entry for authority "${e.authorityId}" and service ${e.serviceKey} (first at ${where(input.directory.locate(seen))})`);
    first.set(key, i);
    directory.set(key, {
      authorityId: (authorities.get(e.authorityId) as Authority).id,
      serviceKey: e.serviceKey,
      transport: e.transport,
      address: address.url,
      payloadFormat: e.payloadFormat ?? 'json',
      encryptionKey,
      verificationKey,
      ...(unverified ? { unverifiedReceipts: { reason: unverified.reason } } : {}),
      identifiers: e.identifiers ?? {},
      options,
    });
    entries.push(stripUndefined({ ...e, identifiers: nonEmpty(e.identifiers), options: nonEmpty(e.options) }));
  });
  return { directory, entries };
}

/** A rule whose authority cannot receive that service would fail at submit, so say so at import. */
function endpointWarnings(input: LocatedDocument, rules: ResponsibilityRule[], directory: Map<string, DirectoryEntry>): Problem[] {
  const warnings: Problem[] = [];
  rules.forEach((r, i) => {
    if (warnings.length >= MAX_PROBLEMS) return;
    const services = r.leikaKey === '*' ? ['*'] : [r.leikaKey, '*'];
    if (!services.some((s) => directory.has(`${r.authorityId}|${s}`))) {
      warnings.push({ ...input.responsibilities.locate(i, 'authorityId'), message: `authority "${r.authorityId}" has no directory entry for service ${r.leikaKey} (nor "*"): applicants in ${r.arsPrefix} will be told that no authority is connected` });
    }
  });
  return warnings;
}

/** Resolves key references once each and remembers which named keys the dataset really uses. */
class KeyResolver {
  readonly used: Record<string, JWK> = {};
  private readonly fromFiles = new Map<string, { jwk: JWK } | { problem: string }>();

  constructor(private readonly named: Record<string, JWK>, private readonly routingDir?: string) {}

  resolve(source: KeySource | undefined, check: (jwk: JWK) => string | undefined, at: Location, problems: ProblemList): JWK | undefined {
    if (source === undefined || source === null) {
      problems.add(at, 'is required but missing');
      return undefined;
    }
    if (typeof source !== 'string') {
      const problem = typeof source === 'object' ? check(source) : 'must be a JWK object or a key reference';
      if (problem) problems.add(at, problem);
      return problem ? undefined : source;
    }
    const refProblem = keyRefProblem(source);
    if (refProblem) {
      problems.add(at, refProblem);
      return undefined;
    }
    const found = this.lookup(source);
    if ('problem' in found) {
      problems.add(at, found.problem);
      return undefined;
    }
    const problem = check(found.jwk);
    if (problem) {
      problems.add(at, `key ${source} ${problem}`);
      return undefined;
    }
    this.used[source] = found.jwk;
    return found.jwk;
  }

  private lookup(ref: string): { jwk: JWK } | { problem: string } {
    const named = Object.prototype.hasOwnProperty.call(this.named, ref) ? this.named[ref] : undefined;
    if (named) return { jwk: named };
    if (!this.routingDir) return { problem: `key "${ref}" is neither in the document's "keys" nor a file this process can read` };
    let found = this.fromFiles.get(ref);
    if (!found) this.fromFiles.set(ref, (found = readKeyFile(this.routingDir, ref)));
    return found;
  }
}

/**
 * Only these variables may appear as ${NAME} in an address. Routing data can be written through
 * the admin API and addresses are shown and sent to: any other variable (EFA_SECRET, DATABASE_URL)
 * would leak through them.
 */
export const ADDRESS_VARIABLE = /^(EFA_ROUTING_[A-Z0-9_]+|EFA_DEMO_RECEIVER_URL)$/;

/** ${NAME} in an address comes from the environment, and the result must be an http(s) URL. */
export function substitute(value: string, env: Record<string, string | undefined>): { url: string } | { problem: string } {
  let missing: string | undefined;
  let refused: string | undefined;
  const result = value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    if (!ADDRESS_VARIABLE.test(name)) {
      refused ??= name;
      return '';
    }
    const v = env[name];
    if (v === undefined || v === '') missing ??= name;
    return v ?? '';
  });
  if (refused) return { problem: `\${${refused}} is not allowed in an address: only EFA_ROUTING_… variables (and EFA_DEMO_RECEIVER_URL) may be used` };
  if (missing) return { problem: `environment variable ${missing} is not set` };
  let url: URL;
  try {
    url = new URL(result);
  } catch {
    return { problem: `"${result}" is not an http(s) URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `"${result}" is not an http(s) URL` };
  // Credentials in routing data would be readable by everyone with routing:read.
  if (url.username || url.password) return { problem: 'the address must not contain credentials; transports take secrets from the environment' };
  return { url: result };
}

function isId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= MAX_ID && AUTHORITY_ID.test(id);
}

function where(at: Location): string {
  return formatLocation(at);
}

function nonEmpty<T extends object>(o: T | undefined): T | undefined {
  return o && Object.keys(o).length > 0 ? o : undefined;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
