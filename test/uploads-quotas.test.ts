import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { RedisClientWindow } from '../src/attachments/quotas.js';
import { loadConfig } from '../src/config/env.js';
import { Browser, type UploadFile } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { startFakeClamd, type FakeClamd } from './support/clamd.js';
import { deleteRedisKeys } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';
import { paddedPdf, paddedPng, uploadServiceRoot, UPLOAD_SERVICE } from './support/upload-quota-service.js';

const HOST = 'nw.localhost';
const STORE_MAX = 300_000;
const DRAFT_MAX = 90_000;

interface Stored {
  attachments: number;
  chunks: number;
  chunkBytes: number;
  draftBytes: number;
}

async function stored(stack: TestStack): Promise<Stored> {
  const { rows } = await stack.rt.db.query<{ a: string; c: string; cb: string; db: string }>(
    `SELECT (SELECT count(*) FROM attachments)::text AS a, (SELECT count(*) FROM attachment_chunks)::text AS c,
            (SELECT coalesce(sum(octet_length(data)), 0) FROM attachment_chunks)::text AS cb,
            (SELECT coalesce(sum(size), 0) FROM attachments WHERE draft_id IS NOT NULL)::text AS db`,
  );
  const r = rows[0] as { a: string; c: string; cb: string; db: string };
  return { attachments: Number(r.a), chunks: Number(r.c), chunkBytes: Number(r.cb), draftBytes: Number(r.db) };
}

/** A new draft, on its first step (name and PDF, multipart). */
async function openDraft(stack: TestStack): Promise<Browser> {
  const b = new Browser(stack.url, HOST);
  await b.get(`/${UPLOAD_SERVICE}`);
  await b.get((await b.submit({}, '/start')).location as string);
  assert.match(b.lastHtml, /enctype="multipart\/form-data"/);
  return b;
}

const pdfFile = (size: number, filename = 'nachweis.pdf'): UploadFile => ({ name: 'nachweis', filename, type: 'application/pdf', content: paddedPdf(size) });

