import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch, type RequestInit as UndiciRequestInit, type Response } from 'undici';
import { TransportError } from '../core/errors.js';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * The receiver answered, but not with 2xx. Status and body travel with the error, so a protocol can
 * read its own error format (a SOAP fault, a problem document) or repair the cause (401: new token)
 * instead of parsing the message.
 */
export class HttpStatusError extends TransportError {
  /** The receiver's HTTP status (EfaError's own `status` is what the runtime would answer: 502). */
  readonly responseStatus: number;
  readonly responseBody: string;

  constructor(transport: string, url: string, status: number, body: string) {
    super(transport, `${url} answered ${status}: ${body.slice(0, 300)}`, isRetryableStatus(status));
    this.responseStatus = status;
    this.responseBody = body;
  }
}

/** 408, 429 and 5xx may pass later; any other refusal is about the message, which retrying won't change. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** What outbound HTTP may do; set once at startup from the configuration (configureOutbound). */
export interface OutboundPolicy {
  /** Loopback, private, link-local and other non-public addresses may be reached (development, tests). */
  allowPrivateTargets: boolean;
  /** The largest answer body read from a receiver; a larger one fails the exchange. */
  maxBodyBytes: number;
}

/**
 * Until the runtime configures it: the configuration's defaults (private targets only outside
 * production), so a transport used on its own behaves like one in a runtime with no settings.
 */
let policy: OutboundPolicy = { allowPrivateTargets: process.env.NODE_ENV !== 'production', maxBodyBytes: 1024 * 1024 };
let agent: Agent | undefined;

export function configureOutbound(next: OutboundPolicy): void {
  policy = { ...next };
  const old = agent;
  agent = undefined;
  void old?.close().catch(() => undefined);
}

export function outboundPolicy(): Readonly<OutboundPolicy> {
  return policy;
}

/**
 * Addresses no authority's public endpoint has: "this" network, loopback, RFC 1918, carrier-grade
 * NAT, link-local (cloud metadata at 169.254.169.254), documentation, benchmarking, multicast and
 * reserved; in IPv6 the same plus unique-local. An IPv4-mapped IPv6 address counts as its IPv4
 * address. Two lists, because a BlockList also matches IPv4 input against IPv6 rules.
 */
const NON_PUBLIC_V4 = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NON_PUBLIC_V4.addSubnet(net, bits, 'ipv4');
const NON_PUBLIC_V6 = new BlockList();
for (const [net, bits] of [['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) {
  NON_PUBLIC_V6.addSubnet(net, bits, 'ipv6');
}

/** True for an IP address that is not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = mappedIpv4(address);
  return mapped ? NON_PUBLIC_V4.check(mapped, 'ipv4') : NON_PUBLIC_V6.check(address, 'ipv6');
}

/** "::ffff:127.0.0.1" and "::ffff:7f00:1" as "127.0.0.1"; undefined for any other IPv6 address. */
function mappedIpv4(address: string): string | undefined {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!m) return undefined;
  const [hi, lo] = [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** A host name that means this machine or an internal network, whatever DNS says. */
export function isInternalHostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || host.endsWith('.localdomain');
}

/** The target is not public and the policy does not allow such targets. */
export class PrivateTargetError extends Error {
  constructor(readonly host: string, readonly address?: string) {
    super(`${host}${address && address !== host ? ` (${address})` : ''} is not a public address; outbound HTTP to loopback, private and link-local targets is refused (EFA_ALLOW_PRIVATE_TARGETS)`);
    this.name = 'PrivateTargetError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The check sits in the connection's own DNS lookup: the address that is checked is the address
 * connected to, so a name that resolves to a public address for a check and to 127.0.0.1 a moment
 * later (DNS rebinding) cannot slip through.
 */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) return callback(Object.assign(new PrivateTargetError(hostname, bad.address), { code: 'EFA_PRIVATE_TARGET' }), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

function dispatcher(): Agent {
  agent ??= new Agent(policy.allowPrivateTargets ? {} : { connect: { lookup: guardedLookup as never } });
  return agent;
}

/** Refuses what the lookup never sees: an IP literal or an internal name in the URL itself. */
function checkTarget(url: string): void {
  if (policy.allowPrivateTargets) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isNonPublicAddress(host) || isInternalHostName(host)) throw new PrivateTargetError(host);
}

/**
 * One HTTP exchange for a transport, with a hard timeout. Network failures and timeouts are
 * retryable TransportErrors; a non-2xx answer is an HttpStatusError (retryable as isRetryableStatus says).
 * Redirects are never followed (a 307 would send the request, credentials included, wherever the
 * receiver points), the answer body is read up to the policy's limit, and non-public targets are
 * refused unless the policy allows them; those three are not retryable: trying again changes nothing.
 */
export async function exchange(transport: string, url: string, init: RequestInit, timeoutMs: number): Promise<HttpResult> {
  let response: Response;
  try {
    checkTarget(url);
    // The attempt's deadline (init.signal) and this call's own timeout, whichever comes first.
    const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    // Node's own fetch is undici too; the package's types differ only in name (streamed bodies included).
    response = await fetch(url, { ...(init as UndiciRequestInit), redirect: 'manual', dispatcher: dispatcher(), signal });
  } catch (err) {
    const refused = privateTargetIn(err);
    if (refused) throw new TransportError(transport, `not sent to ${url}: ${refused.message}`, false, { cause: err });
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new TransportError(transport, timedOut ? `no answer from ${url} within ${timeoutMs} ms` : `cannot reach ${url}: ${describe(err)}`, true, { cause: err });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new HttpStatusError(transport, url, response.status, `redirect to ${response.headers.get('location') ?? '(no location)'} not followed`);
  }
  let body: string;
  try {
    body = await readLimited(response, policy.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new TransportError(transport, `answer from ${url} is larger than ${policy.maxBodyBytes} bytes (EFA_OUTBOUND_MAX_BODY_BYTES); not read`, false, { cause: err });
    throw new TransportError(transport, `answer from ${url} broke off: ${describe(err)}`, true, { cause: err });
  }
  const headers = new Headers(response.headers as unknown as HeadersInit);
  if (response.ok) return { status: response.status, headers, body };
  throw new HttpStatusError(transport, url, response.status, body);
}

class BodyTooLargeError extends Error {}

/** The body as text, refusing (and no longer reading) one beyond `limit` bytes. */
async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function privateTargetIn(err: unknown): PrivateTargetError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as Error & { cause?: unknown }).cause, depth++) {
    if (e instanceof PrivateTargetError) return e;
  }
  return undefined;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
