/**
 * The login's eIDAS level travels with the submission: stored at submit, read back for delivery,
 * and named by each transport in its own metadata (FIT-Connect authenticationInformation, XTA
 * efa:Submission/@trustLevel, OSCI content container), as the demo receivers record it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { newAjv } from '../src/core/declarations.js';
import { toMessage } from '../src/delivery/deliver.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import type { SubmissionRow } from '../src/submissions/row.js';
import { storeSubmission } from '../src/submissions/submit.js';
import { transports } from '../src/transports/registry.js';
import { buildRequest, SOAP_MEDIA_TYPE } from '../src/transports/xta.js';
import type { DirectoryEntry, OutboundMessage, TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender } from './support/authorities.js';
import { messageFor } from './support/messages.js';
import { startStack, type TestStack } from './support/runtime.js';
import { submittableExample, type SubmittableInput } from './support/submittable.js';

const SECRET_ENV = 'EFA_TEST_TRUST_LEVEL_SECRET';
process.env[SECRET_ENV] = 'trust-level-test-secret';

const validMetadata = newAjv().compile(JSON.parse(readFileSync(new URL('../schemas/vendor/fit-connect/metadata.schema.v1.0.0.json', import.meta.url), 'utf8')) as Record<string, unknown>);

const authority = await makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096);
// FIT-Connect event tokens are PS512: that destination signs with an RSA key.
const fitAuthority = await makeAuthority('hansestadt-luebeck', 'Hansestadt Lübeck', 4096, 'PS512');
const sender = await makeSender();

async function receiver(t: { after: (fn: () => Promise<void>) => void }): Promise<{ inbox: Inbox; url: string }> {
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>([authority, fitAuthority].map((a) => [a.id, { id: a.id, name: a.name, decryptionKey: a.encryption.privateJwk, signingKey: a.signing.privateJwk }]));
  const app = await buildReceiverServer({ authorities: map, inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', 'trust-level-test-secret']]) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => { await app.close(); });
  return { inbox, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const ENTRIES: Record<string, (url: string) => DirectoryEntry> = {
  xta: (url) => endpointFor(authority, 'xta', `${url}/xta/${authority.id}`, { identifiers: { readerId: 'ags:01002000:gewerbe' } }),
  osci: (url) => endpointFor(authority, 'osci', `${url}/osci/${authority.id}`),
  'fit-connect': (url) => endpointFor(fitAuthority, 'fit-connect', `${url}/fit-connect`, { identifiers: { destinationId: fitAuthority.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV } }),
};

async function deliver(name: string, url: string, authentication?: OutboundMessage['authentication']): Promise<OutboundMessage> {
  const message = await messageFor(name === 'fit-connect' ? fitAuthority : authority);
  if (authentication) message.authentication = authentication;
  const ctx: TransportContext = { endpoint: (ENTRIES[name] as (u: string) => DirectoryEntry)(url), sender, timeoutMs: 10_000 };
  await transports.get(name)?.send(message, ctx);
  return message;
}

describe('each transport names the login\'s trust level in its metadata', () => {
  for (const name of Object.keys(ENTRIES)) {
    test(`${name}: a logged-in application carries its level to the receiver; an anonymous one carries none`, async (t) => {
      const { inbox, url } = await receiver(t);
      const loggedIn = await deliver(name, url, { trustLevel: 'substantial' });
      const anonymous = await deliver(name, url);
      const withLevel = inbox.get(loggedIn.messageId)?.metadata;
      const without = inbox.get(anonymous.messageId)?.metadata;
      assert.ok(withLevel && without, `${name}: both delivered`);
      assert.equal(withLevel.trustLevel, 'substantial');
      assert.equal(without.trustLevel, undefined);
      if (name === 'fit-connect') {
        // In the official schema's own field, and the metadata still valid against that schema.
        const metadata = withLevel.fitConnectMetadata as { authenticationInformation?: Array<{ type: string; version: string; content: string }> };
        assert.equal(validMetadata(metadata), true, JSON.stringify(validMetadata.errors));
        const [entry, ...more] = metadata.authenticationInformation ?? [];
        assert.ok(entry && more.length === 0);
        assert.deepEqual([entry.type, entry.version], ['identificationReport', '1.0.0']);
        assert.deepEqual(JSON.parse(Buffer.from(entry.content, 'base64url').toString('utf8')), { type: 'efa-identification-report', version: '1.0.0', trustLevel: 'substantial', levelOfAssurance: 'http://eidas.europa.eu/LoA/substantial' });
        assert.equal(validMetadata(without.fitConnectMetadata), true, JSON.stringify(validMetadata.errors));
        assert.equal((without.fitConnectMetadata as Record<string, unknown>).authenticationInformation, undefined);
      }
    });
  }

  test('xta: the level is signed; removed or raised on the way, the receiver refuses the message', async (t) => {
    const { inbox, url } = await receiver(t);
    const message = await messageFor(authority);
    message.authentication = { trustLevel: 'low' };
    const ctx: TransportContext = { endpoint: (ENTRIES.xta as (u: string) => DirectoryEntry)(url), sender, timeoutMs: 10_000 };
    const xml = await buildRequest(message, ctx);
    assert.match(xml, / trustLevel="low"/);
    for (const tampered of [xml.replace(' trustLevel="low"', ''), xml.replace(' trustLevel="low"', ' trustLevel="high"')]) {
      const res = await fetch(`${url}/xta/${authority.id}`, { method: 'POST', headers: { 'content-type': `${SOAP_MEDIA_TYPE}; charset=utf-8` }, body: tampered });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /EFA_XTA_METADATA_CHANGED/);
    }
    assert.equal(inbox.get(message.messageId), undefined, 'nothing stored');
  });
});

describe('submit keeps the login\'s trust level with the submission', () => {
  let stack: TestStack;
  let input: SubmittableInput;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    input = submittableExample(stack.rt);
  });
  after(() => stack.close());

  async function messageOf(id: string): Promise<OutboundMessage> {
    const { rows: [row] } = await stack.rt.db.query<SubmissionRow>('SELECT * FROM submissions WHERE id = $1', [id]);
    assert.ok(row);
    return toMessage(row, { serviceTitle: () => 'Test' });
  }

  test('a logged-in applicant\'s level is stored and handed to the transport; an anonymous submission has none', async () => {
    const loggedIn = await storeSubmission(stack.rt.db, { ...input, authentication: { trustLevel: 'high', prefilled: [] } });
    const anonymous = await storeSubmission(stack.rt.db, input);
    assert.deepEqual((await messageOf(loggedIn.id)).authentication, { trustLevel: 'high' });
    assert.equal((await messageOf(anonymous.id)).authentication, undefined);
  });
});
