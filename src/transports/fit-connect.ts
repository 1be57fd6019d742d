import { calculateJwkThumbprint, type JWK } from 'jose';
import { TransportError } from '../core/errors.js';
import { KEY_ALG, encryptFor } from '../crypto/jwe.js';
import type { AuthorityDecision, HealthResult, OutboundMessage, Receipt, SendProgress, SharedCache, Transport, TransportContext } from './types.js';
import { TagCollector, streamedBody } from './attachments.js';
import { call, parseJson, session, type Api, type FitConnectOptions, type Submission } from './fit-connect-client.js';
import { SET_ALG, decisionFrom, findDecision, type EventKeys } from './fit-connect-events.js';
import { ROUTING_API_SCHEMA, resolveRoute } from './fit-connect-routing.js';
import { sharedJwks } from './jwks.js';
import { checkLimits } from './fit-connect-limits.js';
import { chooseMetadataVersion, metadataFor, type MetadataVersion } from './fit-connect-metadata.js';
import { HttpStatusError } from './http.js';
import { LEIKA_URN_PREFIX, authenticationTag } from './vocabulary.js';

/** The event vocabulary lives in vocabulary.ts (the pull API speaks it too); named here for the local receiver. */
export { EVENT_ACCEPT, EVENT_REJECT, LEIKA_URN_PREFIX, SET_TYPE, authenticationTag, type Problem, type SecurityEventClaims } from './vocabulary.js';

/** Shared with the local receiver (src/demo/receivers/fit-connect.ts), so both sides name things alike. */
export { PROBLEM_MEDIA_TYPE, type FitConnectOptions } from './fit-connect-client.js';
export { SET_ALG, SET_PAYLOAD_SCHEMA } from './fit-connect-events.js';
export { FIT_CONNECT_LIMITS, FitConnectLimitError } from './fit-connect-limits.js';
export { ARS_URN_PREFIX, ROUTE_SIGNATURE_ALG, FitConnectRouteSignatureError, NoFitConnectRouteError } from './fit-connect-routing.js';
export { METADATA_SCHEMA_ID, METADATA_VERSIONS, chooseMetadataVersion, metadataSchemaId, type MetadataVersion, metadataFor, type FitConnectAttachment, type FitConnectMetadata } from './fit-connect-metadata.js';

/** Media type of an attachment upload: the body is the attachment's JWE compact serialisation. */
export const JOSE_MEDIA_TYPE = 'application/jose';
/** FIT-Connect demands RSA keys of at least 4096 bits for payload encryption. */
export const MIN_RSA_BITS = 4096;

/** Bit length of an RSA modulus from its base64url JWK member. */
export function rsaBits(jwk: JWK): number {
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  let bits = n.length * 8;
  for (let i = 0; i < n.length && n[i] === 0; i++) bits -= 8;
  const first = n.find((b) => b !== 0) ?? 0;
  return bits - (8 - first.toString(2).length);
}

/**
 * FIT-Connect Submission API as a sender: OAuth2 client credentials, the destination's encryption
 * key (checked against the directory's), announce the submission with its attachment ids, upload
 * each attachment's JWE, submit encrypted metadata and data. The attempt ends there, at the
 * hand-over: a real destination accepts or rejects hours later, so its signed event (SET) in the
 * case's event log is read afterwards by `decision`, called by the follow-up poller with the
 * receipt's `followUp`, never inside the attempt.
 * Delivery is at least once: the announcement carries the message id as Idempotency-Key, so a
 * redelivery finds the submission it made before instead of opening a second case.
 */
