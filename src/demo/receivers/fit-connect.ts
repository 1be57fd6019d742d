import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import { newAjv } from '../../core/declarations.js';
import { PACKAGE_ROOT } from '../../core/paths.js';
import { compileSchema } from '../../core/schema-cache.js';
import { KEY_ALG, decryptWith, keyId, sha512Hex } from '../../crypto/jwe.js';
import { decodeUtf8, signJson } from '../../crypto/jws.js';
import { publicPart } from '../../crypto/keys.js';
import {
  EVENT_ACCEPT, EVENT_REJECT, FIT_CONNECT_LIMITS, JOSE_MEDIA_TYPE, LEIKA_URN_PREFIX, METADATA_VERSIONS, PROBLEM_MEDIA_TYPE, SET_ALG, SET_PAYLOAD_SCHEMA, SET_TYPE, authenticationTag,
  metadataSchemaId, type FitConnectMetadata, type MetadataVersion, type Problem,
} from '../../transports/fit-connect.js';
import { trustLevelOf } from '../../transports/fit-connect-metadata.js';
import { AttachmentRefusal, RECEIVER_BODY_LIMIT, openAll } from './attachments.js';
import type { ReceivedAttachment } from './inbox.js';
import type { ReceiverAuthority, ReceiverPlugin } from './types.js';

const TOKEN_LIFETIME_SECONDS = 1800;
const PROBLEM_BASE = 'https://schema.fitko.de/fit-connect/submission-api/problems/';
const EVENT_PROBLEM_BASE = 'https://schema.fitko.de/fit-connect/events/problems/';
/** An attachment id is a UUID (metadata schema: format uuid); anything else cannot be announced. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** JWE compact: five base64url segments. */
const JWE_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const metadataSchemaFile = (version: MetadataVersion) => join(PACKAGE_ROOT, 'schemas', 'vendor', 'fit-connect', `metadata.schema.v${version}.json`);

interface StoredSubmission {
  submissionId: string;
  caseId: string;
  destinationId: string;
  clientId: string;
  serviceType: { name?: string; identifier: string };
  /** Attachment ids announced at creation; each must be uploaded before the submit. */
  announcedAttachments: string[];
  /** Uploaded attachment JWEs by id (the submission service stores them encrypted, as received). */
  uploads: Map<string, string>;
  submitted: boolean;
  /** Signed Security Event Tokens of this submission's case, oldest first. */
  events: string[];
}

/**
 * The FIT-Connect side of an authority, playing both the submission service and the destination
 * (Subscriber): issues client-credentials tokens, publishes the destination's encryption key, takes
 * announcements and submissions, decrypts and checks them at once and answers in the case's event
 * log with a signed accept or reject event. Destination id = authority id.
 */
