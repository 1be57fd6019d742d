import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { CompactSign, importJWK } from 'jose';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../src/core/errors.js';
import { newAjv } from '../src/core/declarations.js';
import { encryptFor, sha512Hex } from '../src/crypto/jwe.js';
import { verifyJson } from '../src/crypto/jws.js';
import { generatePs512KeyPair, generateSigningKeyPair } from '../src/crypto/keys.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import { EVENT_ACCEPT, EVENT_REJECT, FitConnectLimitError, fitConnect, type SecurityEventClaims } from '../src/transports/fit-connect.js';
import type { TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, type TestAuthority } from './support/authorities.js';
import { SAMPLE_PDF, SAMPLE_PNG, attachmentFor, messageFor, messageWithAttachments } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_FIT_CONNECT_SECRET';
const SECRET = 'fit-connect-test-secret';
process.env[SECRET_ENV] = SECRET;

// RSA 4096 as FIT-Connect demands; generated once per file because it takes seconds.
const kielPromise = makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
const sender = await makeSender();

interface FitReceiver {
  url: string;
  inbox: Inbox;
  /** How many HTTP requests reached the receiver so far. */
  requests(): number;
  close(): Promise<void>;
}

/** The local receiver with OAuth2 clients (startReceiver in support/ registers none). */
async function startFitConnect(authorities: TestAuthority[], clients = new Map([['efa-runtime', SECRET]])): Promise<FitReceiver> {
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>(authorities.map((a) => [a.id, { id: a.id, name: a.name, decryptionKey: a.encryption.privateJwk, signingKey: a.signing.privateJwk }]));
  const app = await buildReceiverServer({ authorities: map, inbox, senderKeys: async () => [sender.publicJwk], clients });
  let requests = 0;
  app.server.on('request', () => requests++);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, inbox, requests: () => requests, close: () => app.close() };
}

function contextFor(authority: TestAuthority, receiver: FitReceiver, options: Record<string, unknown> = {}, extra: Parameters<typeof endpointFor>[3] = {}): TransportContext {
  return {
    endpoint: endpointFor(authority, 'fit-connect', `${receiver.url}/fit-connect`, {
      identifiers: { destinationId: authority.id },
      options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV, ...options },
      ...extra,
    }),
    sender,
    timeoutMs: 5000,
  };
}

const validMetadata = newAjv().compile(JSON.parse(readFileSync(new URL('../schemas/vendor/fit-connect/metadata.schema.v1.0.0.json', import.meta.url), 'utf8')) as Record<string, unknown>);

