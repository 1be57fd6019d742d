/**
 * FIT-Connect's Submission API as a client: the directory entry read once per send, OAuth2 client
 * credentials with a token cache, and one authenticated call (src/transports/fit-connect.ts uses it).
 */
import { createHash } from 'node:crypto';
import { TransportError } from '../core/errors.js';
import type { TransportContext } from './types.js';
import { streamedInit, type StreamedBody } from './attachments.js';
import { HttpStatusError, exchange, type HttpResult } from './http.js';
import type { RoutingApiOptions } from './fit-connect-routing.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A token is renewed this long before it expires, so it cannot lapse between two calls of one send. */
const TOKEN_MARGIN_MS = 60_000;

export interface FitConnectOptions {
  clientId: string;
  /** Name of the environment variable holding the client secret: secrets never stand in routing files. */
  clientSecretEnv: string;
  /** OAuth2 token endpoint; defaults to `{address}/token` (real FIT-Connect has a separate auth server). */
  tokenUrl?: string;
  /** Instead of identifiers.destinationId: the destination is asked of the Routing API per submission. */
  routingApi?: RoutingApiOptions;
  /** The destination's key set: event tokens are checked with the key their `kid` names (else the pinned verificationKey). */
  verificationJwksUrl?: string;
}

export interface Api {
  transport: string;
  base: string;
  destinationId: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  /** The attempt's deadline: every call of one send aborts with it. */
  signal?: AbortSignal;
}

/** Reads the directory entry once per send; a missing setting is the operator's to fix, not retryable. */
export function session(transport: string, ctx: TransportContext, routed?: string): Api {
  const { endpoint } = ctx;
  const options = endpoint.options as Partial<FitConnectOptions>;
  const destinationId = routed ?? endpoint.identifiers.destinationId;
  if (!destinationId) throw new TransportError(transport, `directory entry of ${endpoint.authorityId} has neither identifiers.destinationId nor options.routingApi`, false);
  if (!options.clientId || !options.clientSecretEnv) throw new TransportError(transport, `directory entry of ${endpoint.authorityId} needs options.clientId and options.clientSecretEnv`, false);
  const clientSecret = process.env[options.clientSecretEnv];
  if (!clientSecret) throw new TransportError(transport, `environment variable ${options.clientSecretEnv} (client secret for ${options.clientId}) is not set`, false);
  const base = endpoint.address.replace(/\/+$/, '');
  return { transport, base, destinationId, tokenUrl: options.tokenUrl ?? `${base}/token`, clientId: options.clientId, clientSecret, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens per (token URL, client, secret): a rotated secret gets a new token at once. */
const tokens = new Map<string, CachedToken>();

function tokenCacheKey(api: Api): string {
  return `${api.tokenUrl}|${api.clientId}|${createHash('sha256').update(api.clientSecret).digest('hex')}`;
}

/** OAuth2 client credentials grant (RFC 6749 §4.4), client authentication in the form body. */
async function accessToken(api: Api): Promise<string> {
  const cached = tokens.get(tokenCacheKey(api));
  if (cached && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return cached.token;
  const result = await exchange(api.transport, api.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: api.clientId, client_secret: api.clientSecret }).toString(),
    ...(api.signal ? { signal: api.signal } : {}),
  }, api.timeoutMs);
  const body = parseJson<{ access_token?: unknown; expires_in?: unknown; token_type?: unknown }>(api, result, 'token response');
  if (typeof body.access_token !== 'string' || String(body.token_type).toLowerCase() !== 'bearer') {
    throw new TransportError(api.transport, 'token endpoint answered without a bearer access_token', true);
  }
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : TOKEN_MARGIN_MS;
  tokens.set(tokenCacheKey(api), { token: body.access_token, expiresAt: Date.now() + lifetime });
  return body.access_token;
}

/**
 * One authenticated API call. A 401 despite a cached, unexpired token means the service forgot it
 * (restart, revocation): drop it and try once more with a fresh one before giving up.
 */
export async function call(api: Api, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; stream?: { body: StreamedBody; contentType: string } } = {}): Promise<HttpResult> {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(api);
    // A streamed body is opened afresh per try: the retry after a 401 sends the attachment again.
    const streamed = options.stream ? streamedInit(options.stream.body, options.stream.contentType) : undefined;
    try {
      return await exchange(api.transport, `${api.base}${path}`, {
        method,
        ...streamed,
        headers: {
          authorization: `Bearer ${token}`,
          accept: `application/json, ${PROBLEM_MEDIA_TYPE}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(streamed?.headers as Record<string, string> | undefined),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(api.signal ? { signal: api.signal } : {}),
      }, api.timeoutMs);
    } catch (err) {
      if (attempt > 0 || !(err instanceof HttpStatusError) || err.responseStatus !== 401) throw err;
      tokens.delete(tokenCacheKey(api));
    }
  }
}

export function parseJson<T>(api: Api, result: HttpResult, what: string): T {
  try {
    return JSON.parse(result.body) as T;
  } catch {
    throw new TransportError(api.transport, `${what} is not JSON`, true);
  }
}

/** A submission the API announced: its id and case. */
export interface Submission {
  submissionId: string;
  caseId: string;
  /** The service already knew this message id and answered with the submission made before. */
  replayed: boolean;
}
