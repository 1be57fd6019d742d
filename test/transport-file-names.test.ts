import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import { transports } from '../src/transports/registry.js';
import type { DirectoryEntry, TransportContext } from '../src/transports/types.js';
import { endpointFor, makeAuthority, makeSender } from './support/authorities.js';
import { SAMPLE_PDF, messageWithAttachments } from './support/messages.js';
import { parseStrictXml } from './support/strict-xml.js';

const SECRET_ENV = 'EFA_TEST_FIT_CONNECT_NAMES_SECRET';
process.env[SECRET_ENV] = 'names-test-secret';

/** A name as an older store may hold it: a right-to-left override hiding ".exe", and a non-character. */
const STORED = 'Rechnung\u202Efdp.exe\uFFFF.pdf';
const CLEAN = 'Rechnungfdp.exe.pdf';

/** Every request body exactly as it reached the receiver, captured in between. */
async function capturingProxy(target: string): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0) bodies.push(body.toString('utf8'));
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length' && k !== 'connection')) as Record<string, string>;
      fetch(`${target}${req.url ?? ''}`, { method: req.method, headers, ...(body.length > 0 ? { body } : {}) }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      }, () => { res.writeHead(502); res.end(); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const authority = await makeAuthority('gewerbeamt-kiel', 'Gewerbeamt Kiel', 4096);
// FIT-Connect event tokens are PS512: that destination signs with an RSA key.
const fitAuthority = await makeAuthority('hansestadt-luebeck', 'Hansestadt Lübeck', 4096, 'PS512');
const sender = await makeSender();

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const inbox = new Inbox();
  const map = new Map<string, ReceiverAuthority>([authority, fitAuthority].map((a) => [a.id, { id: a.id, name: a.name, decryptionKey: a.encryption.privateJwk, signingKey: a.signing.privateJwk }]));
  const app = await buildReceiverServer({ authorities: map, inbox, senderKeys: async () => [sender.publicJwk], clients: new Map([['efa-runtime', 'names-test-secret']]) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const proxy = await capturingProxy(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  t.after(async () => { await proxy.close(); await app.close(); });
  return { inbox, proxy };
}

const ENTRIES: Record<string, (url: string) => DirectoryEntry> = {
  webhook: (url) => endpointFor(authority, 'webhook', `${url}/webhook/${authority.id}`),
  xta: (url) => endpointFor(authority, 'xta', `${url}/xta/${authority.id}`, { identifiers: { readerId: 'ags:01002000:gewerbe' } }),
  osci: (url) => endpointFor(authority, 'osci', `${url}/osci/${authority.id}`),
  'fit-connect': (url) => endpointFor(fitAuthority, 'fit-connect', `${url}/fit-connect`, { identifiers: { destinationId: fitAuthority.id }, options: { clientId: 'efa-runtime', clientSecretEnv: SECRET_ENV } }),
};

void test('every push transport hands a stored name with U+202E and U+FFFF to its receiver cleaned; no raw request carries either', async (t) => {
  const pushed = [...transports.keys()].filter((name) => name !== 'pull');
  assert.deepEqual(pushed.sort(), Object.keys(ENTRIES).sort(), 'a new transport needs its case here');
  for (const name of pushed) {
    const { inbox, proxy } = await setup(t);
    const transport = transports.get(name);
    assert.ok(transport);
    const message = await messageWithAttachments(name === 'fit-connect' ? fitAuthority : authority, [{ ...SAMPLE_PDF, filename: STORED }]);
    const ctx: TransportContext = { endpoint: (ENTRIES[name] as (url: string) => DirectoryEntry)(proxy.url), sender, timeoutMs: 10_000 };
    await transport.send(message, ctx);
    const stored = inbox.get(message.messageId);
    assert.ok(stored, `${name}: delivered`);
    assert.deepEqual(stored.attachments.map((a) => a.filename), [CLEAN], `${name}: the receiver got the cleaned name`);
    assert.ok(stored.attachments[0]?.bytes.equals(SAMPLE_PDF.bytes), `${name}: and the file, hash-verified`);
    assert.ok(proxy.bodies.length > 0);
    for (const body of proxy.bodies) {
      assert.ok(!body.includes('\u202E') && !body.includes('\uFFFF'), `${name}: no raw request carries the characters`);
      if (body.startsWith('<?xml')) assert.ok(parseStrictXml(body, `${name} request`) > 0);
    }
  }
});

void test('xta: the envelope captured at the receiver names no attachment, size or hash; the receiver still verifies each SHA-512', async (t) => {
  const { inbox, proxy } = await setup(t);
  const message = await messageWithAttachments(authority, [{ ...SAMPLE_PDF, filename: 'Wesenstest Bello.pdf' }]);
  const [attachment] = message.attachments;
  assert.ok(attachment);
  await transports.get('xta')?.send(message, { endpoint: (ENTRIES.xta as (url: string) => DirectoryEntry)(proxy.url), sender, timeoutMs: 10_000 });
  const [envelope] = proxy.bodies;
  assert.ok(envelope && parseStrictXml(envelope, 'xta request') > 0);
  assert.ok(envelope.includes(attachment.id), 'the attachment travels, by id');
  for (const secret of ['Wesenstest', attachment.sha512, `"${attachment.size}"`, `>${attachment.size}<`]) {
    assert.ok(!envelope.includes(secret), `the clear envelope holds no ${secret.slice(0, 20)}`);
  }
  // The sender's signature is readable by anyone (a JWS payload is base64url JSON): it must not list them either.
  const jws = /<efa:SenderSignature[^>]*>([^<]+)</.exec(envelope)?.[1] ?? '';
  const signed = Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8');
  assert.ok(signed.includes(attachment.id) && !signed.includes('Wesenstest') && !signed.includes(attachment.sha512) && !signed.includes('"size"'), signed);
  const stored = inbox.get(message.messageId);
  assert.deepEqual(stored?.attachments.map((a) => [a.filename, a.size, a.sha512]), [['Wesenstest Bello.pdf', SAMPLE_PDF.bytes.length, attachment.sha512]]);
});
