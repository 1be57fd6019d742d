import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { JWK } from 'jose';
import { hashSecret, newSecret } from '../src/auth/clients.js';
import { readJsonFile } from '../src/core/declarations.js';
import { fileRefsIn } from '../src/attachments/references.js';
import { loadConfig } from '../src/config/env.js';
import { schemaThroughArrays } from '../src/forms/pointer.js';
import { fileRulesOf } from '../src/forms/fields/file.js';
import { checkScanner } from '../src/runtime.js';
import { decryptWith } from '../src/crypto/jwe.js';
import { buildApp } from '../src/http/app.js';
import { Browser, type UploadFile } from './support/browser.js';
import { extractErrors, step } from './support/answers.js';
import { EICAR, startFakeClamd, type FakeClamd } from './support/clamd.js';
import { startStack, type TestStack } from './support/runtime.js';
import { copyDeclarations } from './support/declarations.js';

const API = '/_efa/api/v1';
const SERVICE = 'nachweis-test';
const MAX_PDF = 64 * 1024;
/** The demo pull authority's private keys: the authority's side, which the runtime never holds. */
const bonnKeys = readJsonFile(join('routing', 'demo-private', 'bundesstadt-bonn.json')) as { decryptionKey: JWK };

/** A file reference as the schema declares it (docs/forms.md, "File uploads"). */
function fileRef(types: string[], maxBytes: number): Record<string, unknown> {
  return {
    type: 'object', additionalProperties: false, required: ['id', 'filename', 'mediaType', 'size', 'sha512'],
    properties: {
      id: { type: 'string', format: 'uuid' }, filename: { type: 'string', minLength: 1, maxLength: 255 },
      mediaType: { enum: types }, size: { type: 'integer', minimum: 1, maximum: maxBytes }, sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' },
    },
  };
}

/**
 * A service of its own in a temporary copy of the project: a name, one required PDF and up to two
 * optional images. It routes to Bonn (a pull authority of the demo directory), so the test reads the
 * result over the pull API. Nothing here depends on which other services exist.
 */
function writeTestService(root: string): void {
  const dir = join(root, 'services', SERVICE);
  mkdirSync(dir, { recursive: true });
  const gewerbe = JSON.parse(readFileSync(join(root, 'services', 'gewerbeanmeldung', 'service.json'), 'utf8')) as { leikaKey: string };
  writeFileSync(join(dir, 'service.json'), JSON.stringify({
    id: SERVICE, leikaKey: gewerbe.leikaKey, version: '1.0.0', title: { de: 'Nachweis einreichen', en: 'Submit evidence' },
    description: { de: 'Testleistung mit Datei-Upload.', en: 'Test service with an upload.' }, leadLand: 'nw',
    payloadSchemaUri: `https://efa-runtime.example/services/${SERVICE}/1.0.0/schema.json`, parameters: {},
  }));
  writeFileSync(join(dir, 'schema.json'), JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${SERVICE}/1.0.0/schema.json`,
    title: 'Nachweis', type: 'object', additionalProperties: false, required: ['name', 'nachweis'],
    properties: {
      name: { title: 'Name', type: 'string', minLength: 1, maxLength: 100 },
      nachweis: { title: 'Nachweis', $ref: '#/$defs/pdf' },
      fotos: { title: 'Fotos', type: 'array', minItems: 1, maxItems: 2, items: { $ref: '#/$defs/bild' } },
    },
    $defs: { pdf: fileRef(['application/pdf'], MAX_PDF), bild: fileRef(['image/png', 'image/jpeg'], MAX_PDF) },
  }));
  // Bonn's ARS (the demo directory has Bonn fetch over the pull API), or Kiel's (a webhook) for "Kiel".
  writeFileSync(join(dir, 'logic.ts'), `export const logic = {
  rules: () => [],
  derive: () => ({}),
  fee: () => ({ cents: 0, currency: 'EUR' }),
  region: (data) => (data.name === 'Kiel' ? '010020000000' : '053140000000'),
};
`);
  writeFileSync(join(root, 'forms', `${SERVICE}.form.json`), JSON.stringify({
    service: SERVICE,
    steps: [
      { id: 'angaben', title: { de: 'Angaben', en: 'Details' }, fields: [{ pointer: '/name', kind: 'text' }] },
      { id: 'nachweise', title: { de: 'Nachweise', en: 'Evidence' }, fields: [{ pointer: '/nachweis', kind: 'file' }, { pointer: '/fotos', kind: 'file' }] },
    ],
  }));
  const tenantFile = join(root, 'tenants', 'nw.json');
  const tenant = JSON.parse(readFileSync(tenantFile, 'utf8')) as { services: Record<string, unknown> };
  tenant.services[SERVICE] = {};
  writeFileSync(tenantFile, JSON.stringify(tenant));
}

/** A small but real PDF (file-type recognises it by its header), padded to `size` bytes. */
function pdf(size = 20_000, extra = ''): Buffer {
  const head = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n${extra}\n`);
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x20), tail]);
}

