import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRequest, xta } from '../src/transports/xta.js';
import { TransportError } from '../src/core/errors.js';
import { sha512Hex } from '../src/crypto/jwe.js';
import { verifyJson } from '../src/crypto/jws.js';
import type { DirectoryEntry, SenderIdentity } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, startReceiver, type TestAuthority } from './support/authorities.js';
import { SAMPLE_PDF, SAMPLE_PNG, attachmentFor, messageFor, messageWithAttachments } from './support/messages.js';

const XML_DOCUMENT = '<?xml version="1.0" encoding="UTF-8"?><antrag xmlns="urn:example:gewerbe"><betrieb name="Bäckerei Muster &amp; Söhne"/></antrag>';

function ctxFor(authority: TestAuthority, sender: SenderIdentity, address: string, extra: Partial<DirectoryEntry> = {}) {
  const endpoint = endpointFor(authority, 'xta', address, { identifiers: { readerId: 'ags:01002000:gewerbe' }, ...extra });
  return { endpoint, sender, timeoutMs: 5000 };
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const receiver = await startReceiver([authority], sender);
  t.after(() => receiver.close());
  return { authority, sender, receiver, ctx: ctxFor(authority, sender, `${receiver.url}/xta/${authority.id}`) };
}

/** Posts a hand-made SOAP request the way the transport would. */
function postSoap(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body });
}

void test('xta: JSON payload delivered, decrypted, metadata kept, signed report verified, duplicate stored once', async (t) => {
  const { authority, sender, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);

  const receipt = await xta.send(message, ctx);
  assert.equal(receipt.transport, 'xta');
  assert.equal(receipt.verified, true, 'TransportReport signature checked against the authority key');
  assert.equal(receipt.duplicate, false);
  assert.equal(receipt.receiverReference, `${authority.id}:${message.messageId}`);
  assert.match(receipt.evidence ?? '', /<xta:TransportReport>/);

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored, 'receiver stored the message');
  assert.equal(stored.transport, 'xta');
  assert.equal(stored.reference, message.reference);
  assert.equal(stored.serviceKey, '99050012104000');
  assert.equal(stored.mediaType, 'application/json');
  assert.deepEqual(JSON.parse(stored.document), { betrieb: { name: 'Bäckerei Muster' } });
  assert.equal(stored.metadata.reader, 'ags:01002000:gewerbe');
  assert.equal(stored.metadata.author, sender.id);
  assert.equal(stored.metadata.service, 'urn:de:fim:leika:leistung:99050012104000');
  assert.equal(stored.metadata.businessScenario, 'EFA_ANTRAG');
  assert.equal(stored.metadata.messageType, 'efa.antrag.gewerbeanmeldung');
  assert.equal(stored.metadata.origin, message.submittedAt);

  const again = await xta.send(message, ctx);
  assert.equal(again.duplicate, true, 'second delivery is recognised as duplicate');
  assert.equal(again.verified, true);
  assert.equal(receiver.inbox.size, 1);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 2);
});

void test('xta: XML payload and configured business scenario and message type', async (t) => {
  const { authority, sender, receiver } = await setup(t);
  const ctx = ctxFor(authority, sender, `${receiver.url}/xta/${authority.id}`, {
    payloadFormat: 'xml',
    options: { businessScenario: 'XGEWERBE_ANZEIGE', messageType: 'xgewerbeanzeige.gewerbeanmeldung.0100' },
  });
  const message = await messageFor(authority, XML_DOCUMENT, 'application/xml');
  const receipt = await xta.send(message, ctx);
  assert.equal(receipt.verified, true);
  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  assert.equal(stored.mediaType, 'application/xml');
  assert.equal(stored.document, XML_DOCUMENT, 'the XML document arrives byte for byte');
  assert.equal(stored.metadata.businessScenario, 'XGEWERBE_ANZEIGE');
  assert.equal(stored.metadata.messageType, 'xgewerbeanzeige.gewerbeanmeldung.0100');
});

