import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/env.js';
import { ConfigError, DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { storeSubmission, DraftGoneError, resolveResponsible } from '../src/submissions/submit.js';
import { Browser } from './support/browser.js';
import { activity, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';
import { copyDeclarations } from './support/declarations.js';
import { newLogicContext } from '../src/services/context.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

/** A copy of the project's declarative files in which a test may break one. */
function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'efa-decl-'));
  copyDeclarations(dir);
  return dir;
}

function edit(file: string, change: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(file, JSON.stringify(json));
}

async function startupError(dir: string): Promise<DeclarationError> {
  try {
    await loadDeclarations(dir, ENV);
  } catch (err) {
    assert.ok(err instanceof DeclarationError, `expected a DeclarationError, got ${String(err)}`);
    return err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.fail('startup should have stopped');
}

describe('startup stops on a broken declarative file, naming the file, the JSON path and the problem', () => {
  test('broken service file', async () => {
    const dir = projectCopy();
    edit(join(dir, 'services/gewerbeanmeldung/service.json'), (j) => { j.leikaKey = '9905'; });
    const err = await startupError(dir);
    assert.match(err.file, /services\/gewerbeanmeldung\/service\.json$/);
    assert.equal(err.path, '/leikaKey');
    assert.match(err.message, /services\/gewerbeanmeldung\/service\.json: \/leikaKey: must match pattern/);
  });

  test('broken form file: a pointer that is not in the schema', async () => {
    const dir = projectCopy();
    edit(join(dir, 'forms/gewerbeanmeldung.form.json'), (j) => { ((j.steps as Array<{ fields: Array<{ pointer: string }> }>)[0] as { fields: Array<{ pointer: string }> }).fields[1] = { pointer: '/inhaber/nachname', kind: 'text' } as never; });
    const err = await startupError(dir);
    assert.match(err.message, /forms\/gewerbeanmeldung\.form\.json: \/steps\/0\/fields\/1\/pointer: "\/inhaber\/nachname" does not exist in services\/gewerbeanmeldung\/schema\.json/);
  });

  test('broken tenant file: a parameter out of its bounds', async () => {
    const dir = projectCopy();
    edit(join(dir, 'tenants/sh.json'), (j) => { (j.services as Record<string, { parameters: Record<string, unknown> }>).gewerbeanmeldung = { parameters: { gebuehrCent: 99999 } }; });
    const err = await startupError(dir);
    assert.match(err.message, /tenants\/sh\.json: \/services\/gewerbeanmeldung\/parameters\/gebuehrCent: must be <= 6500/);
  });

  test('broken tenant file: a theme colour without enough contrast', async () => {
    const dir = projectCopy();
    edit(join(dir, 'tenants/nw.json'), (j) => { (j.theme as Record<string, string>).accent = '#aaaaaa'; });
    const err = await startupError(dir);
    assert.match(err.message, /tenants\/nw\.json: \/theme\/accent: contrast 2\.\d\d:1 .* below WCAG AA 3:1 for graphical objects/);
  });

  test('broken routing file: unknown authority and missing variable', async () => {
    const dir = projectCopy();
    edit(join(dir, 'routing/demo.json'), (j) => { (j.responsibilities as Array<Record<string, string>>)[2] = { leikaKey: '99050012104000', arsPrefix: '01', authorityId: 'gibt-es-nicht' }; });
    const err = await startupError(dir);
    assert.match(err.message, /routing\/demo\.json: \/responsibilities\/2\/authorityId: unknown authority "gibt-es-nicht"/);
    await assert.rejects(loadDeclarations('.', {}), /routing\/demo\.json: \/directory\/0\/address: environment variable EFA_DEMO_RECEIVER_URL is not set/);
  });

  test('invalid JSON names the file', async () => {
    const dir = projectCopy();
    writeFileSync(join(dir, 'tenants/by.json'), '{ "id": "by", ');
    const err = await startupError(dir);
    assert.match(err.message, /tenants\/by\.json: \/: not valid JSON/);
  });
});

describe('configuration from the environment', () => {
  test('wrong values stop startup with a clear message', () => {
    assert.throws(() => loadConfig({ PORT: 'abc' }), (e: unknown) => e instanceof ConfigError && /PORT="abc" is not a whole number/.test(e.message));
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT=70000 is outside 0\.\.65535/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL must use postgres: or postgresql:/);
    assert.throws(() => loadConfig({ REDIS_URL: 'nonsense' }), /REDIS_URL is not a URL/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /EFA_SECRET is required in production/);
    assert.throws(() => loadConfig({ EFA_SECRET: 'short' }), /at least 32 characters/);
  });

  test('defaults are sane for a newcomer', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './data');
    assert.equal(c.pathTenants, true);
    assert.equal(c.receiverPort, 3001);
  });
});