export const fitConnectReceiver: ReceiverPlugin = async (app, { authorities, inbox, clients, fitConnectDecisionDelayMs = 0, fitConnectMetadataVersions = ['1.0.0'] }) => {
  const issued = new Map<string, { clientId: string; expiresAt: number }>();
  const submissions = new Map<string, StoredSubmission>();
  /** client id + Idempotency-Key -> submission id: a redelivered announcement finds its submission. */
  const announced = new Map<string, string>();
  const validators = metadataValidator();
  /** The validator of each metadata version the destinations declare; other versions are refused. */
  const validateMetadata = new Map(METADATA_VERSIONS.filter((v) => fitConnectMetadataVersions.some((d) => d.split('.')[0] === v.split('.')[0])).map((v) => [metadataSchemaId(v), validators[v]]));
  /** Posts a decision into the case's event log, at once or as late as configured. */
  const decide = (submission: StoredSubmission, event: string) => {
    if (fitConnectDecisionDelayMs <= 0) submission.events.push(event);
    else setTimeout(() => submission.events.push(event), fitConnectDecisionDelayMs).unref();
  };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

  app.post<{ Body: Record<string, string> | undefined }>('/fit-connect/token', async (req, reply) => {
    const { grant_type: grant, client_id: clientId, client_secret: secret } = req.body ?? {};
    if (grant !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' });
    if (!clientId || !secret || !secretMatches(clients?.get(clientId), secret)) return reply.code(401).header('www-authenticate', 'Basic realm="fit-connect"').send({ error: 'invalid_client' });
    const token = randomBytes(32).toString('base64url');
    issued.set(token, { clientId, expiresAt: Date.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    return reply.code(200).header('cache-control', 'no-store').send({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS });
  });

  /** The bearer token's client, or a 401 already sent (RFC 6750). */
  const authenticate = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const grant = match?.[1] ? issued.get(match[1]) : undefined;
    if (grant && grant.expiresAt > Date.now()) return grant.clientId;
    problem(reply.header('www-authenticate', 'Bearer error="invalid_token"'), 401, 'unauthorized', 'Missing, unknown or expired access token');
    return undefined;
  };

  app.get<{ Params: { destinationId: string } }>('/fit-connect/destinations/:destinationId', async (req, reply) => {
    if (!authenticate(req, reply)) return reply;
    const authority = authorities.get(req.params.destinationId);
    if (!authority) return destinationNotFound(reply, req.params.destinationId);
    return reply.send({
      destinationId: authority.id,
      status: 'active',
      encryptionKid: await keyId(publicPart(authority.decryptionKey)),
      metadataVersions: fitConnectMetadataVersions,
      services: [],
    });
  });

  // The destination's signing keys as a JWKS: what a sender checks event tokens with (options.verificationJwksUrl).
  app.get<{ Params: { destinationId: string } }>('/fit-connect/destinations/:destinationId/jwks.json', async (req, reply) => {
    const authority = authorities.get(req.params.destinationId);
    if (!authority) return destinationNotFound(reply, req.params.destinationId);
    const pub = publicPart(authority.signingKey);
    return reply.send({ keys: [{ ...pub, alg: SET_ALG, use: 'sig', key_ops: ['verify'], kid: await keyId(pub) }] });
  });

  app.get<{ Params: { destinationId: string; kid: string } }>('/fit-connect/destinations/:destinationId/keys/:kid', async (req, reply) => {
    if (!authenticate(req, reply)) return reply;
    const authority = authorities.get(req.params.destinationId);
    if (!authority) return destinationNotFound(reply, req.params.destinationId);
    const key = await encryptionKeyOf(authority);
    if (key.kid !== req.params.kid) return problem(reply, 404, 'key-not-found', 'Key not found', `destination ${authority.id} has no key ${req.params.kid}`);
    return reply.send(key);
  });

  app.post<{ Body: { destinationId?: unknown; announcedAttachments?: unknown; serviceType?: { name?: unknown; identifier?: unknown } } | undefined }>('/fit-connect/submissions', async (req, reply) => {
    const clientId = authenticate(req, reply);
    if (!clientId) return reply;
    const { destinationId, announcedAttachments, serviceType } = req.body ?? {};
    if (typeof destinationId !== 'string' || !Array.isArray(announcedAttachments) || typeof serviceType?.identifier !== 'string') {
      return problem(reply, 400, 'request-syntax-violation', 'Invalid submission request', 'destinationId, announcedAttachments and serviceType.identifier are required');
    }
    if (!announcedAttachments.every((id): id is string => typeof id === 'string' && UUID.test(id)) || new Set(announcedAttachments).size !== announcedAttachments.length) {
      return problem(reply, 400, 'request-syntax-violation', 'Invalid submission request', 'announcedAttachments must be distinct UUIDs');
    }
    if (announcedAttachments.length > FIT_CONNECT_LIMITS.attachments) {
      return problem(reply, 400, 'request-syntax-violation', 'Too many attachments', `at most ${FIT_CONNECT_LIMITS.attachments} attachments per submission`);
    }
    if (!authorities.has(destinationId)) return destinationNotFound(reply, destinationId);

    const idempotencyKey = header(req.headers['idempotency-key']);
    const known = idempotencyKey ? submissions.get(announced.get(`${clientId}|${idempotencyKey}`) ?? '') : undefined;
    if (known) {
      // Same key, other request: the sender reused a key by mistake (draft-ietf-httpapi-idempotency-key-header).
      if (known.destinationId !== destinationId || known.serviceType.identifier !== serviceType.identifier || !sameIds(known.announcedAttachments, announcedAttachments)) {
        return problem(reply, 422, 'idempotency-key-reused', 'Idempotency-Key was used for another request');
      }
      return reply.code(200).send(announcement(known));
    }
    const submission: StoredSubmission = {
      submissionId: randomUUID(),
      caseId: randomUUID(),
      destinationId,
      clientId,
      serviceType: { identifier: serviceType.identifier, ...(typeof serviceType.name === 'string' ? { name: serviceType.name } : {}) },
      announcedAttachments,
      uploads: new Map(),
      submitted: false,
      events: [],
    };
    submissions.set(submission.submissionId, submission);
    if (idempotencyKey) announced.set(`${clientId}|${idempotencyKey}`, submission.submissionId);
    return reply.code(201).send(announcement(submission));
  });

  app.addContentTypeParser(JOSE_MEDIA_TYPE, { parseAs: 'string', bodyLimit: RECEIVER_BODY_LIMIT }, (_req, body, done) => done(null, body));

  /** Upload of one announced attachment: its JWE as the body. Allowed until the submit; a second PUT replaces it. */
  app.put<{ Params: { submissionId: string; attachmentId: string }; Body: unknown }>(
    '/fit-connect/submissions/:submissionId/attachments/:attachmentId',
    { bodyLimit: RECEIVER_BODY_LIMIT },
    async (req, reply) => {
      const clientId = authenticate(req, reply);
      if (!clientId) return reply;
      const submission = submissions.get(req.params.submissionId);
      if (!submission || submission.clientId !== clientId) return problem(reply, 404, 'submission-not-found', 'Submission not found');
      if (!submission.announcedAttachments.includes(req.params.attachmentId)) {
        return problem(reply, 404, 'attachment-not-found', 'Attachment was not announced', `submission ${submission.submissionId} announced no attachment ${req.params.attachmentId}`);
      }
      if (submission.submitted) return problem(reply, 409, 'submission-state-invalid', 'Submission was already submitted');
      const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (mediaType !== JOSE_MEDIA_TYPE || typeof req.body !== 'string' || !JWE_COMPACT.test(req.body)) {
        return problem(reply, 415, 'unsupported-media-type', 'Attachment must be a JWE', `Content-Type ${JOSE_MEDIA_TYPE} with a JWE compact serialisation is required`);
      }
      submission.uploads.set(req.params.attachmentId, req.body);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { submissionId: string }; Body: { encryptedMetadata?: unknown; encryptedData?: unknown } | undefined }>(
    '/fit-connect/submissions/:submissionId',
    { bodyLimit: 10 * 1024 * 1024 },
    async (req, reply) => {
      const clientId = authenticate(req, reply);
      if (!clientId) return reply;
      const submission = submissions.get(req.params.submissionId);
      // Another client's submission is as unknown as a missing one: ids must not be probeable.
      if (!submission || submission.clientId !== clientId) return problem(reply, 404, 'submission-not-found', 'Submission not found');
      if (submission.submitted) return problem(reply, 409, 'submission-state-invalid', 'Submission was already submitted');
      const { encryptedMetadata, encryptedData } = req.body ?? {};
      if (typeof encryptedMetadata !== 'string' || typeof encryptedData !== 'string') {
        return problem(reply, 400, 'request-syntax-violation', 'Invalid submit request', 'encryptedMetadata and encryptedData (JWE compact) are required');
      }
      const authority = authorities.get(submission.destinationId);
      if (!authority) return destinationNotFound(reply, submission.destinationId);
      const missing = submission.announcedAttachments.filter((id) => !submission.uploads.has(id));
      if (missing.length > 0) return problem(reply, 422, 'missing-attachments', 'Announced attachments are missing', `not uploaded: ${missing.join(', ')}`);

      submission.submitted = true;
      const outcome = await inspect(authority, submission, encryptedMetadata, encryptedData, validateMetadata);
      if ('problem' in outcome) {
        decide(submission, await securityEvent(authority, submission, EVENT_REJECT, { problems: [outcome.problem] }));
      } else {
        const { metadata, document, attachments } = outcome;
        const data = metadata.contentStructure.data;
        const messageId = metadata.additionalReferenceInfo?.senderReference ?? submission.submissionId;
        const trustLevel = trustLevelOf(metadata);
        inbox.add({
          messageId,
          transport: 'fit-connect',
          authorityId: authority.id,
          receivedAt: new Date().toISOString(),
          reference: referenceIn(document) ?? messageId,
          serviceKey: submission.serviceType.identifier.replace(LEIKA_URN_PREFIX, ''),
          mediaType: data?.submissionSchema.mimeType ?? 'application/octet-stream',
          document,
          metadata: { submissionId: submission.submissionId, caseId: submission.caseId, clientId, fitConnectMetadata: metadata, ...(trustLevel ? { trustLevel } : {}) },
          attachments,
        });
        const attachmentTags = Object.fromEntries([...submission.uploads].map(([id, jwe]) => [id, authenticationTag(jwe)]));
        decide(submission, await securityEvent(authority, submission, EVENT_ACCEPT, {
          authenticationTags: { metadata: authenticationTag(encryptedMetadata), data: authenticationTag(encryptedData), attachments: attachmentTags },
        }));
      }
      // Decided: the ciphertexts are no longer needed (the inbox keeps the decrypted files).
      submission.uploads.clear();
      return reply.code(202).send(announcement(submission));
    },
  );

  app.get<{ Params: { caseId: string } }>('/fit-connect/cases/:caseId/events', async (req, reply) => {
    const clientId = authenticate(req, reply);
    if (!clientId) return reply;
    const inCase = [...submissions.values()].filter((s) => s.caseId === req.params.caseId && s.clientId === clientId);
    if (inCase.length === 0) return problem(reply, 404, 'case-not-found', 'Case not found');
    return reply.send({ eventLog: inCase.flatMap((s) => s.events) });
  });
};

function announcement(s: StoredSubmission): { destinationId: string; submissionId: string; caseId: string } {
  return { destinationId: s.destinationId, submissionId: s.submissionId, caseId: s.caseId };
}

/** The authority's public encryption key as a FIT-Connect destination publishes it. */
async function encryptionKeyOf(authority: ReceiverAuthority): Promise<JWK & { kid: string }> {
  const pub = publicPart(authority.decryptionKey);
  return { ...pub, alg: KEY_ALG, use: 'enc', key_ops: ['wrapKey'], kid: await keyId(pub) };
}

type Inspection = { metadata: FitConnectMetadata; document: string; attachments: ReceivedAttachment[] } | { problem: Problem };

/**
 * What a FIT-Connect destination checks before it accepts: both parts decrypt with its key, the
 * metadata is valid against the schema and names this service, the data's hash is the one in the
 * metadata, the metadata lists exactly the announced attachments and each decrypts to the hash it
 * lists. Any failure is a reject event, and nothing reaches the Fachverfahren.
 */
async function inspect(authority: ReceiverAuthority, submission: StoredSubmission, encryptedMetadata: string, encryptedData: string, validators: ReadonlyMap<string, ValidateFunction>): Promise<Inspection> {
  let metadataText: string;
  let document: string;
  try {
    metadataText = decodeUtf8((await decryptWith(authority.decryptionKey, encryptedMetadata)).plaintext);
    document = decodeUtf8((await decryptWith(authority.decryptionKey, encryptedData)).plaintext);
  } catch {
    return reject('encryption-issue', 'Decryption failed', 'metadata or data cannot be decrypted with the destination key');
  }
  let metadata: FitConnectMetadata;
  try {
    metadata = JSON.parse(metadataText) as FitConnectMetadata;
  } catch {
    return reject('metadata-json-syntax-violation', 'Metadata is not JSON');
  }
  // Each version against its own official schema; one this destination does not declare is refused.
  const validate = validators.get(metadata.$schema ?? metadataSchemaId('1.0.0'));
  if (!validate) return reject('unsupported-metadata-schema', 'Unsupported metadata schema', String(metadata.$schema));
  if (!validate(metadata)) {
    const first = validate.errors?.[0];
    return reject('metadata-schema-violation', 'Metadata schema violation', `${first?.instancePath || '/'} ${first?.message ?? 'invalid'}`);
  }
  const data = metadata.contentStructure.data;
  if (!data) return reject('missing-data', 'Metadata describes no data');
  if (metadata.publicServiceType && metadata.publicServiceType.identifier !== submission.serviceType.identifier) {
    return reject('service-type-mismatch', 'Service type differs from the announcement', metadata.publicServiceType.identifier);
  }
  if (sha512Hex(document) !== data.hash.content) return reject('hash-mismatch', 'Data hash mismatch', 'sha512 of the decrypted data differs from the hash in the metadata');
  const listed = metadata.contentStructure.attachments;
  if (!sameIds(listed.map((a) => a.attachmentId), submission.announcedAttachments)) {
    return reject('attachments-mismatch', 'Attachments differ from the announcement', 'contentStructure.attachments must list exactly the announced attachment ids');
  }
  try {
    const described = listed.map((a) => ({ id: a.attachmentId, filename: a.filename ?? a.attachmentId, mediaType: a.mimeType, size: 0, sha512: a.hash.content }));
    return { metadata, document, attachments: await openAll(authority, described, submission.uploads) };
  } catch (err) {
    if (!(err instanceof AttachmentRefusal)) throw err;
    return err.reason === 'hash-mismatch'
      ? reject('hash-mismatch', 'Attachment hash mismatch', `sha512 of attachment ${err.attachmentId} differs from the hash in the metadata`)
      : reject('encryption-issue', 'Decryption failed', err.message);
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function reject(slug: string, title: string, detail?: string): { problem: Problem } {
  return { problem: { type: `${EVENT_PROBLEM_BASE}${slug}`, title, ...(detail ? { detail } : {}) } };
}

/**
 * A Security Event Token (RFC 8417) as a FIT-Connect destination issues it: PS512 with the
 * authority's RSA signing key (a destination with another kind of key cannot take part), `typ:
 * secevent+jwt`, the published claims.
 */
async function securityEvent(authority: ReceiverAuthority, s: StoredSubmission, event: string, payload: Record<string, unknown>): Promise<string> {
  if (authority.signingKey.kty !== 'RSA') throw new Error(`FIT-Connect destination ${authority.id} needs an RSA signing key for ${SET_ALG} event tokens`);
  return signJson({ ...authority.signingKey, alg: SET_ALG }, {
    $schema: SET_PAYLOAD_SCHEMA,
    iss: s.destinationId,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    sub: `submission:${s.submissionId}`,
    txn: `case:${s.caseId}`,
    events: { [event]: payload },
  }, SET_TYPE);
}

/** The runtime's JSON documents carry their human reference number in meta.reference; others have none. */
function referenceIn(document: string): string | undefined {
  try {
    const reference = (JSON.parse(document) as { meta?: { reference?: unknown } }).meta?.reference;
    return typeof reference === 'string' ? reference : undefined;
  } catch {
    return undefined;
  }
}

/** The FIT-Connect metadata schemas' validators by version (exported for the build, which compiles them ahead). */
export function metadataValidator(): Record<MetadataVersion, ValidateFunction> {
  const compile = (version: MetadataVersion) => compileSchema(newAjv(), JSON.parse(readFileSync(metadataSchemaFile(version), 'utf8')) as Record<string, unknown>);
  return { '1.0.0': compile('1.0.0'), '2.0.0': compile('2.0.0') };
}

/** Compares digests, so neither the secret's length nor its content leaks through timing. */
function secretMatches(expected: string | undefined, given: string): boolean {
  if (expected === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

function problem(reply: FastifyReply, status: number, slug: string, title: string, detail?: string): FastifyReply {
  const body: Problem = { type: `${PROBLEM_BASE}${slug}`, title, status, ...(detail ? { detail } : {}) };
  return reply.code(status).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(body));
}

function destinationNotFound(reply: FastifyReply, destinationId: string): FastifyReply {
  return problem(reply, 404, 'destination-not-found', 'Destination not found', `no destination ${destinationId}`);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