test('fit-connect: handed over at submit, decrypted, schema-valid metadata; the accept event is read afterwards and verified; redelivery is a duplicate', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const ctx = contextFor(kiel, receiver);
  const message = await messageFor(kiel);

  // The attempt ends at the hand-over: nothing signed has come back yet, the receipt says so.
  const receipt = await fitConnect.send(message, ctx);
  assert.equal(receipt.transport, 'fit-connect');
  assert.equal(receipt.verified, false);
  assert.equal(receipt.duplicate, false);
  assert.ok(receipt.receiverReference);
  assert.equal(receipt.followUp?.submissionId, receipt.receiverReference);
  assert.match(receipt.followUp?.caseId ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(receipt.followUp?.metadataTag, 'the tag of the metadata this attempt sent, for the accept check');

  // The follow-up reads the destination's own signed accept event for exactly this submission.
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, ctx);
  assert.equal(decision?.decision, 'accepted');
  assert.equal(decision.decidedBy, kiel.id);
  assert.equal(decision.dataTag, message.payload.jwe.split('.')[4]);
  assert.ok(decision.evidence);
  const { payload, header } = await verifyJson<SecurityEventClaims>(kiel.signing.publicJwk, decision.evidence);
  assert.equal(header.typ, 'secevent+jwt');
  assert.equal(payload.iss, kiel.id);
  assert.equal(payload.sub, `submission:${receipt.receiverReference}`);
  assert.match(payload.txn, /^case:[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(payload.events), [EVENT_ACCEPT]);
  assert.equal(payload.events[EVENT_ACCEPT]?.authenticationTags?.data, message.payload.jwe.split('.')[4]);

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored, 'the receiver stored the message under its message id');
  assert.equal(stored.transport, 'fit-connect');
  assert.deepEqual(JSON.parse(stored.document), { betrieb: { name: 'Bäckerei Muster' } });
  const metadata = stored.metadata.fitConnectMetadata as Record<string, unknown>;
  assert.equal(validMetadata(metadata), true, JSON.stringify(validMetadata.errors));
  assert.deepEqual(metadata.contentStructure, {
    data: { hash: { type: 'sha512', content: message.payload.sha512 }, submissionSchema: { schemaUri: message.payload.schemaUri, mimeType: 'application/json' } },
    attachments: [],
  });
  assert.deepEqual(metadata.publicServiceType, { name: 'Gewerbeanmeldung', identifier: 'urn:de:fim:leika:leistung:99050012104000' });
  assert.equal((metadata.additionalReferenceInfo as { senderReference: string }).senderReference, message.messageId);

  const again = await fitConnect.send(message, ctx);
  assert.equal(again.duplicate, true, 'the redelivery found the submission made before');
  assert.equal(again.receiverReference, receipt.receiverReference, 'no second submission was opened');
  assert.equal((await fitConnect.decision?.(again.followUp ?? {}, ctx))?.decision, 'accepted', 'its follow-up finds the same accept');
  assert.equal(receiver.inbox.size, 1);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 1, 'the redelivery did not even reach the Fachverfahren');
});

test('fit-connect: a second sender client with the same message id still has one effect in the inbox', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel], new Map([['efa-runtime', SECRET], ['efa-runtime-b', SECRET]]));
  t.after(() => receiver.close());
  const message = await messageFor(kiel);
  const first = await fitConnect.send(message, contextFor(kiel, receiver));
  const second = await fitConnect.send(message, contextFor(kiel, receiver, { clientId: 'efa-runtime-b' }));
  assert.notEqual(second.receiverReference, first.receiverReference, 'idempotency keys are per client: a new submission');
  assert.equal(receiver.inbox.size, 1, 'the destination recognised the message id in the metadata');
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 2);
});

test('fit-connect: a wrong client secret is refused with 401, not retried, nothing stored', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel], new Map([['efa-runtime', 'the-real-secret']]));
  t.after(() => receiver.close());
  await assert.rejects(
    fitConnect.send(await messageFor(kiel), contextFor(kiel, receiver)),
    (err: unknown) => err instanceof TransportError && !err.retryable && /\/token answered 401/.test(err.message) && /invalid_client/.test(err.message),
  );
  assert.equal(receiver.inbox.size, 0);
});

test('fit-connect: data that does not match the metadata hash is handed over, then rejected by a signed event; nothing stored', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const message = await messageFor(kiel);
  // Swapped in transit: the ciphertext now holds another document than the one hashed at submit time.
  const tampered = { ...message, payload: { ...message.payload, jwe: await encryptFor(kiel.encryption.publicJwk, '{"betrieb":{"name":"Fälschung"}}', 'application/json') } };
  const ctx = contextFor(kiel, receiver);
  const receipt = await fitConnect.send(tampered, ctx);
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, ctx);
  assert.equal(decision?.decision, 'rejected');
  assert.equal(decision.problems[0]?.type, 'https://schema.fitko.de/fit-connect/events/problems/hash-mismatch');
  assert.equal(receiver.inbox.size, 0);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 0);
  // A redelivery finds the rejected submission, opens no second one, and its follow-up reads the same reject.
  const again = await fitConnect.send(tampered, ctx);
  assert.equal(again.duplicate, true);
  assert.equal(again.receiverReference, receipt.receiverReference);
  assert.equal((await fitConnect.decision?.(again.followUp ?? {}, ctx))?.decision, 'rejected');
});

