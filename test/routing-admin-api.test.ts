import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hashSecret, newSecret } from '../src/auth/clients.js';
import { loadConfig } from '../src/config/env.js';
import { buildApp } from '../src/http/app.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { RoutingStore } from '../src/routing/store.js';
import { Browser } from './support/browser.js';
import { activity, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';
import { copyDeclarations } from './support/declarations.js';

const ADMIN = '/_efa/admin/routing';
const GEWERBE = '99050012104000';
const KIEL_ARS = '010020000000';
const KIEL_NAME = 'Landeshauptstadt Kiel – Gewerbeangelegenheiten (Demo)';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Changes that hand Kiel to a new authority, which shares the Kiel demo identity's keys and receiver. */
function newKielAuthority(name: string) {
  return {
    comment: 'Kiel: new Gewerbeamt',
    upsert: {
      authorities: [{ id: 'gewerbeamt-kiel-neu', name }],
      responsibilities: [{ leikaKey: GEWERBE, arsPrefix: KIEL_ARS, authorityId: 'gewerbeamt-kiel-neu' }],
      directory: [{ authorityId: 'gewerbeamt-kiel-neu', serviceKey: '*', transport: 'webhook', address: '${EFA_DEMO_RECEIVER_URL}/webhook/gewerbeamt-kiel', encryptionKey: 'keys/gewerbeamt-kiel.enc.json', verificationKey: 'keys/gewerbeamt-kiel.sig.json' }],
    },
  };
}

/** A sole proprietor in Kiel up to the check page; returns the browser there. */
async function toCheckPage(origin: string): Promise<Browser> {
  const b = new Browser(origin);
  await b.get('/sh/gewerbeanmeldung');
  await b.get((await b.submit({}, '/start')).location as string);
  await step(b, person);
  await step(b, { 'betrieb.name': 'Förde-Kiosk', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
  await step(b, { 'betrieb.anschrift.strasse': 'Holstenstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' });
  assert.equal(await step(b, activity()), '/sh/gewerbeanmeldung/pruefen');
  return b;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admin routing API on PostgreSQL', () => {
  let stack: TestStack;
  let clientsDir: string;
  const secrets = { reader: newSecret(), deliveries: newSecret() };
  let operator: string;
  let reader: string;
  const others: Runtime[] = [];

  async function token(id: string, secret: string): Promise<string> {
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function call(method: string, path: string, opts: { token?: string; type?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.type) headers['content-type'] = opts.type;
    const res = await fetch(`${stack.url}${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers };
  }

  const changes = (body: unknown, headers: Record<string, string> = {}) => call('POST', `${ADMIN}/changes`, { token: operator, type: 'application/json', body: JSON.stringify(body), headers });
  const storedVersions = async () => Number((await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM routing_versions')).rows[0]?.n);

  before(async () => {
    clientsDir = mkdtempSync(join(tmpdir(), 'efa-clients-'));
    const file = join(clientsDir, 'clients.json');
    writeFileSync(file, JSON.stringify({ clients: [
      { id: 'routing-reader', secretSha256: hashSecret(secrets.reader), scopes: ['routing:read'] },
      { id: 'delivery-ops', secretSha256: hashSecret(secrets.deliveries), scopes: ['deliveries:read'] },
    ] }));
    stack = await startStack({ database: 'postgres', env: { EFA_API_CLIENTS: file } });
    const dev = stack.rt.devCredentials;
    assert.ok(dev, 'development runtime has an operator client');
    operator = await token(dev.clientId, dev.clientSecret);
    reader = await token('routing-reader', secrets.reader);
  });
  after(async () => {
    for (const rt of others) await rt.close();
    await stack.close();
    rmSync(clientsDir, { recursive: true, force: true });
  });

  test('without a token 401, with a broken one 401, without the scope 403; nothing is written', async () => {
    const csv = `leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n`;
    assert.equal((await call('GET', ADMIN)).status, 401);
    const anonymous = await call('PUT', `${ADMIN}/responsibilities`, { type: 'text/csv', body: csv });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, 'unauthorized');
    assert.equal((await call('GET', ADMIN, { token: 'not.a.token' })).status, 401);

    assert.equal((await call('GET', ADMIN, { token: reader })).status, 200, 'routing:read may read');
    for (const [method, path, type, body] of [['PUT', `${ADMIN}/responsibilities`, 'text/csv', csv], ['POST', `${ADMIN}/changes`, 'application/json', '{}'], ['POST', `${ADMIN}/import`, 'application/json', '{}'], ['POST', `${ADMIN}/reload`, undefined, undefined]] as const) {
      const refused = await call(method, path, { token: reader, ...(type ? { type } : {}), ...(body !== undefined ? { body } : {}) });
      assert.equal(refused.status, 403, `${method} ${path} with routing:read only`);
      assert.equal(refused.body.error, 'insufficient_scope');
    }
    const otherScope = await call('GET', `${ADMIN}/versions`, { token: await token('delivery-ops', secrets.deliveries) });
    assert.equal(otherScope.status, 403);
    assert.equal(await storedVersions(), 0);
  });

  test('hostile or wrong input: content type, empty body, unknown table, bad parameters, oversized body', async () => {
    const plain = await call('PUT', `${ADMIN}/responsibilities`, { token: operator, type: 'text/plain', body: 'x' });
    assert.equal(plain.status, 415);
    assert.equal(plain.body.error, 'unsupported_media_type');
    assert.equal((await call('POST', `${ADMIN}/import`, { token: operator, type: 'application/x-www-form-urlencoded', body: 'authorities=x' })).status, 415);
    assert.equal((await call('POST', `${ADMIN}/changes`, { token: operator, type: 'application/json', body: '' })).status, 400);
    assert.equal((await call('GET', `${ADMIN}/keys`, { token: operator })).status, 404);
    assert.equal((await call('GET', `${ADMIN}/document?version=abc`, { token: operator })).status, 400);
    assert.equal((await call('GET', `${ADMIN}/document?version=99`, { token: operator })).status, 404);
    const huge = await call('PUT', `${ADMIN}/responsibilities`, { token: operator, type: 'text/csv', body: `leikaKey,arsPrefix,authorityId\n${`${GEWERBE},01,land-sh\n`.repeat(1_500_000)}` });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error, 'payload_too_large');
    // A repeated dryRun must not be misread as a real write.
    const twice = await call('PUT', `${ADMIN}/responsibilities?dryRun=true&dryRun=true`, { token: operator, type: 'text/csv', body: `leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n` });
    assert.equal(twice.status, 400);
    // Addresses may not pull secrets out of the environment: they are shown and sent to.
    const leak = await call('POST', `${ADMIN}/changes`, { token: operator, type: 'application/json', body: JSON.stringify({ upsert: { directory: [{ authorityId: 'land-sh', serviceKey: '*', transport: 'webhook', address: 'https://x.example/?s=${EFA_SECRET}', encryptionKey: 'keys/land-sh.enc.json' }] } }) });
    assert.equal(leak.status, 422);
    assert.match(JSON.stringify(leak.body.problems), /EFA_SECRET\} is not allowed in an address/);
    const fitLeak = await call('POST', `${ADMIN}/changes`, { token: operator, type: 'application/json', body: JSON.stringify({ upsert: { directory: [{ authorityId: 'land-sh', serviceKey: '*', transport: 'fit-connect', address: 'https://x.example/fit', identifiers: { destinationId: 'x' }, options: { clientId: 'a', clientSecretEnv: 'EFA_SECRET' }, encryptionKey: 'keys/land-sh.enc.json' }] } }) });
    assert.equal(fitLeak.status, 422, 'a FIT-Connect client secret only from EFA_FIT_CONNECT_… variables');
    assert.equal(await storedVersions(), 0);
  });

  test('a change through the API decides the next application\'s authority, without restart', async () => {
    const before = await toCheckPage(stack.url);
    assert.ok(before.lastHtml.includes(KIEL_NAME), 'the check page names the Kiel office of the seed data');

    const res = await changes(newKielAuthority('Kiel – Neues Gewerbeamt (Test)'));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.version, 1);
    assert.equal(res.headers.get('etag'), '"1"');

    const b = await toCheckPage(stack.url);
    assert.ok(b.lastHtml.includes('Kiel – Neues Gewerbeamt (Test)'), 'the check page names the new office');
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const id = (done.location as string).split('/').pop() as string;
    const row = (await stack.rt.db.query<{ authority_id: string; authority_name: string }>('SELECT authority_id, authority_name FROM submissions WHERE id = $1', [id])).rows[0];
    assert.deepEqual(row, { authority_id: 'gewerbeamt-kiel-neu', authority_name: 'Kiel – Neues Gewerbeamt (Test)' });
    await until('delivered to the new directory entry', async () => (await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [id])).rows[0]?.status === 'delivered', 10_000);
    assert.ok(stack.inbox.get(id), 'the receiver has it');

    const resolved = await call('GET', `${ADMIN}/resolve?leikaKey=${GEWERBE}&ars=${KIEL_ARS}`, { token: reader });
    assert.equal((resolved.body.authority as { id: string }).id, 'gewerbeamt-kiel-neu');
    const versions = await call('GET', `${ADMIN}/versions`, { token: reader });
    assert.deepEqual((versions.body.versions as Array<{ version: number; createdBy: string; comment: string }>).map((v) => [v.version, v.createdBy, v.comment]), [[1, stack.rt.devCredentials?.clientId, 'Kiel: new Gewerbeamt']]);
  });

  test('an invalid import changes nothing: 422 naming every problem, the version in force stays', async () => {
    const current = await storedVersions();
    const csv = `leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n${GEWERBE},1002000000,gewerbeamt-kiel\n${GEWERBE},05,niemand\n`;
    const res = await call('PUT', `${ADMIN}/responsibilities`, { token: operator, type: 'text/csv', body: csv });
    assert.equal(res.status, 422);
    assert.equal(res.body.error, 'routing_invalid');
    const problems = res.body.problems as Array<{ line: number; column: number; field: string; message: string }>;
    assert.deepEqual(problems.map((p) => [p.line, p.column, p.field]), [[3, 2, 'arsPrefix'], [4, 3, 'authorityId']]);
    assert.match(problems[1]?.message ?? '', /unknown authority "niemand"/);

    const broken = await call('POST', `${ADMIN}/import`, { token: operator, type: 'application/json', body: '{\n  "authorities": [\n    { "id": "x" "name": "X" }\n  ]\n}' });
    assert.equal(broken.status, 422);
    assert.deepEqual([(broken.body.problems as Problem[])[0]?.line, (broken.body.problems as Problem[])[0]?.column], [3, 17]);

    const dry = await call('PUT', `${ADMIN}/responsibilities?dryRun=true`, { token: operator, type: 'text/csv', body: `leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n` });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.created, false);
    assert.ok((dry.body.warnings as unknown[]).length === 0);

    assert.equal(await storedVersions(), current, 'no version was written');
    const status = await call('GET', ADMIN, { token: reader });
    assert.equal(status.body.version, current);
    assert.equal(stack.rt.routing.responsibility.resolve(GEWERBE, KIEL_ARS), 'gewerbeamt-kiel-neu', 'the data in force is unchanged');
    assert.equal(stack.rt.routing.responsibility.resolve(GEWERBE, '053150000000'), 'stadt-koeln');
  });

  test('If-Match: a change based on an older version is refused with 412', async () => {
    const current = await storedVersions();
    const stale = await changes({ upsert: { authorities: [{ id: 'land-sh', name: 'SH (stale edit)' }] } }, { 'if-match': `"${current - 1}"` });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error, 'version_conflict');
    const fresh = await changes({ upsert: { authorities: [{ id: 'land-sh', name: 'Schleswig-Holstein – Zentrale Gewerbestelle (geändert)' }] } }, { 'if-match': `"${current}"` });
    assert.equal(fresh.status, 201);
    assert.equal(fresh.body.version, current + 1);
  });

  test('another runtime on the same database follows: at once by NOTIFY, and by polling when a notification is missed', async () => {
    const start = async (pollMs: string) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'efa-second-'));
      const env = { DATABASE_URL: stack.rt.config.databaseUrl, DATA_DIR: dataDir, EFA_RECEIVER_PORT: '0', LOG_LEVEL: 'silent', EFA_ROUTING_POLL_MS: pollMs };
      const rt = await createRuntime(loadConfig(env), { ...env, EFA_DEMO_RECEIVER_URL: stack.receiverUrl }, { inProcessDelivery: false });
      others.push(rt);
      return rt;
    };
    // Polling off: only the notification can tell this one.
    const listening = await start('0');
    const latest = await storedVersions();
    assert.equal(listening.routing.version?.version, latest, 'a new process starts with the newest stored version');

    const res = await changes(newKielAuthority('Kiel – Gewerbeamt, zweite Fassung'));
    assert.equal(res.status, 201);
    await until('the second runtime has the new version', () => listening.routing.version?.version === latest + 1, 3000);
    assert.equal(listening.routing.authorities.get('gewerbeamt-kiel-neu')?.name, 'Kiel – Gewerbeamt, zweite Fassung');

    // A version that arrives without a notification (say, while the LISTEN connection was down).
    const polling = await start('200');
    // Written as versions were before they were stored per row: one whole document (still read).
    const { document } = await (stack.rt.routingStore as RoutingStore).document(latest + 1);
    for (const a of document.authorities) if (a.id === 'gewerbeamt-kiel-neu') a.name = 'Kiel – ohne Benachrichtigung';
    await stack.rt.db.query("INSERT INTO routing_versions (version, document, sha256, authorities, responsibilities, directory, created_by) VALUES ($1, $2::jsonb, 'x', 0, 0, 0, 'test')", [latest + 2, JSON.stringify(document)]);
    await until('the polling runtime found it', () => polling.routing.version?.version === latest + 2, 3000);
    assert.equal(polling.routing.authorities.get('gewerbeamt-kiel-neu')?.name, 'Kiel – ohne Benachrichtigung');
  });

  test('restore stores an older version\'s content as the newest version', async () => {
    const latest = await storedVersions();
    const res = await call('POST', `${ADMIN}/versions/1/restore`, { token: operator });
    assert.equal(res.status, 201);
    assert.equal(res.body.version, latest + 1);
    assert.equal(stack.rt.routing.authorities.get('gewerbeamt-kiel-neu')?.name, 'Kiel – Neues Gewerbeamt (Test)');
    assert.equal(stack.rt.routing.authorities.get('land-sh')?.name, 'Schleswig-Holstein – Zentrale Gewerbestelle (Demo)');
    const exported = await call('GET', `${ADMIN}/responsibilities?format=csv`, { token: reader });
    assert.match(String(exported.body.text), new RegExp(`^${GEWERBE},${KIEL_ARS},gewerbeamt-kiel-neu$`, 'm'));
  });
  test('the nationwide dataset imported through the API reaches the receiver over all four transports, with verified receipts for webhook, XTA and FIT-Connect', async () => {
    const res = await call('POST', `${ADMIN}/import?comment=nationwide`, { token: operator, type: 'application/json', body: readFileSync('routing/nationwide/gewerbeanmeldung.json', 'utf8') });
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 500));
    assert.equal((res.body.counts as { authorities: number }).authorities, 5440);
    // One postcode of a single municipality per transport, found in the reference data.
    const plzs = [...new Set(readFileSync('routing/reference/plz-ags.csv', 'utf8').split('\n').slice(1).map((l) => l.split(',')[3]).filter((p): p is string => /^[0-9]{5}$/.test(p ?? '')))];
    const picked = new Map<string, { plz: string; ort: string; authorityId: string }>();
    for (const plz of plzs) {
      const places = stack.rt.places.byPostalCode(plz);
      if (places.length !== 1) continue;
      const authorityId = stack.rt.routing.responsibility.resolve(GEWERBE, (places[0] as { ars: string }).ars) as string;
      const transport = stack.rt.routing.directory.get(`${authorityId}|*`)?.transport as string;
      if (!picked.has(transport)) picked.set(transport, { plz, ort: ((places[0] as { name: string }).name.split(',')[0] ?? '').trim(), authorityId });
      if (picked.size === 4) break;
    }
    assert.deepEqual([...picked.keys()].sort(), ['fit-connect', 'osci', 'webhook', 'xta']);
    for (const [transport, { plz, ort, authorityId }] of picked) {
      const b = new Browser(stack.url);
      await b.get('/sh/gewerbeanmeldung');
      await b.get((await b.submit({}, '/start')).location as string);
      await step(b, person);
      await step(b, { 'betrieb.name': `Laden über ${transport}`, 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
      await step(b, { 'betrieb.anschrift.strasse': 'Hauptstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': plz, 'betrieb.anschrift.ort': ort });
      await step(b, activity());
      const done = await b.submit({}, '/absenden');
      assert.equal(done.status, 303, `${transport}: submitted`);
      const id = (done.location as string).split('/').pop() as string;
      const status = async () => (await stack.rt.db.query<{ status: string; last_error: string | null }>('SELECT status, last_error FROM submissions WHERE id = $1', [id])).rows[0];
      await until(`${transport}: arrived`, () => stack.inbox.get(id) !== undefined, 15_000).catch(async (err: unknown) => assert.fail(`${String(err)}; last error: ${(await status())?.last_error}`));
      // Every transport, OSCI included: the Laufzettel names the addressee of the container, which
      // the sender checks, even when one demo key receives for many generated authorities.
      // FIT-Connect: handed over, then possibly accepted already by the time we look (the follow-up runs on its own).
      await until(`${transport}: delivered`, async () => ['delivered', 'accepted'].includes((await status())?.status ?? ''), 15_000).catch(async (err: unknown) => assert.fail(`${String(err)}; last error: ${(await status())?.last_error}`));
      // The attempt is recorded when the sender has its receipt, which comes after the receiver's
      // inbox has the message: read it only once the submission is settled.
      const attempt = (await stack.rt.db.query<{ authority_id: string; transport: string }>('SELECT s.authority_id, a.transport FROM submissions s JOIN delivery_attempts a ON a.submission_id = s.id WHERE s.id = $1', [id])).rows[0];
      assert.deepEqual(attempt, { authority_id: authorityId, transport });
      assert.ok(stack.inbox.get(id), `${transport}: the receiver decrypted it with the shared demo key`);
    }
  });
});

interface Problem {
  source: string;
  line?: number;
  column?: number;
  path?: string;
  message: string;
}

describe('on the embedded database (PGlite): reload of the seed files, SIGHUP, and versions that survive a restart', () => {
  let root: string;
  let dataDir: string;
  const running: Array<{ rt: Runtime; app: FastifyInstance }> = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'efa-root-'));
    copyDeclarations(root);
    dataDir = mkdtempSync(join(tmpdir(), 'efa-pglite-'));
  });
  after(async () => {
    for (const { rt, app } of running) { await app.close(); await rt.close(); }
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function boot(): Promise<{ rt: Runtime; app: FastifyInstance; call: (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }> }> {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EFA_ROOT: root, EFA_RECEIVER_PORT: '0', LOG_LEVEL: 'silent', EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3999' };
    const rt = await createRuntime(loadConfig(env), env, { inProcessDelivery: false });
    const app = await buildApp(rt);
    running.push({ rt, app });
    const dev = rt.devCredentials as { clientId: string; clientSecret: string };
    const tokenRes = await app.inject({ method: 'POST', url: '/_efa/oauth/token', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}` }, payload: { grant_type: 'client_credentials' } });
    const bearer = `Bearer ${(tokenRes.json() as { access_token: string }).access_token}`;
    return {
      rt, app,
      call: async (method, path, body) => {
        const res = await app.inject({ method, url: path, headers: { authorization: bearer, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
        return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : {} };
      },
    };
  }

  const seedFile = () => join(root, 'routing', 'demo.json');
  /** Renames Kiel's trade office in the seed file, as an operator editing it would. */
  const renameKiel = (name: string) => {
    const doc = JSON.parse(readFileSync(seedFile(), 'utf8')) as { authorities: Array<{ name: string; contact?: { email?: string } }> };
    const kiel = doc.authorities.find((a) => a.contact?.email === 'gewerbe@kiel.example');
    assert.ok(kiel, 'the seed file has Kiel\'s trade office');
    kiel.name = name;
    writeFileSync(seedFile(), `${JSON.stringify(doc, null, 2)}\n`);
  };
  const kielName = (rt: Runtime) => rt.routing.authorities.get(rt.routing.responsibility.resolve(GEWERBE, KIEL_ARS) ?? '')?.name;

  test('while no version is stored, reload and SIGHUP re-read routing/*.json; a broken file keeps the data in force', async () => {
    const { rt, call } = await boot();
    assert.equal(rt.routing.version?.source, 'seed');
    assert.equal(kielName(rt), KIEL_NAME);

    renameKiel('Kiel – umbenannt in der Datei');
    const reloaded = await call('POST', `${ADMIN}/reload`);
    assert.equal(reloaded.status, 200);
    assert.equal(reloaded.body.source, 'seed');
    assert.equal(kielName(rt), 'Kiel – umbenannt in der Datei');

    const good = readFileSync(seedFile(), 'utf8');
    writeFileSync(seedFile(), good.replace('"responsibilities": [', '"responsibilities": [,'));
    const refused = await call('POST', `${ADMIN}/reload`);
    assert.equal(refused.status, 422);
    assert.match(String((refused.body.problems as Problem[])[0]?.source), /routing\/demo\.json$/);
    assert.ok((refused.body.problems as Problem[])[0]?.line, 'the syntax error has a line');
    assert.equal(kielName(rt), 'Kiel – umbenannt in der Datei', 'the data in force stays');

    writeFileSync(seedFile(), good);
    renameKiel('Kiel – nach SIGHUP');
    process.kill(process.pid, 'SIGHUP');
    await until('SIGHUP reloaded the seed', () => kielName(rt) === 'Kiel – nach SIGHUP');
  });

  test('a change is in force at once, survives a restart, and then beats the seed files', async () => {
    for (const r of running.splice(0)) { await r.app.close(); await r.rt.close(); }
    const { rt, call } = await boot();
    const res = await call('POST', `${ADMIN}/changes`, newKielAuthority('Kiel – in PGlite gespeichert'));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(kielName(rt), 'Kiel – in PGlite gespeichert', 'in force without waiting: PGlite has one process');
    for (const r of running.splice(0)) { await r.app.close(); await r.rt.close(); }

    const again = await boot();
    assert.equal(again.rt.routing.version?.version, 1);
    assert.equal(kielName(again.rt), 'Kiel – in PGlite gespeichert');
    renameKiel('Kiel – nur in der Datei');
    const reloaded = await again.call('POST', `${ADMIN}/reload`);
    assert.equal(reloaded.body.source, 'database');
    assert.equal(kielName(again.rt), 'Kiel – in PGlite gespeichert', 'the stored version, not the file, is in force');
  });
});
