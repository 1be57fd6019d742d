/**
 * The destination's decision, read from the case's event log: each entry a Security Event Token
 * signed by the destination, checked against what this runtime sent.
 */
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { TransportError } from '../core/errors.js';
import type { AuthorityDecision } from './types.js';
import { call, parseJson, type Api, type Submission } from './fit-connect-client.js';
import { EVENT_ACCEPT, EVENT_REJECT, SET_TYPE, type SecurityEventClaims } from './vocabulary.js';

/** FIT-Connect signs every event token with RSASSA-PSS and SHA-512. */
export const SET_ALG = 'PS512';
/** The JSON Schema of a FIT-Connect SET payload, named in its `$schema` claim. */
export const SET_PAYLOAD_SCHEMA = 'https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json';

interface Decision {
  token: string;
  claims: SecurityEventClaims;
  event: typeof EVENT_ACCEPT | typeof EVENT_REJECT;
}

/**
 * The key an event token is checked with, by the key id its header names: the directory's pinned
 * key, or the one the destination's key set lists (fit-connect.ts, eventKeys).
 */
export type EventKeys = (kid: string | undefined) => Promise<JWK>;

/** Reads the case's event log; every token must verify, the destination's decision on this submission is returned. */
export async function findDecision(api: Api, submission: Submission, keys: EventKeys): Promise<Decision | undefined> {
  const log = parseJson<{ eventLog?: unknown }>(api, await call(api, 'GET', `/cases/${encodeURIComponent(submission.caseId)}/events`), 'event log');
  if (!Array.isArray(log.eventLog)) throw new TransportError(api.transport, 'event log answer has no eventLog array', true);
  for (const token of log.eventLog) {
    const claims = await verifyEvent(api, keys, token);
    if (claims.sub !== `submission:${submission.submissionId}` || claims.iss !== api.destinationId) continue;
    const event = Object.keys(claims.events).find((e): e is Decision['event'] => e === EVENT_ACCEPT || e === EVENT_REJECT);
    if (event) return { token: token as string, claims, event };
  }
  return undefined;
}

/**
 * A Security Event Token (RFC 8417) as FIT-Connect publishes it: JWS with `alg: PS512` (nothing
 * else is accepted, whatever the key would allow), `typ: secevent+jwt`, the `kid` of the key it
 * names, and the claims `$schema`, `jti`, `iss`, `iat`, `sub`, `txn`, `events`. Retryable when it
 * fails, like a bad webhook receipt: the submission may well have arrived, a redelivery reads the
 * log again, and an operator sees the error.
 */
async function verifyEvent(api: Api, keys: EventKeys, token: unknown): Promise<SecurityEventClaims> {
  if (typeof token !== 'string') throw new TransportError(api.transport, 'event log holds a non-string entry', true);
  let kid: string | undefined;
  try {
    const named = decodeProtectedHeader(token).kid;
    kid = typeof named === 'string' ? named : undefined;
  } catch (err) {
    throw new TransportError(api.transport, 'event log holds an entry that is not a JWS', true, { cause: err });
  }
  const key = await keys(kid);
  let verified: { payload: SecurityEventClaims; header: Record<string, unknown> };
  try {
    const { payload, protectedHeader } = await compactVerify(token, await importJWK({ ...key, alg: SET_ALG }, SET_ALG), { algorithms: [SET_ALG] });
    verified = { payload: JSON.parse(new TextDecoder().decode(payload)) as SecurityEventClaims, header: protectedHeader as Record<string, unknown> };
  } catch (err) {
    throw new TransportError(api.transport, `event token does not verify as ${SET_ALG} with the destination's verification key`, true, { cause: err });
  }
  const { payload, header } = verified;
  if (header.typ !== SET_TYPE) throw new TransportError(api.transport, `event token has typ ${String(header.typ)}, not ${SET_TYPE}`, true);
  if (key.kid !== undefined && header.kid !== undefined && header.kid !== key.kid) throw new TransportError(api.transport, `event token names key ${String(header.kid)}, not the destination's ${key.kid}`, true);
  const claimsOk = typeof payload.events === 'object' && payload.events !== null && typeof payload.sub === 'string' && typeof payload.iss === 'string'
    && typeof payload.txn === 'string' && typeof payload.jti === 'string' && typeof payload.iat === 'number'
    && (payload.$schema === undefined || payload.$schema === SET_PAYLOAD_SCHEMA);
  if (!claimsOk) throw new TransportError(api.transport, `event token lacks the claims of a FIT-Connect ${SET_TYPE} security event token`, true);
  return payload;
}

/**
 * The destination's decision as the runtime records it. An accept must name the authentication tag
 * of the data we sent (the same on every attempt; checked by the poller against the stored
 * ciphertext) and, when known, of the metadata and attachments the submitting attempt sent: then
 * the destination accepted exactly our ciphertexts.
 */
export function decisionFrom(api: Api, submission: Submission, decision: Decision, metadataTag: string | undefined, uploaded: Record<string, string>): AuthorityDecision {
  const { claims } = decision;
  if (claims.txn !== `case:${submission.caseId}`) throw new TransportError(api.transport, `event token names ${claims.txn}, not case:${submission.caseId}`, true);
  const details = claims.events[decision.event] ?? {};
  const decidedAt = new Date(claims.iat * 1000).toISOString();
  if (decision.event === EVENT_REJECT) {
    const problems = (details.problems ?? []).map((p) => ({ ...p, type: p.type || 'about:blank' }));
    return { decision: 'rejected', problems, decidedAt, decidedBy: api.destinationId, evidence: decision.token };
  }
  const tags = details.authenticationTags ?? {};
  if (metadataTag !== undefined && tags.metadata !== metadataTag) {
    throw new TransportError(api.transport, `accept event for submission ${submission.submissionId} names other authentication tags than were sent`, true);
  }
  if (!attachmentTagsMatch(tags.attachments, uploaded)) {
    throw new TransportError(api.transport, `accept event for submission ${submission.submissionId} names other attachment authentication tags than were uploaded`, true);
  }
  return { decision: 'accepted', problems: [], decidedAt, decidedBy: api.destinationId, evidence: decision.token, ...(tags.data ? { dataTag: tags.data } : {}) };
}

/**
 * Each attachment uploaded in this attempt must stand in the accept event with the tag of its JWE.
 * A redelivery that found the decision already made uploaded nothing and has nothing to compare.
 */
function attachmentTagsMatch(accepted: Record<string, string> | undefined, uploaded: Record<string, string>): boolean {
  return Object.entries(uploaded).every(([id, tag]) => accepted?.[id] === tag);
}
