import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvelope, osci } from '../src/transports/osci.js';
import { TransportError } from '../src/core/errors.js';
import { sha512Hex } from '../src/crypto/jwe.js';
import { verifyJson } from '../src/crypto/jws.js';
import type { DirectoryEntry, SenderIdentity } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, startReceiver, type TestAuthority } from './support/authorities.js';
import { SAMPLE_PDF, SAMPLE_PNG, attachmentFor, messageFor, messageWithAttachments } from './support/messages.js';

const XML_DOCUMENT = '<?xml version="1.0" encoding="UTF-8"?><antrag xmlns="urn:example:gewerbe"><betrieb name="Bäckerei Muster &amp; Söhne"/></antrag>';

function ctxFor(authority: TestAuthority, sender: SenderIdentity, address: string, extra: Partial<DirectoryEntry> = {}) {
  return { endpoint: endpointFor(authority, 'osci', address, { identifiers: { readerId: 'osci:gewerbeamt-kiel' }, ...extra }), sender, timeoutMs: 5000 };
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  return { authority, sender, receiver, ctx: ctxFor(authority, sender, `${receiver.url}/osci/${authority.id}`) };
}

function postXml(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml; charset=utf-8' }, body });
}

void test('osci: JSON payload delivered, decrypted, Laufzettel verified, duplicate stored once', async (t) => {
  const { authority, sender, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);

  const receipt = await osci.send(message, ctx);
  assert.equal(receipt.transport, 'osci');
  assert.equal(receipt.verified, true, 'Laufzettel signature checked against the authority key');
  assert.equal(receipt.duplicate, false);
  assert.equal(receipt.receiverReference, `${authority.id}:${message.messageId}`);
  assert.match(receipt.evidence ?? '', /<osci:Laufzettel /);

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored, 'receiver stored the message');
  assert.equal(stored.transport, 'osci');
  assert.equal(stored.reference, message.reference);
  assert.equal(stored.serviceKey, '99050012104000');
  assert.deepEqual(JSON.parse(stored.document), { betrieb: { name: 'Bäckerei Muster' } });
  assert.equal(stored.metadata.originator, sender.id);
  assert.equal(stored.metadata.addressee, 'osci:gewerbeamt-kiel');
  assert.equal(stored.metadata.originatorKeyId, sender.publicJwk.kid, 'signature checked with the sender key');

  const again = await osci.send(message, ctx);
  assert.equal(again.duplicate, true, 'second delivery is recognised as duplicate');
  assert.equal(again.verified, true);
  assert.equal(receiver.inbox.size, 1);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 2);
});

void test('osci: XML payload arrives unchanged; addressee defaults to the authority id', async (t) => {
  const { authority, sender, receiver } = await setup(t);
  const ctx = ctxFor(authority, sender, `${receiver.url}/osci/${authority.id}`, { payloadFormat: 'xml', identifiers: {} });
  const message = await messageFor(authority, XML_DOCUMENT, 'application/xml');
  assert.equal((await osci.send(message, ctx)).verified, true);
  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  assert.equal(stored.mediaType, 'application/xml');
  assert.equal(stored.document, XML_DOCUMENT);
  assert.equal(stored.metadata.addressee, authority.id);
});

void test('osci: only the addressing is in clear', async (t) => {
  const { authority, sender, ctx } = await setup(t);
  const message = await messageFor(authority);
  const { xml } = await buildEnvelope(message, ctx);
  assert.match(xml, /<osci:Addressee>osci:gewerbeamt-kiel<\/osci:Addressee>/);
  assert.match(xml, new RegExp(`<osci:Originator>${sender.id}</osci:Originator>`));
  for (const secret of [message.reference, message.payload.sha512, message.payload.jwe, message.region, 'Gewerbeanmeldung']) {
    assert.ok(!xml.includes(secret), `${secret.slice(0, 20)} is not visible to a relay`);
  }
});

