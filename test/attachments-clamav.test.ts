import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { clamavScanner } from '../src/attachments/scanners/clamav.js';
import { parseClamavAddress } from '../src/config/env.js';
import { ScannerError, type Scanner } from '../src/attachments/scanner.js';
import { loadConfig } from '../src/config/env.js';
import { EICAR, startFakeClamd, type FakeClamd } from './support/clamd.js';
import { waitUntil } from './support/delivery-stack.js';

async function scan(scanner: Scanner, chunks: Buffer[]) {
  const session = scanner.begin();
  for (const c of chunks) await session.write(c);
  return session.finish();
}

describe('ClamAV adapter: clamd INSTREAM over TCP', () => {
  let clamd: FakeClamd;
  let scanner: Scanner;
  before(async () => {
    clamd = await startFakeClamd({ maxStream: 1024 * 1024 });
    scanner = clamavScanner({ host: '127.0.0.1', port: clamd.port, timeoutMs: 5_000 });
  });
  after(async () => clamd.close());

  test('a clean file streams as length-prefixed chunks and comes back OK', async () => {
    const verdict = await scan(scanner, [Buffer.alloc(1000, 1), Buffer.alloc(70_000, 2), Buffer.alloc(3, 3)]);
    assert.deepEqual(verdict, { clean: true });
    const last = clamd.scans.at(-1);
    assert.deepEqual(last?.chunks, [1000, 70_000, 3], 'each write is one chunk with its own 4-byte length');
    assert.equal(last?.reply, 'stream: OK');
  });

  test('the EICAR test string is FOUND, also when it is split across two chunks', async () => {
    const text = Buffer.from(`%PDF-1.4\n${EICAR}\n%%EOF`);
    assert.deepEqual(await scan(scanner, [text]), { clean: false, signature: 'Eicar-Test-Signature' });
    assert.deepEqual(await scan(scanner, [text.subarray(0, 30), text.subarray(30)]), { clean: false, signature: 'Eicar-Test-Signature' });
  });

  test('clamd\'s ERROR reply (stream too long for it) is no verdict: ScannerError', async () => {
    await assert.rejects(scan(scanner, [Buffer.alloc(600_000), Buffer.alloc(600_000)]), (err: unknown) => err instanceof ScannerError && /size limit exceeded/.test(err.message));
  });

  test('PING answers the health check; an unreachable clamd fails the check and the scan', async () => {
    assert.equal((await scanner.check()).ok, true);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = clamavScanner({ host: '127.0.0.1', port, timeoutMs: 2_000 });
    assert.equal((await dead.check()).ok, false);
    await assert.rejects(scan(dead, [Buffer.alloc(10)]), ScannerError);
  });

  test('EFA_CLAMAV_TIMEOUT_MS bounds the whole scan: a clamd that trickles its answer a byte at a time is cut off', async () => {
    // Each byte comes well within the limit, so only a deadline over the whole scan stops it.
    const slow = await startFakeClamd({ replyByteEveryMs: 60 });
    try {
      const limited = clamavScanner({ host: '127.0.0.1', port: slow.port, timeoutMs: 400 });
      await assert.rejects(scan(limited, [Buffer.alloc(10)]), (err: unknown) => err instanceof ScannerError && err.code === 'EFA_SCANNER_FAILED' && /within 400 ms/.test(err.message));
      const patient = clamavScanner({ host: '127.0.0.1', port: slow.port, timeoutMs: 10_000 });
      assert.deepEqual(await scan(patient, [Buffer.alloc(10)]), { clean: true }, 'the same slow answer within the limit is a verdict');
    } finally {
      await slow.close();
    }
  });

  test('a file that streams in slower than the timeout in all is still scanned: only a stall of clamd counts while it streams', async () => {
    const timeoutMs = 300;
    const limited = clamavScanner({ host: '127.0.0.1', port: clamd.port, timeoutMs });
    const first = clamd.scans.length;
    const session = limited.begin();
    // The applicant's pace: a piece, then the next once clamd has taken it in, until the stream has
    // lasted twice the timeout. Each step waits for clamd's state; a busy machine only slows it more.
    const started = Date.now();
    let sent = 0;
    for (let i = 0; Date.now() - started < 2 * timeoutMs; i++) {
      await session.write(Buffer.alloc(100, i % 256));
      sent += 100;
      await waitUntil(() => (clamd.scans[first]?.bytes ?? 0) >= sent, 10_000, `clamd has ${sent} bytes`);
    }
    assert.deepEqual(await session.finish(), { clean: true });
  });

  test('EFA_CLAMAV is host:port; production with file fields needs a scanner or an explicit off', () => {
    assert.deepEqual(parseClamavAddress('clamav:3310'), { host: 'clamav', port: 3310 });
    assert.deepEqual(parseClamavAddress('[::1]:3310'), { host: '::1', port: 3310 });
    assert.equal(parseClamavAddress('clamav'), undefined);
    assert.throws(() => loadConfig({ EFA_CLAMAV: 'nonsense' }), /EFA_CLAMAV/);
    assert.throws(() => loadConfig({ EFA_CLAMAV: 'a:1', EFA_UPLOAD_SCAN: 'off' }), /contradicts/);
    assert.deepEqual(loadConfig({ EFA_CLAMAV: '127.0.0.1:3310' }).uploads.clamav, { host: '127.0.0.1', port: 3310 });
    assert.equal(loadConfig({ EFA_UPLOAD_SCAN: 'off' }).uploads.scanDisabled, true);
  });
});
