import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { cleanFileName } from '../../attachments/file-name.js';
import { EfaError } from '../../core/errors.js';
import { t } from '../../forms/text.js';
import { endpointFor } from '../../routing/load.js';
import { LEIKA_URN_PREFIX, PULL_API_BASE } from '../../transports/vocabulary.js';
import type { Runtime } from '../../runtime.js';
import { attachmentsForAuthority, decide, fetchForAuthority, leikaKeyOf, listPending, PullAttachmentNotFoundError, type PendingItem, type PulledSubmission, type RecordedDecision } from '../../submissions/pull.js';
import type { OutboundAttachment } from '../../transports/types.js';
import { parseJsonEvent, parseSignedEvent, type ParsedEvent } from '../../submissions/pull-events.js';
import { apiError, requireScope, type ApiAuthOptions } from '../api-auth.js';
import { receivePulledAnswer } from '../../postfach/receive.js';
import { ANSWER_LIMITS, ZBP_STATUSES } from '../../transports/return-paths.js';
import { postfachDeps } from '../postfach-deps.js';
import { BadCursorError } from '../../storage/cursor.js';
import { authErrors, bearer, digits, errorBody, uuid } from '../schemas.js';

/**
 * The authority pull API, modelled on FIT-Connect's Subscriber API, for authorities without an
 * endpoint of their own (directory transport "pull"): list the undecided submissions, fetch one
 * (its data stays the JWE made at submit, for the authority's key), accept or reject it as an event.
 * Every route needs a token with scope submissions:pull; the token's client names the authority,
 * and only that authority's submissions exist for it.
 */

