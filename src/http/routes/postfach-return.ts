import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { EfaError } from '../../core/errors.js';
import { receiveReturn } from '../../postfach/receive.js';
import type { Runtime } from '../../runtime.js';
import { ANSWER_LIMITS } from '../../transports/return-paths.js';
import { postfachDeps } from '../postfach-deps.js';
import { sendApiError } from './authority-pull.js';

/**
 * The return paths of the push transports (docs/postfach.md): an authority's answer on a
 * submission, as a signed webhook call, an XTA-like or OSCI-like response message, or a
 * FIT-Connect-like reply. No API token: the signature of the authority's key (its directory entry's
 * verificationKey) is the proof, checked before anything is stored.
 */
export const RETURN_BASE = '/_efa/return';
/** The files in base64 and the token or JSON around them. */
const BODY_LIMIT = Math.ceil(ANSWER_LIMITS.totalBytes * 4 / 3) + 256 * 1024;
const TEXT_TYPES = ['application/json', 'application/xml', 'text/xml', 'application/soap+xml'];

/**
 * Nobody is authenticated while a body is read (the signature is checked once it is there), so what
 * unverified callers can make the server hold is bounded before the first byte is read: the bytes
 * they announce (Content-Length, or the whole limit if they announce none) per client address and
 * in all. Past that the answer is 503 with Retry-After, and the authority's system sends again.
 * The route's rate limit bounds how many bodies one address makes the server parse per minute.
 */
export const RETURN_READ_LIMITS = { perSourceBytes: BODY_LIMIT, totalBytes: 4 * BODY_LIMIT, perSourcePerMinute: 60 } as const;

export class ReturnBusyError extends EfaError {
  constructor() {
    super('EFA_RETURN_BUSY', 'too many answers are being read at once (from this address or in all); send again in a few seconds', 503);
  }
}

/** Bytes being read per client address and in all; each request gives back what it took once. */
class ReadBudget {
  private total = 0;
  private readonly bySource = new Map<string, number>();
  private readonly taken = new WeakMap<FastifyRequest, number>();

  take(req: FastifyRequest): boolean {
    const announced = Number(req.headers['content-length']);
    const bytes = Number.isSafeInteger(announced) && announced >= 0 ? Math.min(announced, BODY_LIMIT) : BODY_LIMIT;
    const own = this.bySource.get(req.ip) ?? 0;
    if (own + bytes > RETURN_READ_LIMITS.perSourceBytes || this.total + bytes > RETURN_READ_LIMITS.totalBytes) return false;
    this.bySource.set(req.ip, own + bytes);
    this.total += bytes;
    this.taken.set(req, bytes);
    return true;
  }

  give(req: FastifyRequest): void {
    const bytes = this.taken.get(req);
    if (bytes === undefined) return;
    this.taken.delete(req);
    this.total -= bytes;
    const left = (this.bySource.get(req.ip) ?? bytes) - bytes;
    if (left > 0) this.bySource.set(req.ip, left);
    else this.bySource.delete(req.ip);
  }
}

export async function postfachReturnRoutes(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  // Kept as text: a webhook signature covers the exact bytes, and the XML paths parse themselves.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => sendApiError(err, req, reply));
  const deps = postfachDeps(rt, app.log);
  const budget = new ReadBudget();
  const admitted: onRequestAsyncHookHandler = async (req, reply) => {
    if (budget.take(req)) return;
    void reply.header('retry-after', '5');
    throw new ReturnBusyError();
  };
  app.addHook('onResponse', async (req) => budget.give(req));
  app.addHook('onRequestAbort', async (req) => budget.give(req));

  app.post<{ Params: { channel: string } }>(`${RETURN_BASE}/:channel`, {
    bodyLimit: BODY_LIMIT,
    onRequest: admitted,
    config: { rateLimit: { max: RETURN_READ_LIMITS.perSourcePerMinute, timeWindow: 60_000 } },
    schema: { tags: ['authority: return channel'], summary: 'An authority\'s answer over a push transport\'s return path (signed by the authority)', params: { type: 'object', required: ['channel'], properties: { channel: { type: 'string', enum: ['webhook', 'xta', 'osci', 'fit-connect'] } } } },
  }, async (req: FastifyRequest<{ Params: { channel: string } }>, reply: FastifyReply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : v]));
    const received = await receiveReturn(deps, req.params.channel, body, headers);
    return reply.code(received.created ? 201 : 200).header('cache-control', 'no-store').send({ answerId: received.answerId, submissionId: received.submissionId, repeated: !received.created });
  });
}
