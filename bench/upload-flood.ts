/**
 * A script that opens many drafts and uploads a file to each, as an attacker filling the disk would,
 * against the whole runtime (real HTTP, PostgreSQL): it shows that the upload quotas stop it and
 * that the bytes stored for drafts stay within EFA_DRAFT_STORE_MAX_BYTES.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:upload-flood
 *   npm run bench:upload-flood -- --n 1000 --file 20000 --store-max 2097152 --client-max-files 0 --concurrency 8
 *
 * Flags: --n drafts (1000), --file bytes per upload (20000), --store-max EFA_DRAFT_STORE_MAX_BYTES
 * (2 MiB), --client-max-files EFA_UPLOAD_CLIENT_MAX_FILES (200, the default; 0 switches it off to
 * show the store quota alone), --concurrency drafts at once (8). Every draft comes from one address.
 * Prints how many uploads were stored, refused with 413 (no room) and 429 (client allowance), and
 * the stored bytes against the limit; exits 1 if the bound did not hold or nothing was refused.
 */
import { parseArgs } from 'node:util';
import { Browser } from '../test/support/browser.js';
import { startStack } from '../test/support/runtime.js';
import { paddedPdf, uploadServiceRoot, UPLOAD_SERVICE } from '../test/support/upload-quota-service.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    file: { type: 'string', default: '20000' },
    'store-max': { type: 'string', default: String(2 * 1024 * 1024) },
    'client-max-files': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
  },
});
const n = Number(values.n);
const fileBytes = Number(values.file);
const storeMax = Number(values['store-max']);
const concurrency = Number(values.concurrency);

const project = uploadServiceRoot(64 * 1024);
const stack = await startStack({
  database: 'postgres',
  env: { EFA_ROOT: project.root, EFA_DRAFT_STORE_MAX_BYTES: String(storeMax), EFA_UPLOAD_CLIENT_MAX_FILES: String(values['client-max-files']) },
});
const counts = new Map<number, number>();
const file = paddedPdf(fileBytes);
let next = 0;

async function oneDraft(i: number): Promise<void> {
  const b = new Browser(stack.url, 'nw.localhost');
  await b.get(`/${UPLOAD_SERVICE}`);
  await b.get((await b.submit({}, '/start')).location as string);
  const res = await b.submitMultipart({ name: `Flut ${i}` }, [{ name: 'nachweis', filename: 'flut.pdf', type: 'application/pdf', content: file }]);
  counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
}

const started = Date.now();
try {
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await oneDraft(next++);
  }));
  const { rows } = await stack.rt.db.query<{ bytes: string; files: string; drafts: string; chunk_bytes: string }>(
    `SELECT coalesce(sum(size), 0)::text AS bytes, count(*)::text AS files, count(DISTINCT draft_id)::text AS drafts,
            (SELECT coalesce(sum(octet_length(data)), 0) FROM attachment_chunks)::text AS chunk_bytes
       FROM attachments WHERE draft_id IS NOT NULL`,
  );
  const r = rows[0] as { bytes: string; files: string; drafts: string; chunk_bytes: string };
  const stored = Number(r.bytes);
  console.log(`${n} drafts, one ${fileBytes}-byte upload each, ${concurrency} at once, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`answers: ${[...counts].sort().map(([status, count]) => `${status}: ${count}`).join(', ')}  (303 stored, 413 no room, 429 client allowance)`);
  console.log(`stored for drafts: ${r.files} files in ${r.drafts} drafts, ${stored} bytes (${r.chunk_bytes} bytes of chunks) of EFA_DRAFT_STORE_MAX_BYTES=${storeMax}`);
  const refused = (counts.get(413) ?? 0) + (counts.get(429) ?? 0);
  if (stored > storeMax || refused === 0) {
    console.error(stored > storeMax ? 'FAIL: the stored bytes exceed the limit' : 'FAIL: no upload was refused');
    process.exitCode = 1;
  }
} finally {
  await stack.close();
  project.remove();
}