/** A 1×1 PNG, padded after its end chunk to about 3 KB. */
const PNG = Buffer.concat([Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'), randomBytes(3000)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0'), randomBytes(2000)]);

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

describe('file uploads without JavaScript: intake, refusals, check page, submit, pull API, purge', () => {
  let stack: TestStack;
  let clamd: FakeClamd;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'efa-uploads-'));
    copyDeclarations(root);
    writeTestService(root);
    clamd = await startFakeClamd();
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: root, EFA_CLAMAV: `127.0.0.1:${clamd.port}` } });
  });
  after(async () => {
    await stack.close();
    await clamd.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function token(clientId: string, secret: string): Promise<string> {
    const res = await fetch(`${stack.url}/_efa/oauth/token`, {
      method: 'POST', body: 'grant_type=client_credentials',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function rows(): Promise<{ attachments: number; chunks: number }> {
    const a = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM attachments');
    const c = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM attachment_chunks');
    return { attachments: Number(a.rows[0]?.n), chunks: Number(c.rows[0]?.n) };
  }

  /** A fresh application up to the upload step; returns the browser on that step. */
  async function toUploadStep(name = 'Erika Mustermann', origin = stack.url): Promise<Browser> {
    const b = new Browser(origin, 'nw.localhost');
    await b.get(`/${SERVICE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    assert.equal(await step(b, { name }), `/${SERVICE}/nachweise`);
    assert.match(b.lastHtml, /enctype="multipart\/form-data"/, 'a step with a file field posts multipart');
    assert.match(b.lastHtml, /<input[^>]+id="f-nachweis" name="nachweis" type="file" accept="application\/pdf"/);
    assert.match(b.lastHtml, /PDF, höchstens 64 KB je Datei\./, 'the limits are shown next to the field');
    return b;
  }

  async function refused(file: UploadFile, message: RegExp): Promise<void> {
    const b = await toUploadStep();
    const before = await rows();
    const res = await b.submitMultipart({}, [file]);
    assert.equal(res.status, 400, `refused with the step again, not ${res.status}`);
    assert.match(extractErrors(res.html), message);
    // The message sits on the field and the error summary links to it.
    assert.match(res.html, /<p class="kern-error" id="f-nachweis-error">/);
    assert.match(res.html, /href="#f-nachweis"/);
    assert.deepEqual(await rows(), before, 'nothing of the refused file is stored');
  }

  test('a .pdf that is a PNG, and one that is a Windows program, are refused by their content', async () => {
    await refused({ name: 'nachweis', filename: 'zeugnis.pdf', type: 'application/pdf', content: PNG }, /Die Datei „zeugnis\.pdf“ ist keine echte PDF-Datei: Ihr Inhalt ist PNG\. Laden Sie die Datei im Format PDF hoch/);
    await refused({ name: 'nachweis', filename: 'rechnung.pdf', type: 'application/pdf', content: EXE }, /„rechnung\.pdf“ ist keine echte PDF-Datei: Ihr Inhalt ist EXE/);
    // Content no sniffer recognises (plain text) under a PDF name: told it is no PDF, not to upload one instead.
    await refused({ name: 'nachweis', filename: 'scan.pdf', type: 'application/pdf', content: Buffer.from('just some text, no PDF at all\n') }, /Die Datei „scan\.pdf“ ist keine echte PDF-Datei\. Laden Sie eine Datei im Format PDF hoch/);
  });

  test('an uploaded file is listed with a remove button of its own form: removing it deletes it and shows the step again', async () => {
    const b = await toUploadStep();
    const before = await rows();
    const uploaded = await b.submitMultipart({}, [{ name: 'nachweis', filename: 'weg.pdf', type: 'application/pdf', content: pdf(2000) }]);
    assert.equal(uploaded.status, 303, extractErrors(uploaded.html));
    await b.get(`/${SERVICE}/nachweise`);
    const id = /name="nachweis\.keep" value="([0-9a-f-]{36})"/.exec(b.lastHtml)?.[1];
    assert.ok(id);
    // One hint (the limits once), the file in a list, its button in the page's removal form: Enter in a field never removes a file.
    assert.equal(b.lastHtml.match(/PDF, höchstens 64 KB je Datei/g)?.length, 1, 'the limits are said once');
    assert.match(b.lastHtml, /<div class="kern-hint" id="f-nachweis-hint">[^<]*PDF, höchstens 64 KB je Datei\.<\/div>/, 'in the one hint the control is described by');
    assert.match(b.lastHtml, new RegExp(`<button class="kern-btn kern-btn--tertiary efa-file__remove" type="submit" form="efa-file-removal" name="datei" value="${id}"><span class="kern-label">Entfernen<span class="kern-sr-only"> weg\\.pdf</span>`));
    assert.match(b.lastHtml, new RegExp(`<form id="efa-file-removal" method="post" action="/${SERVICE}/nachweise">`));
    assert.doesNotMatch(b.lastHtml, /type="checkbox"/);
    const removed = await b.postForm('efa-file-removal', { datei: id });
    assert.equal(removed.status, 303);
    assert.equal(removed.location, `/${SERVICE}/nachweise`, 'back to the same page');
    const page = await b.get(removed.location as string);
    assert.doesNotMatch(page.html, /weg\.pdf/);
    assert.deepEqual(await rows(), before, 'the file is deleted at once');
    // Someone else's (or a made-up) id removes nothing and reveals nothing.
    const forged = await b.postForm('efa-file-removal', { datei: '00000000-0000-4000-8000-000000000000' });
    assert.equal(forged.status, 303);
  });

  test('a file over the field\'s size limit is refused at the limit', async () => {
    await refused({ name: 'nachweis', filename: 'gross.pdf', type: 'application/pdf', content: pdf(MAX_PDF + 1) }, /„Nachweis“: Die Datei „gross\.pdf“ ist größer als 64 KB\./);
  });

  test('a file the virus scanner flags is refused', async () => {
    await refused({ name: 'nachweis', filename: 'befund.pdf', type: 'application/pdf', content: pdf(20_000, EICAR) }, /In der Datei „befund\.pdf“ wurde Schadsoftware gefunden\. Sie wurde nicht gespeichert\./);
    assert.ok(clamd.scans.some((scan) => scan.reply === 'stream: Eicar-Test-Signature FOUND'), 'clamd flagged the file');
  });

  test('an empty file, a missing required file and one file too many each get their message', async () => {
    await refused({ name: 'nachweis', filename: 'leer.pdf', type: 'application/pdf', content: Buffer.alloc(0) }, /Die Datei „leer\.pdf“ ist leer\./);
    const b = await toUploadStep();
    const missing = await b.submitMultipart({}, []);
    assert.equal(missing.status, 400);
    assert.match(extractErrors(missing.html), /Laden Sie Nachweis hoch\./);
    const before = await rows();
    const three = await b.submitMultipart({}, [
      { name: 'nachweis', filename: 'n.pdf', content: pdf() },
      ...[1, 2, 3].map((i) => ({ name: 'fotos', filename: `foto${i}.png`, type: 'image/png', content: PNG })),
    ]);
    assert.equal(three.status, 400);
    assert.match(extractErrors(three.html), /Bei „Fotos“ können Sie höchstens 2 Dateien hochladen\./);
    const after = await rows();
    assert.equal(after.attachments, before.attachments + 1, 'the valid PDF stays with the draft for the next try; none of the three photos is stored');
    assert.match(three.html, /name="nachweis\.keep" value="[0-9a-f-]{36}"/, 'the PDF is kept without uploading it again');
  });

  test('a multipart post without the right CSRF token is refused before any file is read', async () => {
    const b = await toUploadStep();
    const before = await rows();
    const forged = b.lastHtml.replace(/name="_csrf" value="[^"]*"/, 'name="_csrf" value="forged"');
    b.lastHtml = forged;
    const res = await b.submitMultipart({}, [{ name: 'nachweis', filename: 'n.pdf', content: pdf() }]);
    assert.equal(res.status, 403);
    assert.deepEqual(await rows(), before);
  });

  test('upload a PDF, replace it, see it on the check page, submit; the authority pulls and decrypts it with a matching hash', async () => {
    const b = await toUploadStep();
    const first = pdf(10_000);
    const second = pdf(30_000, 'second version');
    const photo = PNG;
    const uploaded = await b.submitMultipart({}, [{ name: 'nachweis', filename: 'C:\\Users\\erika\\Nachweis alt.pdf', type: 'application/pdf', content: first }]);
    assert.equal(uploaded.status, 303, extractErrors(uploaded.html));
    assert.equal(uploaded.location, `/${SERVICE}/pruefen`);
    let check = await b.get(uploaded.location as string);
    assert.match(check.html, /Nachweis alt\.pdf \(10 KB\)/, 'the check page shows the file (path removed) with its size');
    assert.match(check.html, new RegExp(`href="/${SERVICE}/nachweise\\?zurueck&#x3D;pruefen"`), 'with a change link to its step');

    // Change: the step lists the stored file; a new file replaces it, and a photo is added.
    await b.get(`/${SERVICE}/nachweise?zurueck=pruefen`);
    const keep = /name="nachweis\.keep" value="([0-9a-f-]{36})"/.exec(b.lastHtml)?.[1];
    assert.ok(keep, 'the step lists the stored file');
    const replaced = await b.submitMultipart({ 'nachweis.keep': keep }, [{ name: 'nachweis', filename: 'Nachweis.pdf', content: second }, { name: 'fotos', filename: 'hund.png', type: 'image/png', content: photo }]);
    assert.equal(replaced.status, 303, extractErrors(replaced.html));
    check = await b.get(replaced.location as string);
    assert.match(check.html, /Nachweis\.pdf \(29 KB\)/);
    assert.match(check.html, /hund\.png \(3 KB\)/);
    assert.doesNotMatch(check.html, /Nachweis alt\.pdf/);
    const oldGone = await stack.rt.db.query('SELECT id FROM attachments WHERE id = $1', [keep]);
    assert.equal(oldGone.rowCount, 0, 'the replaced file is deleted at once');
    const drafted = await stack.rt.db.query<{ data: Uint8Array }>(`SELECT c.data FROM attachment_chunks c JOIN attachments a ON a.id = c.attachment_id WHERE a.filename = 'Nachweis.pdf'`);
    assert.ok(drafted.rows.length > 0 && !Buffer.from(drafted.rows[0]?.data as Uint8Array).includes('second version'), 'the draft copy is encrypted at rest');

    // Submit: sealed for Bonn and bound to the submission in the same transaction.
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const submissionId = (done.location as string).split('/').pop() as string;
    const sealed = await stack.rt.db.query<{ state: string; draft_id: string | null }>('SELECT state, draft_id FROM attachments WHERE submission_id = $1', [submissionId]);
    assert.deepEqual(sealed.rows.map((r) => [r.state, r.draft_id]), [['sealed', null], ['sealed', null]]);

    const bonn = stack.pullCredentials.find((c) => c.authorityId === 'bundesstadt-bonn');
    assert.ok(bonn);
    const bonnToken = await token(bonn.clientId, bonn.clientSecret);
    const auth = { authorization: `Bearer ${bonnToken}` };
    const submission = (await (await fetch(`${stack.url}${API}/submissions/${submissionId}`, { headers: auth })).json()) as { encryptedData: string; attachments: Array<{ attachmentId: string }> };
    const payload = JSON.parse(Buffer.from((await decryptWith(bonnKeys.decryptionKey, submission.encryptedData)).plaintext).toString('utf8')) as { data: { nachweis: { id: string; sha512: string } }; attachments: Array<{ id: string; pointer: string; filename: string; mediaType: string; size: number; sha512: string }> };
    assert.deepEqual(payload.attachments.map((a) => [a.pointer, a.filename, a.mediaType, a.size, a.sha512]).sort(), [
      ['/fotos/0', 'hund.png', 'image/png', photo.length, sha512(photo)],
      ['/nachweis', 'Nachweis.pdf', 'application/pdf', second.length, sha512(second)],
    ], 'the payload lists every file with pointer and hash, so the payload hash covers them');
    assert.equal(payload.data.nachweis.sha512, sha512(second));

    const listRes = await fetch(`${stack.url}${API}/submissions/${submissionId}/attachments`, { headers: auth });
    assert.equal(listRes.status, 200);
    const list = (await listRes.json()) as { attachments: Array<{ attachmentId: string; filename: string; hash: { content: string }; encryptedLength: number; href: string }> };
    assert.equal(list.attachments.length, 2);
    assert.deepEqual(submission.attachments.map((a) => a.attachmentId).sort(), list.attachments.map((a) => a.attachmentId).sort());
    for (const item of list.attachments) {
      const res = await fetch(`${stack.url}${item.href}`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/jose');
      const jwe = await res.text();
      assert.equal(Number(res.headers.get('content-length')), jwe.length);
      assert.equal(jwe.length, item.encryptedLength, 'jweLength is exact');
      const { plaintext } = await decryptWith(bonnKeys.decryptionKey, jwe);
      assert.equal(sha512(Buffer.from(plaintext)), item.hash.content, `${item.filename}: the decrypted content matches its hash`);
    }

    // Scoped to the authority: another pull client's view of it is "not found", an unknown file too.
    const secret = newSecret();
    stack.rt.apiClients.set('kiel-pull', { id: 'kiel-pull', scopes: ['submissions:pull'], authority: 'gewerbeamt-kiel', secretSha256: hashSecret(secret) });
    const kiel = await token('kiel-pull', secret);
    assert.equal((await fetch(`${stack.url}${list.attachments[0]?.href}`, { headers: { authorization: `Bearer ${kiel}` } })).status, 404);
    assert.equal((await fetch(`${stack.url}${API}/submissions/${submissionId}/attachments`, { headers: { authorization: `Bearer ${kiel}` } })).status, 404);
    assert.equal((await fetch(`${stack.url}${API}/submissions/${submissionId}/attachments/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { headers: auth })).status, 404);
  });

  test('a submission for a push authority carries its files: the receiver decrypts them and verifies each hash', async () => {
    const b = await toUploadStep('Kiel');
    const file = pdf(25_000, 'push');
    assert.equal((await b.submitMultipart({}, [{ name: 'nachweis', filename: 'Nachweis.pdf', content: file }, { name: 'fotos', filename: 'a.png', content: PNG }])).status, 303);
    await b.get(`/${SERVICE}/pruefen`);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    await stack.rt.delivery?.drain();
    const received = stack.inbox.get((done.location as string).split('/').pop() as string);
    assert.ok(received, 'the local receiver got the submission');
    assert.equal(received.authorityId, 'gewerbeamt-kiel');
    assert.deepEqual(received.attachments.map((a) => [a.filename, a.sha512, Buffer.compare(a.bytes, a.filename === 'a.png' ? PNG : file)]).sort(), [
      ['Nachweis.pdf', sha512(file), 0],
      ['a.png', sha512(PNG), 0],
    ]);
  });

  test('production refuses to start with a file field and no scanner, unless scanning is switched off on purpose', () => {
    const production = { NODE_ENV: 'production', EFA_SECRET: 'x'.repeat(32), EFA_SIGNING_KEY: '{}' };
    assert.throws(() => checkScanner(loadConfig(production), stack.rt.forms), /file fields but no virus scanner.*EFA_CLAMAV.*EFA_UPLOAD_SCAN=off/);
    assert.doesNotThrow(() => checkScanner(loadConfig({ ...production, EFA_UPLOAD_SCAN: 'off' }), stack.rt.forms));
    assert.doesNotThrow(() => checkScanner(loadConfig({ ...production, EFA_CLAMAV: '127.0.0.1:3310' }), stack.rt.forms));
    assert.doesNotThrow(() => checkScanner(loadConfig({}), stack.rt.forms), 'development runs without a scanner');
  });

  test('the draft purge removes an expired draft\'s files', async () => {
    const b = await toUploadStep();
    const res = await b.submitMultipart({}, [{ name: 'nachweis', filename: 'n.pdf', content: pdf() }]);
    assert.equal(res.status, 303);
    const { rows: drafted } = await stack.rt.db.query<{ id: string; draft_id: string }>('SELECT id, draft_id FROM attachments WHERE draft_id IS NOT NULL');
    assert.ok(drafted.length > 0);
    const draftId = drafted[0]?.draft_id as string;
    await stack.rt.db.query(`UPDATE drafts SET expires_at = now() - interval '1 second' WHERE id = $1`, [draftId]);
    assert.ok((await stack.rt.drafts.purgeExpired()) >= 1);
    const left = await stack.rt.db.query('SELECT a.id FROM attachments a WHERE a.draft_id = $1', [draftId]);
    assert.equal(left.rowCount, 0);
    const chunks = await stack.rt.db.query('SELECT 1 FROM attachment_chunks WHERE attachment_id = ANY($1::uuid[])', [drafted.filter((d) => d.draft_id === draftId).map((d) => d.id)]);
    assert.equal(chunks.rowCount, 0, 'and their chunks');
  });

  test('a submit that fails and cannot remove its sealed files says so: EFA_UNSEAL_FAILED, the error page, a log line without the answers', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
    const app = await buildApp(stack.rt, { logger: { level: 'info', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const attachments = stack.rt.attachments;
    const { bind, unseal } = attachments;
    try {
      const b = await toUploadStep('Erika Mustermann', `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
      assert.equal((await b.submitMultipart({}, [{ name: 'nachweis', filename: 'Befund Gabler.pdf', content: pdf(12_000) }])).status, 303);
      await b.get(`/${SERVICE}/pruefen`);
      // The database fails inside the submit transaction and again while the sealed copies are removed.
      attachments.bind = () => Promise.reject(new Error('connection terminated unexpectedly'));
      attachments.unseal = () => Promise.reject(new Error('connection terminated unexpectedly'));
      const failed = await b.submit({}, '/absenden');
      assert.equal(failed.status, 500);
      assert.match(failed.html, /Es ist ein Fehler aufgetreten/, 'the Land\'s error page');
      const logged = lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { msg?: string; err?: { code?: string; message?: string } });
      const entry = logged.find((l) => l.msg === 'request failed');
      assert.equal(entry?.err?.code, 'EFA_UNSEAL_FAILED');
      assert.match(String(entry?.err?.message), /sealed copies of 1 file\(s\) could not be removed/);
      assert.doesNotMatch(lines.join(''), /Mustermann|Gabler/, 'no answer and no file name in the log');

      // Nothing was submitted: once the database is back, the same draft submits.
      attachments.bind = bind;
      attachments.unseal = unseal;
      await b.get(`/${SERVICE}/pruefen`);
      assert.equal((await b.submit({}, '/absenden')).status, 303);
    } finally {
      attachments.bind = bind;
      attachments.unseal = unseal;
      await app.close();
    }
  });
});

describe('file references inside repeatable groups', () => {
  test('a file inside a group row is found with its row pointer, and its limits come from the schema there', () => {
    const ref = { id: '0b8f6f6e-1c4f-4a53-9a43-3c1f6f1f0a01', filename: 'w.pdf', mediaType: 'application/pdf', size: 3, sha512: 'a'.repeat(128) };
    const data = { hunde: [{ name: 'Rex' }, { name: 'Bello', nachweis: ref }], belege: [ref, ref] };
    assert.deepEqual(fileRefsIn(data).map((r) => r.pointer), ['/hunde/1/nachweis', '/belege/0', '/belege/1']);
    const schema = {
      type: 'object',
      properties: { hunde: { type: 'array', items: { type: 'object', properties: { nachweis: { $ref: '#/$defs/pdf' } } } } },
      $defs: { pdf: fileRef(['application/pdf'], 1000) },
    };
    const rules = fileRulesOf(schemaThroughArrays(schema, '/hunde/7/nachweis') ?? {});
    assert.deepEqual(rules, { multiple: false, maxFiles: 1, mediaTypes: ['application/pdf'], maxBytes: 1000 });
    assert.match(String(fileRulesOf({ type: 'object', properties: {} })), /needs the properties id, filename, mediaType, size, sha512/);
  });
});
