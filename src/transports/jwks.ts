/**
 * Public keys read from a JSON Web Key Set (RFC 7517 §5) over HTTP, for the signatures a transport
 * checks (FIT-Connect's event tokens, the Routing API's destinationSignature). Cached per URL for a
 * while; a token naming a key id the cached set lacks makes one fetch again (the publisher rotated
 * its key), bounded so a stream of made-up key ids cannot turn into a stream of requests.
 */
import type { JWK } from 'jose';
import { TransportError } from '../core/errors.js';
import { exchange } from './http.js';

export interface JwksOptions {
  /** How long a fetched set is used before it is fetched again. */
  ttlMs: number;
  /** A key id missing from the set makes a fetch at most once per this time (per key id). */
  cooldownMs: number;
  /** At most this many fetches for missing key ids per cooldown, whatever the ids. */
  refetchesPerCooldown: number;
  /** A set with more keys than this is refused: no publisher needs it, a hostile one could send millions. */
  maxKeys: number;
}

export const JWKS_DEFAULTS: JwksOptions = { ttlMs: 10 * 60_000, cooldownMs: 30_000, refetchesPerCooldown: 5, maxKeys: 50 };

/** The key a signature names is not in the publisher's set (even after fetching it again): not retryable. */
export class UnknownSigningKeyError extends TransportError {
  override readonly code = 'EFA_JWKS_UNKNOWN_KEY';

  constructor(transport: string, url: string, kid: string | undefined) {
    super(transport, kid === undefined ? `the signature names no key id and the key set at ${url} holds more than one key` : `no key "${kid}" in the key set at ${url}: the signature was not made by a key its publisher lists`, false);
  }
}

interface Entry {
  keys: JWK[];
  fetchedAt: number;
}

export class JwksCache {
  private readonly sets = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  /** url|kid -> when a fetch for that missing key id was made. */
  private readonly missed = new Map<string, number>();
  private refetches: number[] = [];

  constructor(private readonly opts: JwksOptions = JWKS_DEFAULTS, private readonly now: () => number = Date.now) {}

  /** The key `kid` names in the set at `url` (the only key, when the signature names none). */
  async key(transport: string, url: string, kid: string | undefined, http: { timeoutMs: number; signal?: AbortSignal }): Promise<JWK> {
    let entry = this.sets.get(url);
    if (!entry || this.now() - entry.fetchedAt >= this.opts.ttlMs) entry = await this.fetch(transport, url, http);
    let key = pick(entry.keys, kid);
    if (!key && kid !== undefined && this.mayRefetch(url, kid)) {
      entry = await this.fetch(transport, url, http);
      key = pick(entry.keys, kid);
    }
    if (!key) throw new UnknownSigningKeyError(transport, url, kid);
    return key;
  }

  /** Every key of the set at `url`, fetched afresh (what a health check shows). */
  async keys(transport: string, url: string, http: { timeoutMs: number; signal?: AbortSignal }): Promise<JWK[]> {
    return (await this.fetch(transport, url, http)).keys;
  }

  private mayRefetch(url: string, kid: string): boolean {
    const now = this.now();
    this.refetches = this.refetches.filter((t) => now - t < this.opts.cooldownMs);
    const last = this.missed.get(`${url}|${kid}`);
    if ((last !== undefined && now - last < this.opts.cooldownMs) || this.refetches.length >= this.opts.refetchesPerCooldown) return false;
    if (this.missed.size > 1000) this.missed.clear();
    this.missed.set(`${url}|${kid}`, now);
    this.refetches.push(now);
    return true;
  }

  /** One fetch per URL at a time: concurrent sends share it. */
  private fetch(transport: string, url: string, http: { timeoutMs: number; signal?: AbortSignal }): Promise<Entry> {
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.load(transport, url, http).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async load(transport: string, url: string, http: { timeoutMs: number; signal?: AbortSignal }): Promise<Entry> {
    const result = await exchange(transport, url, { method: 'GET', headers: { accept: 'application/json, application/jwk-set+json' }, ...(http.signal ? { signal: http.signal } : {}) }, http.timeoutMs);
    let parsed: { keys?: unknown };
    try {
      parsed = JSON.parse(result.body) as { keys?: unknown };
    } catch {
      throw new TransportError(transport, `key set at ${url} is not JSON`, true);
    }
    if (!Array.isArray(parsed.keys)) throw new TransportError(transport, `key set at ${url} has no "keys" array`, true);
    if (parsed.keys.length > this.opts.maxKeys) throw new TransportError(transport, `key set at ${url} has ${parsed.keys.length} keys, more than ${this.opts.maxKeys}`, false);
    // A private member in a published set is the publisher's mistake; such a key is never used.
    const keys = (parsed.keys as JWK[]).filter((k) => typeof k === 'object' && k !== null && typeof k.kty === 'string' && k.d === undefined);
    const entry = { keys, fetchedAt: this.now() };
    this.sets.set(url, entry);
    return entry;
  }
}

function pick(keys: JWK[], kid: string | undefined): JWK | undefined {
  if (kid === undefined) return keys.length === 1 ? keys[0] : undefined;
  return keys.find((k) => k.kid === kid);
}

/** The process's key sets: every send and every follow-up shares what was fetched. */
export const sharedJwks = new JwksCache();
