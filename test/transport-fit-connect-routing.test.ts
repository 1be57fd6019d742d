import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { TransportError } from '../src/core/errors.js';
import { signJson } from '../src/crypto/jws.js';
import { generatePs512KeyPair } from '../src/crypto/keys.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { compileRouting } from '../src/routing/compile.js';
import { readSeed } from '../src/routing/load.js';
import { RoutingDataError } from '../src/routing/problems.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { DemoRoute, ReceiverAuthority } from '../src/demo/receivers/types.js';
import { ARS_URN_PREFIX, LEIKA_URN_PREFIX, fitConnect } from '../src/transports/fit-connect.js';
import { JwksCache } from '../src/transports/jwks.js';
import type { TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, type TestAuthority } from './support/authorities.js';
import { messageFor } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_FIT_CONNECT_ROUTING_SECRET';
process.env[SECRET_ENV] = 'fit-connect-routing-secret';
const ISSUER = 'https://portal.auth.fit-connect.example';
const LEIKA = '99050012104000';

const kielPromise = makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
const signerPromise = generatePs512KeyPair(2048);
const sender = await makeSender();

interface Running {
  url: string;
  inbox: Inbox;
  routes: DemoRoute[];
  authorities: Map<string, ReceiverAuthority>;
  /** Requests per path (without query) that reached the receiver. */
  hits(path: string): number;
}

/** The local FIT-Connect receiver with its Routing API and signing service. */
async function start(t: { after(fn: () => unknown): void }, authorities: TestAuthority[], routes: DemoRoute[]): Promise<Running> {
  const signer = await signerPromise;
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>(authorities.map((a) => [a.id, { id: a.id, name: a.name, decryptionKey: a.encryption.privateJwk, signingKey: a.signing.privateJwk }]));
  const app = await buildReceiverServer({
    authorities: map, inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', process.env[SECRET_ENV] as string]]),
    fitConnectRouting: { signingKey: signer.privateJwk, issuer: ISSUER, routes },
  });
  const seen = new Map<string, number>();
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] as string;
    seen.set(path, (seen.get(path) ?? 0) + 1);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, inbox, routes, authorities: map, hits: (path) => seen.get(path) ?? 0 };
}

/** A directory entry that names no destination: the Routing API decides it per submission. */
function routedContext(authority: TestAuthority, r: Running, options: Record<string, unknown> = {}): TransportContext {
  return {
    endpoint: endpointFor(authority, 'fit-connect', `${r.url}/fit-connect`, {
      identifiers: {},
      options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV, routingApi: { url: `${r.url}/fit-connect-routing/v2`, jwksUrl: `${r.url}/fit-connect-routing/.well-known/jwks.json`, issuer: ISSUER }, ...options },
    }),
    sender,
    timeoutMs: 5000,
  };
}

const routeSignatureRefused = (pattern: RegExp) => (err: unknown) =>
  err instanceof TransportError && err.code === 'EFA_FIT_CONNECT_ROUTE_SIGNATURE' && !err.retryable && pattern.test(err.message);

test('fit-connect routing: the Routing API names the destination for service and region; its signature is verified; the submission goes there and is accepted', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, [kiel], [
    { leikaKey: LEIKA, arsPrefix: '01', destinationId: 'land-sh' },
    { leikaKey: LEIKA, arsPrefix: '01002', destinationId: kiel.id, destinationName: kiel.name },
  ]);
  const ctx = routedContext(kiel, r);
  const message = await messageFor(kiel);
  const receipt = await fitConnect.send(message, ctx);
  assert.equal(receipt.followUp?.destinationId, kiel.id, 'the longest matching region of the Routing API decided');
  assert.equal(r.hits('/fit-connect-routing/v2/routes'), 1);
  assert.equal(r.hits('/fit-connect-routing/.well-known/jwks.json'), 1, 'the signing service\'s key set was read to check the signature');
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, ctx);
  assert.equal(decision?.decision, 'accepted');
  assert.equal(decision.decidedBy, kiel.id);
  assert.equal(r.inbox.get(message.messageId)?.authorityId, kiel.id);

  const health = await fitConnect.check(ctx);
  assert.equal(health.ok, true, health.detail);
  assert.match(health.detail, /Routing API/);
});

