/**
 * What happens to uploaded files after the upload: the retention purge deletes exactly the files
 * that are due (of expired drafts, of purged payloads, orphans), a draft key rotation keeps a
 * long-lived draft's files readable, and two tabs on one draft never leave it pointing to a file
 * that is gone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AttachmentStore } from '../src/attachments/store.js';
import { decryptWith } from '../src/crypto/jwe.js';
import { generateEncryptionKeyPair } from '../src/crypto/keys.js';
import { buildApp } from '../src/http/app.js';
import type { Runtime } from '../src/runtime.js';
import { purge, type RetentionPolicy } from '../src/storage/retention.js';
import { DraftStore } from '../src/submissions/drafts.js';
import { Browser, type UploadFile } from './support/browser.js';
import { extractErrors, follow, step } from './support/answers.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';
import { UPLOAD_SERVICE, paddedPdf, writeUploadService } from './support/upload-service.js';
import { waitUntil } from './support/delivery-stack.js';

const BASE = `/${UPLOAD_SERVICE.tenant}/${UPLOAD_SERVICE.id}`;
const MIB = 1024 * 1024;
const POLICY: RetentionPolicy = { payloadDays: 30, attemptDays: 90, routingVersionsKept: 3 };
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/**
 * Sends a multipart step post in two pieces, as a slow link does: everything up to the end of the
 * files first, the closing boundary only when `release` resolves. Answers the response.
 */