void test('osci: a content container changed in transit is refused, nothing stored', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  const { xml } = await buildEnvelope(message, ctx);
  const encrypted = /<osci:EncryptedContentContainer[^>]*>([^<]+)</.exec(xml)?.[1] ?? '';
  const parts = encrypted.split('.');
  const cipher = parts[3] ?? '';
  parts[3] = cipher.slice(0, 10) + (cipher[10] === 'A' ? 'B' : 'A') + cipher.slice(11);
  const tampered = xml.replace(encrypted, parts.join('.'));
  assert.notEqual(tampered, xml);
  const res = await postXml(`${receiver.url}/osci/${authority.id}`, tampered);
  assert.equal(res.status, 422);
  assert.match(await res.text(), /EFA_OSCI_DECRYPTION_FAILED/);
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: clear addressing that differs from the signed container is refused', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  const { xml } = await buildEnvelope(message, ctx);
  const tampered = xml.replace(message.messageId, '00000000-0000-4000-8000-000000000000');
  const res = await postXml(`${receiver.url}/osci/${authority.id}`, tampered);
  assert.equal(res.status, 422);
  assert.match(await res.text(), /EFA_OSCI_ADDRESSING_CHANGED/);
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: content signed by an untrusted key is refused, non-retryable', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const impostor = await makeSender();
  const message = await messageFor(authority);
  await assert.rejects(osci.send(message, { ...ctx, sender: impostor }), (err: unknown) => err instanceof TransportError && !err.retryable && /401/.test(err.message) && /EFA_OSCI_SIGNATURE_INVALID/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: a payload hash mismatch is refused, non-retryable', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  message.payload.sha512 = message.payload.sha512.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await assert.rejects(osci.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /EFA_OSCI_HASH_MISMATCH/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: a container encrypted for another addressee is refused', async (t) => {
  const { authority, sender, receiver } = await setup(t);
  const other = await makeAuthority('gewerbeamt-luebeck');
  // The directory names the wrong key: the addressee cannot open what it gets.
  const ctx = ctxFor(authority, sender, `${receiver.url}/osci/${authority.id}`, { encryptionKey: other.encryption.publicJwk });
  await assert.rejects(osci.send(await messageFor(authority), ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /422/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: a Laufzettel signed by another key is a TransportError', async (t) => {
  const { authority, sender, receiver } = await setup(t);
  const stranger = await makeAuthority('someone-else');
  const ctx = ctxFor(authority, sender, `${receiver.url}/osci/${authority.id}`, { verificationKey: stranger.signing.publicJwk });
  await assert.rejects(osci.send(await messageFor(authority), ctx), (err: unknown) => err instanceof TransportError && /Laufzettel signature does not verify/.test(err.message));
});

void test('osci: an unreachable receiver is a retryable error', async () => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const message = await messageFor(authority);
  await assert.rejects(
    osci.send(message, ctxFor(authority, await makeSender(), 'http://127.0.0.1:9/osci/x', { identifiers: {} })),
    (err: unknown) => err instanceof TransportError && err.retryable,
  );
});

void test('osci: two attachments travel beside the container, only their ids in clear; decrypted, hash-verified, confirmed; redelivery is a duplicate', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageWithAttachments(authority);

  const { xml } = await buildEnvelope(message, ctx);
  for (const a of message.attachments) {
    assert.match(xml, new RegExp(`<osci:EncryptedAttachment id="${a.id}" encoding="JWE-compact">[A-Za-z0-9_.-]+</osci:EncryptedAttachment>`));
    for (const secret of [a.filename, a.sha512, a.mediaType]) assert.ok(!xml.includes(secret), `${secret.slice(0, 20)} is not visible to a relay`);
  }

  const receipt = await osci.send(message, ctx);
  assert.equal(receipt.verified, true);
  const claims = (await verifyJson<{ attachments: { id: string; sha512: string }[] }>(authority.signing.publicJwk, /<osci:Signature[^>]*>([^<]+)</.exec(receipt.evidence ?? '')?.[1] ?? '')).payload;
  assert.deepEqual(claims.attachments.map((a) => a.sha512).sort(), [sha512Hex(SAMPLE_PDF.bytes), sha512Hex(SAMPLE_PNG.bytes)].sort());

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  assert.deepEqual(stored.attachments.map((a) => [a.id, a.filename, a.mediaType, a.size]), message.attachments.map((a) => [a.id, a.filename, a.mediaType, a.size]));
  assert.ok(stored.attachments[0]?.bytes.equals(SAMPLE_PDF.bytes));
  assert.ok(stored.attachments[1]?.bytes.equals(SAMPLE_PNG.bytes));

  const again = await osci.send(message, ctx);
  assert.equal(again.duplicate, true);
  assert.equal(receiver.inbox.size, 1);
});

void test('osci: an attachment that does not match its signed hash is refused (422, not retried), nothing stored', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const swapped = await attachmentFor(authority.encryption.publicJwk, SAMPLE_PNG, sha512Hex(Buffer.from('the file that was hashed')));
  const message = await messageFor(authority, undefined, undefined, [await attachmentFor(authority.encryption.publicJwk, SAMPLE_PDF), swapped]);
  await assert.rejects(osci.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /422/.test(err.message) && /EFA_OSCI_ATTACHMENT_HASH_MISMATCH/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: an attachment dropped or swapped for another in transit is refused', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageWithAttachments(authority);
  const { xml } = await buildEnvelope(message, ctx);
  const dropped = xml.replace(/<osci:EncryptedAttachment [^>]*>[^<]*<\/osci:EncryptedAttachment>/, '');
  const res = await postXml(`${receiver.url}/osci/${authority.id}`, dropped);
  assert.equal(res.status, 422);
  assert.match(await res.text(), /EFA_OSCI_ATTACHMENT_MISSING/);

  // Another file, properly encrypted for the addressee, under the id of the first.
  const first = message.attachments[0];
  assert.ok(first);
  const other = await attachmentFor(authority.encryption.publicJwk, { ...SAMPLE_PDF, bytes: Buffer.from('%PDF-1.4 eine andere Datei') });
  const otherJwe = Buffer.concat(await other.open().toArray() as Buffer[]).toString('ascii');
  const swapped = xml.replace(new RegExp(`(<osci:EncryptedAttachment id="${first.id}" encoding="JWE-compact">)[^<]+`), `$1${otherJwe}`);
  assert.notEqual(swapped, xml);
  const res2 = await postXml(`${receiver.url}/osci/${authority.id}`, swapped);
  assert.equal(res2.status, 422);
  assert.match(await res2.text(), /EFA_OSCI_ATTACHMENT_HASH_MISMATCH/);
  assert.equal(receiver.inbox.size, 0);
});

void test('osci: the signed container names the standard; content that is not the named message is refused', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority, '<?xml version="1.0"?><antrag xmlns="urn:example:gewerbe"/>', 'application/xml');
  message.payload.format = 'xgewerbeanzeige-2.2';
  message.payload.messageType = 'abh.gewerbemeldung.0500';
  await assert.rejects(osci.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /EFA_OSCI_STANDARD_INVALID/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});