export interface AuthorityPullOptions {
  rt: Runtime;
  auth: ApiAuthOptions;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;
/** Offset paging reads and skips every row before the page: capped; `after` pages without limit. */
const MAX_OFFSET = 10_000;
/** An event is a short JSON document or token; anything near this is not one. */
export const EVENT_BODY_LIMIT = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOSE = 'application/jose';

export class InvalidRequestError extends EfaError {
  constructor(message: string) {
    super('EFA_REQUEST_INVALID', message, 400);
  }
}

export class UnsupportedMediaTypeError extends EfaError {
  constructor(given: string | undefined) {
    super('EFA_UNSUPPORTED_MEDIA_TYPE', `an event is application/json or ${JOSE} (a signed event token), not ${given || 'without Content-Type'}`, 415);
  }
}

/** A pull client whose token names no authority: it may hold the scope, but it has no submissions. */
export class NoAuthorityError extends EfaError {
  constructor(clientId: string) {
    super('EFA_NO_AUTHORITY', `client ${clientId} acts for no authority ("authority" in its EFA_API_CLIENTS entry)`, 403);
  }
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const tags = ['authority: pull'];
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64, description: 'the submission id (UUID)' } } } as const;
const serviceTypeSchema = { type: 'object', additionalProperties: true, properties: { name: { type: 'string' }, identifier: { type: 'string' } } } as const;
const problems = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;
const decisionProps = { decidedAt: { type: 'string', format: 'date-time' }, problems, signed: { type: 'boolean' } } as const;
const pullErrors = { 400: errorBody, 404: errorBody, ...authErrors } as const;
const answerResponse = { type: 'object', properties: { answerId: uuid, submissionId: uuid, repeated: { type: 'boolean' } } } as const;
/** The files in base64 and the JSON around them. */
const ANSWER_BODY_LIMIT = Math.ceil(ANSWER_LIMITS.totalBytes * 4 / 3) + 256 * 1024;
const schemas = {
  answer: {
    tags, security: bearer, summary: 'Answer a submission for the applicant\'s Postfach: text, files, optionally a new status (ZBP vocabulary)', params: idParams,
    body: {
      type: 'object', required: ['answerId', 'text'], additionalProperties: false,
      properties: {
        answerId: { ...uuid, description: 'the authority\'s id of this answer: the same id again is the same answer' },
        text: { type: 'string', minLength: 1, maxLength: ANSWER_LIMITS.textChars },
        status: { type: 'string', enum: [...ZBP_STATUSES] },
        attachments: {
          type: 'array', maxItems: ANSWER_LIMITS.files,
          items: { type: 'object', required: ['filename', 'mediaType', 'sha512', 'content'], additionalProperties: false, properties: { filename: { type: 'string', maxLength: 200 }, mediaType: { type: 'string', maxLength: 255 }, size: { type: 'integer' }, sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' }, content: { type: 'string', description: 'base64' } } },
        },
      },
    },
    response: { 200: answerResponse, 201: answerResponse, 409: errorBody, 422: errorBody, ...pullErrors },
  },
  list: {
    tags, security: bearer, summary: 'The calling authority\'s undecided submissions, oldest first',
    querystring: { type: 'object', properties: { limit: { ...digits, description: `1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}` }, offset: { ...digits, description: `0..${MAX_OFFSET}; page with "after" instead` }, after: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'the "next" cursor of the previous page' } } },
    response: {
      200: {
        type: 'object',
        properties: {
          offset: { type: 'integer' }, limit: { type: 'integer' }, count: { type: 'integer' }, totalCount: { type: 'integer' }, next: { type: ['string', 'null'] },
          submissions: { type: 'array', items: { type: 'object', properties: { submissionId: uuid, destinationId: { type: 'string' }, caseId: { type: 'string' }, reference: { type: 'string' }, submittedAt: { type: 'string', format: 'date-time' }, status: { type: 'string' }, serviceType: serviceTypeSchema } } },
        },
      },
      ...pullErrors,
    },
  },
  fetch: { tags, security: bearer, summary: 'One submission with its encrypted data (the first fetch is its delivery)', params: idParams, response: { 200: { type: 'object', additionalProperties: true, properties: { submissionId: uuid, encryptedData: { type: 'string' } } }, ...pullErrors } },
  attachments: { tags, security: bearer, summary: 'The submission\'s files: id, name, media type, size and plaintext SHA-512 each', params: idParams, response: { 200: { type: 'object', additionalProperties: true, properties: { submissionId: uuid, count: { type: 'integer' }, attachments: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...pullErrors } },
  attachment: {
    tags, security: bearer, summary: 'One file as a JWE (application/jose) for the authority\'s key, streamed',
    params: { type: 'object', required: ['id', 'attachmentId'], properties: { id: { type: 'string' }, attachmentId: { type: 'string' } } },
  },
  event: {
    tags, security: bearer, summary: 'Accept or reject a fetched submission (application/json event or application/jose signed event token)', params: idParams,
    response: {
      200: { type: 'object', additionalProperties: true, properties: { submissionId: uuid, status: { type: 'string' }, repeated: { type: 'boolean' }, ...decisionProps } },
      201: { type: 'object', additionalProperties: true, properties: { submissionId: uuid, status: { type: 'string' }, repeated: { type: 'boolean' }, ...decisionProps } },
      409: errorBody, 415: errorBody, 422: errorBody, ...pullErrors,
    },
  },
};

export async function authorityPullRoutes(app: FastifyInstance, { rt, auth }: AuthorityPullOptions): Promise<void> {
  // Checked before the body is read: an unauthenticated caller costs no parsing.
  const authenticated: onRequestAsyncHookHandler = requireScope(auth, 'submissions:pull');
  app.addContentTypeParser(JOSE, { parseAs: 'string', bodyLimit: EVENT_BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => sendApiError(err, req, reply));

  app.get<{ Querystring: Record<string, unknown> }>(`${PULL_API_BASE}/submissions`, { onRequest: authenticated, schema: schemas.list }, async (req, reply) => {
    const authorityId = authorityOf(req);
    const after = typeof req.query.after === 'string' && req.query.after !== '' ? req.query.after : undefined;
    const page = await listPending(rt.db, authorityId, { offset: intParam(req.query.offset, 'offset', 0, MAX_OFFSET, 0), limit: intParam(req.query.limit, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT), ...(after ? { after } : {}) })
      .catch((err: unknown) => { throw err instanceof BadCursorError ? new InvalidRequestError(err.message) : err; });
    return noStore(reply).send({
      offset: page.offset, limit: page.limit, count: page.submissions.length, totalCount: page.totalCount, next: page.next,
      submissions: page.submissions.map((s) => listItem(rt, authorityId, s)),
    });
  });

  // No HEAD twin: the first GET is the delivery, a HEAD must not count as one.
  app.get<{ Params: { id: string } }>(`${PULL_API_BASE}/submissions/:id`, { onRequest: authenticated, exposeHeadRoute: false, schema: schemas.fetch }, async (req: IdRequest, reply) => {
    const authorityId = authorityOf(req);
    const submission = await fetchForAuthority(rt.db, authorityId, idOf(req), req.principal?.clientId ?? '');
    const files = await attachmentsForAuthority(rt.db, authorityId, submission.submissionId);
    return noStore(reply).send(download(rt, submission, files));
  });

  // The submission's files: described (with the plaintext hash each receiver checks) and each
  // downloadable as its JWE for the authority's key, streamed from the store.
  app.get<{ Params: { id: string } }>(`${PULL_API_BASE}/submissions/:id/attachments`, { onRequest: authenticated, schema: schemas.attachments }, async (req: IdRequest, reply) => {
    const id = idOf(req);
    const files = await attachmentsForAuthority(rt.db, authorityOf(req), id);
    return noStore(reply).send({ submissionId: id, count: files.length, attachments: files.map((f) => attachmentItem(id, f)) });
  });

  app.get<{ Params: { id: string; attachmentId: string } }>(`${PULL_API_BASE}/submissions/:id/attachments/:attachmentId`, { onRequest: authenticated, schema: schemas.attachment }, async (req, reply) => {
    const id = idOf(req as unknown as IdRequest);
    const attachmentId = req.params.attachmentId.toLowerCase();
    if (!UUID.test(attachmentId)) throw new InvalidRequestError('the attachment id must be a UUID');
    const file = (await attachmentsForAuthority(rt.db, authorityOf(req), id)).find((f) => f.id === attachmentId);
    if (!file) throw new PullAttachmentNotFoundError(id, attachmentId);
    return noStore(reply).type(JOSE).header('content-length', String(file.jweLength)).send(file.open());
  });

  // The authority's answer for the applicant's Postfach (docs/postfach.md); any of its own submissions.
  const postfach = postfachDeps(rt, app.log);
  app.post<{ Params: { id: string } }>(`${PULL_API_BASE}/submissions/:id/answers`, { onRequest: authenticated, bodyLimit: ANSWER_BODY_LIMIT, schema: schemas.answer }, async (req: IdRequest, reply) => {
    const received = await receivePulledAnswer(postfach, authorityOf(req), idOf(req), req.body);
    return noStore(reply).code(received.created ? 201 : 200).send({ answerId: received.answerId, submissionId: received.submissionId, repeated: !received.created });
  });

  app.post<{ Params: { id: string } }>(`${PULL_API_BASE}/submissions/:id/events`, { onRequest: authenticated, bodyLimit: EVENT_BODY_LIMIT, schema: schemas.event }, async (req: IdRequest, reply) => {
    const authorityId = authorityOf(req);
    const id = idOf(req);
    const event = await eventOf(rt, req, authorityId, id);
    const { decision, repeated } = await decide(rt.db, authorityId, id, { ...event, clientId: req.principal?.clientId ?? '' });
    return noStore(reply).code(repeated ? 200 : 201).send({ submissionId: id, status: decision.decision, repeated, ...decisionBody(decision) });
  });
}

function authorityOf(req: FastifyRequest): string {
  const principal = req.principal;
  if (!principal?.authority) throw new NoAuthorityError(principal?.clientId ?? 'unknown');
  return principal.authority;
}

/** Checked here: a malformed id would otherwise reach PostgreSQL as a uuid cast error. */
function idOf(req: IdRequest): string {
  const id = req.params.id;
  if (!UUID.test(id)) throw new InvalidRequestError('the submission id must be a UUID');
  return id.toLowerCase();
}

function intParam(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) throw new InvalidRequestError(`${name} must be one whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new InvalidRequestError(`${name} must be between ${min} and ${max}`);
  return n;
}

async function eventOf(rt: Runtime, req: IdRequest, authorityId: string, id: string): Promise<ParsedEvent> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return parseJsonEvent(req.body);
  if (type !== JOSE) throw new UnsupportedMediaTypeError(type);
  if (typeof req.body !== 'string') throw new InvalidRequestError('the body must be a JWS compact string');
  // The key of the directory entry in force now: a rotated key signs new decisions.
  const leikaKey = await leikaKeyOf(rt.db, authorityId, id);
  return parseSignedEvent(req.body, endpointFor(rt.routing, authorityId, leikaKey)?.verificationKey, authorityId, id);
}

function serviceType(rt: Runtime, serviceId: string, leikaKey: string): { name: string; identifier: string } {
  return { name: t(rt.services.get(serviceId)?.definition.title, 'de') || serviceId, identifier: `${LEIKA_URN_PREFIX}${leikaKey}` };
}

function listItem(rt: Runtime, authorityId: string, s: PendingItem): Record<string, unknown> {
  return {
    submissionId: s.submissionId, destinationId: authorityId, caseId: s.caseId ?? s.submissionId, reference: s.reference,
    submittedAt: s.submittedAt, status: s.status, serviceType: serviceType(rt, s.serviceId, s.leikaKey),
  };
}

/** FIT-Connect's submission shape, with the data's description in clear and the data as the JWE. */
function attachmentItem(submissionId: string, f: OutboundAttachment): Record<string, unknown> {
  return {
    attachmentId: f.id, pointer: f.pointer, filename: cleanFileName(f.filename), mimeType: f.mediaType, size: f.size,
    hash: { type: 'sha512', content: f.sha512 }, encryptedLength: f.jweLength,
    href: `${PULL_API_BASE}/submissions/${submissionId}/attachments/${f.id}`,
  };
}

function download(rt: Runtime, s: PulledSubmission, files: OutboundAttachment[]): Record<string, unknown> {
  return {
    submissionId: s.submissionId, destinationId: s.authorityId, caseId: s.caseId ?? s.submissionId,
    reference: s.reference, tenant: s.tenant, region: s.region, submittedAt: s.submittedAt, status: s.status,
    serviceType: { ...serviceType(rt, s.serviceId, s.leikaKey), serviceId: s.serviceId, serviceVersion: s.serviceVersion },
    data: { mediaType: s.mediaType, schemaUri: s.schemaUri, hash: { type: 'sha512', content: s.sha512 } },
    encryptedData: s.payloadJwe,
    attachments: files.map((f) => attachmentItem(s.submissionId, f)),
    ...(s.decision ? { decision: { status: s.decision.decision, ...decisionBody(s.decision) } } : {}),
  };
}

function decisionBody(d: RecordedDecision): Record<string, unknown> {
  return { decidedAt: d.decidedAt, problems: d.problems, signed: d.signed };
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

const NAMES: Record<number, string> = { 400: 'bad_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests' };

/**
 * One JSON error shape for the whole API ({error, message}, as the token route answers): our own
 * errors by their stable code, Fastify's (body too large, bad JSON, unknown media type) by status.
 */
export function sendApiError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof EfaError) return apiError(reply, err.status, err.code.replace(/^EFA_/, '').toLowerCase(), err.message);
  // A query the route schema refuses is the same invalid request the handler would refuse.
  if (err.validation) return apiError(reply, 400, 'request_invalid', err.message);
  const status = err.statusCode ?? 500;
  if (status >= 500) {
    req.log.error({ err }, 'authority API failed');
    return apiError(reply, 500, 'internal_error', 'the request could not be processed');
  }
  return apiError(reply, status, NAMES[status] ?? 'bad_request', err.message);
}
