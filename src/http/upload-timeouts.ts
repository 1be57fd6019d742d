import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Text fields of a multipart post together, as for an ordinary form post (formbody's limit). */
export const FORM_TEXT_LIMIT = 64 * 1024;
/** Part headers and boundaries of a multipart body, on top of its files and text. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** After an upload's deadline the handler has this long to answer with its page before the socket is cut. */
const ANSWER_GRACE_MS = 5_000;

const DEADLINE = Symbol('efa.requestDeadline');

interface Deadline {
  timer: NodeJS.Timeout;
  controller?: AbortController;
}

type WithDeadline = { [DEADLINE]?: Deadline };

/**
 * How long a multipart step post may take: the request timeout plus its size at the minimum rate.
 * The size is the request's Content-Length, bounded by what the step can hold by its declarations
 * (files, text, multipart framing), so a client announcing a huge body gets no longer than the
 * step's largest legitimate upload, and a small one no more than it needs.
 */
export function uploadDeadlineMs(requestTimeoutMs: number, declaredBytes: number, contentLength: number | undefined, minRateKbit: number): number {
  const bound = declaredBytes + FORM_TEXT_LIMIT + MULTIPART_OVERHEAD;
  const bytes = contentLength === undefined ? bound : Math.min(contentLength, bound);
  return requestTimeoutMs + Math.ceil((bytes * 8) / minRateKbit);
}

export function contentLengthOf(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * Node's requestTimeout is one value for the whole server, so it cannot give an upload longer than
 * a login form. The server's own is set to the longest upload deadline (a backstop); this hook
 * bounds every request at EFA_HTTP_REQUEST_TIMEOUT_MS until its body has arrived, as Node would
 * (slow-loris bodies are cut with 408), and an upload route lengthens its own with `allowUpload`.
 */
export function registerRequestDeadlines(app: FastifyInstance, requestTimeoutMs: number): void {
  app.addHook('onRequest', (req, reply, done) => {
    const timer = setTimeout(() => {
      if (!req.raw.complete) cut(req, reply);
    }, requestTimeoutMs);
    timer.unref();
    (req.raw as WithDeadline)[DEADLINE] = { timer };
    reply.raw.once('close', () => clearTimeout((req.raw as WithDeadline)[DEADLINE]?.timer));
    done();
  });
}

/** As Node answers a request whose body did not arrive in time. */
function cut(req: FastifyRequest, reply: FastifyReply): void {
  const socket = req.raw.socket;
  if (!reply.raw.headersSent && socket.writable) socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  socket.destroySoon();
}

/**
 * Gives this request `ms` (from its start) instead of the ordinary request timeout. At the deadline
 * the returned signal aborts, so the handler stops reading and answers with a page naming the field;
 * if it has not answered shortly after, the connection is cut.
 */
export function allowUpload(req: FastifyRequest, reply: FastifyReply, ms: number): AbortSignal {
  const deadline = (req.raw as WithDeadline)[DEADLINE];
  if (deadline) clearTimeout(deadline.timer);
  const controller = new AbortController();
  const timer = setTimeout(() => {
    if (req.raw.complete) return;
    controller.abort();
    setTimeout(() => {
      if (!reply.raw.writableEnded) cut(req, reply);
    }, ANSWER_GRACE_MS).unref();
  }, Math.max(0, ms - reply.elapsedTime));
  timer.unref();
  (req.raw as WithDeadline)[DEADLINE] = { timer, controller };
  return controller.signal;
}
