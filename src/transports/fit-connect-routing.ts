/**
 * FIT-Connect's Routing API as a client: for a service (Leistungsschlüssel) and the applicant's
 * region (ARS) it names the responsible destination. The answer is trusted only through its
 * `destinationSignature`, a JWS (PS512) that FIT-Connect's signing service (the Self-Service
 * Portal) made over the destination's addressing information, checked against that service's
 * published key set: a route whose signature does not verify, or whose signed content names
 * another destination, service, region or submission service, is refused.
 */
import { compactVerify, importJWK } from 'jose';
import { TransportError } from '../core/errors.js';
import { exchange } from './http.js';
import { sharedJwks, type JwksCache } from './jwks.js';
import { LEIKA_URN_PREFIX } from './vocabulary.js';

/** How a region is named in the signed addressing information: an ARS of any level after this prefix. */
export const ARS_URN_PREFIX = 'urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:';
/** The signing service signs addressing information with RSASSA-PSS and SHA-512, nothing else is accepted. */
export const ROUTE_SIGNATURE_ALG = 'PS512';

/** `options.routingApi` of a fit-connect directory entry. */
export interface RoutingApiOptions {
  /** Base URL of the Routing API including its version path, e.g. https://routing-api-prod.fit-connect.fitko.net/v2 */
  url: string;
  /** The signing service's JWKS (`/.well-known/jwks.json` of the Self-Service Portal). */
  jwksUrl: string;
  /** When set, the signed `iss` must be exactly this. */
  issuer?: string;
}

export const ROUTING_API_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'jwksUrl'],
  properties: {
    url: { type: 'string', format: 'uri', pattern: '^https?://' },
    jwksUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
    issuer: { type: 'string', minLength: 1 },
  },
} as const;

export interface ResolvedRoute {
  destinationId: string;
  /** Host of the submission service the signed information names (compared with the directory's address). */
  submissionHost: string;
  destinationName?: string;
}

/** Signed addressing information (the payload of `destinationSignature`). */
interface AddressingInformation {
  destinationId?: unknown;
  submissionHost?: unknown;
  iss?: unknown;
  services?: Array<{ gebietIDs?: unknown; leistungIDs?: unknown }>;
}

/** The Routing API knows no destination for this service and region: the operator's to fix, not retryable. */
export class NoFitConnectRouteError extends TransportError {
  override readonly code = 'EFA_FIT_CONNECT_NO_ROUTE';

  constructor(transport: string, message: string) {
    super(transport, message, false);
  }
}

/** A route whose signature does not verify or whose signed content does not fit: never used, not retryable. */
export class FitConnectRouteSignatureError extends TransportError {
  override readonly code = 'EFA_FIT_CONNECT_ROUTE_SIGNATURE';

  constructor(transport: string, message: string, cause?: unknown) {
    super(transport, `destinationSignature refused: ${message}`, false, cause === undefined ? undefined : { cause });
  }
}

/**
 * `GET {url}/routes?leikaKey=…&ars=…`, exactly one route expected. The route's destination is used
 * only when its signature verifies and the signed information names this destination, this
 * service, a region containing the applicant's ARS and the submission service at `expectedHost`.
 */
