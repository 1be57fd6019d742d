import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { cleanFileName } from '../attachments/file-name.js';
import { TransportError } from '../core/errors.js';
import { KEY_ALG, encryptFor } from '../crypto/jwe.js';
import { verifyJson } from '../crypto/jws.js';
import type { AuthorityDecision, HealthResult, OutboundAttachment, OutboundMessage, Receipt, Transport, TransportContext } from './types.js';
import { TagCollector, streamedBody, streamedInit, type StreamedBody } from './attachments.js';
import { HttpStatusError, exchange, type HttpResult } from './http.js';
import { EVENT_ACCEPT, EVENT_REJECT, LEIKA_URN_PREFIX, SET_TYPE, authenticationTag, type SecurityEventClaims } from './vocabulary.js';

/** The event vocabulary lives in vocabulary.ts (the pull API speaks it too); named here for the local receiver. */
export { EVENT_ACCEPT, EVENT_REJECT, LEIKA_URN_PREFIX, SET_TYPE, authenticationTag, type Problem, type SecurityEventClaims } from './vocabulary.js';

/** Shared with the local receiver (src/demo/receivers/fit-connect.ts), so both sides name things alike. */
export const METADATA_SCHEMA_ID = 'https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
/** Media type of an attachment upload: the body is the attachment's JWE compact serialisation. */
export const JOSE_MEDIA_TYPE = 'application/jose';
/** FIT-Connect demands RSA keys of at least 4096 bits for payload encryption. */
export const MIN_RSA_BITS = 4096;

/** A token is renewed this long before it expires, so it cannot lapse between two calls of one send. */
const TOKEN_MARGIN_MS = 60_000;

export interface FitConnectOptions {
  clientId: string;
  /** Name of the environment variable holding the client secret: secrets never stand in routing files. */
  clientSecretEnv: string;
  /** OAuth2 token endpoint; defaults to `{address}/token` (real FIT-Connect has a separate auth server). */
  tokenUrl?: string;
}

/** The part of the FIT-Connect metadata (schema v1.0.0) this runtime writes and its receiver reads. */
export interface FitConnectMetadata {
  $schema?: string;
  contentStructure: {
    data?: { hash: { type: 'sha512'; content: string }; submissionSchema: { schemaUri: string; mimeType: string } };
    attachments: FitConnectAttachment[];
  };
  publicServiceType?: { name?: string; identifier: string };
  additionalReferenceInfo?: { senderReference?: string; applicationDate?: string };
}

