import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { keyId } from '../../crypto/jwe.js';
import { signJson } from '../../crypto/jws.js';
import { publicPart } from '../../crypto/keys.js';
import { ARS_URN_PREFIX, LEIKA_URN_PREFIX, PROBLEM_MEDIA_TYPE, ROUTE_SIGNATURE_ALG } from '../../transports/fit-connect.js';
import type { DemoRoute, DemoRoutingApi, ReceiverPlugin } from './types.js';

/** The Routing API's parameter patterns as its OpenAPI description publishes them. */
const LEIKA_KEY = /^99\d{12}$/;
const ARS = /^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$/;

/**
 * FIT-Connect's Routing API (`GET /v2/routes?leikaKey=…&ars=…`) and the JWKS of the signing service
 * that signs each destination's addressing information (`destinationSignature`), under
 * `/fit-connect-routing/`. The longest configured ARS prefix of the asked region answers; an
 * unknown service or region answers an empty list, as the published API does.
 */
export const fitConnectRoutingReceiver: ReceiverPlugin = async (app, { fitConnectRouting }) => {
  if (!fitConnectRouting) return;
  const api = fitConnectRouting;

  app.get('/fit-connect-routing/.well-known/jwks.json', async (_req, reply) => {
    const pub = publicPart(api.signingKey);
    return reply.send({ keys: [{ ...pub, alg: ROUTE_SIGNATURE_ALG, use: 'sig', key_ops: ['verify'], kid: await keyId(pub) }] });
  });

  app.get<{ Querystring: { leikaKey?: string; ars?: string } }>('/fit-connect-routing/v2/routes', async (req, reply) => {
    const { leikaKey, ars } = req.query;
    if (!leikaKey || !LEIKA_KEY.test(leikaKey)) return problem(reply, 'leikaKey must be a Leistungsschlüssel (99 and 12 digits)');
    if (!ars || !ARS.test(ars)) return problem(reply, 'ars must be an Amtlicher Regionalschlüssel of 2, 3, 5, 9 or 12 digits');
    const route = routeFor(api.routes, leikaKey, ars);
    if (!route) return reply.send({ count: 0, offset: 0, totalCount: 0, routes: [] });
    const destinationSignature = route.destinationSignature ?? await sign(api, route, route.submissionHost ?? req.headers.host ?? '');
    return reply.send({
      count: 1,
      offset: 0,
      totalCount: 1,
      routes: [{ destinationId: route.destinationId, destinationSignature, ...(route.destinationName ? { destinationName: route.destinationName } : {}) }],
    });
  });
};

function routeFor(routes: readonly DemoRoute[], leikaKey: string, ars: string): DemoRoute | undefined {
  return routes.filter((r) => r.leikaKey === leikaKey && ars.startsWith(r.arsPrefix)).sort((a, b) => b.arsPrefix.length - a.arsPrefix.length)[0];
}

/** Addressing information as the Self-Service Portal signs it: destination, submission host, services by region. */
function sign(api: DemoRoutingApi, route: DemoRoute, submissionHost: string): Promise<string> {
  return signJson({ ...api.signingKey, alg: ROUTE_SIGNATURE_ALG }, {
    submissionHost,
    iss: api.issuer,
    services: [{ gebietIDs: [`${ARS_URN_PREFIX}${route.arsPrefix}`], leistungIDs: [`${LEIKA_URN_PREFIX}${route.leikaKey}`] }],
    destinationId: route.destinationId,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
  }, 'jwt');
}

function problem(reply: FastifyReply, detail: string): FastifyReply {
  return reply.code(400).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify({ type: 'https://docs.fitko.de/fit-connect/docs/status-and-error-codes', title: 'Bad Request', status: 400, detail }));
}