export async function resolveRoute(transport: string, routing: RoutingApiOptions, query: { leikaKey: string; ars: string; expectedHost: string }, http: { timeoutMs: number; signal?: AbortSignal }, jwks: JwksCache = sharedJwks): Promise<ResolvedRoute> {
  const url = `${routing.url.replace(/\/+$/, '')}/routes?${new URLSearchParams({ leikaKey: query.leikaKey, ars: query.ars }).toString()}`;
  const result = await exchange(transport, url, { method: 'GET', headers: { accept: 'application/json, application/problem+json' }, ...(http.signal ? { signal: http.signal } : {}) }, http.timeoutMs);
  let body: { routes?: unknown };
  try {
    body = JSON.parse(result.body) as { routes?: unknown };
  } catch {
    throw new TransportError(transport, `Routing API answer from ${routing.url} is not JSON`, true);
  }
  if (!Array.isArray(body.routes)) throw new TransportError(transport, `Routing API answer from ${routing.url} has no routes array`, true);
  const where = `service ${query.leikaKey} in region ${query.ars}`;
  if (body.routes.length === 0) throw new NoFitConnectRouteError(transport, `the Routing API at ${routing.url} knows no destination for ${where}`);
  if (body.routes.length > 1) throw new NoFitConnectRouteError(transport, `the Routing API at ${routing.url} names ${body.routes.length} destinations for ${where}; one is needed`);
  const route = body.routes[0] as { destinationId?: unknown; destinationSignature?: unknown; destinationName?: unknown };
  if (typeof route.destinationId !== 'string' || typeof route.destinationSignature !== 'string') throw new FitConnectRouteSignatureError(transport, `the route for ${where} lacks destinationId or destinationSignature`);
  const signed = await verifySignature(transport, routing, route.destinationSignature, http, jwks);
  checkContent(transport, signed, { ...query, destinationId: route.destinationId, issuer: routing.issuer });
  return { destinationId: route.destinationId, submissionHost: signed.submissionHost as string, ...(typeof route.destinationName === 'string' ? { destinationName: route.destinationName } : {}) };
}

async function verifySignature(transport: string, routing: RoutingApiOptions, jws: string, http: { timeoutMs: number; signal?: AbortSignal }, jwks: JwksCache): Promise<AddressingInformation> {
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
  } catch (err) {
    throw new FitConnectRouteSignatureError(transport, 'it is not a JWS', err);
  }
  if (header.alg !== ROUTE_SIGNATURE_ALG) throw new FitConnectRouteSignatureError(transport, `it is signed ${String(header.alg)}, not ${ROUTE_SIGNATURE_ALG}`);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  let key;
  try {
    key = await jwks.key(transport, routing.jwksUrl, kid, http);
  } catch (err) {
    if (err instanceof TransportError && err.code === 'EFA_JWKS_UNKNOWN_KEY') throw new FitConnectRouteSignatureError(transport, err.message, err);
    throw err;
  }
  if (key.kty !== 'RSA') throw new FitConnectRouteSignatureError(transport, `key ${String(kid)} of the signing service is ${String(key.kty)}, not RSA`);
  try {
    const { payload } = await compactVerify(jws, await importJWK({ ...key, alg: ROUTE_SIGNATURE_ALG }, ROUTE_SIGNATURE_ALG), { algorithms: [ROUTE_SIGNATURE_ALG] });
    return JSON.parse(new TextDecoder().decode(payload)) as AddressingInformation;
  } catch (err) {
    throw new FitConnectRouteSignatureError(transport, `it does not verify with key ${String(kid)} of ${routing.jwksUrl}`, err);
  }
}

/** The signed information must be about exactly what was asked and what the route says. */
function checkContent(transport: string, signed: AddressingInformation, expected: { leikaKey: string; ars: string; expectedHost: string; destinationId: string; issuer: string | undefined }): void {
  if (signed.destinationId !== expected.destinationId) throw new FitConnectRouteSignatureError(transport, `it names destination ${String(signed.destinationId)}, the route ${expected.destinationId}`);
  if (expected.issuer !== undefined && signed.iss !== expected.issuer) throw new FitConnectRouteSignatureError(transport, `it was issued by ${String(signed.iss)}, not ${expected.issuer}`);
  if (typeof signed.submissionHost !== 'string' || signed.submissionHost.toLowerCase() !== expected.expectedHost.toLowerCase()) {
    throw new FitConnectRouteSignatureError(transport, `it names submission service ${String(signed.submissionHost)}, the directory entry's address is at ${expected.expectedHost}`);
  }
  const services = Array.isArray(signed.services) ? signed.services : [];
  const covers = services.some((s) => strings(s.leistungIDs).includes(`${LEIKA_URN_PREFIX}${expected.leikaKey}`)
    && strings(s.gebietIDs).some((g) => g.startsWith(ARS_URN_PREFIX) && /^[0-9]+$/.test(g.slice(ARS_URN_PREFIX.length)) && expected.ars.startsWith(g.slice(ARS_URN_PREFIX.length))));
  if (!covers) throw new FitConnectRouteSignatureError(transport, `it does not name service ${expected.leikaKey} for a region containing ${expected.ars}`);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