function slowMultipart(b: Browser, origin: string, files: UploadFile[], fields: Record<string, string>, release: Promise<void>): Promise<{ status: number; location?: string }> {
  const action = /<form method="post" action="([^"]+)"[^>]*enctype="multipart\/form-data"/.exec(b.lastHtml)?.[1] ?? '';
  const csrf = /name="_csrf" value="([^"]*)"/.exec(b.lastHtml)?.[1] ?? '';
  const boundary = '----efaslow';
  const part = (name: string, value: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const head = Buffer.concat([
    part('_csrf', csrf), ...Object.entries(fields).map(([k, v]) => part(k, v)),
    ...files.flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: application/pdf\r\n\r\n`), f.content, Buffer.from('\r\n')]),
    // A text part after the file, not yet ended: the file is complete, the body is not.
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="spaeter"\r\n\r\n`),
  ]);
  const tail = Buffer.from(`x\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(new URL(action.replace(/&#x3D;/g, '='), origin), {
      method: 'POST',
      headers: { cookie: b.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + tail.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
    req.write(head);
    void release.then(() => req.end(tail));
  });
}

describe('uploaded files after the upload: purge, key rotation, two tabs', () => {
  let temp: TempRoot;
  let stack: TestStack;
  const apps: FastifyInstance[] = [];

  before(async () => {
    temp = copyProjectRoot('efa-files-');
    writeUploadService(temp.root);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, EFA_UPLOAD_SCAN: 'off' } });
  });
  after(async () => {
    for (const app of apps) await app.close();
    await stack?.close();
    temp?.remove();
  });

  /** A browser on the upload step of a fresh draft. */
  async function onUploadStep(url = stack.url): Promise<Browser> {
    const b = new Browser(url);
    await b.get(BASE);
    await follow(b, await b.submit({}, '/start'), 'start');
    assert.equal(await step(b, { name: 'Erika Mustermann' }), `${BASE}/nachweise`);
    return b;
  }

  /** Uploads on the step the browser shows and expects to be sent on. */
  async function upload(b: Browser, files: UploadFile[], fields: Record<string, string | string[]> = {}): Promise<void> {
    const res = await b.submitMultipart(fields, files);
    assert.equal(res.status, 303, `upload answered ${res.status}: ${extractErrors(res.html)}`);
    await b.get(res.location as string);
  }

  async function submit(b: Browser): Promise<string> {
    await b.get(`${BASE}/pruefen`);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, `submit answered ${done.status}: ${extractErrors(done.html)}`);
    return (done.location as string).split('/').pop() as string;
  }

  async function draftOf(b: Browser): Promise<string> {
    const unsigned = stack.app.unsignCookie(decodeURIComponent(b.cookie(`efa_draft_${UPLOAD_SERVICE.id}`) ?? ''));
    assert.ok(unsigned.valid && unsigned.value);
    return unsigned.value;
  }

  /** Stored files and chunks per owner (a draft or a submission id). */
  async function filesOf(owner: string): Promise<{ files: number; chunks: number }> {
    const { rows } = await stack.rt.db.query<{ files: number; chunks: number }>(
      `SELECT count(DISTINCT a.id)::int AS files, count(c.seq)::int AS chunks FROM attachments a LEFT JOIN attachment_chunks c ON c.attachment_id = a.id
        WHERE a.draft_id = $1 OR a.submission_id = $1`, [owner]);
    return rows[0] as { files: number; chunks: number };
  }

  async function totals(): Promise<{ files: number; chunks: number }> {
    const { rows } = await stack.rt.db.query<{ files: number; chunks: number }>('SELECT (SELECT count(*)::int FROM attachments) AS files, (SELECT count(*)::int FROM attachment_chunks) AS chunks');
    return rows[0] as { files: number; chunks: number };
  }

  test('a purge deletes exactly the due files: of expired drafts and of purged payloads; the others stay', async () => {
    const mib = { name: 'nachweis', filename: 'nachweis.pdf', content: paddedPdf(MIB) };
    const expiring = await onUploadStep();
    await upload(expiring, [mib]);
    const live = await onUploadStep();
    await upload(live, [mib]);
    const old = await onUploadStep();
    await upload(old, [mib, { name: 'belege', filename: 'beleg.pdf', content: paddedPdf(MIB / 2) }]);
    const recent = await onUploadStep();
    await upload(recent, [mib]);
    const [expiredDraft, liveDraft] = [await draftOf(expiring), await draftOf(live)];
    const [oldSubmission, recentSubmission] = [await submit(old), await submit(recent)];
    await stack.rt.delivery?.drain();
    await waitUntil(async () => (await stack.rt.db.query(`SELECT 1 FROM submissions WHERE id = ANY($1::uuid[]) AND status = 'delivered'`, [[oldSubmission, recentSubmission]])).rows.length === 2, 20_000, 'both submissions delivered');
    await stack.rt.db.query(`UPDATE drafts SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiredDraft]);
    await stack.rt.db.query(`UPDATE submissions SET updated_at = now() - interval '31 days' WHERE id = $1`, [oldSubmission]);

    const before = { expiredDraft: await filesOf(expiredDraft), liveDraft: await filesOf(liveDraft), oldSubmission: await filesOf(oldSubmission), recentSubmission: await filesOf(recentSubmission), all: await totals() };
    // 1 MiB in chunks of 256 KiB: 4 encrypted draft chunks; sealed, about 1.33 MiB of JWE.
    assert.equal(before.expiredDraft.files, 1);
    assert.ok(before.expiredDraft.chunks >= 4, `chunks of the expired draft: ${before.expiredDraft.chunks}`);
    assert.equal(before.oldSubmission.files, 2);
    assert.ok(before.oldSubmission.chunks >= 6);

    const outcome = await purge(stack.rt.db, POLICY);
    assert.equal(outcome.busy, false);
    assert.equal(outcome.purged.payloads, 1);
    assert.deepEqual(await filesOf(expiredDraft), { files: 0, chunks: 0 }, 'the expired draft\'s file is gone, chunks and all');
    assert.deepEqual(await filesOf(oldSubmission), { files: 0, chunks: 0 }, 'the purged payload\'s files are gone, chunks and all');
    assert.deepEqual(await filesOf(liveDraft), before.liveDraft, 'a live draft keeps its file');
    assert.deepEqual(await filesOf(recentSubmission), before.recentSubmission, 'a submission not yet due keeps its files');
    const removed = { files: before.expiredDraft.files + before.oldSubmission.files, chunks: before.expiredDraft.chunks + before.oldSubmission.chunks };
    assert.deepEqual(await totals(), { files: before.all.files - removed.files, chunks: before.all.chunks - removed.chunks }, 'nothing else was deleted');
    assert.equal(outcome.purged.files, removed.files);
    assert.equal(outcome.purged.fileChunks, removed.chunks);
    assert.equal((await stack.rt.db.query('SELECT 1 FROM drafts WHERE id = $1', [expiredDraft])).rows.length, 0, 'and the draft itself');

    const again = await purge(stack.rt.db, POLICY);
    assert.deepEqual([again.purged.files, again.purged.fileChunks, again.purged.drafts, again.purged.payloads], [0, 0, 0, 0], 'a second run finds nothing due');
  });

  test('orphans (files no save took within a day) and the chunks of a large expired draft go in bounded batches', async () => {
    const expiring = await onUploadStep();
    await upload(expiring, [{ name: 'nachweis', filename: 'n.pdf', content: paddedPdf(10_000) }]);
    const draftId = await draftOf(expiring);
    const [file] = (await stack.rt.db.query<{ id: string }>('SELECT id FROM attachments WHERE draft_id = $1', [draftId])).rows;
    // 700 chunks: more than two batches of the chunk step.
    await stack.rt.db.query(`INSERT INTO attachment_chunks (attachment_id, part, seq, data) SELECT $1, 'sealing-leftover', g, decode('00', 'hex') FROM generate_series(1, 700) g`, [file?.id]);
    await stack.rt.db.query(`UPDATE drafts SET expires_at = now() - interval '1 second' WHERE id = $1`, [draftId]);
    const live = await onUploadStep();
    await upload(live, [{ name: 'nachweis', filename: 'n.pdf', content: paddedPdf(10_000) }]);
    const liveDraft = await draftOf(live);
    const orphan = async (hoursAgo: number) => {
      const { rows } = await stack.rt.db.query<{ id: string }>(`INSERT INTO attachments (id, draft_id, state, filename, created_at) VALUES (gen_random_uuid(), $1, 'ready', 'o.pdf', now() - make_interval(hours => $2)) RETURNING id`, [liveDraft, hoursAgo]);
      await stack.rt.db.query(`INSERT INTO attachment_chunks (attachment_id, part, seq, data) VALUES ($1, 'draft', 0, decode('00', 'hex'))`, [rows[0]?.id]);
      return rows[0]?.id as string;
    };
    const [old, young] = [await orphan(25), await orphan(1)];
    const before = await filesOf(liveDraft);

    const outcome = await purge(stack.rt.db, POLICY);
    assert.equal((await stack.rt.db.query('SELECT 1 FROM attachments WHERE id = $1', [old])).rows.length, 0, 'an orphan of a day goes');
    assert.equal((await stack.rt.db.query('SELECT 1 FROM attachments WHERE id = $1', [young])).rows.length, 1, 'a file still being uploaded (an hour) stays');
    assert.deepEqual(await filesOf(liveDraft), { files: before.files - 1, chunks: before.chunks - 1 }, 'the live draft keeps its own file');
    assert.deepEqual(await filesOf(draftId), { files: 0, chunks: 0 });
    assert.ok(outcome.purged.fileChunks >= 702, `chunks: ${outcome.purged.fileChunks}`);
    assert.equal(outcome.purged.files, 2);
    assert.equal(outcome.purged.drafts, 1);
  });

  /** An API process of the same installation with these draft keys (cookies and the rest unchanged). */
  async function processWith(draftKeys: string[]): Promise<string> {
    const attachments = new AttachmentStore(stack.rt.db, draftKeys, stack.rt.scanner, stack.rt.attachments.maxBytes);
    const rt = { ...stack.rt, secrets: { ...stack.rt.secrets, draftKeys }, attachments, drafts: new DraftStore(stack.rt.db, draftKeys, stack.rt.config.draftTtlDays, attachments) } as Runtime;
    const app = await buildApp(rt);
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  test('a draft with files follows the draft key rotation of docs/operations.md and submits after the old key is removed', async () => {
    const [OLD, NEW] = ['old-draft-key-'.padEnd(40, 'o'), 'new-draft-key-'.padEnd(40, 'n')];
    const nachweis = paddedPdf(600_000, 'vor der Rotation');
    const beleg = paddedPdf(3_000, 'Beleg');
    const before = await onUploadStep(await processWith([OLD]));
    await upload(before, [{ name: 'nachweis', filename: 'nachweis.pdf', content: nachweis }, { name: 'belege', filename: 'beleg.pdf', content: beleg }]);
    // A second applicant uploads too, and then does not come back until after the rotation.
    const away = await onUploadStep(await processWith([OLD]));
    await upload(away, [{ name: 'nachweis', filename: 'weg.pdf', content: paddedPdf(5_000) }]);

    // Step 1: the new key at the end. Step 2: in front; the applicant goes on and saves a step without files.
    const added = before.tab(await processWith([OLD, NEW]));
    assert.equal((await added.get(`${BASE}/angaben`)).status, 200);
    const promoted = before.tab(await processWith([NEW, OLD]));
    await promoted.get(`${BASE}/angaben`);
    assert.equal(await step(promoted, { name: 'Erika Nach-Rotation' }), `${BASE}/nachweise`);

    // Step 3: the old key removed. The draft and both files still open; submit, deliver, check the hashes.
    const removed = promoted.tab(await processWith([NEW]));
    const check = await removed.get(`${BASE}/pruefen`);
    assert.equal(check.status, 200);
    assert.match(check.html, /nachweis\.pdf/);
    const done = await removed.submit({}, '/absenden');
    assert.equal(done.status, 303, `submit after the rotation answered ${done.status}: ${extractErrors(done.html)}`);
    const submissionId = (done.location as string).split('/').pop() as string;
    await stack.rt.delivery?.drain();
    await waitUntil(() => stack.inbox.get(submissionId) !== undefined, 20_000, 'the receiver got the submission');
    const received = stack.inbox.get(submissionId);
    assert.deepEqual(received?.attachments.map((a) => [a.filename, a.sha512, sha512(a.bytes)]).sort(), [
      ['beleg.pdf', sha512(beleg), sha512(beleg)],
      ['nachweis.pdf', sha512(nachweis), sha512(nachweis)],
    ]);

    // The draft nobody saved since step 1 is under the removed key: it is gone for its applicant (as docs say), not a 500.
    const stale = away.tab(await processWith([NEW]));
    assert.equal((await stale.get(`${BASE}/nachweise`)).status, 410);
  });

  test('two tabs on one draft: a save from one tab while the other uploads never leaves the draft pointing to a missing file', async () => {
    const a = await onUploadStep();
    const n0 = paddedPdf(4_000, 'n0');
    await upload(a, [{ name: 'nachweis', filename: 'n0.pdf', content: n0 }]);
    await a.get(`${BASE}/nachweise`);
    const keep = /name="nachweis\.keep" value="([0-9a-f-]{36})"/.exec(a.lastHtml)?.[1] as string;
    assert.ok(keep);
    const b = a.tab();
    const draftId = await draftOf(a);

    // Tab A uploads a receipt over a slow link: the file is stored, the post not finished.
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const b1 = paddedPdf(300_000, 'b1');
    const slow = slowMultipart(a, stack.url, [{ name: 'belege', filename: 'b1.pdf', content: b1 }], { 'nachweis.keep': keep }, released);
    await waitUntil(async () => (await stack.rt.db.query(`SELECT 1 FROM attachments WHERE draft_id = $1 AND filename = 'b1.pdf' AND state = 'ready'`, [draftId])).rows.length === 1, 20_000, 'tab A\'s file is stored');

    // Meanwhile tab B (showing the same step) saves with its own receipt.
    const b2 = paddedPdf(2_000, 'b2');
    const fromB = await b.submitMultipart({ 'nachweis.keep': keep }, [{ name: 'belege', filename: 'b2.pdf', content: b2 }]);
    assert.equal(fromB.status, 303, extractErrors(fromB.html));
    release();
    const fromA = await slow;
    assert.equal(fromA.status, 303);

    // The stored draft is tab A's (the last save), and every file it references is there.
    const draft = await stack.rt.drafts.find(draftId, UPLOAD_SERVICE.tenant, UPLOAD_SERVICE.id);
    assert.ok(draft);
    const refs = (JSON.stringify(draft.data).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []);
    const { rows } = await stack.rt.db.query<{ id: string; filename: string }>(`SELECT id, filename FROM attachments WHERE draft_id = $1 AND state = 'ready'`, [draftId]);
    assert.deepEqual(rows.map((r) => r.filename).sort(), ['b1.pdf', 'n0.pdf'], 'tab B\'s receipt, which the stored draft no longer references, went with tab A\'s save');
    assert.deepEqual([...new Set(refs)].sort(), rows.map((r) => r.id).sort(), 'the draft references exactly the stored files');

    const submissionId = await submit(a);
    await stack.rt.delivery?.drain();
    await waitUntil(() => stack.inbox.get(submissionId) !== undefined, 20_000, 'the receiver got the submission');
    assert.deepEqual(stack.inbox.get(submissionId)?.attachments.map((f) => [f.filename, sha512(f.bytes) === f.sha512]).sort(), [['b1.pdf', true], ['n0.pdf', true]]);
  });

  test('a file stored before per-file keys (chunks under the draft key itself) is re-wrapped by a save and opens after the old key is removed', async () => {
    const [OLD, NEW] = ['legacy-draft-key-'.padEnd(40, 'l'), 'newer-draft-key-'.padEnd(40, 'N')];
    const content = paddedPdf(1_000, 'legacy');
    const id = randomUUID();
    const oldStore = new AttachmentStore(stack.rt.db, [OLD], stack.rt.scanner, MIB);
    const oldDrafts = new DraftStore(stack.rt.db, [OLD], 30, oldStore);
    const draft = await oldDrafts.create(UPLOAD_SERVICE.tenant, UPLOAD_SERVICE.id, '1.0.0');
    const ref = { id, filename: 'alt.pdf', mediaType: 'application/pdf', size: content.length, sha512: sha512(content) };
    // As the previous version stored it: no wrapped key, the chunk under the key derived from the draft secret.
    const key = Buffer.from(hkdfSync('sha256', OLD, 'efa-drafts', 'draft-attachment-v1', 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(`${id}/0`));
    const body = Buffer.concat([cipher.update(content), cipher.final()]);
    await stack.rt.db.query(`INSERT INTO attachments (id, draft_id, state, filename, media_type, size, sha512, committed) VALUES ($1, $2, 'ready', $3, $4, $5, $6, true)`, [id, draft.id, ref.filename, ref.mediaType, ref.size, ref.sha512]);
    await stack.rt.db.query(`INSERT INTO attachment_chunks (attachment_id, part, seq, data) VALUES ($1, 'draft', 0, $2)`, [id, Buffer.concat([iv, cipher.getAuthTag(), body])]);
    draft.data = { name: 'Alt', nachweis: ref };
    await oldDrafts.save(draft);

    const rotatedStore = new AttachmentStore(stack.rt.db, [NEW, OLD], stack.rt.scanner, MIB);
    const rotated = new DraftStore(stack.rt.db, [NEW, OLD], 30, rotatedStore);
    const resumed = await rotated.find(draft.id, UPLOAD_SERVICE.tenant, UPLOAD_SERVICE.id);
    assert.ok(resumed);
    await rotated.save(resumed);

    const onlyNew = new AttachmentStore(stack.rt.db, [NEW], stack.rt.scanner, MIB);
    const authority = await generateEncryptionKeyPair(2048);
    const [sealed] = await onlyNew.seal(draft.id, [{ ...ref, pointer: '/nachweis' }], authority.publicJwk);
    const { rows } = await stack.rt.db.query<{ data: Uint8Array }>('SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND part = $2 ORDER BY seq', [id, sealed?.part]);
    const jwe = Buffer.concat(rows.map((r) => Buffer.from(r.data))).toString('ascii');
    assert.equal(sha512(Buffer.from((await decryptWith(authority.privateJwk, jwe)).plaintext)), ref.sha512, 'the authority gets the file intact');
  });
});
