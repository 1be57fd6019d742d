import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser } from './support/browser.js';
import { extractErrors, step } from './support/answers.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { delivered, startStack, type TestStack } from './support/runtime.js';
import { scaffoldService } from '../src/authoring/scaffold.js';
import { loadExamples } from '../src/services/examples.js';
import { FORMATS_DIR, loadDeclarations } from '../src/runtime.js';

const exec = promisify(execFile);
const ID = 'fischereischein';
const LEIKA = '99999999999010';

/** The real CLI, as an author runs it, on the temp root. */
async function efa(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, EFA_ROOT: root } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Every file under the root, to show a refused command wrote nothing. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/**
 * From nothing to a submitted application with the CLI, as docs/authoring.md tells it, on a copy of
 * the project root: nothing under src/ changes, only the root's declarations.
 */
describe('efa new service: a scaffold an author fills in, offers, routes and submits', () => {
  let temp: TempRoot;
  let servicesBefore: number;
  before(() => {
    temp = copyProjectRoot('efa-authoring-');
    servicesBefore = readdirSync(join(temp.root, 'services')).length;
  });
  after(() => temp.remove());

  test('bad input is refused with a stable code and nothing is written', async () => {
    // A form left behind without its service: the id is taken all the same.
    writeJson(join(temp.root, 'forms', 'angelkarte.form.json'), { service: 'angelkarte', steps: [] });
    // Any declared service will do: its id and its LeiKa key are taken.
    const taken = readdirSync(join(temp.root, 'services')).find((d) => existsSync(join(temp.root, 'services', d, 'service.json'))) as string;
    const takenKey = (JSON.parse(readFileSync(join(temp.root, 'services', taken, 'service.json'), 'utf8')) as { leikaKey: string }).leikaKey;
    const untouched = listing(temp.root);
    const cases: Array<[string[], string, RegExp]> = [
      [['new', 'service', 'Fischerei_Schein'], 'EFA_SCAFFOLD_ID_INVALID', /must be a slug/],
      [['new', 'service', ID, '--leika', '9905001210400'], 'EFA_SCAFFOLD_LEIKA_INVALID', /exactly 14 digits/],
      [['new', 'service', ID, '--leika', takenKey], 'EFA_SCAFFOLD_LEIKA_TAKEN', new RegExp(`services/${taken}`)],
      [['new', 'service', ID, '--lead', 'xx'], 'EFA_SCAFFOLD_LEAD_UNKNOWN', /tenants\/xx\.json/],
      [['new', 'service', taken], 'EFA_SCAFFOLD_EXISTS', /exists already/],
      [['new', 'service', 'angelkarte'], 'EFA_SCAFFOLD_EXISTS', /exists already \(forms\/angelkarte\.form\.json\)/],
    ];
    for (const [args, code, message] of cases) {
      const r = await efa(temp.root, ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`^efa: ${code}: `), args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.deepEqual(listing(temp.root), untouched, 'no refused command wrote a file');
    rmSync(join(temp.root, 'forms', 'angelkarte.form.json'));
  });

  test('the scaffold is written, passes efa check at once and never overwrites', async () => {
    const r = await efa(temp.root, 'new', 'service', ID, '--leika', LEIKA, '--lead', 'sh', '--title', 'Fischereischein', '--title-en', 'Fishing licence', '--root', temp.root);
    assert.equal(r.code, 0, r.stderr);
    for (const file of [`services/${ID}/service.json`, `services/${ID}/schema.json`, `services/${ID}/types.gen.ts`, `services/${ID}/logic.ts`, `services/${ID}/examples.json`, `forms/${ID}.form.json`, `routing/${ID}.json`, `test/service-${ID}-logic.test.ts`]) {
      assert.ok(existsSync(join(temp.root, file)), file);
      assert.match(r.stdout, new RegExp(`^  ${file}$`, 'm'), `the output names ${file}`);
    }
    assert.match(r.stdout, /next steps/);
    assert.match(r.stdout, /tenants\/<land>\.json/);
    const examples = readJson<{ today?: string; tenant?: string }>(join(temp.root, 'services', ID, 'examples.json'));
    assert.equal(examples.tenant, 'sh', 'checked under the lead Land');
    assert.ok(examples.today && Math.abs(Date.parse(examples.today) - Date.now()) < 2 * 86_400_000, `checked on the day it was written (${examples.today})`);
    assert.doesNotMatch(readFileSync(join(temp.root, 'services', ID, 'logic.ts'), 'utf8'), /^import (?!type ).*from '\.\.\/\.\.\/src/m, 'the logic imports only types from the engine');
    for (const tenant of readdirSync(join(temp.root, 'tenants')).filter((f) => f.endsWith('.json'))) {
      assert.ok(!(ID in readJson<{ services: object }>(join(temp.root, 'tenants', tenant)).services), `${tenant} does not offer it yet`);
    }

    const check = await efa(temp.root, 'check');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, new RegExp(`^ok: ${servicesBefore + 1} services`, 'm'));

    const logic = readFileSync(join(temp.root, 'services', ID, 'logic.ts'), 'utf8');
    const again = await efa(temp.root, 'new', 'service', ID, '--leika', '99999999999011');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^efa: EFA_SCAFFOLD_EXISTS: service "fischereischein" exists already \(services\/fischereischein/);
    assert.equal(readFileSync(join(temp.root, 'services', ID, 'logic.ts'), 'utf8'), logic, 'nothing overwritten');
  });

  test('its own logic test runs and passes', async () => {
    // The generated test imports the engine's context helper as the project's tests do; the temp
    // root holds declarations only, so it borrows the engine's sources by a link.
    symlinkSync(resolve('src'), join(temp.root, 'src'), 'dir');
    const file = join(temp.root, 'test', `service-${ID}-logic.test.ts`);
    // NODE_TEST_CONTEXT would make the child report to this runner instead of printing.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { env });
    assert.match(stdout, /^# pass [1-9]/m);
    assert.match(stdout, /^# fail 0$/m);
  });

  test('filled in as an author would (a field in schema and form, types regenerated), efa check passes again', async () => {
    const dir = join(temp.root, 'services', ID);
    const schema = readJson<{ properties: { anliegen: { properties: Record<string, unknown> } } }>(join(dir, 'schema.json'));
    schema.properties.anliegen.properties.erstantrag = { title: 'Erstantrag', type: 'boolean' };
    writeJson(join(dir, 'schema.json'), schema);
    const form = readJson<{ steps: Array<{ id: string; fields: unknown[] }> }>(join(temp.root, 'forms', `${ID}.form.json`));
    form.steps.find((s) => s.id === 'anliegen')?.fields.push({ pointer: '/anliegen/erstantrag', kind: 'yesno', label: { de: 'Ist das Ihr erster Fischereischein?', en: 'Is this your first fishing licence?' } });
    writeJson(join(temp.root, 'forms', `${ID}.form.json`), form);

    const stale = await efa(temp.root, 'check');
    assert.equal(stale.code, 1, 'the types are out of date until gen-types');
    assert.match(stale.stderr, /EFA_TYPES_OUTDATED/);
    const gen = await efa(temp.root, 'gen-types');
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(readFileSync(join(dir, 'types.gen.ts'), 'utf8'), /erstantrag\?: Erstantrag;/);
    const check = await efa(temp.root, 'check');
    assert.equal(check.code, 0, check.stderr);
  });

  describe('offered in Schleswig-Holstein and routed to an authority, submitted over HTTP without JavaScript', () => {
    let stack: TestStack;
    before(async () => {
      const tenant = readJson<{ services: Record<string, unknown> }>(join(temp.root, 'tenants', 'sh.json'));
      tenant.services[ID] = {};
      writeJson(join(temp.root, 'tenants', 'sh.json'), tenant);
      // land-sh has a directory entry for all its services ("*"): a responsibility is all it takes.
      writeJson(join(temp.root, 'routing', `${ID}.json`), { $schema: '../schemas/routing.schema.json', responsibilities: [{ leikaKey: LEIKA, arsPrefix: '01', authorityId: 'land-sh' }] });
      stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
    });
    after(async () => stack?.close());

    test('the rule refuses a future date of birth at its field; the application reaches the authority', async () => {
      const b = new Browser(stack.url);
      const start = await b.get(`/sh/${ID}`);
      assert.equal(start.status, 200);
      assert.match(start.html, /Fischereischein/);
      const first = await b.submit({}, '/start');
      assert.equal(first.location, `/sh/${ID}/person`);
      await b.get(first.location);

      const person = { 'antragsteller.vorname': 'Erika', 'antragsteller.familienname': 'Mustermann', 'antragsteller.geburtsdatum.day': '12', 'antragsteller.geburtsdatum.month': '5', 'antragsteller.geburtsdatum.year': '1985' };
      const future = await b.submit({ ...person, 'antragsteller.geburtsdatum.year': String(new Date().getUTCFullYear() + 1) });
      assert.equal(future.status, 400);
      assert.match(extractErrors(future.html), /Das Geburtsdatum darf nicht in der Zukunft liegen\./);

      assert.equal(await step(b, person), `/sh/${ID}/anschrift`);
      assert.equal(await step(b, { 'antragsteller.anschrift.strasse': 'Holstenstraße', 'antragsteller.anschrift.hausnummer': '1', 'antragsteller.anschrift.plz': '24103', 'antragsteller.anschrift.ort': 'Kiel' }), `/sh/${ID}/anliegen`);
      assert.equal(await step(b, { 'anliegen.beschreibung': 'Ich möchte an der Kieler Förde angeln.', 'anliegen.erstantrag': 'ja' }), `/sh/${ID}/pruefen`);
      assert.match(b.lastHtml, /Ist das Ihr erster Fischereischein\?/);

      const done = await b.submit({}, '/absenden');
      assert.equal(done.status, 303, extractErrors(done.html));
      const id = (done.location as string).split('/').pop() as string;
      const received = await delivered(stack, id);
      assert.ok(received, 'the local receiver got the submission');
      assert.equal(received.authorityId, 'land-sh');
      const doc = JSON.parse(received.document) as { meta: { leikaKey: string; service: string; region: string }; data: { anliegen: { erstantrag: boolean; beschreibung: string } } };
      assert.equal(doc.meta.service, ID);
      assert.equal(doc.meta.leikaKey, LEIKA);
      assert.equal(doc.meta.region, '010020000000');
      assert.deepEqual(doc.data.anliegen, { beschreibung: 'Ich möchte an der Kieler Förde angeln.', erstantrag: true });
    });
  });
});

/** A FIM import (src/authoring/fim/) hands the scaffold its own schema and form. */
describe('scaffoldService with a given schema and form', () => {
  let temp: TempRoot;
  before(() => { temp = copyProjectRoot('efa-authoring-given-'); });
  after(() => temp.remove());

  test('writes them as given, with sample data and a region from the address field, and the runtime loads it', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://efa-runtime.example/services/angelkarte/1.0.0/schema.json',
      title: 'Angelkarte', type: 'object', additionalProperties: false, required: ['person', 'gewaesser'],
      properties: {
        person: {
          type: 'object', additionalProperties: false, required: ['name', 'wohnort'],
          properties: {
            name: { title: 'Name', type: 'string', minLength: 2, maxLength: 100 },
            wohnort: { title: 'Wohnort', type: 'object', additionalProperties: false, required: ['strasse', 'hausnummer', 'plz', 'ort', 'ars'], properties: { strasse: { type: 'string' }, hausnummer: { type: 'string' }, plz: { type: 'string', pattern: '^[0-9]{5}$' }, ort: { type: 'string' }, ars: { type: 'string', pattern: '^[0-9]{12}$' } } },
          },
        },
        gewaesser: { title: 'Gewässer', oneOf: [{ const: 'see', title: 'See' }, { const: 'fluss', title: 'Fluss' }] },
      },
    };
    const form = {
      $schema: '../schemas/form.schema.json', service: 'angelkarte',
      steps: [{ id: 'person', title: { de: 'Person' }, fields: [{ pointer: '/person/name', kind: 'text' }, { pointer: '/person/wohnort', kind: 'address' }, { pointer: '/gewaesser', kind: 'radios' }] }],
    };
    const result = await scaffoldService({ root: temp.root, id: 'angelkarte', leadLand: 'nw', schema, form });
    assert.deepEqual(result.warnings, []);
    assert.equal(result.leikaPlaceholder, true);
    assert.match(result.leikaKey, /^00[0-9]{12}$/);
    assert.deepEqual(readJson(join(temp.root, 'services', 'angelkarte', 'schema.json')), schema);
    const d = await loadDeclarations(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' });
    const service = d.services.get('angelkarte');
    assert.ok(service);
    const [example] = loadExamples(service, FORMATS_DIR, '2026-12-02');
    assert.equal(service.logic.region(example?.data), '010020000000');
  });
});

/** A title as long as a FIM document's names the type of the whole application by the service id. */
describe('the generated type of a service with a long title', () => {
  const id = 'container-stellplatz';
  const title = 'Antrag auf Erteilung einer Sondernutzungserlaubnis für das Aufstellen eines Containers oder eines Gerüsts auf öffentlichen Straßen';
  let temp: TempRoot;
  before(() => { temp = copyProjectRoot('efa-authoring-long-title-'); });
  after(() => temp.remove());

  test('is named after the service id, the logic uses that name, and gen-types and efa check agree', async () => {
    assert.ok(title.length > 100);
    await scaffoldService({ root: temp.root, id, leikaKey: '99999999999012', leadLand: 'sh', title: { de: title } });
    const file = join(temp.root, 'services', id, 'types.gen.ts');
    const types = readFileSync(file, 'utf8');
    assert.match(types, /^export interface ContainerStellplatz \{$/m);
    const names = [...types.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1] as string);
    assert.deepEqual(names.filter((n) => n.length > 40), [], 'no generated name is longer than 40 characters');
    assert.match(readFileSync(join(temp.root, 'services', id, 'logic.ts'), 'utf8'), /^import type \{ ContainerStellplatz \} from '\.\/types\.gen\.js';$/m);
    assert.equal((await efa(temp.root, 'gen-types')).code, 0);
    assert.equal(readFileSync(file, 'utf8'), types, 'npm run gen:types writes the same name');
    const check = await efa(temp.root, 'check');
    assert.equal(check.code, 0, check.stderr);
  });
});

/** A new service's examples are checked on the day and under the tenant the file states, not on the real date. */
describe('the scaffold\'s examples state their day and tenant', () => {
  const id = 'sperrmuell-termin';
  let temp: TempRoot;
  before(() => { temp = copyProjectRoot('efa-authoring-examples-'); });
  after(() => temp.remove());

  test('examples.json names the day it was written and the lead Land; the rules run on that day years later', async () => {
    await scaffoldService({ root: temp.root, id, leikaKey: '99999999999013', leadLand: 'nw', today: '2026-11-30' });
    const file = readJson<{ today?: string; tenant?: string }>(join(temp.root, 'services', id, 'examples.json'));
    assert.deepEqual([file.today, file.tenant], ['2026-11-30', 'nw']);
    const service = (await loadDeclarations(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' })).services.get(id);
    assert.ok(service);
    const [example] = loadExamples(service, FORMATS_DIR, '2031-06-01');
    assert.deepEqual([example?.today, example?.tenant], ['2026-11-30', 'nw']);
  });
});
