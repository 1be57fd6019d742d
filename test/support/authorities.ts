import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { generateEncryptionKeyPair, generatePs512KeyPair, generateSigningKeyPair, importSigningKey, type KeyPairJwk } from '../../src/crypto/keys.js';
import { Inbox } from '../../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../../src/demo/receivers/types.js';
import type { DirectoryEntry, SenderIdentity } from '../../src/transports/types.js';

export interface TestAuthority {
  id: string;
  name: string;
  encryption: KeyPairJwk;
  signing: KeyPairJwk;
}

/**
 * A fresh authority with its own key pairs (2048-bit RSA unless a transport needs more); it signs
 * with Ed25519, or with a 2048-bit RSA-PSS key (PS512) as a FIT-Connect destination does.
 */
export async function makeAuthority(id: string, name = `Behörde ${id}`, modulusLength = 2048, signing: 'EdDSA' | 'PS512' = 'EdDSA'): Promise<TestAuthority> {
  return { id, name, encryption: await generateEncryptionKeyPair(modulusLength), signing: signing === 'PS512' ? await generatePs512KeyPair(2048) : await generateSigningKeyPair() };
}

export async function makeSender(): Promise<SenderIdentity> {
  const pair = await generateSigningKeyPair();
  return { id: 'efa-runtime-test', signingKey: await importSigningKey(pair.privateJwk), publicJwk: pair.publicJwk };
}

export interface RunningReceiver {
  url: string;
  inbox: Inbox;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Starts the local receiver on an ephemeral loopback port, trusting `sender`'s key. */
export async function startReceiver(authorities: TestAuthority[], sender: SenderIdentity): Promise<RunningReceiver> {
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>(authorities.map((a) => [a.id, { id: a.id, name: a.name, decryptionKey: a.encryption.privateJwk, signingKey: a.signing.privateJwk }]));
  const app = await buildReceiverServer({ authorities: map, inbox, senderKeys: async () => [sender.publicJwk] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, inbox, app, close: () => app.close() };
}

export function endpointFor(authority: TestAuthority, transport: string, address: string, extra: Partial<DirectoryEntry> = {}): DirectoryEntry {
  return {
    authorityId: authority.id,
    serviceKey: '*',
    transport,
    address,
    payloadFormat: 'json',
    encryptionKey: authority.encryption.publicJwk,
    verificationKey: authority.signing.publicJwk,
    identifiers: {},
    options: {},
    ...extra,
  };
}