export const fitConnect: Transport = {
  name: 'fit-connect',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'clientSecretEnv'],
    properties: {
      clientId: { type: 'string', minLength: 1 },
      // The secret is sent to the directory's address: only variables meant for it may be named.
      clientSecretEnv: { type: 'string', pattern: '^EFA_(DEMO_)?FIT_CONNECT_[A-Z0-9_]+$' },
      tokenUrl: { type: 'string', format: 'uri' },
      routingApi: ROUTING_API_SCHEMA,
      verificationJwksUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
    },
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    // Checked before anything is sent: an accept event we cannot verify proves nothing.
    eventKeys(this.name, ctx);
    checkLimits(this.name, message);
    const done = (await ctx.progress?.steps()) ?? {};
    const routed = await routedDestination(this.name, message, ctx, done);
    const api = session(this.name, ctx, routed);
    const { key, metadataVersion } = await destination(api, ctx.endpoint.encryptionKey, ctx.cache);
    const recorded = recordedSubmission(done);
    const submission = recorded ?? await announce(api, message);
    if (!recorded) await ctx.progress?.record(STEP_SUBMISSION, JSON.stringify({ submissionId: submission.submissionId, caseId: submission.caseId }));
    const tags = { ...recordedTags(done) };
    let metadataJwe = done[STEP_METADATA];
    let duplicate = false;
    try {
      await uploadAttachments(api, message, submission, tags, ctx.progress);
      // The metadata is encrypted once and kept: every attempt submits the same ciphertext, so
      // the accept event's tag can be checked whichever attempt's submit went through.
      if (!metadataJwe) {
        metadataJwe = await encryptFor(key, JSON.stringify(metadataFor(message, metadataVersion)), 'application/json');
        await ctx.progress?.record(STEP_METADATA, metadataJwe);
      }
      await submit(api, message, submission, metadataJwe);
    } catch (err) {
      if (!(err instanceof HttpStatusError)) throw err;
      // The submission service no longer knows the submission we recorded: start over next time.
      if (recorded && err.responseStatus === 404) {
        await ctx.progress?.forget();
        throw new TransportError(api.transport, `submission ${submission.submissionId} is unknown to the submission service; the next attempt creates it anew`, true, { cause: err });
      }
      // An earlier attempt submitted already (its answer was lost).
      if (!((recorded || submission.replayed) && err.responseStatus === 409)) throw err;
      duplicate = true;
      if (!done[STEP_METADATA]) metadataJwe = undefined;
    }
    return {
      transport: api.transport,
      deliveredAt: new Date().toISOString(),
      receiverReference: submission.submissionId,
      // Submitted, not yet accepted: nothing signed has come back so far.
      verified: false,
      duplicate,
      followUp: {
        ...(routed ? { destinationId: routed } : {}),
        submissionId: submission.submissionId,
        caseId: submission.caseId,
        ...(metadataJwe ? { metadataTag: authenticationTag(metadataJwe) } : {}),
        ...(Object.keys(tags).length > 0 || metadataJwe ? { attachmentTags: JSON.stringify(tags) } : {}),
      },
    };
  },

  async decision(followUp: Record<string, string>, ctx: TransportContext): Promise<AuthorityDecision | undefined> {
    const api = session(this.name, ctx, followUp.destinationId);
    const keys = eventKeys(this.name, ctx);
    const { submissionId, caseId } = followUp;
    if (!submissionId || !caseId) throw new TransportError(this.name, 'follow-up lacks submissionId or caseId', false);
    const submission: Submission = { submissionId, caseId, replayed: false };
    const found = await findDecision(api, submission, keys);
    const uploaded = followUp.attachmentTags ? (JSON.parse(followUp.attachmentTags) as Record<string, string>) : {};
    return found ? decisionFrom(api, submission, found, followUp.metadataTag, uploaded) : undefined;
  },

  async check(ctx: TransportContext): Promise<HealthResult> {
    try {
      const { routingApi } = ctx.endpoint.options as Partial<FitConnectOptions>;
      if (routingApi && !ctx.endpoint.identifiers.destinationId) {
        const signer = await sharedJwks.keys(this.name, routingApi.jwksUrl, { timeoutMs: ctx.timeoutMs });
        return { ok: true, detail: `destination asked of the Routing API at ${routingApi.url} per submission; its signing service's key set lists ${signer.length} key(s)` };
      }
      const api = session(this.name, ctx);
      const { key, metadataVersion } = await fetchDestination(api, ctx.endpoint.encryptionKey);
      return { ok: true, detail: `destination ${api.destinationId} active at ${api.base}, encryption key ${key.kid ?? ''} matches the directory, metadata ${metadataVersion}` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  },
};

/** Progress steps of one send (ctx.progress): the routed destination, the created submission, the metadata JWE, each uploaded attachment's tag. */
const STEP_ROUTE = 'fit-connect:route';
const STEP_SUBMISSION = 'fit-connect:submission';
const STEP_METADATA = 'fit-connect:metadata';
const STEP_ATTACHMENT = 'fit-connect:attachment:';
/** How long a checked destination key is shared between workers before it is fetched again. */
export const DESTINATION_KEY_TTL_MS = 3_600_000;

/**
 * The key each event token is checked with: the one the destination's key set (options.
 * verificationJwksUrl) lists under the token's kid, fetched and cached (src/transports/jwks.ts), or
 * the directory's pinned verificationKey. Either must be an RSA key, FIT-Connect signs PS512.
 */
function eventKeys(transport: string, ctx: TransportContext): EventKeys {
  const { endpoint } = ctx;
  const { verificationJwksUrl } = endpoint.options as Partial<FitConnectOptions>;
  const rsaOnly = (key: JWK): JWK => {
    if (key.kty !== 'RSA') throw new TransportError(transport, `directory entry of ${endpoint.authorityId}: FIT-Connect event tokens are signed ${SET_ALG}, the verification key must be an RSA key, not ${String(key.kty)}`, false);
    return key;
  };
  if (verificationJwksUrl) return async (kid) => rsaOnly(await sharedJwks.key(transport, verificationJwksUrl, kid, { timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) }));
  const pinned = endpoint.verificationKey;
  if (!pinned) throw new TransportError(transport, `directory entry of ${endpoint.authorityId} has neither a verificationKey nor options.verificationJwksUrl for the destination's event tokens`, false);
  rsaOnly(pinned);
  return async () => pinned;
}

