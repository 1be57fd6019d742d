/**
 * Issue 18: a FIT-Connect send is several calls (token, destination, key, create, each attachment,
 * submit). An attempt cut off after its attachments must leave the next attempt, in any worker,
 * only what is left: the submit, on the submission already created, with the files already
 * uploaded. The progress lives in PostgreSQL (delivery_progress), the checked destination key too
 * (transport_cache); the demo receiver sits behind a fault proxy that counts what reaches it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TransportError } from '../src/core/errors.js';
import { progressOf, sharedCache } from '../src/delivery/progress.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import { openDatabase, type Database } from '../src/storage/db.js';
import { fitConnect } from '../src/transports/fit-connect.js';
import type { TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender } from './support/authorities.js';
import { freshPostgres } from './support/database.js';
import { FaultProxy, type ProxiedRequest } from './support/faults.js';
import { messageWithAttachments } from './support/messages.js';

const SECRET_ENV = 'EFA_TEST_FIT_CONNECT_RESUME_SECRET';
process.env[SECRET_ENV] = 'fit-connect-resume-secret';

const kiel = await makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096, 'PS512');
const sender = await makeSender();
let db: Database;
let dropDb: () => Promise<void>;
let dataDir: string;
let proxy: FaultProxy;
let inbox: Inbox;
let closeReceiver: () => Promise<void>;

before(async () => {
  const pg = await freshPostgres();
  dropDb = pg.drop;
  dataDir = mkdtempSync(join(tmpdir(), 'efa-fit-resume-'));
  db = await openDatabase({ databaseUrl: pg.url, dataDir });
  inbox = new Inbox();
  const authorities = new Map<string, ReceiverAuthority>([[kiel.id, { id: kiel.id, name: kiel.name, decryptionKey: kiel.encryption.privateJwk, signingKey: kiel.signing.privateJwk }]]);
  const receiver = await buildReceiverServer({ authorities, inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', 'fit-connect-resume-secret']]) });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  closeReceiver = () => receiver.close();
  proxy = new FaultProxy(`http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`);
  await proxy.start();
});

after(async () => {
  await proxy.close();
  await closeReceiver();
  await db.close();
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What one worker's attempt gets: a fresh view of the shared progress and cache, as after a restart. */
function workerContext(messageId: string): TransportContext {
  return {
    endpoint: endpointFor(kiel, 'fit-connect', `${proxy.url}/fit-connect`, {
      identifiers: { destinationId: kiel.id },
      options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV },
    }),
    sender,
    timeoutMs: 5_000,
    progress: progressOf(db, messageId),
    cache: sharedCache(db),
  };
}

/** Requests that reached the receiver (not failed by the proxy), by what they do. */
function reached(requests: ProxiedRequest[]) {
  const passed = requests.filter((r) => r.mode === 'pass');
  return {
    creates: passed.filter((r) => r.method === 'POST' && r.path === '/fit-connect/submissions').length,
    uploads: passed.filter((r) => r.method === 'PUT' && r.path.includes('/attachments/')).length,
    submits: passed.filter((r) => r.method === 'PUT' && /^\/fit-connect\/submissions\/[^/]+$/.test(r.path)).length,
    keyLookups: passed.filter((r) => r.method === 'GET' && r.path.startsWith('/fit-connect/destinations/')).length,
  };
}

test('fit-connect: a send cut off after its attachments resumes in another worker with the submit alone; one submission, each file uploaded once, accepted', async () => {
  const message = await messageWithAttachments(kiel);
  assert.equal(message.attachments.length, 2);
  const start = proxy.requests.length;

  // Worker 1: token, destination, key, create and both uploads go through; the submit meets a 500.
  proxy.plan('pass', 'pass', 'pass', 'pass', 'pass', 'pass', '500');
  await assert.rejects(fitConnect.send(message, workerContext(message.messageId)), (err: unknown) => err instanceof TransportError && err.retryable);
  const first = reached(proxy.requests.slice(start));
  assert.deepEqual(first, { creates: 1, uploads: 2, submits: 0, keyLookups: 2 }, 'the first attempt got as far as the submit');
  assert.equal(inbox.size, 0);

  // Worker 2 (a fresh progress view: only PostgreSQL connects the two attempts).
  const mid = proxy.requests.length;
  const receipt = await fitConnect.send(message, workerContext(message.messageId));
  const second = reached(proxy.requests.slice(mid));
  assert.deepEqual(second, { creates: 0, uploads: 0, submits: 1, keyLookups: 0 }, 'the second attempt only submitted: no second create, no upload again, the key from the shared cache');
  assert.equal(receipt.duplicate, false);

  // The receiver created exactly one submission for this message, and the destination accepted it.
  assert.equal(reached(proxy.requests.slice(start)).creates, 1, 'one create at the receiver in all');
  assert.equal(inbox.arrivalsOf(message.messageId), 1);
  assert.equal(inbox.get(message.messageId)?.attachments.length, 2);
  const decision = await fitConnect.decision?.(receipt.followUp ?? {}, workerContext(message.messageId));
  assert.equal(decision?.decision, 'accepted', 'the accept names the tags the first attempt uploaded and the metadata the second sent');
  const tags = JSON.parse(receipt.followUp?.attachmentTags ?? '{}') as Record<string, string>;
  assert.deepEqual(Object.keys(tags).sort(), message.attachments.map((a) => a.id).sort(), 'the follow-up checks every file, also those of the earlier attempt');
});

test('fit-connect: a send cut off between two uploads uploads only the missing file next time; a submit whose answer was lost is not sent twice', async () => {
  const message = await messageWithAttachments(kiel);
  const start = proxy.requests.length;
  // Token and key come from the caches now: create, first upload, then the second upload hangs up with a 500.
  proxy.plan('pass', 'pass', '500');
  await assert.rejects(fitConnect.send(message, workerContext(message.messageId)));
  assert.deepEqual(reached(proxy.requests.slice(start)), { creates: 1, uploads: 1, submits: 0, keyLookups: 0 });

  const mid = proxy.requests.length;
  await fitConnect.send(message, workerContext(message.messageId));
  assert.deepEqual(reached(proxy.requests.slice(mid)), { creates: 0, uploads: 1, submits: 1, keyLookups: 0 }, 'only the file not yet confirmed, then the submit');

  // The submit went through, but as far as the worker knows it failed (its answer lost): the next
  // attempt finds it submitted (409), reports a duplicate and keeps the tags for the accept check.
  const again = await fitConnect.send(message, workerContext(message.messageId));
  assert.equal(again.duplicate, true);
  assert.equal(reached(proxy.requests.slice(start)).creates, 1);
  assert.equal(inbox.arrivalsOf(message.messageId), 1);
  assert.equal((await fitConnect.decision?.(again.followUp ?? {}, workerContext(message.messageId)))?.decision, 'accepted');
});
