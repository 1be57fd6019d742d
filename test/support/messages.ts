import { randomUUID } from 'node:crypto';
import { encryptFor, sha512Hex } from '../../src/crypto/jwe.js';
import type { OutboundMessage } from '../../src/routing/types.js';
import type { TestAuthority } from './authorities.js';

/** An outbound message as the submit step builds it: payload encrypted for `authority`. */
export async function messageFor(authority: TestAuthority, document = JSON.stringify({ betrieb: { name: 'Bäckerei Muster' } }), mediaType: 'application/json' | 'application/xml' = 'application/json'): Promise<OutboundMessage> {
  return {
    messageId: randomUUID(),
    reference: 'SH-2026-TEST-0001',
    submittedAt: new Date().toISOString(),
    tenant: 'sh',
    service: { id: 'gewerbeanmeldung', version: '1.0.0', leikaKey: '99050012104000', title: 'Gewerbeanmeldung' },
    authority: { id: authority.id, name: authority.name },
    region: '010020000000',
    payload: { jwe: await encryptFor(authority.encryption.publicJwk, document, mediaType), mediaType, sha512: sha512Hex(document), schemaUri: 'https://efa-runtime.example/schemas/gewerbeanmeldung/1.0.0.json' },
    attachments: [],
  };
}
