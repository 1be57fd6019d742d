import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { STATUSES, deliveryDetail, listDeliveries, redeliverFailed, redeliverOne, type Status } from '../../delivery/admin.js';
import type { Runtime } from '../../runtime.js';
import { apiError, requireScope, type ApiAuthOptions } from '../api-auth.js';

export interface AdminDeliveriesOptions {
  rt: Runtime;
  auth: ApiAuthOptions;
}

const PREFIX = '/_efa/admin/deliveries';
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
      if (err instanceof BadQuery) return apiError(reply, 400, 'bad_request', err.message);
      throw err;
    }
  };

  app.get<RouteTypes>(PREFIX, read, handle(async (req, reply) => {
    const status = req.query.status;
    if (status !== undefined && status !== '' && !(STATUSES as readonly string[]).includes(status)) throw new BadQuery(`status must be one of ${STATUSES.join(', ')}`);
    const result = await listDeliveries(rt.db, {
      ...(status ? { status: status as Status } : {}),
      authorityId: optional(req.query.authority, 'authority', AUTHORITY),
      tenant: optional(req.query.tenant, 'tenant', /^[a-z]{2,16}$/),
      limit: intParam(req.query.limit, 'limit', 1, 500, 50),
      offset: intParam(req.query.offset, 'offset', 0, 10_000_000, 0),
    });
    return reply.header('cache-control', 'no-store').send(result);
  }));

  app.get<RouteTypes>(`${PREFIX}/:id`, read, handle(async (req, reply) => {
    const id = req.params.id ?? '';
    const detail = ID.test(id) ? await deliveryDetail(rt.db, id) : undefined;
    if (!detail) return apiError(reply, 404, 'not_found', 'no submission with this id or reference');
    const { attemptLog, ...rest } = detail;
    return reply.header('cache-control', 'no-store').send({ ...rest, attempts: attemptLog });
  }));

  app.post<RouteTypes>(`${PREFIX}/:id/redeliver`, write, handle(async (req, reply) => {
    const result = await redeliverOne(rt.db, req.params.id ?? '', (id) => rt.dispatch(id));
    if (result === 'not-found') return apiError(reply, 404, 'not_found', 'no submission with this id');
    if (result === 'not-failed') return apiError(reply, 409, 'not_failed', 'only a failed submission (dead letter) can be redelivered; this one is still in delivery or done');
    req.log.info({ submission: req.params.id, by: req.principal?.clientId }, 'redelivery requested');
    return reply.code(202).send({ id: req.params.id, status: 'submitted' });
  }));

  app.post<RouteTypes>(`${PREFIX}/redeliver-failed`, write, handle(async (req, reply) => {
    const authority = optional(req.query.authority, 'authority', AUTHORITY);
    const ids = await redeliverFailed(rt.db, (id) => rt.dispatch(id), authority);
    req.log.info({ count: ids.length, authority, by: req.principal?.clientId }, 'redelivery of dead letters requested');
    return reply.code(202).send({ count: ids.length, ids });
  }));
}
