import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyCsrf from '@fastify/csrf-protection';
import type { Runtime } from '../runtime.js';
import { createRenderer } from '../forms/render.js';
import { applicantRoutes } from './applicant/routes.js';
import { TENANT_OF_HOST } from './applicant/request.js';
import { previewRoutes } from './routes/preview.js';
import { requireScope, tokenRoute, type ApiAuthOptions } from './api-auth.js';
import { adminDeliveriesRoutes } from './routes/admin-deliveries.js';
import { adminPaymentsRoutes } from './routes/admin-payments.js';
import { adminRoutingRoutes } from './routes/admin-routing.js';
import { authorityPullRoutes } from './routes/authority-pull.js';
import { postfachReturnRoutes } from './routes/postfach-return.js';
import { registerErrorPages } from './error-pages.js';
import { rateLimitOptions, trustProxyOption } from './rate-limit.js';
import { registerSecurityHeaders } from './security-headers.js';
import { httpTimeouts } from './timeouts.js';
import { registerRequestDeadlines, uploadDeadlineMs } from './upload-timeouts.js';
import { declaredLimits } from '../forms/upload-limits.js';
import { OPS_SCHEMAS, registerOpenApi } from './openapi.js';
import { withoutStatusKey } from '../submissions/status-key.js';

const require = createRequire(import.meta.url);
const KERN_DIST = join(require.resolve('@kern-ux/native/package.json'), '..', 'dist');
const APP_CSS = readFileSync(new URL('./app.css', import.meta.url), 'utf8');
// Progressive reveal of same-step conditional fields: json-logic-js's own UMD build and our script (no inline code, CSP).
const FAVICON = readFileSync(new URL('./assets/favicon.svg', import.meta.url));
const SCRIPTS: Record<string, string> = {
  '/_efa/json-logic.js': readFileSync(require.resolve('json-logic-js'), 'utf8'),
  '/_efa/reveal.js': readFileSync(new URL('./assets/reveal.js', import.meta.url), 'utf8'),
  '/_efa/error-summary.js': readFileSync(new URL('./assets/error-summary.js', import.meta.url), 'utf8'),
};

/** Paths that are the same for every tenant and host. */
const GLOBAL = /^\/(_efa\/|\.well-known\/)/;

/**
 * Fastify's request log (and every error logged with the request) names the URL: a status key in
 * it is replaced, so the applicant's capability never reaches a log.
 */
function withRedactedUrls(logger: boolean | object): boolean | object {
  if (logger === false) return false;
  const req = (r: FastifyRequest) => ({ method: r.method, url: withoutStatusKey(r.url), host: r.host, remoteAddress: r.ip, remotePort: r.socket?.remotePort });
  const given = logger === true ? {} : logger as { serializers?: Record<string, unknown> };
  return { ...given, serializers: { ...given.serializers, req } };
}