describe('tenants by host in production mode, on the embedded database (PGlite)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ database: 'pglite', env: { EFA_PATH_TENANTS: 'false' } });
  });
  after(async () => stack.close());

  test('an unknown host is a 404, never another Land\'s page', async () => {
    const res = await new Browser(stack.url, 'unbekannt.example').get('/gewerbeanmeldung');
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.html, /Serviceportal|BayernPortal/);
    const pathMode = await new Browser(stack.url, 'unbekannt.example').get('/sh/gewerbeanmeldung');
    assert.equal(pathMode.status, 404, 'path prefixes are off outside development');
  });

  test('each host serves its own Land; another Land\'s path on it is a 404', async () => {
    const sh = await new Browser(stack.url, 'sh.localhost').get('/gewerbeanmeldung');
    assert.equal(sh.status, 200);
    assert.match(sh.html, /Serviceportal Schleswig-Holstein/);
    assert.match(sh.html, /href="\/theme.css"/);
    const by = await new Browser(stack.url, 'by.localhost').get('/gewerbeanmeldung');
    assert.match(by.html, /BayernPortal/);
    assert.equal((await new Browser(stack.url, 'sh.localhost').get('/by/gewerbeanmeldung')).status, 404);
    const css = await new Browser(stack.url, 'by.localhost').get('/theme.css');
    assert.match(css.html, /--efa-accent:#005a9c/);
  });

  test('Bayern: a full application on PGlite, delivered to the Munich office; the status link is not valid on another Land\'s host', async () => {
    const b = new Browser(stack.url, 'by.localhost');
    await b.get('/gewerbeanmeldung');
    assert.match(b.lastHtml, /40,00\s€/);
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    await step(b, { 'betrieb.name': 'Biergarten Sonne', 'betrieb.rechtsform': 'gbr', 'betrieb.anzeigegrund': 'zuzug' });
    await step(b, { 'betrieb.anschrift.strasse': 'Marienplatz', 'betrieb.anschrift.hausnummer': '8', 'betrieb.anschrift.plz': '80331', 'betrieb.anschrift.ort': 'München' });
    await step(b, activity());
    const done = await b.submit({}, '/absenden');
    assert.match(done.location ?? '', /^\/gewerbeanmeldung\/bestaetigung\/[0-9a-f-]{36}$/);
    const id = (done.location as string).split('/').pop() as string;
    await stack.rt.delivery?.drain();
    assert.equal(stack.inbox.get(id)?.authorityId, 'kvr-muenchen');
    assert.equal(stack.inbox.get(id)?.transport, 'osci', 'München is connected over the OSCI-like transport');
    assert.equal(stack.rt.db.kind, 'pglite');
    assert.match((await b.get(`/status/${id}`)).html, /data-status="delivered"/);
    const foreign = await new Browser(stack.url, 'sh.localhost').get(`/status/${id}`);
    assert.equal(foreign.status, 404);
    assert.doesNotMatch(foreign.html, /Biergarten|kvr|München/);
  });

  test('submission and outbox entry are written in one transaction: a failing write leaves neither', async () => {
    const service = stack.rt.services.get('gewerbeanmeldung');
    assert.ok(service);
    const data = {
      inhaber: { vorname: 'A', familienname: 'B', geburtsdatum: '1980-01-01', staatsangehoerigkeit: '000' },
      betrieb: { name: 'Atomar', rechtsform: 'einzelunternehmen', anzeigegrund: 'neuerrichtung', anschrift: { strasse: 'Weg', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' } },
      taetigkeit: { beschreibung: 'Prüfung der Atomarität', wirtschaftszweig: '47240', betriebsart: 'handel', beginn: '2027-01-01', nebenerwerb: false },
    };
    const count = async () => (await stack.rt.db.query<{ s: number; o: number }>('SELECT (SELECT count(*) FROM submissions)::int AS s, (SELECT count(*) FROM outbox)::int AS o')).rows[0];
    const before = await count();
    const logicCtx = newLogicContext(stack.rt.tenants.get('sh')?.parameters.get('gewerbeanmeldung') ?? {}, 'sh', '2026-11-24');
    await assert.rejects(
      storeSubmission(stack.rt.db, { tenant: 'sh', service, data, logicCtx, responsible: resolveResponsible(stack.rt.routing, service, data), draftId: '00000000-0000-4000-8000-000000000000' }),
      DraftGoneError,
    );
    assert.deepEqual(await count(), before, 'the failed transaction left no submission and no outbox row');
    // A write failing after the submission's row (a status key the table refuses) takes it back too.
    await assert.rejects(
      storeSubmission(stack.rt.db, { tenant: 'sh', service, data, logicCtx, responsible: resolveResponsible(stack.rt.routing, service, data), statusKeySha256: Buffer.alloc(3) }),
      /check constraint/,
    );
    assert.deepEqual(await count(), before, 'a write failing after the submission row left no submission and no outbox row');
    await stack.rt.delivery?.stop();
    const ok = await storeSubmission(stack.rt.db, { tenant: 'sh', service, data, logicCtx, responsible: resolveResponsible(stack.rt.routing, service, data) });
    const after = await count();
    assert.equal(after?.s, (before?.s ?? 0) + 1);
    assert.equal(after?.o, (before?.o ?? 0) + 1);
    const row = await stack.rt.db.query('SELECT 1 FROM outbox WHERE submission_id = $1', [ok.id]);
    assert.equal(row.rows.length, 1);
  });
});
