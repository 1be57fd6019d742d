import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { CONTENT_ENC, KEY_ALG, encryptFor, keyId, sha512Hex } from '../../src/crypto/jwe.js';
import type { OutboundAttachment, OutboundMessage } from '../../src/transports/types.js';
import type { TestAuthority } from './authorities.js';

/** An outbound message as the submit step builds it: payload encrypted for `authority`. */
export async function messageFor(authority: TestAuthority, document = JSON.stringify({ betrieb: { name: 'Bäckerei Muster' } }), mediaType: 'application/json' | 'application/xml' = 'application/json', attachments: OutboundAttachment[] = []): Promise<OutboundMessage> {
  return {
    messageId: randomUUID(),
    reference: 'SH-2026-TEST-0001',
    submittedAt: new Date().toISOString(),
    tenant: 'sh',
    service: { id: 'gewerbeanmeldung', version: '1.0.0', leikaKey: '99050012104000', title: 'Gewerbeanmeldung' },
    authority: { id: authority.id, name: authority.name },
    region: '010020000000',
    payload: { jwe: await encryptFor(authority.encryption.publicJwk, document, mediaType), mediaType, sha512: sha512Hex(document), schemaUri: 'https://efa-runtime.example/schemas/gewerbeanmeldung/1.0.0.json' },
    attachments,
  };
}

export interface TestFile {
  filename: string;
  mediaType: string;
  bytes: Buffer;
  pointer?: string;
}

/**
 * An attachment as the store hands it to a transport: the file encrypted for `publicJwk` (JWE
 * compact, RSA-OAEP-256 + A256GCM), open() streaming it from memory. `claimedSha512` overrides the
 * stated hash, as if the file had been swapped after hashing.
 */
export async function attachmentFor(publicJwk: JWK, file: TestFile, claimedSha512?: string): Promise<OutboundAttachment> {
  const key = await importJWK({ ...publicJwk, alg: KEY_ALG }, KEY_ALG);
  const jwe = await new CompactEncrypt(file.bytes)
    .setProtectedHeader({ alg: KEY_ALG, enc: CONTENT_ENC, kid: await keyId(publicJwk), cty: file.mediaType })
    .encrypt(key);
  const buffer = Buffer.from(jwe, 'ascii');
  return {
    id: randomUUID(),
    pointer: file.pointer ?? '/nachweise/0',
    filename: file.filename,
    mediaType: file.mediaType,
    size: file.bytes.length,
    sha512: claimedSha512 ?? sha512Hex(file.bytes),
    jweLength: buffer.length,
    open: () => Readable.from(buffer),
  };
}

/** A small but real PDF (one empty page) and PNG (1×1 pixel), as an applicant would upload them. */
export const SAMPLE_PDF: TestFile = {
  filename: 'Wesenstest Bello.pdf',
  mediaType: 'application/pdf',
  pointer: '/hunde/2/nachweis',
  bytes: Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  ),
};

export const SAMPLE_PNG: TestFile = {
  filename: 'Foto äöü.png',
  mediaType: 'image/png',
  pointer: '/hunde/0/foto',
  bytes: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'),
};

/** A message with the sample PDF and PNG, both encrypted for `authority`. */
export async function messageWithAttachments(authority: TestAuthority, files: TestFile[] = [SAMPLE_PDF, SAMPLE_PNG]): Promise<OutboundMessage> {
  const attachments = await Promise.all(files.map((f) => attachmentFor(authority.encryption.publicJwk, f)));
  return messageFor(authority, undefined, undefined, attachments);
}
