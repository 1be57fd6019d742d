import { hkdfSync } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { secretMatches, type ApiClient, type Scope } from '../auth/clients.js';
import { oauthErrorBody } from './schemas.js';

/** Who called an admin or authority API, as proven by the bearer token. */
export interface Principal {
  clientId: string;
  scopes: Scope[];
  authority?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const ISSUER = 'efa-runtime';
const AUDIENCE = 'efa-api';
export const TOKEN_TTL_SECONDS = 900;

export interface ApiAuthOptions {
  /** Token keys, newest first: the first signs, all verify (rt.secrets.tokenKeys). */
  tokenKeys: readonly string[];
  /** Looked up on every request, so removing a client revokes its tokens at once. */
  clients: () => Map<string, ApiClient>;
}

/** Every API error has the same JSON shape: a stable code and a sentence for the developer. */
export function apiError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error, message });
}

interface TokenKey {
  kid: string;
  key: Uint8Array;
}

/** The MAC key of one configured key, and an id for the token header that reveals nothing about it. */
function tokenKeys(secrets: readonly string[]): TokenKey[] {
  return secrets.map((secret) => {
    const key = new Uint8Array(hkdfSync('sha256', secret, 'efa-api', 'access-token-v1', 32));
    return { key, kid: Buffer.from(hkdfSync('sha256', key, 'efa-api', 'key-id', 9)).toString('base64url') };
  });
}

/** A token names its key; one without a kid (issued before key lists) is tried against each key. */
async function verifyToken(token: string, keys: TokenKey[]): Promise<{ sub?: string; scope?: unknown; authority?: unknown }> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    kid = undefined;
  }
  const candidates = kid === undefined ? keys : keys.filter((k) => k.kid === kid);
  let failure: unknown = new Error('no key with this kid');
  for (const { key } of candidates) {
    try {
      return (await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], typ: 'at+jwt' })).payload;
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

/** client_id/client_secret from HTTP Basic (RFC 6749 2.3.1, preferred) or from the form body. */
function credentialsOf(req: FastifyRequest): { id?: string; secret?: string } {
  const header = req.headers.authorization ?? '';
  if (header.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
      } catch {
        // A malformed escape is no credential at all: 401 like any other wrong one.
        return {};
      }
    }
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return { id: typeof body.client_id === 'string' ? body.client_id : undefined, secret: typeof body.client_secret === 'string' ? body.client_secret : undefined };
}

const TOKEN_SCHEMA = {
  tags: ['auth'],
  summary: 'OAuth 2.0 client credentials: a short-lived bearer token for the operator and authority APIs',
  description: 'client_id and client_secret by HTTP Basic (preferred) or in the form body; scope narrows the client\'s scopes.',
  consumes: ['application/x-www-form-urlencoded'],
  body: {
    type: 'object',
    properties: {
      grant_type: { type: 'string', description: 'client_credentials' }, scope: { type: 'string', maxLength: 1000 },
      client_id: { type: 'string', maxLength: 200 }, client_secret: { type: 'string', maxLength: 1000 },
    },
  },
  response: {
    200: { type: 'object', properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, scope: { type: 'string' } } },
    400: oauthErrorBody, 401: oauthErrorBody,
  },
} as const;

/**
 * OAuth 2.0 client credentials (RFC 6749 4.4) at POST /_efa/oauth/token, as FIT-Connect does it:
 * operators and authorities exchange their client secret for a short-lived bearer token that
 * carries the granted scopes (optionally narrowed with `scope`).
 */
export async function tokenRoute(app: FastifyInstance, opts: ApiAuthOptions): Promise<void> {
  const [signing] = tokenKeys(opts.tokenKeys) as [TokenKey];
  app.post('/_efa/oauth/token', { config: { rateLimit: { max: 30, timeWindow: 60_000 } }, schema: TOKEN_SCHEMA, attachValidation: true }, async (req, reply) => {
    // A form with fields of the wrong shape (repeated, too long); a missing body is the grant check's 400.
    if (req.validationError && req.body && typeof req.body === 'object') return reply.code(400).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: req.validationError.message });
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credentials') return reply.code(400).header('cache-control', 'no-store').send({ error: 'unsupported_grant_type', error_description: 'only grant_type=client_credentials is supported' });
    const { id, secret } = credentialsOf(req);
    const client = id ? opts.clients().get(id) : undefined;
    if (!client || !secret || !secretMatches(client, secret)) {
      return reply.code(401).header('www-authenticate', 'Basic realm="efa-runtime"').header('cache-control', 'no-store').send({ error: 'invalid_client', error_description: 'unknown client or wrong secret' });
    }
    let scopes = client.scopes;
    if (typeof body.scope === 'string' && body.scope.trim() !== '') {
      const asked = body.scope.trim().split(/\s+/);
      const refused = asked.filter((s) => !(client.scopes as string[]).includes(s));
      if (refused.length > 0) return reply.code(400).header('cache-control', 'no-store').send({ error: 'invalid_scope', error_description: `client ${client.id} may not have: ${refused.join(' ')}` });
      scopes = asked as Scope[];
    }
    const token = await new SignJWT({ scope: scopes.join(' '), ...(client.authority ? { authority: client.authority } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: signing.kid })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(client.id)
      .setIssuedAt().setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(signing.key);
    return reply.header('cache-control', 'no-store').send({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS, scope: scopes.join(' ') });
  });
}

/**
 * A preHandler that lets a request through only with a valid bearer token holding `scope`
 * (RFC 6750: 401 without or with a bad token, 403 with a token lacking the scope).
 */
export function requireScope(opts: ApiAuthOptions, scope: Scope): preHandlerAsyncHookHandler {
  const keys = tokenKeys(opts.tokenKeys);
  return async function checkScope(req, reply) {
    const header = req.headers.authorization ?? '';
    if (!header.toLowerCase().startsWith('bearer ')) {
      await apiError(reply.header('www-authenticate', 'Bearer realm="efa-runtime"'), 401, 'unauthorized', 'a bearer token from POST /_efa/oauth/token is required');
      return;
    }
    let claims: { sub?: string; scope?: unknown; authority?: unknown };
    try {
      claims = await verifyToken(header.slice(7).trim(), keys);
    } catch {
      await apiError(reply.header('www-authenticate', 'Bearer realm="efa-runtime", error="invalid_token"'), 401, 'invalid_token', 'the bearer token is invalid or expired');
      return;
    }
    const client = claims.sub ? opts.clients().get(claims.sub) : undefined;
    if (!client) {
      await apiError(reply.header('www-authenticate', 'Bearer realm="efa-runtime", error="invalid_token"'), 401, 'invalid_token', 'the client of this token no longer exists');
      return;
    }
    const scopes = (typeof claims.scope === 'string' ? claims.scope.split(' ') : []).filter((s): s is Scope => (client.scopes as string[]).includes(s));
    if (!scopes.includes(scope)) {
      await apiError(reply.header('www-authenticate', `Bearer realm="efa-runtime", error="insufficient_scope", scope="${scope}"`), 403, 'insufficient_scope', `this route needs scope ${scope}`);
      return;
    }
    req.principal = { clientId: client.id, scopes, ...(client.authority ? { authority: client.authority } : {}) };
  };
}
