import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { sleep } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';
import { paddedPdf, uploadServiceRoot, UPLOAD_SERVICE } from './support/upload-quota-service.js';

const HOST = 'nw.localhost';
const MiB = 1024 * 1024;
/** 2 Mbit/s: 25,000 bytes every 100 ms. */
const CHUNK = 25_000;
const EVERY_MS = 100;

/** The first step's multipart body as a browser sends it: CSRF token first, the name, then the PDF. */
function stepBody(b: Browser, pdfBytes: number): { body: Buffer; type: string; cookie: string } {
  const csrf = /name="_csrf" value="([^"]*)"/.exec(b.lastHtml)?.[1] ?? '';
  const boundary = '----efaSlowLink';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nErika Mustermann\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="nachweis"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    paddedPdf(pdfBytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const cookie = ['efa_csrf', `efa_draft_${UPLOAD_SERVICE}`].map((n) => `${n}=${b.cookie(n) ?? ''}`).join('; ');
  return { body, type: `multipart/form-data; boundary=${boundary}`, cookie };
}

/**
 * Posts `body` at 2 Mbit/s: each chunk goes at its own time from the start (so the rate holds however
 * long one write takes). Stops writing when the server answers; returns the answer and how long it took.
 */
function throttledPost(url: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; html: string; ms: number; sent: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const req = request(new URL(path, url), { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, html: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started, sent }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    void (async () => {
      for (let i = 0; sent < body.length && !answered; i++) {
        const wait = started + i * EVERY_MS - Date.now();
        if (wait > 0) await sleep(wait);
        const piece = body.subarray(sent, sent + CHUNK);
        sent += piece.length;
        if (!req.write(piece)) await new Promise<void>((r) => req.once('drain', r));
      }
      if (!answered) req.end();
    })().catch(reject);
  });
}

async function toFirstStep(stack: TestStack): Promise<Browser> {
  const b = new Browser(stack.url, HOST);
  await b.get(`/${UPLOAD_SERVICE}`);
  await b.get((await b.submit({}, '/start')).location as string);
  return b;
}

async function attachmentRows(stack: TestStack): Promise<number> {
  const { rows } = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM attachments');
  return Number(rows[0]?.n);
}

describe('uploads on slow links: the deadline follows the declared size and EFA_UPLOAD_MIN_RATE', () => {
  let project: { root: string; remove(): void };
  before(() => {
    project = uploadServiceRoot(20 * MiB);
  });
  after(() => project.remove());

  test('with default settings a 20 MiB upload at 2 Mbit/s (about 84 s, far past the 30 s request timeout) arrives and is stored', async () => {
    const stack = await startStack({ database: 'postgres', env: { EFA_ROOT: project.root } });
    try {
      assert.equal(stack.rt.config.ops.httpRequestTimeoutMs, 30_000, 'the default request timeout');
      const b = await toFirstStep(stack);
      const { body, type, cookie } = stepBody(b, 20 * MiB);
      const res = await throttledPost(stack.url, `/${UPLOAD_SERVICE}/angaben`, { host: HOST, cookie, 'content-type': type }, body);
      assert.ok(res.ms > 80_000, `the upload really was slow (${res.ms} ms)`);
      assert.equal(res.status, 303, extractErrors(res.html));
      const { rows } = await stack.rt.db.query<{ size: string }>(`SELECT size::text FROM attachments WHERE state = 'ready'`);
      assert.deepEqual(rows.map((r) => Number(r.size)), [20 * MiB]);
    } finally {
      await stack.close();
    }
  });

  test('with a minimum rate above the link\'s, the upload times out with a page naming the field (408), not a reset; nothing is stored', async () => {
    const stack = await startStack({ database: 'postgres', env: { EFA_ROOT: project.root, EFA_UPLOAD_MIN_RATE: '100000', EFA_HTTP_REQUEST_TIMEOUT_MS: '2000', EFA_HTTP_HEADERS_TIMEOUT_MS: '1000' } });
    try {
      const b = await toFirstStep(stack);
      const { body, type, cookie } = stepBody(b, 2 * MiB);
      const res = await throttledPost(stack.url, `/${UPLOAD_SERVICE}/angaben`, { host: HOST, cookie, 'content-type': type }, body);
      assert.equal(res.status, 408);
      assert.ok(res.sent < body.length, 'answered before the body was sent');
      assert.match(res.html, /<html[^>]+lang="de"/, 'a page in the Land\'s layout');
      assert.match(extractErrors(res.html), /„Nachweis“: Die Datei kam nicht rechtzeitig vollständig an, die Verbindung war zu langsam\. Sie wurde nicht gespeichert\./);
      assert.match(res.html, /href="#f-nachweis"/, 'the error summary links to the field');
      assert.equal(await attachmentRows(stack), 0, 'no pending row, no chunk');
      // The step still works on a fast link afterwards.
      await b.get(`/${UPLOAD_SERVICE}/angaben`);
      const ok = await b.submitMultipart({ name: 'Erika' }, [{ name: 'nachweis', filename: 'n.pdf', type: 'application/pdf', content: paddedPdf(10_000) }]);
      assert.equal(ok.status, 303, extractErrors(ok.html));
    } finally {
      await stack.close();
    }
  });
});
