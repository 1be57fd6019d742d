import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { newAjv, readJsonFile } from '../src/core/declarations.js';
import { sha512Hex } from '../src/crypto/jwe.js';
import { verifyJson } from '../src/crypto/jws.js';
import { sendOnce } from '../src/delivery/deliver.js';
import { deliveryDeps } from '../src/runtime.js';
import { EVENT_ACCEPT, type SecurityEventClaims } from '../src/transports/fit-connect.js';
import type { SubmissionRow } from '../src/submissions/row.js';
import { applyOverHttp } from './support/apply.js';
import { FaultProxy } from './support/faults.js';
import { startStack, type TestStack } from './support/runtime.js';

/** The public half of Lübeck's signing key, as the directory publishes it. */
const luebeckVerificationKey = readJsonFile('routing/keys/hansestadt-luebeck.sig.json') as JWK;
const validMetadata = newAjv().compile(JSON.parse(readFileSync('schemas/vendor/fit-connect/metadata.schema.v1.0.0.json', 'utf8')) as Record<string, unknown>);

describe('the demo directory delivers to Lübeck over FIT-Connect, end to end', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('an application in Lübeck: token, destination key, announce, submit ends the attempt; the destination decrypts, checks and accepts with a signed event, which the follow-up records', async () => {
    assert.equal([...stack.rt.routing.directory.values()].find((e) => e.authorityId === 'hansestadt-luebeck')?.transport, 'fit-connect', 'the demo directory connects Lübeck over FIT-Connect');
    const { id, reference, browser } = await applyOverHttp(stack.url, 'sh', { strasse: 'Breite Straße', plz: '23552', ort: 'Lübeck' }, 'Marzipan Manufaktur');
    await stack.rt.delivery?.drain();

    const received = stack.inbox.get(id);
    assert.ok(received, 'the destination stored the submission under its message id');
    assert.equal(received.transport, 'fit-connect');
    assert.equal(received.authorityId, 'hansestadt-luebeck');
    assert.equal(received.reference, reference);
    // Decrypted at the destination with Lübeck's private key, and the hash in the metadata matches.
    const doc = JSON.parse(received.document) as { meta: { submissionId: string }; data: { betrieb: { name: string; anschrift: { ars: string } } } };
    assert.equal(doc.meta.submissionId, id);
    assert.equal(doc.data.betrieb.name, 'Marzipan Manufaktur');
    assert.equal(doc.data.betrieb.anschrift.ars, '010030000000');
    const metadata = received.metadata.fitConnectMetadata as { contentStructure: { data: { hash: { content: string } } }; additionalReferenceInfo: { senderReference: string } };
    assert.equal(validMetadata(metadata), true, JSON.stringify(validMetadata.errors));
    assert.equal(metadata.contentStructure.data.hash.content, sha512Hex(received.document));
    assert.equal(metadata.additionalReferenceInfo.senderReference, id);
    assert.equal((metadata as { replyChannel?: unknown }).replyChannel, undefined, 'Lübeck reads 1.0.0 here, which has no reply channel');

    const { rows } = await stack.rt.db.query<{ transport: string; outcome: string; receipt: { verified: boolean; receiverReference: string; followUp: { submissionId: string } } }>(
      'SELECT transport, outcome, receipt FROM delivery_attempts WHERE submission_id = $1', [id],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.transport, 'fit-connect');
    assert.equal(rows[0]?.outcome, 'delivered');
    // Handed over, not yet accepted: the attempt did not wait for the destination's decision.
    assert.equal(rows[0]?.receipt.verified, false);
    assert.equal(rows[0]?.receipt.followUp.submissionId, rows[0]?.receipt.receiverReference);

    // The follow-up reads the decision (the poller runs on its own; one pass here, so the test need not wait for it).
    await stack.rt.decisions?.runOnce();
    const decided = await stack.rt.db.query<{ decision: string; client_id: string; evidence: string }>('SELECT decision, client_id, evidence FROM submission_decisions WHERE submission_id = $1', [id]);
    assert.equal(decided.rows[0]?.decision, 'accepted');
    assert.equal(decided.rows[0]?.client_id, 'fit-connect:hansestadt-luebeck');
    // The evidence is Lübeck's accept event, signed with the key the directory names, for exactly the stored ciphertext.
    const { payload, header } = await verifyJson<SecurityEventClaims>(luebeckVerificationKey, decided.rows[0]?.evidence ?? '');
    assert.equal(header.typ, 'secevent+jwt');
    assert.equal(payload.iss, 'hansestadt-luebeck');
    assert.equal(payload.sub, `submission:${rows[0]?.receipt.receiverReference}`);
    const stored = await stack.rt.db.query<{ payload_jwe: string; status: string }>('SELECT payload_jwe, status FROM submissions WHERE id = $1', [id]);
    assert.equal(payload.events[EVENT_ACCEPT]?.authenticationTags?.data, stored.rows[0]?.payload_jwe.split('.')[4]);
    assert.equal(stored.rows[0]?.status, 'accepted');
    assert.doesNotMatch(stored.rows[0]?.payload_jwe ?? '', /Marzipan/, 'no plaintext in the central database');
    assert.equal((await stack.rt.db.query('SELECT 1 FROM delivery_followups WHERE submission_id = $1', [id])).rows.length, 0, 'no longer followed');

    const status = await browser.get(`/sh/status/${id}`);
    assert.match(status.html, /data-status="accepted"/);
  });

  test('one deadline spans all the calls of an attempt: each call answered well within it, their sum past it, ends the attempt', async (t) => {
    const { id } = await applyOverHttp(stack.url, 'sh', { strasse: 'Breite Straße', plz: '23552', ort: 'Lübeck' }, 'Holstentor Kiosk');
    await stack.rt.delivery?.drain();
    const row = (await stack.rt.db.query<SubmissionRow>('SELECT * FROM submissions WHERE id = $1', [id])).rows[0] as SubmissionRow;
    const [key, entry] = [...stack.rt.routing.directory].find(([, e]) => e.authorityId === row.authority_id) ?? [];
    assert.ok(key && entry && entry.transport === 'fit-connect');
    // Every answer of the destination (token, destination, key, announce, submit) comes 400 ms late.
    const address = new URL(entry.address);
    const proxy = new FaultProxy(address.origin);
    await proxy.start();
    t.after(() => proxy.close());
    proxy.delayMs = 400;
    const routing = { ...stack.rt.routing, directory: new Map([...stack.rt.routing.directory, [key, { ...entry, address: `${proxy.url}${address.pathname}` }]]) };
    const deps = (ms: number) => ({ ...deliveryDeps(stack.rt), routing: () => routing, timeoutMs: () => ms });

    const cut = await sendOnce(deps(1_500), row);
    assert.equal(cut.result.outcome, 'error');
    assert.ok(cut.result.outcome === 'error' && cut.result.retryable, 'a deadline is worth a retry');
    assert.match(cut.result.outcome === 'error' ? cut.result.error : '', /within 1500 ms \(the attempt's deadline, all its calls together\)/);
    assert.ok(proxy.requests.length >= 3, `several calls were answered, each within the deadline, before it ran out (${proxy.requests.length})`);

    // The same calls with a deadline above their sum hand the submission over (a duplicate for the destination).
    const whole = await sendOnce(deps(20_000), row);
    assert.equal(whole.result.outcome, 'delivered', whole.result.outcome === 'error' ? whole.result.error : '');
  });
});

describe('a FIT-Connect destination that reads metadata 2.x, end to end', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres', fitConnectMetadataVersions: ['1.0.0', '2.0.0'] }); });
  after(async () => stack.close());
  const valid2 = newAjv().compile(JSON.parse(readFileSync('schemas/vendor/fit-connect/metadata.schema.v2.0.0.json', 'utf8')) as Record<string, unknown>);

  test('gets metadata 2.0.0 announcing the e-mail address the applicant gave as reply channel; the address is kept only until delivered', async () => {
    const { id } = await applyOverHttp(stack.url, 'sh', { strasse: 'Breite Straße', plz: '23552', ort: 'Lübeck' }, 'Niederegger Laden');
    await stack.rt.delivery?.drain();
    const received = stack.inbox.get(id);
    assert.ok(received);
    const metadata = received.metadata.fitConnectMetadata as Record<string, unknown>;
    assert.equal(metadata.$schema, 'https://schema.fitko.de/fit-connect/metadata/2.0.0/metadata.schema.json');
    assert.equal(valid2(metadata), true, JSON.stringify(valid2.errors));
    // The address the applicant typed into the form's e-mail field (test/support/answers.ts).
    assert.deepEqual(metadata.replyChannel, { eMail: { address: 'erika@example.org' } });
    const after = await stack.rt.db.query<{ reply_email: string | null; status: string }>('SELECT reply_email, status FROM submissions WHERE id = $1', [id]);
    assert.equal(after.rows[0]?.status, 'delivered');
    assert.equal(after.rows[0]?.reply_email, null, 'delivered: the address is no longer kept outside the encrypted payload');
  });
});