/** A raw POST with the browser's cookies (node:http: any body, any Content-Type). */
function rawPost(url: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('upload quotas: per draft, all drafts together, per field while streaming; text limit; malformed bodies; empty drafts', () => {
  let stack: TestStack;
  let clamd: FakeClamd;
  let project: { root: string; remove(): void };

  before(async () => {
    project = uploadServiceRoot(64 * 1024);
    clamd = await startFakeClamd();
    stack = await startStack({
      database: 'postgres',
      env: { EFA_ROOT: project.root, EFA_CLAMAV: `127.0.0.1:${clamd.port}`, EFA_DRAFT_STORE_MAX_BYTES: String(STORE_MAX), EFA_DRAFT_MAX_BYTES: String(DRAFT_MAX) },
    });
  });
  after(async () => {
    await stack.close();
    await clamd.close();
    project.remove();
  });

  test('a draft without a saved answer expires within hours; once an answer is saved, after EFA_DRAFT_TTL_DAYS', async () => {
    const b = await openDraft(stack);
    const hoursLeft = async () => {
      const { rows } = await stack.rt.db.query<{ h: number }>(`SELECT extract(epoch FROM expires_at - now()) / 3600 AS h FROM drafts ORDER BY created_at DESC LIMIT 1`);
      return Number(rows[0]?.h);
    };
    const empty = await hoursLeft();
    assert.ok(empty > 1.9 && empty <= 2, `an opened, unanswered draft lives 2 h by default (${empty.toFixed(2)} h)`);
    const res = await b.submitMultipart({ name: 'Erika' }, [pdfFile(5_000)]);
    assert.equal(res.status, 303, extractErrors(res.html));
    const saved = await hoursLeft();
    assert.ok(saved > 29 * 24 && saved <= 30 * 24, `a draft with an answer lives 30 days (${(saved / 24).toFixed(1)} days)`);
    assert.equal(loadConfig({ EFA_DRAFT_EMPTY_TTL_HOURS: '6' }).draftEmptyTtlHours, 6);
    await stack.rt.db.query('DELETE FROM drafts');
  });

  test('one file too many for a field is refused while it streams: never scanned, never stored', async () => {
    const b = await openDraft(stack);
    assert.equal((await b.submitMultipart({ name: 'Erika' }, [pdfFile(5_000)])).status, 303);
    await b.get(`/${UPLOAD_SERVICE}/fotos`);
    const before = await stored(stack);
    const scansBefore = clamd.scans.length;
    const res = await b.submitMultipart({}, [1, 2, 3].map((i) => ({ name: 'fotos', filename: `foto${i}.png`, type: 'image/png', content: paddedPng(3_000) })));
    assert.equal(res.status, 400);
    assert.match(extractErrors(res.html), /Bei „Fotos“ können Sie höchstens 2 Dateien hochladen\./);
    assert.equal(clamd.scans.length - scansBefore, 2, 'the third photo never reached the scanner');
    assert.deepEqual(await stored(stack), before, 'and none of the three stays');
    await stack.rt.db.query('DELETE FROM drafts');
  });

  test('a draft over its limit (EFA_DRAFT_MAX_BYTES here) refuses the file with 413 naming the field; nothing of it is stored', async () => {
    const b = await openDraft(stack);
    assert.equal((await b.submitMultipart({ name: 'Erika' }, [pdfFile(20_000)])).status, 303);
    await b.get(`/${UPLOAD_SERVICE}/fotos`);
    const before = await stored(stack);
    const res = await b.submitMultipart({}, [1, 2].map((i) => ({ name: 'fotos', filename: `foto${i}.png`, type: 'image/png', content: paddedPng(40_000) })));
    assert.equal(res.status, 413);
    assert.match(extractErrors(res.html), /„Fotos“: Die Datei „foto2\.png“ wurde nicht gespeichert\. Zu diesem Antrag können Sie höchstens 3 Dateien mit zusammen 88 KB hochladen\./);
    assert.match(res.html, /<html[^>]+lang="de"/, 'the step page, in the Land\'s layout');
    const after = await stored(stack);
    assert.equal(after.attachments, before.attachments + 1, 'the first photo is kept for the next try, the second was never stored');
    assert.ok(after.draftBytes <= DRAFT_MAX, `the draft holds ${after.draftBytes} bytes, at most ${DRAFT_MAX}`);
    const pending = await stack.rt.db.query(`SELECT 1 FROM attachments WHERE state = 'pending'`);
    assert.equal(pending.rowCount, 0, 'no half-written upload');
    // In English too.
    await b.get(`/${UPLOAD_SERVICE}/fotos?lang=en`);
    const en = await b.submitMultipart({}, [{ name: 'fotos', filename: 'big.png', type: 'image/png', content: paddedPng(60_000) }]);
    assert.equal(en.status, 413);
    assert.match(extractErrors(en.html), /“Fotos”: the file “big\.png” was not stored\. You can upload at most 3 files of 88 KB together for this application\./);
    await stack.rt.db.query('DELETE FROM drafts');
  });

  test('many drafts each uploading a file are stopped by the store quota; stored bytes stay within it; the refused request stores no byte', async () => {
    const results: number[] = [];
    let refusedPage = '';
    for (let i = 0; i < 40; i++) {
      const b = await openDraft(stack);
      const before = await stored(stack);
      const res = await b.submitMultipart({ name: `Antrag ${i}` }, [pdfFile(20_000)]);
      results.push(res.status);
      if (res.status !== 303) {
        assert.equal(res.status, 413, extractErrors(res.html));
        assert.deepEqual(await stored(stack), before, `draft ${i}: the refused request stored no byte`);
        refusedPage = res.html;
      }
    }
    const accepted = results.filter((s) => s === 303).length;
    assert.ok(accepted >= 10 && accepted < 40, `some were stored, then the quota stopped them (${accepted} of 40)`);
    assert.ok(results.slice(accepted).every((s) => s === 413), 'every later one is refused');
    assert.match(extractErrors(refusedPage), /„Nachweis“: Die Datei „nachweis\.pdf“ kann gerade nicht gespeichert werden, weil der Speicher für Anträge in Bearbeitung voll ist\./);
    const end = await stored(stack);
    assert.ok(end.draftBytes <= STORE_MAX, `drafts hold ${end.draftBytes} bytes, at most ${STORE_MAX}`);
    assert.ok(end.chunkBytes <= STORE_MAX + end.chunks * 28, `the chunks (${end.chunkBytes} bytes with their IV and tag) stay within it too`);
    await stack.rt.db.query('DELETE FROM drafts');
  });

  test('text fields over 64 KiB together in a multipart post get 413 with the step; the file in the same post is not stored', async () => {
    const b = await openDraft(stack);
    const before = await stored(stack);
    const res = await b.submitMultipart({ name: 'Erika', notiz1: 'a'.repeat(40_000), notiz2: 'b'.repeat(40_000) }, [pdfFile(5_000)]);
    assert.equal(res.status, 413);
    assert.match(extractErrors(res.html), /Ihre Angaben auf dieser Seite sind zusammen länger als 64 KB\./);
    assert.deepEqual(await stored(stack), before);
    // Just under the limit is fine.
    const ok = await b.submitMultipart({ name: 'Erika', notiz1: 'a'.repeat(30_000), notiz2: 'b'.repeat(30_000) }, [pdfFile(5_000)]);
    assert.equal(ok.status, 303, extractErrors(ok.html));
    await stack.rt.db.query('DELETE FROM drafts');
  });

  test('a step post that says multipart but is not gets a 400 page in the Land\'s look, not a 500', async () => {
    const b = await openDraft(stack);
    const cookie = ['efa_csrf', `efa_draft_${UPLOAD_SERVICE}`].map((n) => `${n}=${b.cookie(n) ?? ''}`).join('; ');
    for (const body of ['this is not multipart', '--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\nabc', '--x\r\nGarbage\r\n\r\n']) {
      const res = await rawPost(stack.url, `/${UPLOAD_SERVICE}/angaben`, { host: HOST, cookie, 'content-type': 'multipart/form-data; boundary=x' }, Buffer.from(body));
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.body.slice(0, 200)}`);
      assert.match(res.body, /<html[^>]+lang="de"/);
      assert.match(res.body, /Das Formular kam unvollständig an/);
    }
    await stack.rt.db.query('DELETE FROM drafts');
  });
});

describe('upload allowance per client address', () => {
  let stack: TestStack;
  let project: { root: string; remove(): void };

  before(async () => {
    project = uploadServiceRoot(64 * 1024);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: project.root, EFA_UPLOAD_CLIENT_MAX_FILES: '3', EFA_UPLOAD_CLIENT_WINDOW_MS: '3600000' } });
  });
  after(async () => {
    await stack.close();
    project.remove();
  });

  test('past its files per window, a client gets 429 with the field named; nothing of it is stored', async () => {
    for (let i = 0; i < 3; i++) {
      const b = await openDraft(stack);
      assert.equal((await b.submitMultipart({ name: `Antrag ${i}` }, [pdfFile(2_000)])).status, 303);
    }
    const b = await openDraft(stack);
    const before = await stored(stack);
    const res = await b.submitMultipart({ name: 'Antrag 4' }, [pdfFile(2_000)]);
    assert.equal(res.status, 429);
    assert.match(extractErrors(res.html), /„Nachweis“: Die Datei „nachweis\.pdf“ wurde nicht gespeichert\. Von Ihrem Anschluss wurden in kurzer Zeit zu viele Dateien hochgeladen\. Versuchen Sie es in \d+ Minuten erneut\./);
    assert.deepEqual(await stored(stack), before);
  });

  test('with Redis, two API replicas count one client together', async () => {
    const url = process.env.REDIS_URL;
    assert.ok(url, 'REDIS_URL is set for the tests');
    const prefix = `efa-test-quota-${randomBytes(4).toString('hex')}`;
    const log = { warn: () => undefined };
    const limits = { maxBytes: 10_000, maxFiles: 100, windowMs: 3_600_000 };
    const a = new RedisClientWindow(url, prefix, limits, 2_000, log);
    const b = new RedisClientWindow(url, prefix, limits, 2_000, log);
    try {
      assert.equal(await a.take('203.0.113.7', 6_000, 1), true);
      assert.equal(await b.take('203.0.113.7', 6_000, 1), false, 'the second replica sees what the first counted');
      assert.equal(await b.take('203.0.113.8', 6_000, 1), true, 'another address has its own allowance');
      await a.give('203.0.113.7', 5_000);
      assert.equal(await b.take('203.0.113.7', 6_000, 1), true, 'what an upload did not use is given back');
    } finally {
      await a.close();
      await b.close();
      await deleteRedisKeys(url, prefix);
    }
  });
});