void test('xta: the request is SOAP 1.2 with XTA metadata and only the JWE in the body', async (t) => {
  const { authority, ctx } = await setup(t);
  const message = await messageFor(authority);
  const xml = await buildRequest(message, ctx);
  assert.match(xml, /<env:Envelope [^>]*xmlns:env="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope"/);
  assert.match(xml, /<meta:MessageMetaData>.*<meta:Reader><meta:Identifier [^>]*>ags:01002000:gewerbe<\/meta:Identifier>/);
  assert.match(xml, new RegExp(`<meta:MsgIdentification><wsa:MessageID>${message.messageId}</wsa:MessageID>`));
  assert.ok(xml.includes(`sha512="${message.payload.sha512}"`));
  assert.ok(xml.includes(message.payload.jwe));
  assert.ok(!xml.includes('Bäckerei'), 'no plaintext on the wire');
});

void test('xta: content changed after signing is refused as env:Sender, nothing stored', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  const xml = await buildRequest(message, ctx);
  // Flip one character in the JWE ciphertext segment (the 4th of five).
  const parts = message.payload.jwe.split('.');
  const cipher = parts[3] ?? '';
  parts[3] = (cipher[0] === 'A' ? 'B' : 'A') + cipher.slice(1);
  const tampered = xml.replace(message.payload.jwe, parts.join('.'));
  assert.notEqual(tampered, xml);
  const res = await postSoap(`${receiver.url}/xta/${authority.id}`, tampered);
  assert.equal(res.status, 400);
  const body = await res.text();
  assert.match(body, /<env:Value>env:Sender<\/env:Value>/);
  assert.match(body, /EFA_XTA_CONTENT_CHANGED/);
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: metadata changed after signing is refused, nothing stored', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  const xml = await buildRequest(message, ctx);
  const tampered = xml.replace('reference="SH-2026-TEST-0001"', 'reference="SH-2026-TEST-9999"');
  assert.notEqual(tampered, xml);
  const res = await postSoap(`${receiver.url}/xta/${authority.id}`, tampered);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /EFA_XTA_METADATA_CHANGED/);
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: a hash that does not match the decrypted content is a non-retryable fault', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority);
  message.payload.sha512 = message.payload.sha512.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /env:Sender \(EFA_XTA_HASH_MISMATCH\)/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: an untrusted sender signature and a payload for another reader are refused', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const impostor = await makeSender();
  const message = await messageFor(authority);
  await assert.rejects(xta.send(message, { ...ctx, sender: impostor }), (err: unknown) => err instanceof TransportError && !err.retryable && /EFA_XTA_SIGNATURE_INVALID/.test(err.message));

  const other = await makeAuthority('gewerbeamt-luebeck');
  await assert.rejects(xta.send(await messageFor(other), ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /EFA_XTA_DECRYPTION_FAILED/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: a report signed by another key is a TransportError', async (t) => {
  const { authority, sender, receiver } = await setup(t);
  const stranger = await makeAuthority('someone-else');
  const ctx = ctxFor(authority, sender, `${receiver.url}/xta/${authority.id}`, { verificationKey: stranger.signing.publicJwk });
  const message = await messageFor(authority);
  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && /signature does not verify/.test(err.message));
});

void test('xta: a directory entry without reader id is refused before sending', async () => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const sender = await makeSender();
  const ctx = { endpoint: endpointFor(authority, 'xta', 'http://127.0.0.1:9/xta/x'), sender, timeoutMs: 2000 };
  await assert.rejects(xta.send(await messageFor(authority), ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /readerId/.test(err.message));
});

void test('xta: SOAP faults are classified by fault code, not by HTTP status', async (t) => {
  let code = 'env:Sender';
  // A SOAP 1.1-minded server that answers every fault with 500.
  const server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/soap+xml' });
    res.end(`<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>${code}</env:Value></env:Code><env:Reason><env:Text xml:lang="de">kaputt</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/xta/x`;
  const authority = await makeAuthority('gewerbeamt-kiel');
  const ctx = ctxFor(authority, await makeSender(), url);
  const message = await messageFor(authority);

  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /env:Sender: kaputt/.test(err.message));
  code = 'soap:Receiver';
  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && err.retryable && /env:Receiver: kaputt/.test(err.message));
});

void test('xta: an unreachable receiver is a retryable error', async () => {
  const authority = await makeAuthority('gewerbeamt-kiel');
  const message = await messageFor(authority);
  await assert.rejects(
    xta.send(message, ctxFor(authority, await makeSender(), 'http://127.0.0.1:9/xta/x')),
    (err: unknown) => err instanceof TransportError && err.retryable,
  );
});

