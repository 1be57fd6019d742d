import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { buildApp } from '../src/http/app.js';
import { uiTexts } from '../src/forms/ui-texts.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import { demoFitConnectClients, loadDemoAuthorities } from '../src/demo/authorities.js';
import type { DirectoryEntry } from '../src/transports/types.js';
import { purge } from '../src/storage/retention.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';
import { readPdf, squeeze } from './support/pdf.js';

/**
 * The applicant's status link is a capability of its own, not the submission id: the id travels in
 * clear as the XTA MessageID, the FIT-Connect Idempotency-Key and in the operator APIs, so whoever
 * holds only the id (or those message ids) sees no status, no receipt and no confirmation. The
 * submitting browser (its cookie) and the holder of the link do; the key is stored as a hash only
 * and appears in no log, no transport message and no operator API answer. On a service generated
 * for this test, delivered over the XTA-like and the FIT-Connect transports of the demo directory
 * (found by transport, not by name) to a receiver of this test that records every request raw.
 */
const SERVICE = 'statustiere';
const LEIKA = '99999999999016';
const TENANT = 'sh';
const STATUS_KEY = /\/status\/([A-Za-z0-9_-]{43})/;
const KIEL = { plz: '24103', ort: 'Kiel', ars: '01002' };
const LUEBECK = { plz: '23552', ort: 'Lübeck', ars: '01003' };

interface Captured { method: string; url: string; headers: Record<string, unknown>; body: string }

/** A receiver of the demo authorities that keeps every request as it arrived (headers and body). */
async function recordingReceiver(inbox: Inbox, senderKey: { key?: JWK }, clients: Map<string, string>): Promise<{ app: FastifyInstance; url: string; requests: Captured[] }> {
  const requests: Captured[] = [];
  const app = await buildReceiverServer({ authorities: loadDemoAuthorities('.'), inbox, senderKeys: async () => (senderKey.key ? [senderKey.key] : []), clients });
  app.addHook('preParsing', async (req, _reply, payload) => {
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString('latin1') });
    return Readable.from([body]);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, requests };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pdfText = async (pdf: Buffer): Promise<string> => squeeze((await readPdf(pdf)).text);

interface Submitted { id: string; reference: string; key: string; browser: Browser; holder: string; setCookies: string[] }