export async function buildApp(rt: Runtime, opts: { logger?: boolean | object; receiverUrl?: string; onRoute?: (route: RouteOptions) => void } = {}): Promise<FastifyInstance> {
  const hostTenants = new Map<string, string>();
  for (const tenant of rt.tenants.values()) for (const host of tenant.hosts) hostTenants.set(host, tenant.id);

  const app = Fastify({
    logger: withRedactedUrls(opts.logger ?? false),
    ...httpTimeouts(rt.config.ops, longestUploadMs(rt) + 10_000),
    // Only configured proxies may name the client (EFA_TRUST_PROXY); the default trusts none.
    trustProxy: trustProxyOption(rt.config.guard.trustProxy),
    bodyLimit: 256 * 1024,
    // Host-based tenants: /x on sh.example is served as /sh/x, so one route table serves both modes.
    // Without a tenant host and outside development, tenant paths are not reachable at all.
    rewriteUrl(req: IncomingMessage) {
      const url = req.url ?? '/';
      if (GLOBAL.test(url)) return url;
      const tenant = hostTenants.get((req.headers.host ?? '').toLowerCase()) ?? hostTenants.get((req.headers.host ?? '').toLowerCase().replace(/:\d+$/, ''));
      if (tenant) {
        (req as IncomingMessage & { [TENANT_OF_HOST]?: string })[TENANT_OF_HOST] = tenant;
        return `/${tenant}${url === '/' ? '' : url}`;
      }
      return rt.config.pathTenants ? url : `/_efa/unknown-host${url}`;
    },
  });

  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);
  registerRequestDeadlines(app, rt.config.ops.httpRequestTimeoutMs);
  await registerOpenApi(app, rt.config.production);
  registerSecurityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"],
        formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
        ...(rt.config.production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: rt.config.production,
  });
  await app.register(fastifyCookie, { secret: rt.secrets.cookieKeys });
  await app.register(fastifyCsrf, { cookieKey: 'efa_csrf', cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/', secure: rt.config.production } });
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(fastifyRateLimit, await rateLimitOptions(app, rt.config));
  await app.register(fastifyStatic, { root: KERN_DIST, prefix: '/_efa/kern/', maxAge: '365d', immutable: true, decorateReply: false });

  // The neutral mark of a Land without a logo; browsers also ask for /favicon.ico on their own.
  const sendFavicon = async (_req: unknown, reply: FastifyReply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON);
  app.get('/_efa/favicon.svg', sendFavicon);
  app.get('/favicon.ico', sendFavicon);
  app.get('/_efa/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(APP_CSS));
  for (const [path, body] of Object.entries(SCRIPTS)) {
    app.get(path, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body));
  }
  app.get('/.well-known/jwks.json', { schema: OPS_SCHEMAS.jwks }, async () => ({ keys: [rt.secrets.sender.publicJwk] }));
  app.get('/_efa/health/live', { schema: OPS_SCHEMAS.live }, async () => ({ status: 'ok' }));
  app.get('/_efa/health/ready', { schema: OPS_SCHEMAS.ready }, async (_req, reply) => {
    try {
      await rt.db.query('SELECT 1');
      return { status: 'ok', database: rt.db.kind };
    } catch (err) {
      rt.metrics.error('health_ready', err);
      return reply.code(503).send({ status: 'unavailable', database: rt.db.kind });
    }
  });

  // Admin and authority APIs: JSON, bearer tokens with per-route scopes (see docs/operations.md).
  const auth: ApiAuthOptions = { tokenKeys: rt.secrets.tokenKeys, clients: () => rt.apiClients };
  await app.register(tokenRoute, auth);
  await app.register(adminRoutingRoutes, { rt, auth });
  await app.register(authorityPullRoutes, { rt, auth });
  await app.register(postfachReturnRoutes, { rt });
  await app.register(adminDeliveriesRoutes, { rt, auth });
  await app.register(adminPaymentsRoutes, { rt, auth });
  // Prometheus scrapes with a bearer token (its oauth2 client-credentials config fits the token route).
  app.get('/_efa/metrics', { preHandler: requireScope(auth, 'metrics:read'), schema: OPS_SCHEMAS.metrics }, async (_req, reply) => {
    const { contentType, body } = await rt.metrics.text();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });

  if (!rt.config.production) await app.register(previewRoutes, { rt });
  const renderer = createRenderer(rt.config.root);
  registerErrorPages(app, rt, renderer);
  await app.register(applicantRoutes, { rt, renderer, receiverUrl: opts.receiverUrl });
  return app;
}

/** The longest deadline any upload step of any Land's forms may get (see upload-timeouts.ts). */
function longestUploadMs(rt: Runtime): number {
  let bytes = 0;
  for (const tenant of rt.tenants.values()) {
    for (const form of tenant.forms.values()) for (const step of form.steps) bytes = Math.max(bytes, declaredLimits(step.fields, rt.config.uploads.maxBytes, false).bytes);
  }
  return bytes === 0 ? 0 : uploadDeadlineMs(rt.config.ops.httpRequestTimeoutMs, bytes, undefined, rt.config.uploads.minRateKbit);
}
