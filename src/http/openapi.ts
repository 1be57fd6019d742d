import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { authErrors, bearer } from './schemas.js';

/**
 * Paths under /_efa/ that are not an API: the applicant's assets, scripts and pages, the development
 * preview (HTML for service authors) and this description itself.
 */
export const NOT_AN_API = /^\/_efa\/(kern\/|app\.css$|[a-z-]+\.js$|unknown-host\/|preview(\/|$)|openapi\.json$)/;

const json = { type: 'object', additionalProperties: true } as const;

/** Route schemas of the small operational endpoints in app.ts. */
export const OPS_SCHEMAS = {
  jwks: { tags: ['keys'], summary: 'The runtime\'s public signing keys (JWKS): authorities verify the runtime\'s signed messages with them', response: { 200: { type: 'object', properties: { keys: { type: 'array', items: json } } } } },
  live: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
  ready: {
    tags: ['health'], summary: 'Readiness: the database answers',
    response: { 200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } }, 503: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } } },
  },
  metrics: {
    tags: ['operator: metrics'], security: bearer, summary: 'Prometheus metrics (text exposition format); scope metrics:read',
    produces: ['text/plain'], response: { 200: { description: 'Prometheus text format', type: 'string' }, ...authErrors },
  },
};

/**
 * The OpenAPI 3.1 description of every non-applicant API, generated from the route schemas (which
 * also validate the requests). Outside production it is served at GET /_efa/openapi.json; in
 * production the same document comes from `app.swagger()` (and CI checks it).
 */
export async function registerOpenApi(app: FastifyInstance, production: boolean): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'efa-runtime operator and authority APIs', version: '1', description: 'Admin deliveries and routing, the authority pull API, the OAuth token endpoint, metrics and health. Tokens: POST /_efa/oauth/token (client credentials).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // Applicant pages and assets are HTML for people, not an API.
    transform: ({ schema, url }) => {
      const api = (url.startsWith('/_efa/') || url.startsWith('/.well-known/')) && !NOT_AN_API.test(url);
      return { schema: api ? schema : { ...schema, hide: true }, url };
    },
  });
  if (!production) app.get('/_efa/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
