/**
 * Outbound HTTP as every transport uses it (src/transports/http.ts): no redirect is
 * followed, answer bodies are bounded, and non-public targets are refused unless allowed. The
 * receivers here live on loopback, so each test states the policy it runs under.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../src/core/errors.js';
import { fitConnect } from '../src/transports/fit-connect.js';
import { configureOutbound, exchange, HttpStatusError, isNonPublicAddress } from '../src/transports/http.js';
import { endpointFor, makeAuthority, makeSender } from './support/authorities.js';
import { messageFor } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_GUARD_FIT_CONNECT_SECRET';
const SECRET = 'guard-test-client-secret-do-not-leak';
process.env[SECRET_ENV] = SECRET;

interface Seen {
  method: string;
  url: string;
  body: string;
}

async function server(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, server: srv };
}

test('a 307 from the FIT-Connect token endpoint is not followed: the client secret goes nowhere else', async (t) => {
  configureOutbound({ allowPrivateTargets: true, maxBodyBytes: 1024 * 1024 });
  const collector = await server((_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"x","token_type":"Bearer","expires_in":300}'));
  t.after(() => collector.server.close());
  const redirecting = await server((_req, _body, res) => res.writeHead(307, { location: `${collector.url}/steal` }).end());
  t.after(() => redirecting.server.close());

  const kiel = await makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
  const ctx = {
    endpoint: endpointFor(kiel, 'fit-connect', `${redirecting.url}/fit-connect`, { identifiers: { destinationId: kiel.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV } }),
    sender: await makeSender(),
    timeoutMs: 5000,
  };
  await assert.rejects(fitConnect.send(await messageFor(kiel), ctx), (err: unknown) => {
    assert.ok(err instanceof HttpStatusError, String(err));
    assert.equal(err.responseStatus, 307);
    assert.equal(err.retryable, false, 'a redirect will not go away by retrying');
    assert.match(err.message, /redirect to .*\/steal not followed/);
    return true;
  });
  assert.equal(redirecting.seen.length, 1, 'the token request reached the configured endpoint once');
  assert.match(redirecting.seen[0]?.body ?? '', new RegExp(SECRET), 'it carried the secret there, where it belongs');
  assert.deepEqual(collector.seen, [], 'nothing, and so no secret, reached the redirect target');
});

test('an answer body beyond the limit is not read; one within it is', async (t) => {
  const big = await server((_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000)));
  t.after(() => big.server.close());
  // Chunked without content-length: the limit must hold while streaming, not only by the header.
  const streamed = await server((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
    res.end();
  });
  t.after(() => streamed.server.close());

  configureOutbound({ allowPrivateTargets: true, maxBodyBytes: 4096 });
  for (const url of [big.url, streamed.url]) {
    await assert.rejects(exchange('test', `${url}/x`, { method: 'POST', body: 'hello' }, 5000), (err: unknown) => {
      assert.ok(err instanceof TransportError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /larger than 4096 bytes \(EFA_OUTBOUND_MAX_BODY_BYTES\)/);
      return true;
    });
  }
  configureOutbound({ allowPrivateTargets: true, maxBodyBytes: 10_000 });
  const ok = await exchange('test', `${big.url}/x`, {}, 5000);
  assert.equal(ok.body.length, 10_000, 'exactly at the limit is fine');
});

test('loopback, private and link-local targets are refused unless allowed; the resolved address counts, not the name', async (t) => {
  const receiver = await server((_req, _body, res) => res.writeHead(200).end('reached'));
  t.after(() => receiver.server.close());
  const port = new URL(receiver.url).port;

  configureOutbound({ allowPrivateTargets: false, maxBodyBytes: 1024 * 1024 });
  const targets = [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`, `http://[::1]:${port}/x`, 'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/x', 'http://192.168.0.10/x', `http://[::ffff:127.0.0.1]:${port}/x`];
  for (const url of targets) {
    await assert.rejects(exchange('test', url, { method: 'POST', body: 'secret' }, 2000), (err: unknown) => {
      assert.ok(err instanceof TransportError, url);
      assert.equal(err.retryable, false, url);
      assert.match(err.message, /not a public address.*EFA_ALLOW_PRIVATE_TARGETS/, url);
      return true;
    });
  }

  // A name that is not obviously local but resolves to loopback (this machine's name, via
  // /etc/hosts): refused by the connection's own lookup, which is what defeats DNS rebinding.
  const name = hostname();
  const addresses = await lookup(name, { all: true }).catch(() => []);
  if (addresses.length > 0 && addresses.every((a) => isNonPublicAddress(a.address))) {
    await assert.rejects(exchange('test', `http://${name}:${port}/x`, { method: 'POST', body: 'secret' }, 2000), (err: unknown) => {
      assert.ok(err instanceof TransportError);
      assert.equal(err.retryable, false);
      assert.match(err.message, new RegExp(`${name} \\(.+\\) is not a public address`));
      return true;
    });
  } else {
    t.diagnostic(`${name} does not resolve to a non-public address here; the lookup path was not exercised`);
  }
  assert.deepEqual(receiver.seen, [], 'no request reached the loopback receiver');

  configureOutbound({ allowPrivateTargets: true, maxBodyBytes: 1024 * 1024 });
  const allowed = await exchange('test', `http://localhost:${port}/x`, {}, 2000);
  assert.equal(allowed.body, 'reached', 'allowed for development and tests');
});

test('the address classification: public addresses pass, every non-public range is caught', () => {
  for (const a of ['8.8.8.8', '141.1.1.1', '2a00:1450:4001:81b::200e', '100.63.255.255', '172.32.0.1']) assert.equal(isNonPublicAddress(a), false, a);
  for (const a of ['0.0.0.0', '127.0.0.1', '127.255.0.1', '10.0.0.1', '100.64.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '224.0.0.1', '255.255.255.255', '::', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', 'ff02::1']) {
    assert.equal(isNonPublicAddress(a), true, a);
  }
});
