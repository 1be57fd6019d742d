import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../src/core/errors.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import { fitConnect } from '../src/transports/fit-connect.js';
import { HttpStatusError, exchange } from '../src/transports/http.js';
import { endpointFor, makeAuthority, makeSender } from './support/authorities.js';
import { messageFor } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_HTTP_FIT_CONNECT_SECRET';
process.env[SECRET_ENV] = 'http-test-secret';

async function answering(status: number, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, server };
}

test('exchange: a refusal carries the receiver\'s status and body; only 408, 429 and 5xx are retryable', async (t) => {
  for (const [status, retryable] of [[404, false], [401, false], [409, false], [429, true], [503, true]] as const) {
    const { url, server } = await answering(status, `answer ${status}`);
    t.after(() => server.close());
    await assert.rejects(exchange('test', url, { method: 'POST' }, 2000), (err: unknown) => {
      assert.ok(err instanceof HttpStatusError, `${status} is an HttpStatusError`);
      assert.ok(err instanceof TransportError, 'and still a TransportError for the delivery loop');
      assert.equal(err.responseStatus, status);
      assert.equal(err.responseBody, `answer ${status}`);
      assert.equal(err.retryable, retryable, `${status} retryable`);
      assert.equal(err.status, 502, 'what the runtime itself would answer is unchanged');
      return true;
    });
  }
  const { url, server } = await answering(200, 'fine');
  t.after(() => server.close());
  const ok = await exchange('test', url, {}, 2000);
  assert.deepEqual([ok.status, ok.body], [200, 'fine']);
});

test('fit-connect: a destination that forgot its tokens (restart) gets a fresh one once, and the delivery goes through', async (t) => {
  const kiel = await makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
  const sender = await makeSender();
  const tokenRequests: number[] = [];
  const start = async (port: number) => {
    const inbox = new Inbox();
    const app = await buildReceiverServer({
      authorities: new Map([[kiel.id, { id: kiel.id, name: kiel.name, decryptionKey: kiel.encryption.privateJwk, signingKey: kiel.signing.privateJwk }]]),
      inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', 'http-test-secret']]),
    });
    app.addHook('onRequest', async (req) => { if (req.url.endsWith('/token')) tokenRequests.push(Date.now()); });
    await app.listen({ host: '127.0.0.1', port });
    return { app, inbox, port: (app.server.address() as AddressInfo).port };
  };
  const first = await start(0);
  const ctx = {
    endpoint: endpointFor(kiel, 'fit-connect', `http://127.0.0.1:${first.port}/fit-connect`, { identifiers: { destinationId: kiel.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV } }),
    sender,
    timeoutMs: 5000,
  };
  assert.ok((await fitConnect.send(await messageFor(kiel), ctx)).followUp, 'handed over');
  assert.equal(tokenRequests.length, 1);
  await first.app.close();

  const second = await start(first.port);
  t.after(() => second.app.close());
  const message = await messageFor(kiel);
  const receipt = await fitConnect.send(message, ctx);
  assert.equal((await fitConnect.decision?.(receipt.followUp ?? {}, ctx))?.decision, 'accepted');
  assert.ok(second.inbox.get(message.messageId), 'the restarted destination has the submission');
  assert.equal(tokenRequests.length, 2, 'the cached token was refused with 401, dropped, and replaced exactly once');
});
