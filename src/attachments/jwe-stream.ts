import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { CONTENT_ENC, KEY_ALG, keyId } from '../crypto/jwe.js';

/**
 * A JWE compact serialisation (RFC 7516; RSA-OAEP-256 + A256GCM) written as a stream, because jose
 * encrypts whole buffers only and an upload may be hundreds of megabytes. The result is a standard
 * compact JWE that any JOSE library (jose's compactDecrypt included) opens:
 *   BASE64URL(header) . BASE64URL(RSA-OAEP-256(CEK)) . BASE64URL(IV) . BASE64URL(ciphertext) . BASE64URL(tag)
 * with ASCII(BASE64URL(header)) as the GCM associated data. The ciphertext is base64url-encoded in
 * pieces whose byte length is a multiple of 3, so the pieces concatenate to one valid encoding.
 */
export async function* encryptStream(publicJwk: JWK, source: AsyncIterable<Buffer>, opts: { contentType?: string } = {}): AsyncGenerator<Buffer> {
  const header = { alg: KEY_ALG, enc: CONTENT_ENC, kid: await keyId(publicJwk), ...(opts.contentType ? { cty: opts.contentType } : {}) };
  const protectedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const rsa = createPublicKey({ key: publicJwk as never, format: 'jwk' });
  const encryptedKey = publicEncrypt({ key: rsa, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  cek.fill(0);
  yield Buffer.from(`${protectedHeader}.${encryptedKey.toString('base64url')}.${iv.toString('base64url')}.`, 'ascii');
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, cipher.update(chunk)]) : cipher.update(chunk);
    const whole = bytes.length - (bytes.length % 3);
    carry = Buffer.from(bytes.subarray(whole));
    if (whole > 0) yield Buffer.from(bytes.subarray(0, whole).toString('base64url'), 'ascii');
  }
  const rest = Buffer.concat([carry, cipher.final()]);
  yield Buffer.from(`${rest.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`, 'ascii');
}

