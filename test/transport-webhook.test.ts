import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { multipart, webhook, wireMessage } from '../src/transports/webhook.js';
import { TransportError } from '../src/core/errors.js';
import { sha512Hex } from '../src/crypto/jwe.js';
import { signEd25519, verifyJson } from '../src/crypto/jws.js';
import type { OutboundAttachment } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, startReceiver } from './support/authorities.js';
import { SAMPLE_PDF, SAMPLE_PNG, attachmentFor, messageFor, messageWithAttachments } from './support/messages.js';

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

test('signed webhook: two attachments arrive as multipart, decrypted and hash-verified; the receipt confirms them; redelivery is a duplicate', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const ctx = { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender, timeoutMs: 5000 };
  const message = await messageWithAttachments(authority);

  const receipt = await webhook.send(message, ctx);
  assert.equal(receipt.verified, true);
  const claims = (await verifyJson<{ attachments: { id: string; sha512: string }[] }>(authority.signing.publicJwk, receipt.evidence ?? '')).payload;
  assert.deepEqual(claims.attachments.map((a) => a.id).sort(), message.attachments.map((a) => a.id).sort(), 'the signed receipt names every attachment');

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  assert.deepEqual(stored.attachments.map((a) => [a.filename, a.mediaType, a.size]), [[SAMPLE_PDF.filename, 'application/pdf', SAMPLE_PDF.bytes.length], [SAMPLE_PNG.filename, 'image/png', SAMPLE_PNG.bytes.length]]);
  assert.ok(stored.attachments[0]?.bytes.equals(SAMPLE_PDF.bytes), 'the PDF arrives byte for byte');
  assert.ok(stored.attachments[1]?.bytes.equals(SAMPLE_PNG.bytes), 'the PNG arrives byte for byte');
  assert.equal(stored.attachments[0]?.sha512, sha512Hex(SAMPLE_PDF.bytes));

  const again = await webhook.send(message, ctx);
  assert.equal(again.duplicate, true);
  assert.equal(receiver.inbox.size, 1);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 2);

  // The demo receiver lists and serves the decrypted files.
  const page = await (await fetch(`${receiver.url}/`)).text();
  assert.ok(page.includes('Wesenstest Bello.pdf') && page.includes('Foto äöü.png'));
  const download = await fetch(`${receiver.url}/messages/${message.messageId}/attachments/${message.attachments[0]?.id ?? ''}`);
  assert.equal(download.status, 200);
  assert.equal(download.headers.get('content-type'), 'application/pdf');
  assert.match(download.headers.get('content-disposition') ?? '', /^attachment;/);
  assert.ok(Buffer.from(await download.arrayBuffer()).equals(SAMPLE_PDF.bytes));
});

test('signed webhook: an attachment whose content does not match its stated hash is refused (422, not retried), nothing stored', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const ctx = { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender, timeoutMs: 5000 };
  const swapped = await attachmentFor(authority.encryption.publicJwk, SAMPLE_PNG, sha512Hex(Buffer.from('the file that was hashed')));
  const message = await messageFor(authority, undefined, undefined, [await attachmentFor(authority.encryption.publicJwk, SAMPLE_PDF), swapped]);
  await assert.rejects(webhook.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /422/.test(err.message) && /EFA_WEBHOOK_ATTACHMENT_HASH_MISMATCH/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

test('signed webhook: the signature covers the attachment hashes; a missing or unlisted attachment part is refused', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const url = `${receiver.url}/webhook/${authority.id}`;
  const message = await messageWithAttachments(authority);
  const json = JSON.stringify(wireMessage(message));
  const ts = Math.floor(Date.now() / 1000).toString();
  const headers = { 'webhook-id': message.messageId, 'webhook-timestamp': ts, 'webhook-signature': `v1a,${await signEd25519(sender.signingKey, `${message.messageId}.${ts}.${json}`)}` };
  const post = async (jsonPart: string, attachments: OutboundAttachment[]) => {
    const init = multipart('webhook', jsonPart, attachments, headers);
    return fetch(url, { method: 'POST', ...init });
  };

  // Another hash in the signed JSON: the signature no longer fits.
  const rehashed = json.replace(message.attachments[0]?.sha512 ?? 'x', sha512Hex('other'));
  assert.equal((await post(rehashed, message.attachments)).status, 401);
  // The JSON lists two, one part is left out.
  const missing = await post(json, message.attachments.slice(0, 1));
  assert.equal(missing.status, 422);
  assert.match(await missing.text(), /EFA_WEBHOOK_ATTACHMENT_MISSING/);
  // A third file rides along that the signed JSON does not list.
  const extra = await attachmentFor(authority.encryption.publicJwk, SAMPLE_PDF);
  const unlisted = await post(json, [...message.attachments, extra]);
  assert.equal(unlisted.status, 422);
  assert.match(await unlisted.text(), /EFA_WEBHOOK_ATTACHMENT_UNEXPECTED/);
  assert.equal(receiver.inbox.size, 0);
  // The same request, complete, is accepted.
  assert.equal((await post(json, message.attachments)).status, 200);
  assert.equal(receiver.inbox.get(message.messageId)?.attachments.length, 2);
});

test('signed webhook: a store that yields fewer bytes than the JWE length aborts the request, retryable, nothing stored', async (t) => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  const ctx = { endpoint: endpointFor(authority, 'webhook', `${receiver.url}/webhook/${authority.id}`), sender, timeoutMs: 5000 };
  const attachment = await attachmentFor(authority.encryption.publicJwk, SAMPLE_PDF);
  const whole = Buffer.concat(await attachment.open().toArray() as Buffer[]);
  const truncated: OutboundAttachment = { ...attachment, open: () => Readable.from(whole.subarray(0, whole.length - 10)) };
  const message = await messageFor(authority, undefined, undefined, [truncated]);
  await assert.rejects(webhook.send(message, ctx), (err: unknown) => err instanceof TransportError && err.retryable);
  assert.equal(receiver.inbox.size, 0);
});
