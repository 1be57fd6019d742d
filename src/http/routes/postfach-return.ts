import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

export async function postfachReturnRoutes(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  // Kept as text: a webhook signature covers the exact bytes, and the XML paths parse themselves.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => sendApiError(err, req, reply));
  const deps = postfachDeps(rt, app.log);

  app.post<{ Params: { channel: string } }>(`${RETURN_BASE}/:channel`, {
    bodyLimit: BODY_LIMIT,
    schema: { tags: ['authority: return channel'], summary: 'An authority\'s answer over a push transport\'s return path (signed by the authority)', params: { type: 'object', required: ['channel'], properties: { channel: { type: 'string', enum: ['webhook', 'xta', 'osci', 'fit-connect'] } } } },
  }, async (req: FastifyRequest<{ Params: { channel: string } }>, reply: FastifyReply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : v]));
    const received = await receiveReturn(deps, req.params.channel, body, headers);
    return reply.code(received.created ? 201 : 200).header('cache-control', 'no-store').send({ answerId: received.answerId, submissionId: received.submissionId, repeated: !received.created });
  });
}
