import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { MAX_OFFSET, STATUSES, deliveryDetail, listDeliveries, redeliverOne, type Status } from '../../delivery/admin.js';
import { createRedeliverJob, findJob } from '../../delivery/jobs.js';
import { BadCursorError } from '../../storage/cursor.js';
import type { Runtime } from '../../runtime.js';
import { apiError, requireScope, type ApiAuthOptions } from '../api-auth.js';
import { authErrors, bearer, digits, errorBody, uuid } from '../schemas.js';

export interface AdminDeliveriesOptions {
  rt: Runtime;
  auth: ApiAuthOptions;
}

const PREFIX = '/_efa/admin/deliveries';
const JOBS = '/_efa/admin/jobs';
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[A-Z0-9-]{4,40}$/i;
const AUTHORITY = /^[a-z0-9][a-z0-9._-]{0,127}$/;

type RouteTypes = { Params: Record<string, string>; Querystring: Record<string, string | undefined> };
type Req = FastifyRequest<RouteTypes>;

class BadQuery extends Error {}

function intParam(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new BadQuery(`${name} must be a whole number ${min}..${max}`);
  return Number(raw);
}

function optional(raw: string | undefined, name: string, pattern: RegExp): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!pattern.test(raw)) throw new BadQuery(`${name} "${raw.slice(0, 64)}" is not valid`);
  return raw;
}

const summary = {
  type: 'object',
  properties: {
    id: uuid, reference: { type: 'string' }, tenant: { type: 'string' }, serviceId: { type: 'string' }, leikaKey: { type: 'string' },
    authorityId: { type: 'string' }, authorityName: { type: 'string' }, status: { type: 'string', enum: [...STATUSES] }, deliveryMode: { type: 'string', enum: ['push', 'pull'] },
    lastError: { type: ['string', 'null'] }, attempts: { type: 'integer' }, submittedAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const job = {
  type: 'object',
  properties: {
    id: uuid, kind: { type: 'string', enum: ['redeliver-failed'] }, params: { type: 'object', properties: { authority: { type: 'string' } } },
    status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] }, total: { type: ['integer', 'null'] }, done: { type: 'integer' },
    error: { type: ['string', 'null'] }, createdBy: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' }, href: { type: 'string' },
  },
} as const;

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'submission id (UUID) or reference' } } } as const;
const authorityQuery = { type: 'string', pattern: AUTHORITY.source } as const;
const tags = ['operator: deliveries'];

const schemas = {
  list: {
    tags, security: bearer, summary: 'Submissions and their delivery state, newest first (status=failed is the dead-letter list)',
    querystring: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: [...STATUSES, ''] }, authority: authorityQuery, tenant: { type: 'string', pattern: '^[a-z]{2,16}$' },
        limit: { ...digits, description: '1..500, default 50' }, after: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'the "next" cursor of the previous page' },
        offset: { ...digits, description: `0..${MAX_OFFSET}; page with "after" instead` },
      },
    },
    response: {
      200: { type: 'object', properties: { items: { type: 'array', items: summary }, total: { type: 'integer' }, totalExact: { type: 'boolean' }, next: { type: ['string', 'null'] } } },
      400: errorBody, ...authErrors,
    },
  },
  detail: {
    tags, security: bearer, summary: 'One submission by id or reference, with every delivery attempt', params: idParam,
    response: {
      200: { type: 'object', additionalProperties: true, properties: { ...summary.properties, nextAttemptAt: { type: ['string', 'null'] }, attempts: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
      404: errorBody, ...authErrors,
    },
  },
  redeliver: {
    tags, security: bearer, summary: 'Put one dead letter back into delivery', params: idParam,
    response: { 202: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } }, 404: errorBody, 409: errorBody, ...authErrors },
  },
  redeliverFailed: {
    tags, security: bearer, summary: 'Start a job that puts every dead letter (optionally of one authority) back into delivery',
    querystring: { type: 'object', properties: { authority: authorityQuery } },
    response: { 202: job, 400: errorBody, ...authErrors },
  },
  job: {
    tags, security: bearer, summary: 'Progress of an operator job', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
    response: { 200: job, 404: errorBody, ...authErrors },
  },
};

/**
 * The operator's delivery API: every submission's delivery state and attempts, the dead-letter
 * list (status failed) and redelivery. Nothing here returns application data: payloads are
 * encrypted for the authority anyway, and the operator has no business reading them.
 */
