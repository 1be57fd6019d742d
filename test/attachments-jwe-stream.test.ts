import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { compactDecrypt, importJWK } from 'jose';
import { encryptStream } from '../src/attachments/jwe-stream.js';
import { generateEncryptionKeyPair } from '../src/crypto/keys.js';

/** Deterministic-looking bytes produced on the fly: the source never exists whole in memory. */
async function* source(total: number, chunk: number, reads: { n: number }): AsyncGenerator<Buffer> {
  const block = randomBytes(chunk);
  for (let sent = 0; sent < total; sent += chunk) {
    reads.n++;
    yield block.subarray(0, Math.min(chunk, total - sent));
  }
}

describe('streaming JWE writer (RSA-OAEP-256 + A256GCM, compact)', () => {
  test('jose\'s compactDecrypt opens what it writes, for sizes around the base64 boundaries', async () => {
    const { publicJwk, privateJwk } = await generateEncryptionKeyPair(2048);
    const key = await importJWK({ ...privateJwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
    for (const size of [0, 1, 2, 3, 4, 5, 65_537, 300_001]) {
      const plain = randomBytes(size);
      // Uneven pieces: the writer must carry the bytes that do not fill a group of 3.
      const pieces = [plain.subarray(0, Math.floor(size / 3)), plain.subarray(Math.floor(size / 3), Math.floor(size / 3) + 7), plain.subarray(Math.floor(size / 3) + 7)];
      const out: Buffer[] = [];
      for await (const b of encryptStream(publicJwk, (async function* () { yield* pieces; })(), { contentType: 'application/pdf' })) out.push(b);
      const jwe = Buffer.concat(out).toString('ascii');
      assert.equal(jwe.split('.').length, 5);
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, key);
      assert.equal(Buffer.compare(Buffer.from(plaintext), plain), 0, `round trip of ${size} bytes`);
      assert.deepEqual({ alg: protectedHeader.alg, enc: protectedHeader.enc, kid: protectedHeader.kid, cty: protectedHeader.cty }, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: publicJwk.kid, cty: 'application/pdf' });
    }
  });

  test('a 20 MB file streams through with bounded memory, and every piece between header and tag is whole base64url', async () => {
    const { publicJwk } = await generateEncryptionKeyPair(2048);
    const total = 20 * 1024 * 1024;
    const reads = { n: 0 };
    global.gc?.();
    const before = process.memoryUsage();
    let peak = 0;
    let length = 0;
    let pieces = 0;
    const hash = createHash('sha256');
    for await (const b of encryptStream(publicJwk, source(total, 64 * 1024, reads))) {
      length += b.length;
      pieces++;
      hash.update(b);
      // Every ciphertext piece between the first (header, key, iv) and the last (rest, tag) encodes a multiple of 3 bytes.
      if (pieces > 1 && b.length % 4 !== 0 && !b.includes(0x2e)) assert.fail(`piece ${pieces} of ${b.length} chars is not whole base64url`);
      if (pieces % 16 === 0) {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.arrayBuffers - before.arrayBuffers);
      }
    }
    assert.equal(reads.n, total / (64 * 1024), 'the source was read chunk by chunk');
    assert.ok(pieces > 300, 'the output came out piece by piece, not at the end');
    // The ciphertext's base64url is 4/3 of the plaintext; the header segments and tag add a little.
    assert.ok(length > (total * 4) / 3 && length < (total * 4) / 3 + 2048);
    // Loose: a writer that buffered the file would hold 20 MB or more; a streaming one a few chunks.
    assert.ok(peak < 12 * 1024 * 1024, `arrayBuffers grew by ${Math.round(peak / 1024)} KB while streaming 20 MB`);
  });
});
