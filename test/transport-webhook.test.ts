import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webhook } from '../src/routing/transports/webhook.js';
import { TransportError } from '../src/core/errors.js';
import { endpointFor, makeAuthority, makeSender, startReceiver } from './support/authorities.js';
import { messageFor } from './support/messages.js';

test('signed webhook: delivered, decrypted, verified and deduplicated by message id', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const ctx = { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender, timeoutMs: 5000 };

  const message = await messageFor(authority);
  const receipt = await webhook.send(message, ctx);
  assert.equal(receipt.verified, true, 'receipt signature checked against the authority key');
  assert.equal(receipt.duplicate, false);
  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored, 'receiver stored the message');
  assert.deepEqual(JSON.parse(stored.document), { betrieb: { name: 'Bäckerei Muster' } });

  const again = await webhook.send(message, ctx);
  assert.equal(again.duplicate, true, 'second delivery is recognised as duplicate');
  assert.equal(receiver.inbox.size, 1);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 2);
});

test('signed webhook: a wrong signature is rejected and nothing is stored', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const impostor = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const message = await messageFor(authority);
  await assert.rejects(
    webhook.send(message, { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender: impostor, timeoutMs: 5000 }),
    (err: unknown) => err instanceof TransportError && !err.retryable && /401/.test(err.message),
  );
  assert.equal(receiver.inbox.size, 0);
});

test('signed webhook: a body changed in transit fails the signature check', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const message = await messageFor(authority);
  const body = JSON.stringify(message);
  const ts = Math.floor(Date.now() / 1000).toString();
  const { signEd25519 } = await import('../src/crypto/jws.js');
  const signature = await signEd25519(sender.signingKey, `${message.messageId}.${ts}.${body}`);
  const tampered = body.replace('SH-2026-TEST-0001', 'SH-2026-TEST-9999');
  const res = await fetch(`${receiver.url}/webhook/${authority.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': message.messageId, 'webhook-timestamp': ts, 'webhook-signature': `v1a,${signature}` },
    body: tampered,
  });
  assert.equal(res.status, 401);
  assert.equal(receiver.inbox.size, 0);
});

test('signed webhook: a payload encrypted for another authority is refused', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const other = await makeAuthority('gewerbeamt-luebeck');
  const sender = await makeSender();
  const receiver = await startReceiver([authority, other], sender);
  t.after(() => receiver.close());
  const message = await messageFor(other);
  await assert.rejects(
    webhook.send(message, { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender, timeoutMs: 5000 }),
    (err: unknown) => err instanceof TransportError && /422/.test(err.message),
  );
  assert.equal(receiver.inbox.size, 0);
});

test('signed webhook: an unreachable receiver is a retryable error', async () => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const message = await messageFor(authority);
  await assert.rejects(
    webhook.send(message, { endpoint: endpointFor(authority, 'webhook', 'http://127.0.0.1:9/webhook/x'), sender, timeoutMs: 2000 }),
    (err: unknown) => err instanceof TransportError && err.retryable,
  );
});