export async function adminDeliveriesRoutes(app: FastifyInstance, { rt, auth }: AdminDeliveriesOptions): Promise<void> {
  // onRequest: a caller without the scope is refused before anything else happens.
  const read = { onRequest: requireScope(auth, 'deliveries:read') as unknown as onRequestAsyncHookHandler };
  const write = { onRequest: requireScope(auth, 'deliveries:write') as unknown as onRequestAsyncHookHandler, bodyLimit: 4 * 1024 };
  const handle = (fn: (req: Req, reply: FastifyReply) => Promise<unknown>) => async (req: Req, reply: FastifyReply) => {
    try {
      return await fn(req, reply);
    } catch (err) {
      if (err instanceof BadQuery || err instanceof BadCursorError) return apiError(reply, 400, 'bad_request', err.message);
      throw err;
    }
  };
  // A request the route schema refuses gets the API's error shape, not Fastify's.
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) return apiError(reply, 400, 'bad_request', err.message);
    throw err;
  });

  app.get<RouteTypes>(PREFIX, { ...read, schema: schemas.list }, handle(async (req, reply) => {
    const status = req.query.status;
    if (status !== undefined && status !== '' && !(STATUSES as readonly string[]).includes(status)) throw new BadQuery(`status must be one of ${STATUSES.join(', ')}`);
    const result = await listDeliveries(rt.db, {
      ...(status ? { status: status as Status } : {}),
      authorityId: optional(req.query.authority, 'authority', AUTHORITY),
      tenant: optional(req.query.tenant, 'tenant', /^[a-z]{2,16}$/),
      limit: intParam(req.query.limit, 'limit', 1, 500, 50),
      offset: intParam(req.query.offset, 'offset', 0, MAX_OFFSET, 0),
      ...(req.query.after ? { after: req.query.after } : {}),
    });
    return reply.header('cache-control', 'no-store').send(result);
  }));

  app.get<RouteTypes>(`${PREFIX}/:id`, { ...read, schema: schemas.detail }, handle(async (req, reply) => {
    const id = req.params.id ?? '';
    const detail = ID.test(id) ? await deliveryDetail(rt.db, id) : undefined;
    if (!detail) return apiError(reply, 404, 'not_found', 'no submission with this id or reference');
    const { attemptLog, ...rest } = detail;
    return reply.header('cache-control', 'no-store').send({ ...rest, attempts: attemptLog });
  }));

  app.post<RouteTypes>(`${PREFIX}/:id/redeliver`, { ...write, schema: schemas.redeliver }, handle(async (req, reply) => {
    const result = await redeliverOne(rt.db, req.params.id ?? '', (id) => rt.dispatch(id));
    if (result === 'not-found') return apiError(reply, 404, 'not_found', 'no submission with this id');
    if (result === 'not-failed') return apiError(reply, 409, 'not_failed', 'only a failed submission (dead letter) can be redelivered; this one is still in delivery or done');
    req.log.info({ submission: req.params.id, by: req.principal?.clientId }, 'redelivery requested');
    return reply.code(202).send({ id: req.params.id, status: 'submitted' });
  }));

  // A job, not a loop inside the request: there may be hundreds of thousands of dead letters.
  app.post<RouteTypes>(`${PREFIX}/redeliver-failed`, { ...write, schema: schemas.redeliverFailed }, handle(async (req, reply) => {
    const authority = optional(req.query.authority, 'authority', AUTHORITY);
    const created = await createRedeliverJob(rt.db, { ...(authority ? { authority } : {}), by: req.principal?.clientId ?? 'unknown' });
    rt.jobs?.kick();
    req.log.info({ job: created.id, authority, by: req.principal?.clientId }, 'redelivery of dead letters requested');
    return reply.code(202).header('location', `${JOBS}/${created.id}`).header('cache-control', 'no-store').send({ ...created, href: `${JOBS}/${created.id}` });
  }));

  app.get<RouteTypes>(`${JOBS}/:id`, { ...read, schema: schemas.job }, handle(async (req, reply) => {
    const found = await findJob(rt.db, req.params.id ?? '');
    if (!found) return apiError(reply, 404, 'not_found', 'no job with this id');
    return reply.header('cache-control', 'no-store').send({ ...found, href: `${JOBS}/${found.id}` });
  }));
}