test('fit-connect: a destination key other than the directory key stops delivery before anything is sent', async (t) => {
  const kiel = await kielPromise;
  const other = await makeAuthority('gewerbeamt-luebeck', undefined, 2048, 'PS512');
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const ctx = contextFor(kiel, receiver, {}, { encryptionKey: other.encryption.publicJwk });
  await assert.rejects(
    fitConnect.send(await messageFor(other), ctx),
    (err: unknown) => err instanceof TransportError && !err.retryable && /destination key differs from directory key/.test(err.message),
  );
  assert.equal(receiver.inbox.size, 0);
  const health = await fitConnect.check(ctx);
  assert.equal(health.ok, false);
  assert.match(health.detail, /differs from directory key/);
});

test('fit-connect: an unknown destination is a problem document and not retried', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const ctx = contextFor(kiel, receiver, {}, { identifiers: { destinationId: 'gibt-es-nicht' } });
  await assert.rejects(
    fitConnect.send(await messageFor(kiel), ctx),
    (err: unknown) => err instanceof TransportError && !err.retryable && /answered 404/.test(err.message) && /problems\/destination-not-found/.test(err.message),
  );

  // The answer itself, as a client sees it.
  const token = await tokenFrom(receiver);
  const res = await fetch(`${receiver.url}/fit-connect/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ destinationId: 'gibt-es-nicht', announcedAttachments: [], serviceType: { identifier: 'urn:de:fim:leika:leistung:99050012104000' } }),
  });
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = (await res.json()) as { type: string; title: string; status: number };
  assert.equal(problem.type, 'https://schema.fitko.de/fit-connect/submission-api/problems/destination-not-found');
  assert.equal(problem.status, 404);
  assert.ok(problem.title);
});

test('fit-connect: a destination key under 4096 bits is refused', async (t) => {
  const small = await makeAuthority('gewerbeamt-flensburg', 'Gewerbeamt Flensburg', 2048, 'PS512');
  const receiver = await startFitConnect([small]);
  t.after(() => receiver.close());
  await assert.rejects(
    fitConnect.send(await messageFor(small), contextFor(small, receiver)),
    (err: unknown) => err instanceof TransportError && !err.retryable && /2048 bits.*at least 4096/.test(err.message),
  );
  assert.equal(receiver.inbox.size, 0);
});

test('fit-connect: an event token that does not verify is no decision; read with the right key it is', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const message = await messageFor(kiel);
  const stranger = await generatePs512KeyPair(2048);
  const wrongKey = contextFor(kiel, receiver, {}, { verificationKey: stranger.publicJwk });
  const receipt = await fitConnect.send(message, wrongKey);
  assert.equal(receiver.inbox.size, 1, 'the submission itself went through');
  await assert.rejects(
    fitConnect.decision?.(receipt.followUp ?? {}, wrongKey) ?? Promise.resolve(),
    (err: unknown) => err instanceof TransportError && err.retryable && /does not verify/.test(err.message),
  );
  assert.equal((await fitConnect.decision?.(receipt.followUp ?? {}, contextFor(kiel, receiver)))?.decision, 'accepted');
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 1);

  await assert.rejects(
    fitConnect.send(message, contextFor(kiel, receiver, {}, { verificationKey: undefined })),
    (err: unknown) => err instanceof TransportError && !err.retryable && /neither a verificationKey nor options\.verificationJwksUrl/.test(err.message),
  );
  // An Ed25519 key as before issue 18: FIT-Connect's events are PS512, refused before anything is sent.
  await assert.rejects(
    fitConnect.send(await messageFor(kiel), contextFor(kiel, receiver, {}, { verificationKey: (await generateSigningKeyPair()).publicJwk })),
    (err: unknown) => err instanceof TransportError && !err.retryable && /PS512, the verification key must be an RSA key/.test(err.message),
  );
});

/** A submission service whose event log holds exactly `tokens` (the real receiver would never hand out a forged one). */
async function eventLogStub(tokens: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/token') return res.end(JSON.stringify({ access_token: 'stub', token_type: 'Bearer', expires_in: 600 }));
    res.end(JSON.stringify({ eventLog: tokens }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('fit-connect: the accept event is a PS512 secevent+jwt with the published claims; a tampered one, or one signed with another algorithm by the same key, is refused', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const message = await messageWithAttachments(kiel);
  const receipt = await fitConnect.send(message, contextFor(kiel, receiver));
  const accepted = await fitConnect.decision?.(receipt.followUp ?? {}, contextFor(kiel, receiver));
  const token = accepted?.evidence ?? '';
  const [headerPart, payloadPart] = token.split('.') as [string, string];
  assert.deepEqual(JSON.parse(Buffer.from(headerPart, 'base64url').toString()), { alg: 'PS512', kid: kiel.signing.publicJwk.kid, typ: 'secevent+jwt' });
  const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as SecurityEventClaims;
  assert.deepEqual(Object.keys(claims).sort(), ['$schema', 'events', 'iat', 'iss', 'jti', 'sub', 'txn']);
  assert.equal(claims.$schema, 'https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json');
  const tags = claims.events[EVENT_ACCEPT]?.authenticationTags;
  assert.deepEqual(Object.keys(tags ?? {}).sort(), ['attachments', 'data', 'metadata']);
  assert.deepEqual(Object.keys(tags?.attachments ?? {}).sort(), message.attachments.map((a) => a.id).sort(), 'a tag for each attachment');

  const readFrom = async (tokens: string[]) => {
    const stub = await eventLogStub(tokens);
    try {
      return await fitConnect.decision?.(receipt.followUp ?? {}, contextFor(kiel, { ...receiver, url: stub.url }, { tokenUrl: `${stub.url}/token` }, { address: stub.url }));
    } finally {
      await stub.close();
    }
  };
  // The stub itself works: the genuine token is an accept there too.
  assert.equal((await readFrom([token]))?.decision, 'accepted');

  // Tampered: the payload says reject, the signature is the accept's.
  const forged = { ...claims, events: { [EVENT_REJECT]: { problems: [{ type: 'about:blank', title: 'forged' }] } } };
  const tampered = `${headerPart}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${token.split('.')[2] ?? ''}`;
  await assert.rejects(readFrom([tampered]), (err: unknown) => err instanceof TransportError && /does not verify as PS512/.test(err.message));

  // The destination's own key, but RS512 instead of PS512: refused, whatever the key would allow.
  const rs512 = await new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS512', kid: kiel.signing.publicJwk.kid, typ: 'secevent+jwt' })
    .sign(await importJWK({ ...kiel.signing.privateJwk, alg: 'RS512' }, 'RS512'));
  await assert.rejects(readFrom([rs512]), (err: unknown) => err instanceof TransportError && /does not verify as PS512/.test(err.message));

  // PS512, but without typ secevent+jwt: not a security event token.
  const untyped = await new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'PS512', kid: kiel.signing.publicJwk.kid })
    .sign(await importJWK(kiel.signing.privateJwk, 'PS512'));
  await assert.rejects(readFrom([untyped]), (err: unknown) => err instanceof TransportError && /not secevent\+jwt/.test(err.message));
});

test('fit-connect receiver: no token, no access; schema-invalid metadata is rejected and not stored', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const api = `${receiver.url}/fit-connect`;

  const anonymous = await fetch(`${api}/destinations/${kiel.id}`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);

  const token = await tokenFrom(receiver);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${api}/submissions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ destinationId: kiel.id, announcedAttachments: [], serviceType: { identifier: 'urn:de:fim:leika:leistung:99050012104000' } }),
  });
  assert.equal(created.status, 201);
  const { submissionId, caseId } = (await created.json()) as { submissionId: string; caseId: string };

  const document = '{"a":1}';
  // contentStructure.attachments is required by the schema; the hash also is no sha512.
  const badMetadata = { contentStructure: { data: { hash: { type: 'sha512', content: sha512Hex(document).slice(0, 20) }, submissionSchema: { schemaUri: 'https://example.org/s.json', mimeType: 'application/json' } } } };
  const put = await fetch(`${api}/submissions/${submissionId}`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({
      encryptedMetadata: await encryptFor(kiel.encryption.publicJwk, JSON.stringify(badMetadata)),
      encryptedData: await encryptFor(kiel.encryption.publicJwk, document),
    }),
  });
  assert.equal(put.status, 202);
  const log = (await (await fetch(`${api}/cases/${caseId}/events`, { headers: auth })).json()) as { eventLog: string[] };
  assert.equal(log.eventLog.length, 1);
  const { payload } = await verifyJson<SecurityEventClaims>(kiel.signing.publicJwk, log.eventLog[0] as string);
  const problems = payload.events[EVENT_REJECT]?.problems ?? [];
  assert.equal(problems[0]?.type, 'https://schema.fitko.de/fit-connect/events/problems/metadata-schema-violation');
  assert.equal(receiver.inbox.size, 0);

  const twice = await fetch(`${api}/submissions/${submissionId}`, { method: 'PUT', headers: auth, body: JSON.stringify({ encryptedMetadata: 'x', encryptedData: 'y' }) });
  assert.equal(twice.status, 409, 'a submitted submission cannot be overwritten');
});

test('fit-connect: check() reports a reachable destination whose key matches', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const health = await fitConnect.check(contextFor(kiel, receiver));
  assert.equal(health.ok, true, health.detail);
  assert.match(health.detail, new RegExp(`destination ${kiel.id} active`));
});

test('fit-connect: two attachments announced, uploaded as JWEs, listed with their hashes in the metadata, verified by the destination; redelivery is a duplicate', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const ctx = contextFor(kiel, receiver);
  const message = await messageWithAttachments(kiel);

  const receipt = await fitConnect.send(message, ctx);
  // Handed over; the destination's accept is read by the follow-up, which checks the attachment tags.
  assert.equal(receipt.verified, false);
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, ctx);
  assert.equal(decision?.decision, 'accepted');
  const { payload } = await verifyJson<SecurityEventClaims>(kiel.signing.publicJwk, decision.evidence ?? '');
  const jwes = await Promise.all(message.attachments.map(async (a) => Buffer.concat(await a.open().toArray() as Buffer[]).toString('ascii')));
  assert.deepEqual(payload.events[EVENT_ACCEPT]?.authenticationTags?.attachments, Object.fromEntries(message.attachments.map((a, i) => [a.id, jwes[i]?.split('.')[4]])), 'the accept event names the tag of every uploaded JWE');

  const stored = receiver.inbox.get(message.messageId);
  assert.ok(stored);
  const metadata = stored.metadata.fitConnectMetadata as { contentStructure: { attachments: unknown[] } };
  assert.equal(validMetadata(metadata), true, JSON.stringify(validMetadata.errors));
  assert.deepEqual(metadata.contentStructure.attachments, message.attachments.map((a) => ({
    hash: { type: 'sha512', content: a.sha512 }, purpose: 'attachment', mimeType: a.mediaType, filename: a.filename, attachmentId: a.id,
  })));
  assert.deepEqual(stored.attachments.map((a) => [a.id, a.filename, a.mediaType, a.sha512]), message.attachments.map((a) => [a.id, a.filename, a.mediaType, a.sha512]));
  assert.ok(stored.attachments[0]?.bytes.equals(SAMPLE_PDF.bytes));
  assert.ok(stored.attachments[1]?.bytes.equals(SAMPLE_PNG.bytes));

  const again = await fitConnect.send(message, ctx);
  assert.equal(again.duplicate, true);
  assert.equal(again.receiverReference, receipt.receiverReference);
  assert.equal(receiver.inbox.arrivalsOf(message.messageId), 1);
});

test('fit-connect: an attachment that does not match the hash in the metadata is handed over, then rejected by a signed event; nothing stored', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const swapped = await attachmentFor(kiel.encryption.publicJwk, SAMPLE_PNG, sha512Hex(Buffer.from('the file that was hashed')));
  const message = await messageFor(kiel, undefined, undefined, [await attachmentFor(kiel.encryption.publicJwk, SAMPLE_PDF), swapped]);
  const ctx = contextFor(kiel, receiver);
  const receipt = await fitConnect.send(message, ctx);
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, ctx);
  assert.equal(decision?.decision, 'rejected');
  assert.ok(decision.problems.some((p) => /events\/problems\/hash-mismatch/.test(p.type) && `${p.detail ?? ''}${p.title}`.includes(swapped.id)), JSON.stringify(decision.problems));
  assert.equal(receiver.inbox.size, 0);
});

test('fit-connect: a redelivery after an attempt that broke off between upload and submit uploads again and submits the same submission', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const message = await messageWithAttachments(kiel);
  // The first attempt, as far as it got: announced under the message id, one file uploaded.
  const token = await tokenFrom(receiver);
  const created = await fetch(`${receiver.url}/fit-connect/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': message.messageId },
    body: JSON.stringify({ destinationId: kiel.id, announcedAttachments: message.attachments.map((a) => a.id), serviceType: { name: 'Gewerbeanmeldung', identifier: 'urn:de:fim:leika:leistung:99050012104000' } }),
  });
  assert.equal(created.status, 201);
  const { submissionId } = (await created.json()) as { submissionId: string };
  const first = message.attachments[0];
  assert.ok(first);
  const uploaded = await fetch(`${receiver.url}/fit-connect/submissions/${submissionId}/attachments/${first.id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/jose' },
    body: Buffer.concat(await first.open().toArray() as Buffer[]).toString('ascii'),
  });
  assert.equal(uploaded.status, 204);

  const receipt = await fitConnect.send(message, contextFor(kiel, receiver));
  assert.equal(receipt.receiverReference, submissionId, 'the submission announced before, not a second one');
  assert.equal(receipt.duplicate, false);
  assert.equal(receiver.inbox.get(message.messageId)?.attachments.length, 2);
});

test('fit-connect receiver: submit is refused while an announced attachment is missing; uploads are checked', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const api = `${receiver.url}/fit-connect`;
  const token = await tokenFrom(receiver);
  const auth = { authorization: `Bearer ${token}` };
  const pdf = await attachmentFor(kiel.encryption.publicJwk, SAMPLE_PDF);
  const png = await attachmentFor(kiel.encryption.publicJwk, SAMPLE_PNG);
  const created = await fetch(`${api}/submissions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ destinationId: kiel.id, announcedAttachments: [pdf.id, png.id], serviceType: { identifier: 'urn:de:fim:leika:leistung:99050012104000' } }),
  });
  assert.equal(created.status, 201);
  const { submissionId, caseId } = (await created.json()) as { submissionId: string; caseId: string };
  const upload = async (id: string, body: string, type = 'application/jose') => fetch(`${api}/submissions/${submissionId}/attachments/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': type }, body });
  const pdfJwe = Buffer.concat(await pdf.open().toArray() as Buffer[]).toString('ascii');

  assert.equal((await upload(pdf.id, pdfJwe)).status, 204);
  assert.equal((await upload('6f1c2a4e-0000-4000-8000-000000000000', pdfJwe)).status, 404, 'an attachment that was not announced');
  assert.equal((await upload(png.id, 'kein JWE', 'application/octet-stream')).status, 415);

  const document = '{"a":1}';
  const metadata = {
    contentStructure: {
      data: { hash: { type: 'sha512', content: sha512Hex(document) }, submissionSchema: { schemaUri: 'https://example.org/s.json', mimeType: 'application/json' } },
      attachments: [pdf, png].map((a) => ({ hash: { type: 'sha512', content: a.sha512 }, purpose: 'attachment', mimeType: a.mediaType, attachmentId: a.id })),
    },
  };
  const submit = () => fetch(`${api}/submissions/${submissionId}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ encryptedMetadata: 'x.y.z.a.b', encryptedData: 'x.y.z.a.b' }),
  });
  const refused = await submit();
  assert.equal(refused.status, 422);
  const problem = (await refused.json()) as { type: string; detail: string };
  assert.equal(problem.type, 'https://schema.fitko.de/fit-connect/submission-api/problems/missing-attachments');
  assert.ok(problem.detail.includes(png.id));

  assert.equal((await upload(png.id, Buffer.concat(await png.open().toArray() as Buffer[]).toString('ascii'))).status, 204);
  const put = await fetch(`${api}/submissions/${submissionId}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ encryptedMetadata: await encryptFor(kiel.encryption.publicJwk, JSON.stringify(metadata)), encryptedData: await encryptFor(kiel.encryption.publicJwk, document) }),
  });
  assert.equal(put.status, 202);
  const log = (await (await fetch(`${api}/cases/${caseId}/events`, { headers: auth })).json()) as { eventLog: string[] };
  const { payload } = await verifyJson<SecurityEventClaims>(kiel.signing.publicJwk, log.eventLog[0] as string);
  assert.deepEqual(Object.keys(payload.events), [EVENT_ACCEPT]);
  assert.equal(receiver.inbox.list()[0]?.attachments.length, 2);
  assert.equal((await upload(pdf.id, pdfJwe)).status, 409, 'no upload after the submit');
});

async function tokenFrom(receiver: FitReceiver): Promise<string> {
  const res = await fetch(`${receiver.url}/fit-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'efa-runtime', client_secret: SECRET }).toString(),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