/**
 * The destination the Routing API names for this service and the applicant's region, when the
 * entry asks for it (options.routingApi) instead of naming one. Recorded with the send's progress:
 * a submission created at one destination is never finished at another.
 */
async function routedDestination(transport: string, message: OutboundMessage, ctx: TransportContext, done: Record<string, string>): Promise<string | undefined> {
  const { routingApi } = ctx.endpoint.options as Partial<FitConnectOptions>;
  if (ctx.endpoint.identifiers.destinationId || !routingApi) return undefined;
  if (done[STEP_ROUTE]) return done[STEP_ROUTE];
  const route = await resolveRoute(transport, routingApi, { leikaKey: message.service.leikaKey, ars: message.region, expectedHost: new URL(ctx.endpoint.address).host }, { timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  await ctx.progress?.record(STEP_ROUTE, route.destinationId);
  return route.destinationId;
}

function recordedSubmission(done: Record<string, string>): Submission | undefined {
  const text = done[STEP_SUBMISSION];
  if (!text) return undefined;
  const { submissionId, caseId } = JSON.parse(text) as { submissionId: string; caseId: string };
  return { submissionId, caseId, replayed: true };
}

function recordedTags(done: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(done).filter(([step]) => step.startsWith(STEP_ATTACHMENT)).map(([step, tag]) => [step.slice(STEP_ATTACHMENT.length), tag]));
}

/** What a send needs of the destination: its checked encryption key and the metadata version it reads. */
interface Destination {
  key: JWK;
  metadataVersion: MetadataVersion;
}

/**
 * The destination's current encryption key, checked against the directory's, and the metadata
 * version it reads; shared between workers (ctx.cache) for DESTINATION_KEY_TTL_MS under the
 * directory key's thumbprint, so a directory change is never answered from the cache.
 */
async function destination(api: Api, directoryKey: JWK, cache?: SharedCache): Promise<Destination> {
  const cacheKey = `fit-connect:destination:${api.base}|${api.destinationId}|${await calculateJwkThumbprint(directoryKey, 'sha256')}`;
  const cached = await cache?.get(cacheKey);
  if (cached) return JSON.parse(cached) as Destination;
  const found = await fetchDestination(api, directoryKey);
  await cache?.set(cacheKey, JSON.stringify(found), DESTINATION_KEY_TTL_MS);
  return found;
}

/**
 * The destination's current encryption key. The payload was encrypted at submit time for the
 * directory's key, so a destination that now publishes another key could not read it: that needs
 * a directory update and re-encryption, retrying cannot help. Likewise a destination that reads no
 * metadata version this runtime writes.
 */
async function fetchDestination(api: Api, directoryKey: JWK): Promise<Destination> {
  const id = encodeURIComponent(api.destinationId);
  const destination = parseJson<{ status?: unknown; encryptionKid?: unknown; metadataVersions?: unknown }>(api, await call(api, 'GET', `/destinations/${id}`), 'destination');
  if (destination.status !== undefined && destination.status !== 'active') throw new TransportError(api.transport, `destination ${api.destinationId} is ${String(destination.status)}, not active`, false);
  if (typeof destination.encryptionKid !== 'string') throw new TransportError(api.transport, `destination ${api.destinationId} names no encryptionKid`, true);
  const metadataVersion = chooseMetadataVersion(destination.metadataVersions);
  if (!metadataVersion) throw new TransportError(api.transport, `destination ${api.destinationId} reads metadata ${JSON.stringify(destination.metadataVersions)}; this runtime writes 1.x (1.0.0) and 2.x (2.0.0)`, false);
  const key = parseJson<JWK>(api, await call(api, 'GET', `/destinations/${id}/keys/${encodeURIComponent(destination.encryptionKid)}`), 'destination key');
  if (key.kty !== 'RSA' || (key.alg !== undefined && key.alg !== KEY_ALG)) throw new TransportError(api.transport, `destination key is ${String(key.kty)}/${String(key.alg)}, not RSA/${KEY_ALG}`, false);
  if (key.key_ops && !key.key_ops.includes('wrapKey')) throw new TransportError(api.transport, 'destination key is not meant for wrapKey', false);
  const bits = rsaBits(key);
  if (bits < MIN_RSA_BITS) throw new TransportError(api.transport, `destination key has ${bits} bits, FIT-Connect demands at least ${MIN_RSA_BITS}`, false);
  if ((await calculateJwkThumbprint(key, 'sha256')) !== (await calculateJwkThumbprint(directoryKey, 'sha256'))) {
    throw new TransportError(api.transport, `destination key differs from directory key (destination ${api.destinationId}, kid ${destination.encryptionKid})`, false);
  }
  // jose turns key_ops into WebCrypto usages and wraps the content key with "encrypt", not "wrapKey".
  const { key_ops: _ops, ...usable } = key;
  return { key: { ...usable, kid: destination.encryptionKid }, metadataVersion };
}

async function announce(api: Api, message: OutboundMessage): Promise<Submission> {
  const result = await call(api, 'POST', '/submissions', {
    headers: { 'idempotency-key': message.messageId },
    body: {
      destinationId: api.destinationId,
      announcedAttachments: message.attachments.map((a) => a.id),
      serviceType: { name: message.service.title, identifier: `${LEIKA_URN_PREFIX}${message.service.leikaKey}` },
    },
  });
  const body = parseJson<{ submissionId?: unknown; caseId?: unknown }>(api, result, 'submission');
  if (typeof body.submissionId !== 'string' || typeof body.caseId !== 'string') throw new TransportError(api.transport, 'submission answer lacks submissionId or caseId', true);
  return { submissionId: body.submissionId, caseId: body.caseId, replayed: result.status === 200 };
}

/**
 * Uploads each announced attachment not confirmed before, one PUT each, the JWE streamed from the
 * store; each 204 is recorded at once, so an attempt cut off halfway leaves the rest to the next.
 */
async function uploadAttachments(api: Api, message: OutboundMessage, submission: Submission, tags: Record<string, string>, progress?: SendProgress): Promise<void> {
  for (const attachment of message.attachments) {
    if (tags[attachment.id]) continue;
    const collector = new TagCollector();
    const body = streamedBody(api.transport, [attachment], collector.observe);
    await call(api, 'PUT', `/submissions/${encodeURIComponent(submission.submissionId)}/attachments/${encodeURIComponent(attachment.id)}`, {
      stream: { body, contentType: JOSE_MEDIA_TYPE },
    });
    const tag = collector.tags()[attachment.id] ?? '';
    tags[attachment.id] = tag;
    await progress?.record(`${STEP_ATTACHMENT}${attachment.id}`, tag);
  }
}

/** Sends the encrypted metadata and the already encrypted data. */
async function submit(api: Api, message: OutboundMessage, submission: Submission, encryptedMetadata: string): Promise<void> {
  await call(api, 'PUT', `/submissions/${encodeURIComponent(submission.submissionId)}`, {
    body: { encryptedMetadata, encryptedData: message.payload.jwe },
  });
}
