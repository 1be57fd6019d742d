import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { newAjv } from '../src/core/declarations.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import { TransportError } from '../src/core/errors.js';
import { fitConnect, metadataFor } from '../src/transports/fit-connect.js';
import type { TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender, type TestAuthority } from './support/authorities.js';
import { SAMPLE_PDF, attachmentFor, messageFor } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_FIT_CONNECT_METADATA_SECRET';
process.env[SECRET_ENV] = 'fit-connect-metadata-secret';
const kielPromise = makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
const sender = await makeSender();

/** FITKO's official metadata schemas, as vendored (schemas/vendor/fit-connect/README.md). */
const official = (version: string) => newAjv().compile(JSON.parse(readFileSync(new URL(`../schemas/vendor/fit-connect/metadata.schema.v${version}.json`, import.meta.url), 'utf8')) as Record<string, unknown>);
const valid1 = official('1.0.0');
const valid2 = official('2.0.0');

async function start(t: { after(fn: () => unknown): void }, authority: TestAuthority, metadataVersions?: string[]): Promise<{ ctx: TransportContext; inbox: Inbox; hits(path: string): number }> {
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>([[authority.id, { id: authority.id, name: authority.name, decryptionKey: authority.encryption.privateJwk, signingKey: authority.signing.privateJwk }]]);
  const app = await buildReceiverServer({ authorities: map, inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', process.env[SECRET_ENV] as string]]), ...(metadataVersions ? { fitConnectMetadataVersions: metadataVersions } : {}) });
  const seen = new Map<string, number>();
  app.addHook('onRequest', async (req) => void seen.set(req.url, (seen.get(req.url) ?? 0) + 1));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const ctx: TransportContext = {
    endpoint: endpointFor(authority, 'fit-connect', `${url}/fit-connect`, { identifiers: { destinationId: authority.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV } }),
    sender,
    timeoutMs: 5000,
  };
  return { ctx, inbox, hits: (path) => seen.get(path) ?? 0 };
}

test('fit-connect metadata: a destination that reads 2.x gets metadata 2.0.0, valid against FITKO\'s official schema, announcing the applicant\'s e-mail as reply channel', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, kiel, ['1.0.0', '2.0.0']);
  const message = { ...(await messageFor(kiel, undefined, undefined, [await attachmentFor(kiel.encryption.publicJwk, SAMPLE_PDF)])), replyEmail: 'antrag@example.org' };
  const receipt = await fitConnect.send(message, r.ctx);
  assert.equal((await fitConnect.decision?.(receipt.followUp ?? {}, r.ctx))?.decision, 'accepted');
  const metadata = r.inbox.get(message.messageId)?.metadata.fitConnectMetadata as Record<string, unknown>;
  assert.equal(metadata.$schema, 'https://schema.fitko.de/fit-connect/metadata/2.0.0/metadata.schema.json');
  assert.equal(valid2(metadata), true, JSON.stringify(valid2.errors));
  assert.deepEqual(metadata.replyChannel, { eMail: { address: 'antrag@example.org' } });
  assert.equal((metadata.contentStructure as { attachments: unknown[] }).attachments.length, 1);
  assert.equal(metadata.publicServiceType, undefined, '2.0.0 has no publicServiceType');

  // Without an address there is no reply channel (the schema wants exactly one when it is there).
  const quiet = await messageFor(kiel);
  await fitConnect.send(quiet, r.ctx);
  const second = r.inbox.get(quiet.messageId)?.metadata.fitConnectMetadata as Record<string, unknown>;
  assert.equal(valid2(second), true, JSON.stringify(valid2.errors));
  assert.equal(second.replyChannel, undefined);
});

test('fit-connect metadata: a destination that reads only 1.0.0 still gets 1.0.0 (valid against its schema), without a reply channel', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, kiel);
  const message = { ...(await messageFor(kiel)), replyEmail: 'antrag@example.org' };
  const receipt = await fitConnect.send(message, r.ctx);
  assert.equal((await fitConnect.decision?.(receipt.followUp ?? {}, r.ctx))?.decision, 'accepted');
  const metadata = r.inbox.get(message.messageId)?.metadata.fitConnectMetadata as Record<string, unknown>;
  assert.equal(metadata.$schema, 'https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json');
  assert.equal(valid1(metadata), true, JSON.stringify(valid1.errors));
  assert.equal(metadata.replyChannel, undefined, 'schema 1.0.0 has no reply channel');
  assert.equal(valid2(metadata), false, '1.0.0 metadata is no 2.0.0 document');
});

test('fit-connect metadata: a destination that reads no version this runtime writes is refused before anything is created; the official schema refuses a malformed 2.0.0 document', async (t) => {
  const kiel = await kielPromise;
  const r = await start(t, kiel, ['3.0.0']);
  await assert.rejects(
    fitConnect.send(await messageFor(kiel), r.ctx),
    (err: unknown) => err instanceof TransportError && !err.retryable && /reads metadata \["3\.0\.0"\]; this runtime writes/.test(err.message),
  );
  assert.equal(r.hits('/fit-connect/submissions'), 0);

  const good = metadataFor({ ...(await messageFor(kiel)), replyEmail: 'antrag@example.org' }, '2.0.0');
  assert.equal(valid2(good), true, JSON.stringify(valid2.errors));
  assert.equal(valid2({ ...good, replyChannel: { eMail: { address: 'antrag@example.org' }, deMail: { address: 'antrag@example.de-mail.de' } } }), false, 'one reply channel at most');
  assert.equal(valid2({ ...good, additionalReferenceInfo: { senderReference: 'x', unknown: true } }), false, 'no unknown reference fields');
});