test('fit-connect routing: a destinationSignature by a key the signing service does not publish, a tampered one, one for another destination or submission service are refused; nothing is submitted', async (t) => {
  const kiel = await kielPromise;
  const route: DemoRoute = { leikaKey: LEIKA, arsPrefix: '01002', destinationId: kiel.id };
  const r = await start(t, [kiel], [route]);
  const ctx = routedContext(kiel, r);
  const host = new URL(r.url).host;
  const addressing = (over: Record<string, unknown> = {}) => ({
    submissionHost: host, iss: ISSUER, services: [{ gebietIDs: [`${ARS_URN_PREFIX}01002`], leistungIDs: [`${LEIKA_URN_PREFIX}${LEIKA}`] }],
    destinationId: kiel.id, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...over,
  });
  const signer = await signerPromise;
  const sign = (claims: Record<string, unknown>, key: JWK = signer.privateJwk) => signJson({ ...key, alg: 'PS512' }, claims, 'jwt');

  // Signed by someone else: a key the signing service's JWKS does not list.
  const rogue = await generatePs512KeyPair(2048);
  route.destinationSignature = await sign(addressing(), rogue.privateJwk);
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/no key .* in the key set/));

  // The real signature with its content changed (another destination swapped in).
  const genuine = await sign(addressing());
  const [head, , signature] = genuine.split('.');
  route.destinationSignature = `${head}.${Buffer.from(JSON.stringify(addressing({ destinationId: 'elsewhere' }))).toString('base64url')}.${signature}`;
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/does not verify/));

  // Genuinely signed, but for another destination than the route names, or another submission service.
  route.destinationSignature = await sign(addressing({ destinationId: 'gewerbeamt-luebeck' }));
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/names destination gewerbeamt-luebeck, the route gewerbeamt-kiel/));
  route.destinationSignature = await sign(addressing({ submissionHost: 'submission.attacker.example' }));
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/submission service submission\.attacker\.example/));
  route.destinationSignature = await sign(addressing({ services: [{ gebietIDs: [`${ARS_URN_PREFIX}09162`], leistungIDs: [`${LEIKA_URN_PREFIX}${LEIKA}`] }] }));
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/region containing 010020000000/));
  // Signed with another algorithm by the signing service's own key.
  route.destinationSignature = await signJson({ ...signer.privateJwk, alg: 'RS512' }, addressing(), 'jwt');
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), routeSignatureRefused(/signed RS512, not PS512/));

  assert.equal(r.hits('/fit-connect/submissions'), 0, 'no submission was created for a route that did not verify');
  assert.equal(r.inbox.size, 0);
});

test('fit-connect routing: a region the Routing API knows no destination for is a clear error, not retried', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, [kiel], [{ leikaKey: LEIKA, arsPrefix: '01002', destinationId: kiel.id }]);
  const message = { ...(await messageFor(kiel)), region: '091620000000' };
  await assert.rejects(
    fitConnect.send(message, routedContext(kiel, r)),
    (err: unknown) => err instanceof TransportError && err.code === 'EFA_FIT_CONNECT_NO_ROUTE' && !err.retryable && /no destination for service 99050012104000 in region 091620000000/.test(err.message),
  );
  assert.equal(r.hits('/fit-connect/submissions'), 0);
  // A malformed region is refused by the Routing API itself (400 problem document), not guessed at.
  const res = await fetch(`${r.url}/fit-connect-routing/v2/routes?leikaKey=${LEIKA}&ars=1234`);
  assert.equal(res.status, 400);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
});

test('fit-connect routing: a send that resumes keeps the destination it was routed to', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, [kiel], [{ leikaKey: LEIKA, arsPrefix: '01002', destinationId: kiel.id }]);
  const steps: Record<string, string> = {};
  const ctx: TransportContext = { ...routedContext(kiel, r), progress: { steps: async () => ({ ...steps }), record: async (s, v) => void (steps[s] = v), forget: async () => undefined } };
  const message = await messageFor(kiel);
  await fitConnect.send(message, ctx);
  assert.equal(steps['fit-connect:route'], kiel.id, 'the route is recorded with the send\'s progress');
  // The Routing API changes its mind meanwhile: the recorded submission is still finished where it was created.
  r.routes[0] = { leikaKey: LEIKA, arsPrefix: '01002', destinationId: 'gewerbeamt-luebeck' };
  const again = await fitConnect.send(message, ctx);
  assert.equal(again.followUp?.destinationId, kiel.id);
  assert.equal(r.hits('/fit-connect-routing/v2/routes'), 1, 'the second attempt did not ask again');
});

/** A JWKS server of its own whose keys a test sets, counting its fetches. */
async function keySetServer(t: { after(fn: () => unknown): void }, keys: () => JWK[]): Promise<{ url: string; fetches(): number }> {
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, fetches: () => fetches };
}