void test('xta: two attachments travel as content parts, are decrypted and hash-verified; the report confirms them; redelivery is a duplicate', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageWithAttachments(authority);

  const xml = await buildRequest(message, ctx);
  for (const a of message.attachments) {
    assert.match(xml, new RegExp(`<efa:EncryptedAttachment id="${a.id}" encoding="JWE-compact">[A-Za-z0-9_.-]+</efa:EncryptedAttachment>`));
  }
  assert.match(xml, /<efa:EncryptedAttachmentList encoding="JWE-compact">[A-Za-z0-9_.-]+<\/efa:EncryptedAttachmentList>/);
  assert.ok(!xml.includes('%PDF'), 'no attachment plaintext on the wire');

  const receipt = await xta.send(message, ctx);
  assert.equal(receipt.verified, true);
  const claims = (await verifyJson<{ attachmentIds: string[]; attachmentListSha512: string }>(authority.signing.publicJwk, /<efa:ReportSignature[^>]*>([^<]+)</.exec(receipt.evidence ?? '')?.[1] ?? '')).payload;
  assert.deepEqual(claims.attachmentIds, message.attachments.map((a) => a.id).sort());
  assert.match(claims.attachmentListSha512, /^[0-9a-f]{128}$/);
  for (const hash of [sha512Hex(SAMPLE_PDF.bytes), sha512Hex(SAMPLE_PNG.bytes)]) assert.ok(!(receipt.evidence ?? '').includes(hash), 'no plaintext hash in the clear report');

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  assert.deepEqual(stored.attachments.map((a) => [a.id, a.filename, a.mediaType]), message.attachments.map((a) => [a.id, a.filename, a.mediaType]));
  assert.ok(stored.attachments[0]?.bytes.equals(SAMPLE_PDF.bytes));
  assert.ok(stored.attachments[1]?.bytes.equals(SAMPLE_PNG.bytes));

  const again = await xta.send(message, ctx);
  assert.equal(again.duplicate, true);
  assert.equal(receiver.inbox.size, 1);
});

void test('xta: an attachment that does not match its signed hash is a non-retryable env:Sender fault, nothing stored', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const swapped = await attachmentFor(authority.encryption.publicJwk, SAMPLE_PNG, sha512Hex(Buffer.from('the file that was hashed')));
  const message = await messageFor(authority, undefined, undefined, [await attachmentFor(authority.encryption.publicJwk, SAMPLE_PDF), swapped]);
  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /env:Sender \(EFA_XTA_ATTACHMENT_HASH_MISMATCH\)/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: the attachment list swapped or an attachment dropped after signing are refused', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageWithAttachments(authority);
  const xml = await buildRequest(message, ctx);
  // Another list, validly encrypted for the reader, that renames the PDF.
  const other = await buildRequest({ ...message, attachments: message.attachments.map((a) => ({ ...a, filename: 'harmlos.pdf' })) }, ctx);
  const list = (doc: string) => /<efa:EncryptedAttachmentList[^>]*>([^<]+)</.exec(doc)?.[1] ?? '';
  const renamed = xml.replace(list(xml), list(other));
  assert.notEqual(renamed, xml);
  const res = await postSoap(`${receiver.url}/xta/${authority.id}`, renamed);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /EFA_XTA_CONTENT_CHANGED/);

  const dropped = xml.replace(/<efa:EncryptedAttachment [^>]*>[^<]*<\/efa:EncryptedAttachment>/, '');
  assert.notEqual(dropped, xml);
  const res2 = await postSoap(`${receiver.url}/xta/${authority.id}`, dropped);
  assert.equal(res2.status, 400);
  assert.match(await res2.text(), /EFA_XTA_METADATA_CHANGED/);
  assert.equal(receiver.inbox.size, 0);
});

void test('xta: a message named abh.gewerbemeldung.0500 whose content is another element is refused as env:Sender', async (t) => {
  const { authority, receiver, ctx } = await setup(t);
  const message = await messageFor(authority, XML_DOCUMENT, 'application/xml');
  message.payload.format = 'xgewerbeanzeige-2.2';
  message.payload.messageType = 'abh.gewerbemeldung.0500';
  await assert.rejects(xta.send(message, ctx), (err: unknown) => err instanceof TransportError && !err.retryable && /EFA_XTA_QUALIFIER_INVALID/.test(err.message) && /antrag in urn:example:gewerbe/.test(err.message));
  assert.equal(receiver.inbox.size, 0);
});
