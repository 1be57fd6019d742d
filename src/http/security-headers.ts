/**
 * The security headers of every answer (helmet's), computed once. They depend only on the options
 * (no CSP nonces here), while @fastify/helmet builds helmet's middleware again, parsing the CSP
 * directives, on every request (about 3 % of a page's CPU in a profile).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** The headers helmet would set with these options, in its order. */
export function securityHeaders(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const headers: Array<[string, string]> = [];
  const capture = {
    setHeader(name: string, value: string) {
      headers.push([name, value]);
    },
    // helmet removes X-Powered-By, which Node's server never sets.
    removeHeader() {},
  };
  helmet(options)({} as IncomingMessage, capture as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/** Sets the headers on every answer, as @fastify/helmet's onRequest hook did (the same place in the hook order). */
export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeaders(options);
  app.addHook('onRequest', (_req, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}