test('fit-connect: a submission over the published limits is refused with a clear error before the first call; the receiver refuses more than 100 announced attachments', async (t) => {
  const kiel = await kielPromise;
  const receiver = await startFitConnect([kiel]);
  t.after(() => receiver.close());
  const message = await messageWithAttachments(kiel, [SAMPLE_PDF]);
  const file = message.attachments[0];
  assert.ok(file);
  const MB = 1024 * 1024;
  const copies = (n: number, jweLength = file.jweLength) => Array.from({ length: n }, () => ({ ...file, id: randomUUID(), jweLength }));
  const oversized: Array<[string, typeof message, RegExp]> = [
    ['data over 10 MB', { ...message, payload: { ...message.payload, jwe: 'x'.repeat(10 * MB + 1) } }, /encrypted data .* more than 10\.0 MB/],
    ['101 attachments', { ...message, attachments: copies(101) }, /101 attachments, more than 100/],
    ['an attachment over 500 MB', { ...message, attachments: copies(1, 500 * MB + 1) }, /attachment [0-9a-f-]{36} .* more than 500\.0 MB/],
    ['over 2 GB in all', { ...message, attachments: copies(5, 450 * MB) }, /together, more than 2048\.0 MB/],
  ];
  const before = receiver.requests();
  for (const [what, tooBig, pattern] of oversized) {
    await assert.rejects(fitConnect.send(tooBig, contextFor(kiel, receiver)), (err: unknown) =>
      err instanceof FitConnectLimitError && err.code === 'EFA_FIT_CONNECT_LIMIT' && !err.retryable && pattern.test(err.message), what);
  }
  assert.equal(receiver.requests(), before, 'nothing was sent, not even a token request');
  // At the limits exactly, it goes through.
  assert.equal((await fitConnect.send({ ...message, attachments: copies(1) }, contextFor(kiel, receiver))).transport, 'fit-connect');

  const res = await fetch(`${receiver.url}/fit-connect/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokenFrom(receiver)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ destinationId: kiel.id, announcedAttachments: Array.from({ length: 101 }, () => randomUUID()), serviceType: { identifier: 'urn:de:fim:leika:leistung:99050012104000' } }),
  });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { detail: string }).detail, /at most 100 attachments/);
});