/** One entry of contentStructure.attachments (metadata schema v1.0.0). */
export interface FitConnectAttachment {
  hash: { type: 'sha512'; content: string };
  purpose: 'form' | 'attachment' | 'report';
  mimeType: string;
  filename?: string;
  description?: string;
  attachmentId: string;
}

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
    },
  },

  async send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt> {
    const api = session(this.name, ctx);
    const verificationKey = ctx.endpoint.verificationKey;
    // Checked before anything is sent: an accept event we cannot verify proves nothing.
    if (!verificationKey) throw new TransportError(this.name, `directory entry of ${ctx.endpoint.authorityId} has no verificationKey for the destination's event tokens`, false);
    const key = await destinationKey(api, ctx.endpoint.encryptionKey);
    const submission = await announce(api, message);

    let metadataJwe: string | undefined;
    const attachmentTags = new TagCollector();
    try {
      await uploadAttachments(api, message, submission, attachmentTags);
      metadataJwe = await submit(api, message, submission, key);
    } catch (err) {
      // A redelivery of a submission an earlier attempt already submitted (its answer was lost).
      if (!(submission.replayed && err instanceof HttpStatusError && err.responseStatus === 409)) throw err;
    }
    const uploaded = attachmentTags.tags();
    return {
      transport: api.transport,
      deliveredAt: new Date().toISOString(),
      receiverReference: submission.submissionId,
      // Submitted, not yet accepted: nothing signed has come back so far.
      verified: false,
      duplicate: metadataJwe === undefined,
      followUp: {
        submissionId: submission.submissionId,
        caseId: submission.caseId,
        ...(metadataJwe ? { metadataTag: authenticationTag(metadataJwe), attachmentTags: JSON.stringify(uploaded) } : {}),
      },
    };
  },

  async decision(followUp: Record<string, string>, ctx: TransportContext): Promise<AuthorityDecision | undefined> {
    const api = session(this.name, ctx);
    const verificationKey = ctx.endpoint.verificationKey;
    if (!verificationKey) throw new TransportError(this.name, `directory entry of ${ctx.endpoint.authorityId} has no verificationKey for the destination's event tokens`, false);
    const { submissionId, caseId } = followUp;
    if (!submissionId || !caseId) throw new TransportError(this.name, 'follow-up lacks submissionId or caseId', false);
    const submission: Submission = { submissionId, caseId, replayed: false };
    const found = await findDecision(api, submission, verificationKey);
    const uploaded = followUp.attachmentTags ? (JSON.parse(followUp.attachmentTags) as Record<string, string>) : {};
    return found ? decisionFrom(api, submission, found, followUp.metadataTag, uploaded) : undefined;
  },

  async check(ctx: TransportContext): Promise<HealthResult> {
    try {
      const api = session(this.name, ctx);
      const key = await destinationKey(api, ctx.endpoint.encryptionKey);
      return { ok: true, detail: `destination ${api.destinationId} active at ${api.base}, encryption key ${key.kid ?? ''} matches the directory` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  },
};

interface Api {
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
function session(transport: string, ctx: TransportContext): Api {
  const { endpoint } = ctx;
  const options = endpoint.options as Partial<FitConnectOptions>;
  const destinationId = endpoint.identifiers.destinationId;
  if (!destinationId) throw new TransportError(transport, `directory entry of ${endpoint.authorityId} has no identifiers.destinationId`, false);
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
async function call(api: Api, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; stream?: { body: StreamedBody; contentType: string } } = {}): Promise<HttpResult> {
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

function parseJson<T>(api: Api, result: HttpResult, what: string): T {
  try {
    return JSON.parse(result.body) as T;
  } catch {
    throw new TransportError(api.transport, `${what} is not JSON`, true);
  }
}

/**
 * The destination's current encryption key. The payload was encrypted at submit time for the
 * directory's key, so a destination that now publishes another key could not read it: that needs
 * a directory update and re-encryption, retrying cannot help.
 */
async function destinationKey(api: Api, directoryKey: JWK): Promise<JWK> {
  const id = encodeURIComponent(api.destinationId);
  const destination = parseJson<{ status?: unknown; encryptionKid?: unknown }>(api, await call(api, 'GET', `/destinations/${id}`), 'destination');
  if (destination.status !== undefined && destination.status !== 'active') throw new TransportError(api.transport, `destination ${api.destinationId} is ${String(destination.status)}, not active`, false);
  if (typeof destination.encryptionKid !== 'string') throw new TransportError(api.transport, `destination ${api.destinationId} names no encryptionKid`, true);
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
  return { ...usable, kid: destination.encryptionKid };
}

interface Submission {
  submissionId: string;
  caseId: string;
  /** The service already knew this message id and answered with the submission made before. */
  replayed: boolean;
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

/** The metadata document (FIT-Connect metadata schema v1.0.0) that binds the data by its hash. */
export function metadataFor(message: OutboundMessage): FitConnectMetadata {
  return {
    $schema: METADATA_SCHEMA_ID,
    contentStructure: {
      data: {
        hash: { type: 'sha512', content: message.payload.sha512 },
        submissionSchema: { schemaUri: message.payload.schemaUri, mimeType: message.payload.mediaType },
      },
      attachments: message.attachments.map(attachmentEntry),
    },
    publicServiceType: { name: message.service.title, identifier: `${LEIKA_URN_PREFIX}${message.service.leikaKey}` },
    // The schema's one field for the sender's own reference; it carries the stable message id, so
    // the destination can recognise a redelivery inside the end-to-end encrypted part.
    additionalReferenceInfo: { senderReference: message.messageId, applicationDate: message.submittedAt.slice(0, 10) },
  };
}

/** The metadata entry of one uploaded file; the hash binds the file to the (encrypted, tag-checked) metadata. */
function attachmentEntry(a: OutboundAttachment): FitConnectAttachment {
  return {
    hash: { type: 'sha512', content: a.sha512 },
    purpose: 'attachment',
    // The schema allows type/subtype only; parameters (charset=…) would make the metadata invalid.
    mimeType: a.mediaType.split(';')[0]?.trim() ?? a.mediaType,
    filename: cleanFileName(a.filename),
    attachmentId: a.id,
  };
}

/**
 * Uploads every announced attachment before the submit, one PUT each, the JWE streamed from the
 * store. Uploading again on a redelivery is allowed: before the submit, a PUT replaces the file.
 */
async function uploadAttachments(api: Api, message: OutboundMessage, submission: Submission, tags: TagCollector): Promise<void> {
  for (const attachment of message.attachments) {
    const body = streamedBody(api.transport, [attachment], tags.observe);
    await call(api, 'PUT', `/submissions/${encodeURIComponent(submission.submissionId)}/attachments/${encodeURIComponent(attachment.id)}`, {
      stream: { body, contentType: JOSE_MEDIA_TYPE },
    });
  }
}

/** Sends encrypted metadata and the already encrypted data; returns the metadata JWE for the tag check. */
async function submit(api: Api, message: OutboundMessage, submission: Submission, key: JWK): Promise<string> {
  const encryptedMetadata = await encryptFor(key, JSON.stringify(metadataFor(message)), 'application/json');
  await call(api, 'PUT', `/submissions/${encodeURIComponent(submission.submissionId)}`, {
    body: { encryptedMetadata, encryptedData: message.payload.jwe },
  });
  return encryptedMetadata;
}

interface Decision {
  token: string;
  claims: SecurityEventClaims;
  event: typeof EVENT_ACCEPT | typeof EVENT_REJECT;
}

/** Reads the case's event log; every token must verify, the destination's decision on this submission is returned. */
async function findDecision(api: Api, submission: Submission, key: JWK): Promise<Decision | undefined> {
  const log = parseJson<{ eventLog?: unknown }>(api, await call(api, 'GET', `/cases/${encodeURIComponent(submission.caseId)}/events`), 'event log');
  if (!Array.isArray(log.eventLog)) throw new TransportError(api.transport, 'event log answer has no eventLog array', true);
  for (const token of log.eventLog) {
    const claims = await verifyEvent(api, key, token);
    if (claims.sub !== `submission:${submission.submissionId}` || claims.iss !== api.destinationId) continue;
    const event = Object.keys(claims.events).find((e): e is Decision['event'] => e === EVENT_ACCEPT || e === EVENT_REJECT);
    if (event) return { token: token as string, claims, event };
  }
  return undefined;
}

/**
 * A Security Event Token (RFC 8417) signed by the destination. Retryable when it fails, like a bad
 * webhook receipt: the submission may well have arrived, a redelivery reads the log again.
 */
async function verifyEvent(api: Api, key: JWK, token: unknown): Promise<SecurityEventClaims> {
  if (typeof token !== 'string') throw new TransportError(api.transport, 'event log holds a non-string entry', true);
  let verified: { payload: SecurityEventClaims; header: Record<string, unknown> };
  try {
    verified = await verifyJson<SecurityEventClaims>(key, token);
  } catch (err) {
    throw new TransportError(api.transport, 'event token does not verify with the authority verification key', true, { cause: err });
  }
  const { payload, header } = verified;
  if (header.typ !== SET_TYPE || typeof payload.events !== 'object' || payload.events === null || typeof payload.sub !== 'string' || typeof payload.iat !== 'number') {
    throw new TransportError(api.transport, `event token is not a ${SET_TYPE} security event token`, true);
  }
  return payload;
}

/**
 * The destination's decision as the runtime records it. An accept must name the authentication tag
 * of the data we sent (the same on every attempt; checked by the poller against the stored
 * ciphertext) and, when known, of the metadata and attachments the submitting attempt sent: then
 * the destination accepted exactly our ciphertexts.
 */
function decisionFrom(api: Api, submission: Submission, decision: Decision, metadataTag: string | undefined, uploaded: Record<string, string>): AuthorityDecision {
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