test('fit-connect JWKS: event tokens are checked with the destination\'s published keys; a rotated key is picked up; a token by a key the set does not list is refused', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, [kiel], []);
  const ctx = (jwksUrl: string): TransportContext => ({
    endpoint: endpointFor(kiel, 'fit-connect', `${r.url}/fit-connect`, { identifiers: { destinationId: kiel.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV, verificationJwksUrl: jwksUrl } }),
    sender,
    timeoutMs: 5000,
  });
  // No pinned key at all: the key set is the only source.
  const published = ctx(`${r.url}/fit-connect/destinations/${kiel.id}/jwks.json`);
  delete published.endpoint.verificationKey;
  const first = await fitConnect.send(await messageFor(kiel), published);
  assert.equal((await fitConnect.decision?.(first.followUp ?? {}, published))?.decision, 'accepted');

  // The destination rotates its signing key; its key set now lists only the new one.
  const rotated = await generatePs512KeyPair(2048);
  (r.authorities.get(kiel.id) as ReceiverAuthority).signingKey = rotated.privateJwk;
  const second = await fitConnect.send(await messageFor(kiel), published);
  const decision = await fitConnect.decision?.(second.followUp ?? {}, published);
  assert.equal(decision?.decision, 'accepted', 'the unknown key id made the key set be fetched again');

  // A key set that does not list the key the destination signs with: no decision is taken from it.
  const stranger = await generatePs512KeyPair(2048);
  const foreign = await keySetServer(t, () => [stranger.publicJwk]);
  const third = await fitConnect.send(await messageFor(kiel), ctx(foreign.url));
  await assert.rejects(
    fitConnect.decision?.(third.followUp ?? {}, ctx(foreign.url)) ?? Promise.resolve(),
    (err: unknown) => err instanceof TransportError && err.code === 'EFA_JWKS_UNKNOWN_KEY' && /no key ".+" in the key set/.test(err.message),
  );
});

test('fit-connect JWKS: cached for its lifetime; fetching again for unknown key ids is bounded', async (t) => {
  const key = await generatePs512KeyPair(2048);
  const set = await keySetServer(t, () => [key.publicJwk]);
  let now = 0;
  const cache = new JwksCache({ ttlMs: 60_000, cooldownMs: 10_000, refetchesPerCooldown: 3, maxKeys: 5 }, () => now);
  const http = { timeoutMs: 5000 };
  assert.equal((await cache.key('fit-connect', set.url, key.publicJwk.kid, http)).kid, key.publicJwk.kid);
  await cache.key('fit-connect', set.url, key.publicJwk.kid, http);
  assert.equal(set.fetches(), 1, 'a known key is answered from the cache');
  for (let i = 0; i < 20; i++) await assert.rejects(cache.key('fit-connect', set.url, `made-up-${i}`, http), (err: unknown) => err instanceof TransportError && err.code === 'EFA_JWKS_UNKNOWN_KEY');
  assert.equal(set.fetches(), 1 + 3, 'twenty made-up key ids caused three fetches, not twenty');
  now += 60_000;
  await cache.key('fit-connect', set.url, key.publicJwk.kid, http);
  assert.equal(set.fetches(), 5, 'after its lifetime the set is fetched again');
});

test('fit-connect routing data: an entry may name the Routing API instead of a destination and a key set instead of a pinned key, in production too; a malformed one is refused', () => {
  const seed = readSeed('.', FORMATS_DIR);
  const entry = seed.directory.rows.findIndex((e) => e.transport === 'fit-connect');
  assert.ok(entry >= 0, 'the demo directory has a FIT-Connect entry');
  const routed = (options: Record<string, unknown>) => ({
    ...seed,
    directory: { ...seed.directory, rows: seed.directory.rows.map((e, i) => (i === entry ? { ...e, verificationKey: undefined, identifiers: {}, options: { ...e.options, ...options } } : e)) },
  });
  const production = { env: { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:1', NODE_ENV: 'production' }, routingDir: join('.', 'routing') };
  const routingApi = { url: 'https://routing-api.example/v2', jwksUrl: 'https://portal.auth.example/.well-known/jwks.json' };
  const compiled = compileRouting(routed({ routingApi, verificationJwksUrl: 'https://destination.example/jwks.json' }), production);
  const id = seed.directory.rows[entry]?.authorityId;
  assert.deepEqual([...compiled.routing.directory.values()].find((e) => e.authorityId === id)?.options.routingApi, routingApi);
  assert.throws(() => compileRouting(routed({ routingApi }), production), (err: unknown) =>
    err instanceof RoutingDataError && err.problems.some((p) => p.path === `/directory/${entry}/verificationKey` && /required in production/.test(p.message)), 'neither a pinned key nor a key set');
  assert.throws(() => compileRouting(routed({ routingApi: { url: 'https://routing-api.example/v2' }, verificationJwksUrl: 'https://destination.example/jwks.json' }), production), (err: unknown) =>
    err instanceof RoutingDataError && err.problems.some((p) => p.path?.startsWith(`/directory/${entry}/options`) === true), 'a Routing API without the signing service\'s key set');
});