describe('applicant: the status link is a secret of its own, not the submission id', () => {
  let temp: TempRoot;
  let stack: TestStack;
  let app: FastifyInstance;
  let url = '';
  let receiver: Awaited<ReturnType<typeof recordingReceiver>>;
  const inbox = new Inbox();
  const logs: string[] = [];
  const consoleLines: string[] = [];
  const restoreConsole: Array<() => void> = [];
  let xta: Submitted;
  let fit: Submitted;

  before(async () => {
    temp = copyProjectRoot();
    const senderKey: { key?: JWK } = {};
    const clients = new Map<string, string>();
    receiver = await recordingReceiver(inbox, senderKey, clients);
    const demo = JSON.parse(readFileSync(join(temp.root, 'routing', 'demo.json'), 'utf8')) as { directory: DirectoryEntry[] };
    const byTransport = (name: string) => demo.directory.find((e) => e.serviceKey === '*' && e.transport === name) as DirectoryEntry;
    const [overXta, overFit] = [byTransport('xta'), byTransport('fit-connect')];
    await addExtraService(temp.root, { id: SERVICE, leikaKey: LEIKA, tenants: [TENANT], routes: { [KIEL.ars]: overXta.authorityId, [LUEBECK.ars]: overFit.authorityId }, minItems: 1, maxItems: 2 });
    const file = join(temp.root, 'routing', `${SERVICE}.json`);
    const routing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const atReceiver = (e: DirectoryEntry) => ({ ...e, serviceKey: LEIKA, address: e.address.replace('${EFA_DEMO_RECEIVER_URL}', receiver.url) });
    writeFileSync(file, JSON.stringify({ ...routing, directory: [atReceiver(overXta), atReceiver(overFit)] }, null, 2));
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
    senderKey.key = stack.rt.secrets.sender.publicJwk;
    for (const [id, secret] of demoFitConnectClients(stack.rt.routing.directory.values())) clients.set(id, secret);
    // The same runtime behind an app that logs everything (trace), as `efa serve` would at its most verbose.
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString('utf8')); done(); } });
    app = await buildApp(stack.rt, { logger: { level: 'trace', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // What the runtime writes to the console besides pino (routing, queue and database errors).
    const out = console as unknown as Record<string, (...args: unknown[]) => void>;
    for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
      const original = out[level] as (...args: unknown[]) => void;
      out[level] = (...args: unknown[]) => { consoleLines.push(args.map(String).join(' ')); original(...args); };
      restoreConsole.push(() => { out[level] = original; });
    }
    xta = await apply('Henrietta Statusprobe', KIEL, 'Fiffi Geheimhund');
    fit = await apply('Gottlieb Statusprobe', LUEBECK, 'Mietze Geheimkatze');
    await stack.rt.delivery?.drain();
    await waitFor('both messages in the inbox', () => (inbox.get(xta.id) && inbox.get(fit.id) ? true : undefined));
  });
  after(async () => {
    for (const restore of restoreConsole) restore();
    await app?.close();
    await stack?.close();
    await receiver?.app.close();
    temp?.remove();
  });

  async function expectRedirect(b: Browser, res: { status: number; html: string; location?: string }, to: string): Promise<void> {
    assert.equal(res.status, 303, `expected a redirect to ${to}, got ${res.status}: ${extractErrors(res.html)}`);
    assert.equal(res.location, to);
    await b.get(to);
  }

  /** A submission over HTTP through the logging app; its status key from the confirmation page. */
  async function apply(holder: string, place: { plz: string; ort: string }, pet: string): Promise<Submitted> {
    const b = new Browser(url);
    await b.get(`/${TENANT}/${SERVICE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await expectRedirect(b, await b.submit({ 'halter.name': holder, 'halter.anschrift.strasse': 'Prüfweg', 'halter.anschrift.hausnummer': '3', 'halter.anschrift.plz': place.plz, 'halter.anschrift.ort': place.ort }), `/${TENANT}/${SERVICE}/tiere`);
    await expectRedirect(b, await b.submit({ 'tiere.0.name': pet, 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020', 'tiere.0.gechippt': 'ja' }), `/${TENANT}/${SERVICE}/tiere`);
    await expectRedirect(b, await b.submit({}), `/${TENANT}/${SERVICE}/pruefen`);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const setCookies = b.lastSetCookies;
    const confirmation = await b.get(done.location as string);
    assert.equal(confirmation.status, 200);
    const reference = /class="efa-reference">([^<]+)</.exec(confirmation.html)?.[1] as string;
    const statusHref = /href="([^"]*\/status\/[^"/]+)"/.exec(confirmation.html)?.[1] as string;
    const key = STATUS_KEY.exec(statusHref)?.[1] as string;
    assert.ok(reference && key, 'the confirmation page shows the reference and links the status page by its key');
    const id = (done.location as string).split('/').pop() as string;
    assert.ok(!statusHref.includes(id), 'the status link does not contain the submission id');
    return { id, reference, key, browser: b, holder, setCookies };
  }

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { headers });
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  /** What identifies the submission outside the applicant's hands: its id and its transport's message ids. */
  function identifiersOf(s: Submitted): Record<string, string> {
    if (s === xta) {
      const soap = receiver.requests.find((r) => r.url.startsWith('/xta/') && r.body.includes(s.reference)) ?? receiver.requests.find((r) => r.url.startsWith('/xta/'));
      const messageId = /<(?:[\w-]+:)?MessageID[^>]*>([^<]+)</.exec(soap?.body ?? '')?.[1];
      assert.ok(messageId, 'the XTA MessageID as sent');
      return { 'submission id': s.id, 'XTA MessageID': messageId };
    }
    const announce = receiver.requests.find((r) => r.method === 'POST' && r.url === '/fit-connect/submissions');
    const idempotencyKey = announce?.headers['idempotency-key'];
    assert.ok(typeof idempotencyKey === 'string' && idempotencyKey, 'the FIT-Connect Idempotency-Key as sent');
    return { 'submission id': s.id, 'FIT-Connect Idempotency-Key': idempotencyKey };
  }

  test('status page, receipt and confirmation: 404 for the submission id, the XTA MessageID and the FIT-Connect Idempotency-Key', async () => {
    for (const s of [xta, fit]) {
      for (const [name, value] of Object.entries(identifiersOf(s))) {
        for (const lang of ['de', 'en'] as const) {
          for (const path of [`/${TENANT}/status/${encodeURIComponent(value)}`, `/${TENANT}/status/${encodeURIComponent(value)}/eingangsbestaetigung.pdf`, `/${TENANT}/${SERVICE}/bestaetigung/${encodeURIComponent(value)}`]) {
            const res = await get(`${path}?lang=${lang}`);
            const text = res.body.toString('utf8');
            assert.equal(res.status, 404, `${name} ${path}: not found`);
            assert.match(res.type, /^text\/html/, `${name} ${path}: a page, not a receipt`);
            assert.match(text, new RegExp(`href="/${TENANT}/theme.css"`), `${name} ${path}: in the Land's look`);
            assert.doesNotMatch(text, new RegExp(`${s.reference}|${s.holder}|Geheim|data-status`), `${name} ${path}: nothing of the submission`);
            if (/^[0-9a-f-]{36}$/.test(value)) {
              assert.ok(text.includes(uiTexts[lang].statusLinkNeeded), `${name} ${path} (${lang}): says that the link from the confirmation page is needed`);
            }
          }
        }
      }
    }
  });

  test('the holder of the status link and the submitting browser are served; another browser is not', async () => {
    for (const s of [xta, fit]) {
      // The link alone, in a browser without cookies.
      const status = await get(`/${TENANT}/status/${s.key}`);
      assert.equal(status.status, 200);
      assert.ok(status.body.toString('utf8').includes(s.reference), 'the status page by its key');
      // The page links the authority's web site: the key must not travel on as the Referer.
      assert.equal(status.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(status.headers.get('cache-control'), 'no-store');
      const receipt = await get(`/${TENANT}/status/${s.key}/eingangsbestaetigung.pdf`);
      assert.equal(receipt.status, 200);
      assert.equal(receipt.type, 'application/pdf');
      assert.ok((await pdfText(receipt.body)).includes(s.holder.replace(/\s+/g, '')), 'the receipt with the answers');

      // The browser that submitted, by the id (its cookie holds the key).
      for (const path of [`/${TENANT}/status/${s.id}`, `/${TENANT}/${SERVICE}/bestaetigung/${s.id}`]) {
        const own = await s.browser.get(path);
        assert.equal(own.status, 200, `the submitting browser: ${path}`);
        assert.ok(own.html.includes(s.reference), `the submitting browser: ${path} shows the reference`);
        assert.equal(STATUS_KEY.exec(own.html)?.[1], s.key, `the submitting browser: ${path} links the status key`);
      }
      assert.equal((await s.browser.get(`/${TENANT}/status/${s.id}/eingangsbestaetigung.pdf`)).status, 200, 'the submitting browser gets the receipt by the id');

      // The cookie: HttpOnly, SameSite=Lax, for this Land's pages only; it holds the key, nothing else.
      const cookie = s.setCookies.find((c) => c.startsWith('efa_status='));
      assert.ok(cookie, 'submitting sets the status cookie');
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /; SameSite=Lax/i);
      assert.match(cookie, new RegExp(`; Path=/${TENANT}(;|$)`, 'i'));
      assert.ok(!cookie.includes(s.id), 'the cookie does not carry the id');
    }
    // Both submissions were sent from different browsers: neither cookie opens the other's pages.
    for (const [own, other] of [[xta, fit], [fit, xta]] as const) {
      for (const path of [`/${TENANT}/status/${other.id}`, `/${TENANT}/status/${other.id}/eingangsbestaetigung.pdf`, `/${TENANT}/${SERVICE}/bestaetigung/${other.id}`]) {
        const res = await own.browser.get(path);
        assert.equal(res.status, 404, `another browser: ${path}`);
        assert.doesNotMatch(res.html, new RegExp(`${other.reference}|${other.holder}`));
      }
    }
    // A browser without any cookie.
    const stranger = new Browser(url);
    for (const path of [`/${TENANT}/status/${xta.id}`, `/${TENANT}/${SERVICE}/bestaetigung/${xta.id}`]) assert.equal((await stranger.get(path)).status, 404, `a browser without cookie: ${path}`);
  });

  test('the key is stored only as its SHA-256; nothing in the database holds the key itself', async () => {
    for (const s of [xta, fit]) {
      const { rows } = await stack.rt.db.query<{ key_sha256: Uint8Array }>('SELECT key_sha256 FROM submission_status_keys WHERE submission_id = $1', [s.id]);
      assert.equal(rows.length, 1);
      assert.deepEqual(Buffer.from(rows[0]?.key_sha256 as Uint8Array), createHash('sha256').update(s.key).digest());
    }
    const { rows: tables } = await stack.rt.db.query<{ name: string }>("SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    assert.ok(tables.length > 5);
    for (const { name } of tables) {
      const { rows } = await stack.rt.db.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
      for (const s of [xta, fit]) {
        const raw = Buffer.from(s.key, 'base64url').toString('hex');
        assert.ok(rows.every((r) => !r.row.includes(s.key) && !r.row.includes(raw)), `table ${name} holds no status key`);
      }
    }
  });

  test('no log line, no transport message and no operator API answer contains the status key', async () => {
    const token = await (async () => {
      const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
      const res = await fetch(`${url}/_efa/oauth/token`, {
        method: 'POST', body: 'grant_type=client_credentials',
        headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
      return ((await res.json()) as { access_token: string }).access_token;
    })();
    const operator: string[] = [];
    for (const path of ['/_efa/admin/deliveries?limit=500', `/_efa/admin/deliveries/${xta.id}`, `/_efa/admin/deliveries/${fit.reference}`, '/_efa/metrics', '/_efa/admin/routing']) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, path);
      operator.push(await res.text());
    }
    assert.ok(operator.join('\n').includes(xta.id) && operator.join('\n').includes(fit.reference), 'the operator APIs list these submissions');

    const transport = [...receiver.requests.map((r) => JSON.stringify(r)), ...inbox.list().map((m) => JSON.stringify({ ...m, attachments: m.attachments.map((a) => ({ ...a, bytes: a.bytes.toString('latin1') })) }))];
    assert.ok(receiver.requests.some((r) => r.url.startsWith('/xta/')) && receiver.requests.some((r) => r.url.startsWith('/fit-connect')), 'messages went over XTA and FIT-Connect');
    assert.ok(inbox.list().some((m) => m.document.includes(xta.holder)), 'the decrypted documents are among them');

    const log = logs.join('');
    assert.match(log, /"msg":"incoming request"/, 'the request log was captured');
    assert.match(log, new RegExp(`/${TENANT}/status/\\[key\\]`), 'requests for the status page were logged, without their key');

    for (const s of [xta, fit]) {
      const hash = createHash('sha256').update(s.key).digest();
      for (const [where, texts] of [['log', [log, ...consoleLines]], ['transport', transport], ['operator API', operator]] as const) {
        for (const text of texts) {
          assert.ok(!text.includes(s.key), `no ${where} output contains the status key`);
          assert.ok(!text.includes(hash.toString('hex')) && !text.includes(hash.toString('base64')), `no ${where} output contains the key's hash`);
        }
      }
    }
  });

  test('after the retention purge the link still shows the status, the receipt no answers', async () => {
    await stack.rt.db.query("UPDATE submissions SET updated_at = now() - interval '40 days' WHERE id = $1", [xta.id]);
    const { purged } = await purge(stack.rt.db, { payloadDays: 30, attemptDays: 0, routingVersionsKept: 0 });
    assert.ok(purged.payloads >= 1);
    const status = await get(`/${TENANT}/status/${xta.key}`);
    assert.equal(status.status, 200);
    assert.match(status.body.toString('utf8'), /data-status="delivered"/);
    const receipt = await get(`/${TENANT}/status/${xta.key}/eingangsbestaetigung.pdf`);
    assert.equal(receipt.status, 200);
    const text = await pdfText(receipt.body);
    assert.ok(text.includes(xta.reference.replace(/\s+/g, '')), 'the receipt still confirms the submission');
    assert.ok(text.includes(uiTexts.de.receiptAnswersGone.replace(/\s+/g, '')), 'and says that the answers were deleted');
    assert.ok(!text.includes('Geheimhund') && !text.includes(xta.holder.replace(/\s+/g, '')), 'without them');
    // The other submission, not yet due, keeps its answers.
    assert.ok((await pdfText((await get(`/${TENANT}/status/${fit.key}/eingangsbestaetigung.pdf`)).body)).includes('Geheimkatze'));
  });
});
