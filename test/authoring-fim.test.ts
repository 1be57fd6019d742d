import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { zipSync } from 'fflate';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cardinalityShape, importFim, importFimFile, parseCardinality, propertyName, UNBOUNDED_MAX_ITEMS, writeCodeListFiles, type FimImport } from '../src/authoring/fim/index.js';
import { parseRule } from '../src/authoring/fim/rules/parse.js';
import { createRenderer } from '../src/forms/render.js';
import { Previewer } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../src/runtime.js';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';

const run = promisify(execFile);
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const FIXTURES = 'test/fixtures/fim';
const PDF = { id: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', filename: 'nachweis.pdf', mediaType: 'application/pdf', size: 2048, sha512: 'ab'.repeat(64) };

/** The imports the acceptance test runs: the two public files and the project's variants of them with every construct. */
const IMPORTS = [
  { file: 'v2-simple.xml', service: 'fim-v2', leikaKey: '99999999999101', data: { natuerlichePerson: { familienname: 'Mustermann' } }, label: 'Familienname' },
  { file: 'v3-simple.xml', service: 'fim-v3', leikaKey: '99999999999102', data: { strassenanschrift: { strasse: 'Holstenstraße' } }, label: 'Straße' },
  {
    file: 'v2-constructs.xml', service: 'fim-konstrukte', leikaKey: '99999999999103', label: 'Staatsangehörigkeit',
    data: {
      antragstellendePerson: { familienname: 'Mustermann', geburtsdatum: '1980-04-01', staatsangehoerigkeit: 'deutsch', hunderasse: '11' },
      kind: [{ vorname: 'Mia', geburtsdatum: '2015-06-01' }, { vorname: 'Paul', geburtsdatum: '2017-02-03', abweichendeAnschrift: { strasse: 'Holstenstraße 3' } }],
      telefonnummer: [{ wert: '0431 123456' }],
      anzahlDerPersonenImHaushalt: 2,
      jahreseinkommen: '32000,50',
      angabenSindVollstaendig: true,
      einkommensnachweis: [PDF],
    },
  },
  {
    file: 'v3-constructs.xml', service: 'fim-konstrukte-3', leikaKey: '99999999999104', label: 'Name laut Pass',
    data: { nameLautPass: 'Erika Mustermann', uhrzeitDesTermins: '09:30', familienstand: '1', gewichtInKg: '72,5', meldebescheinigung: PDF },
  },
];

const efa = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } });

/** What `efa new service` will add around an imported schema and form: metadata, logic without rules, sample data, an offer, routing. */
async function completeService(root: string, spec: (typeof IMPORTS)[number]): Promise<void> {
  const dir = join(root, 'services', spec.service);
  const json = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  json(join(dir, 'service.json'), { $schema: '../../schemas/service.schema.json', id: spec.service, leikaKey: spec.leikaKey, version: '1.0.0', title: { de: `FIM-Import ${spec.file}` }, leadLand: 'sh' });
  writeFileSync(join(dir, 'logic.ts'), `import type { ServiceLogic } from '../../src/services/contract.js';

export const logic: ServiceLogic<Record<string, unknown>> = {
  rules: () => [],
  derive: () => ({}),
  fee: () => ({ cents: 0, currency: 'EUR' }),
  region: () => '010020000000',
};

export default logic;
`);
  json(join(dir, 'examples.json'), { $schema: '../../schemas/examples.schema.json', examples: [{ id: 'beispiel', title: { de: 'Beispiel' }, data: spec.data }] });
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
  const tenant = join(root, 'tenants', 'sh.json');
  const doc = JSON.parse(readFileSync(tenant, 'utf8')) as { services: Record<string, unknown> };
  doc.services[spec.service] = {};
  json(tenant, doc);
  json(join(root, 'routing', `${spec.service}.json`), { $schema: '../schemas/routing.schema.json', responsibilities: [{ leikaKey: spec.leikaKey, arsPrefix: '01', authorityId: 'land-sh' }] });
}

describe('efa import-fim: an XDatenfelder file becomes a service draft that efa check accepts and the preview renders', () => {
  let temp: TempRoot;
  let decl: Declarations;
  const outputs = new Map<string, string>();
  before(async () => {
    temp = copyProjectRoot('efa-fim-');
    for (const spec of IMPORTS) {
      const { stdout } = await efa(['import-fim', join(FIXTURES, spec.file), '--service', spec.service, '--out', temp.root]);
      outputs.set(spec.file, stdout);
      await completeService(temp.root, spec);
    }
    decl = await loadDeclarations(temp.root, ENV);
  });
  after(() => temp?.remove());

  test('writes the schema, the form draft and the notes, and names the source', () => {
    for (const spec of IMPORTS) {
      for (const file of [`services/${spec.service}/schema.json`, `forms/${spec.service}.form.json`, `services/${spec.service}/fim-import.md`]) {
        assert.ok(existsSync(join(temp.root, file)), `${spec.file}: ${file}`);
      }
      assert.match(outputs.get(spec.file) ?? '', new RegExp(`as service "${spec.service}"`));
    }
    assert.match(outputs.get('v2-simple.xml') ?? '', /XDatenfelder 2 xdatenfelder\.stammdatenschema\.0102 T1234 v1\.0 "Test"/);
    assert.match(outputs.get('v3-simple.xml') ?? '', /XDatenfelder 3 xdatenfelder\.datenfeldgruppe\.0103 G60000000088 v1\.2\.0 "Anschrift Inland"/);
    const notes = readFileSync(join(temp.root, 'services', 'fim-v3', 'fim-import.md'), 'utf8');
    assert.match(notes, /R60000000019.*Es muss entweder Feldgruppe G60000086/);
  });

  test('efa check accepts the copy with the four imported services (schema, form, generated types, examples)', async () => {
    const { stdout } = await efa(['check'], { EFA_ROOT: temp.root });
    const base = await loadDeclarations('.', ENV);
    const counts = /ok: (\d+) services, (\d+) forms/.exec(stdout)?.slice(1).map(Number);
    assert.deepEqual(counts, [base.services.size + IMPORTS.length, base.forms.size + IMPORTS.length], stdout);
  });

  test('every page of every imported service renders in the preview, in German and English, with the FIM labels', () => {
    const preview = new Previewer(decl, createRenderer(temp.root), FORMATS_DIR);
    const tenant = decl.tenants.get('sh');
    assert.ok(tenant);
    for (const spec of IMPORTS) {
      const pages = preview.pages(tenant, spec.service);
      assert.ok(pages.length >= 4, `${spec.service}: ${pages.join(', ')}`);
      for (const page of pages) {
        for (const lang of tenant.languages) {
          const shown = preview.render({ tenant: 'sh', service: spec.service, page, lang });
          assert.equal(shown.status, 200, `${spec.service}/${page}/${lang}`);
        }
      }
      const check = preview.render({ tenant: 'sh', service: spec.service, page: 'pruefen', lang: 'de' });
      assert.ok(check.html.includes(spec.label), `${spec.service}: the check page shows ${spec.label}`);
    }
  });

  test('a construct it cannot map is printed by name, with the element and the reason', () => {
    const out = outputs.get('v2-constructs.xml') ?? '';
    assert.match(out, /not mapped, or only approximately \(\d+\):/);
    assert.match(out, /- datentyp obj: Datenfeld F90000006 v1\.0 „Lichtbild“: a binary object \(Blob\) is not a form answer: left out/);
    assert.match(out, /- codelisteReferenz: Datenfeld F90000004 v1\.0 „Staatsangehörigkeit“: code list urn:de:example:staatsangehoerigkeit version 2 \(FIM C90000001\) is neither in the export nor under codelists\//);
    assert.match(outputs.get('v2-simple.xml') ?? '', /every construct was mapped/);
    // An optional group with required fields is no longer forced (or reported): the form asks whether it applies.
    assert.match(outputs.get('v3-simple.xml') ?? '', /every construct was mapped/);
  });

  test('efa new service --from-fim scaffolds around the imported schema and form, and lists what was not mapped', async () => {
    const spec = IMPORTS[2] as (typeof IMPORTS)[number];
    const id = 'fim-scaffold';
    const { stdout } = await efa(['new', 'service', id, '--leika', '99999999999105', '--lead', 'sh', '--from-fim', join(FIXTURES, spec.file), '--root', temp.root]);
    const imported = importFimFile(join(FIXTURES, spec.file), { serviceId: id, root: temp.root });
    assert.deepEqual(JSON.parse(readFileSync(join(temp.root, 'services', id, 'schema.json'), 'utf8')), imported.schema);
    assert.deepEqual(JSON.parse(readFileSync(join(temp.root, 'forms', `${id}.form.json`), 'utf8')), imported.form);
    for (const file of ['service.json', 'logic.ts', 'examples.json', TYPES_FILE]) assert.ok(existsSync(join(temp.root, 'services', id, file)), file);
    assert.match(stdout, /not mapped, or only approximately \(\d+\):/);
    for (const u of imported.unsupported) assert.ok(stdout.includes(`- ${u.construct}: ${u.where}`), `${u.construct} is listed`);
  });

  test('an existing draft is not overwritten without --force', async () => {
    const spec = IMPORTS[0] as (typeof IMPORTS)[number];
    const schemaFile = join(temp.root, 'services', spec.service, 'schema.json');
    const before_ = readFileSync(schemaFile, 'utf8');
    await assert.rejects(efa(['import-fim', join(FIXTURES, spec.file), '--service', spec.service, '--out', temp.root]), (err: { stderr: string }) => {
      assert.match(err.stderr, /efa: EFA_USAGE: .*services\/fim-v2\/schema\.json.* already exist.*--force/);
      return true;
    });
    assert.equal(readFileSync(schemaFile, 'utf8'), before_);
  });

  test('a file that is no XDatenfelder message, or one the parser cannot read, is refused with the reason', async () => {
    const dir = join(temp.root, 'fim-bad');
    mkdirSync(dir, { recursive: true });
    const bad = join(dir, 'kein.xml');
    writeFileSync(bad, '<?xml version="1.0"?><antrag/>');
    await assert.rejects(efa(['import-fim', bad, '--out', temp.root]), (err: { stderr: string }) => {
      assert.match(err.stderr, /efa: EFA_FIM_INVALID: .*kein\.xml: not an XDatenfelder message/);
      return true;
    });
    const v3Schema = join(dir, 'v3-schema.xml');
    writeFileSync(v3Schema, '<?xml version="1.0"?><xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"/>');
    await assert.rejects(efa(['import-fim', v3Schema, '--out', temp.root]), (err: { stderr: string }) => {
      assert.match(err.stderr, /XDatenfelder 3 xdatenfelder\.stammdatenschema\.0102: no <stammdatenschema> element/);
      return true;
    });
    const broken = join(dir, 'kaputt.xml');
    writeFileSync(broken, '<?xml version="1.0"?><xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2"><xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>');
    await assert.rejects(efa(['import-fim', broken, '--out', temp.root]), (err: { stderr: string }) => {
      assert.match(err.stderr, /kaputt\.xml: XDatenfelder 2 xdatenfelder\.stammdatenschema\.0102: not well-formed XML: .*line 1/);
      return true;
    });
    // Version 1 (a real export: Waffenbesitzkarte) is refused by name, with what to do instead.
    await assert.rejects(efa(['import-fim', join(FIXTURES, 'v1-wabeka.xml'), '--out', temp.root]), (err: { stderr: string }) => {
      assert.match(err.stderr, /XDatenfelder 1 \(xdatenfelder\.stammdatenschema\.0102001\) is not read: .*export .* as XDatenfelder 2 or 3/);
      return true;
    });
  });
});

describe('FIM cardinalities (anzahl)', () => {
  test('min:max with a number, n or * as maximum', () => {
    assert.deepEqual(parseCardinality('0:1'), { min: 0, max: 1 });
    assert.deepEqual(parseCardinality('1:n'), { min: 1, max: null });
    assert.deepEqual(parseCardinality('0:*'), { min: 0, max: null });
    assert.deepEqual(parseCardinality(' 2:5 '), { min: 2, max: 5 });
    assert.throws(() => parseCardinality('5:2'), /maximum is below the minimum/);
    assert.throws(() => parseCardinality('eins'), /not "min:max"/);
  });

  test('0:1 optional, 1:1 required, more than one an array with bounds, unbounded capped', () => {
    assert.deepEqual(cardinalityShape(parseCardinality('0:1')), { type: 'value', required: false });
    assert.deepEqual(cardinalityShape(parseCardinality('1:1')), { type: 'value', required: true });
    assert.deepEqual(cardinalityShape(parseCardinality('2:5')), { type: 'array', required: true, minItems: 2, maxItems: 5, capped: false });
    assert.deepEqual(cardinalityShape(parseCardinality('0:n')), { type: 'array', required: false, minItems: 0, maxItems: UNBOUNDED_MAX_ITEMS, capped: true });
    assert.deepEqual(cardinalityShape(parseCardinality('1:n')), { type: 'array', required: true, minItems: 1, maxItems: UNBOUNDED_MAX_ITEMS, capped: true });
    assert.deepEqual(cardinalityShape(parseCardinality('0:0')), { type: 'absent' });
  });
});

describe('FIM data types and field kinds', () => {
  let v2: FimImport;
  let v3: FimImport;
  before(() => {
    v2 = importFimFile(join(FIXTURES, 'v2-constructs.xml'), { root: '.' });
    v3 = importFimFile(join(FIXTURES, 'v3-constructs.xml'), { root: '.' });
  });
  type Node = { properties?: Record<string, Node>; items?: Node } & Record<string, unknown>;
  /** The schema of a property by its data pointer (without row indexes). */
  const prop = (r: FimImport, pointer: string): Node => {
    let node = r.schema as Node;
    for (const key of pointer.split('/').slice(1)) {
      const next = node.properties?.[key] ?? node.items?.properties?.[key];
      assert.ok(next, `${pointer}: no property ${key}`);
      node = next;
    }
    return node;
  };
  const fields = (r: FimImport): Array<{ pointer: string; kind: string; fields?: unknown[] }> =>
    (r.form.steps as Array<{ fields: Array<{ pointer: string; kind: string; fields?: unknown[] }> }>).flatMap((s) => s.fields);
  const kindOf = (r: FimImport, pointer: string) => fields(r).find((f) => f.pointer === pointer)?.kind;
  const constructs = (r: FimImport) => r.unsupported.map((u) => `${u.construct} @ ${u.where.split(' ')[1]}`);

  test('text with its lengths, date, integer with its range, bool', () => {
    assert.deepEqual(prop(v2, '/antragstellendePerson/familienname'), { ...prop(v2, '/antragstellendePerson/familienname'), type: 'string', minLength: 1, maxLength: 120, title: 'Familienname', description: 'Wie im Ausweis' });
    assert.equal(kindOf(v2, '/antragstellendePerson/familienname'), 'text');
    assert.equal(prop(v2, '/antragstellendePerson/geburtsdatum').format, 'date');
    assert.equal(kindOf(v2, '/antragstellendePerson/geburtsdatum'), 'date');
    const anzahl = prop(v2, '/anzahlDerPersonenImHaushalt');
    assert.deepEqual([anzahl.type, anzahl.minimum, anzahl.maximum], ['integer', 1, 20]);
    assert.equal(kindOf(v2, '/anzahlDerPersonenImHaushalt'), 'integer');
    assert.equal(prop(v2, '/angabenSindVollstaendig').type, 'boolean');
    assert.equal(kindOf(v2, '/angabenSindVollstaendig'), 'yesno');
    assert.deepEqual((v2.schema.required as string[]).sort(), ['angabenSindVollstaendig', 'antragstellendePerson', 'anzahlDerPersonenImHaushalt', 'einkommensnachweis']);
  });

  test('a code list under codelists/ becomes x-codelist, a missing one a text field reported with URN and version', () => {
    assert.deepEqual(prop(v2, '/antragstellendePerson/hunderasse')['x-codelist'], { urn: 'urn:de:efa:codelist:hunderassen', version: '1' });
    assert.equal(kindOf(v2, '/antragstellendePerson/hunderasse'), 'select');
    assert.equal(kindOf(v2, '/antragstellendePerson/staatsangehoerigkeit'), 'text');
    const missing = v2.unsupported.find((u) => u.construct === 'codelisteReferenz');
    assert.match(missing?.detail ?? '', /urn:de:example:staatsangehoerigkeit version 2 .*"x-codelist": \{ "urn": "urn:de:example:staatsangehoerigkeit", "version": "2" \}/);
    // Without a project root there are no local lists: the same reference needs a download.
    const bare = importFim(readFileSync(join(FIXTURES, 'v2-constructs.xml'), 'utf8'));
    assert.equal(bare.unsupported.filter((u) => u.construct === 'codelisteReferenz').length, 2);
  });

  test('repeated groups and fields become arrays with bounds; a form group asks their rows', () => {
    const kind = prop(v2, '/kind');
    assert.deepEqual([kind.type, kind.minItems, kind.maxItems], ['array', 0, UNBOUNDED_MAX_ITEMS]);
    // A group inside the row is asked with deeper pointers, an optional one after a question in the row
    // (its fields read it as row.<path>); a repeated group inside the row is a group nested in the row
    // (docs/forms.md "Nested groups"): an array with bounds in the row's schema, a group field after the row's fields.
    type Row = { pointer: string; kind: string; showIf?: unknown; fields?: Row[]; itemLabel?: { de: string } };
    const kindRow = fields(v2).find((f) => f.pointer === '/kind')?.fields as Row[];
    assert.deepEqual(kindRow.map((f) => f.pointer), ['/vorname', '/geburtsdatum', '/abweichendeAnschriftAngeben', '/abweichendeAnschrift/strasse', '/impfung']);
    assert.equal(kindRow[2]?.kind, 'yesno');
    assert.deepEqual(kindRow[3]?.showIf, { '===': [{ var: 'row.abweichendeAnschriftAngeben' }, true] });
    const inner = kindRow[4] as Row;
    assert.deepEqual([inner.kind, inner.itemLabel?.de, inner.fields?.map((f) => `${f.pointer} ${f.kind}`)], ['group', 'Impfung', ['/impfdatum date']]);
    const impfung = (prop(v2, '/kind').items?.properties as Record<string, { type: string; minItems: number; maxItems: number }>).impfung;
    assert.deepEqual([impfung?.type, impfung?.minItems, impfung?.maxItems], ['array', 0, 5]);
    assert.equal(constructs(v2).some((c) => c.endsWith('@ G90000004')), false, 'the nested group is asked, not reported as left out');
    assert.ok(v2.notes.some((n) => n.kind === 'group' && n.where === '/kind/impfung'), 'fim-import.md says it is a nested group');
    const tel = prop(v2, '/telefonnummer');
    assert.deepEqual([tel.type, tel.minItems, tel.maxItems, (tel.items as { required: string[] }).required], ['array', 0, 3, ['wert']]);
    assert.equal(kindOf(v2, '/telefonnummer'), 'group');
    const files = prop(v2, '/einkommensnachweis');
    assert.deepEqual([files.type, files.minItems, files.maxItems], ['array', 1, 2]);
    assert.equal(kindOf(v2, '/einkommensnachweis'), 'file');
    assert.ok(constructs(v2).includes('anzahl 0:* @ G90000002'), constructs(v2).join('; '));
    assert.ok(constructs(v2).includes('anzahl 0:3 (Datenfeld) @ F90000009'), constructs(v2).join('; '));
  });

  test('a group nested twice, and an upload in a nested row, are left out and reported: the engine nests one level, without files', () => {
    const gewerbe = importFimFile(join(FIXTURES, 'exports', 'S00000009-gewerbe'), { root: '.' });
    assert.ok(constructs(gewerbe).includes('anzahl 1:* inside a repeatable group inside a repeatable group @ G00000247'), constructs(gewerbe).join('; '));
    const vertreter = fields(gewerbe).find((f) => f.pointer === '/angabenZumBetriebsinhaber')?.fields as Array<{ pointer: string; kind: string; fields?: Array<{ kind: string }> }>;
    const nested = vertreter.find((f) => f.pointer === '/gesetzlicherVertreter');
    assert.equal(nested?.kind, 'group', 'the legal representatives are a group in the row');
    assert.equal(nested?.fields?.some((f) => f.kind === 'group'), false, 'no group inside the nested group');
    const xml = readFileSync(join(FIXTURES, 'v2-constructs.xml'), 'utf8');
    const at = xml.indexOf('<xdf:id>F90000015</xdf:id>');
    const upload = xml.slice(0, at) + xml.slice(at).replace('<code>date</code>', '<code>file</code>');
    const r = importFim(upload, { root: '.' });
    assert.ok(constructs(r).includes('datentyp file inside a nested group @ F90000015'), constructs(r).join('; '));
  });

  test('money and decimals become text with a pattern, reported; obj is left out, reported; a label introduces its step', () => {
    assert.equal(prop(v2, '/jahreseinkommen').pattern, '^-?[0-9]{1,13}(,[0-9]{1,2})?$');
    assert.ok(constructs(v2).includes('datentyp num_currency @ F90000011'));
    assert.equal('lichtbild' in (prop(v2, '/antragstellendePerson').properties ?? {}), false);
    assert.ok(constructs(v2).includes('datentyp obj @ F90000006'));
    const first = (v2.form.steps as Array<{ intro?: { de: string } }>)[0];
    assert.equal(first?.intro?.de, 'Bitte halten Sie Ihren Personalausweis bereit.');
    assert.ok(v2.notes.some((n) => n.kind === 'rule' && n.script === 'function script() {}'));
  });

  test('XDatenfelder 3: text_latin, time, num with a range, hidden, an inline value list (werte), file types and size', () => {
    assert.deepEqual(constructs(v3).sort(), [
      'datentyp num @ F90000000105', 'datentyp text_latin @ F90000000101', 'datentyp time @ F90000000102', 'feldart hidden @ F90000000103',
      'mediaType @ F90000000106', 'praezisierung minValue/maxValue (num) @ F90000000105',
    ]);
    assert.deepEqual(prop(v3, '/familienstand').oneOf, [{ const: '1', title: 'ledig' }]);
    assert.deepEqual([prop(v3, '/nameLautPass').minLength, prop(v3, '/nameLautPass').maxLength], [1, 80]);
    assert.equal(prop(v3, '/uhrzeitDesTermins').pattern, '^([01][0-9]|2[0-3]):[0-5][0-9]$');
    assert.equal('interneKennung' in (v3.schema.properties as object), false);
    const file = prop(v3, '/meldebescheinigung').properties ?? {};
    assert.deepEqual(file.mediaType?.enum, ['application/pdf']);
    assert.equal(file.size?.maximum, 2048 * 1024);
    assert.ok(v3.notes.some((n) => n.kind === 'prefill' && n.where === '/nameLautPass'));
  });

  test('a required group without a required field is not required: an empty object says nothing and the form could not ask for it', () => {
    const xml = readFileSync(join(FIXTURES, 'v2-simple.xml'), 'utf8');
    assert.deepEqual(importFim(xml).schema.required, ['natuerlichePerson']);
    const at = xml.lastIndexOf('<xdf:anzahl>1:1</xdf:anzahl>');
    const optionalName = `${xml.slice(0, at)}<xdf:anzahl>0:1</xdf:anzahl>${xml.slice(at + '<xdf:anzahl>1:1</xdf:anzahl>'.length)}`;
    const r = importFim(optionalName);
    assert.equal(r.schema.required, undefined);
    assert.equal((r.schema.properties as Record<string, { required?: string[] }>).natuerlichePerson?.required, undefined);
  });

  test('a FIM pattern matches the whole value, as in XML Schema; one JavaScript cannot compile is reported', () => {
    const xml = readFileSync(join(FIXTURES, 'v2-simple.xml'), 'utf8');
    const withPattern = (p: string) => importFim(xml.replace('{"minLength":"1","maxLength":"120"}', JSON.stringify({ pattern: p })));
    const name = (r: FimImport) => (r.schema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).natuerlichePerson?.properties.familienname;
    assert.equal(name(withPattern('[A-Z][a-z]+'))?.pattern, '^(?:[A-Z][a-z]+)$');
    const broken = withPattern('[a-');
    assert.equal(name(broken)?.pattern, undefined);
    assert.deepEqual(broken.unsupported.map((u) => u.construct), ['praezisierung pattern']);
    // XSD-only syntax is translated, not passed on to mean something else.
    const latin = name(withPattern('\\p{IsBasicLatin}+'))?.pattern;
    assert.equal(latin, '^(?:[\\x00-\\x7F]+)$');
    // …or refused by name, and the field is left unchecked rather than checked wrongly.
    const subtracted = withPattern('[a-z-[aeiou]]+');
    assert.equal(name(subtracted)?.pattern, undefined);
    assert.equal(subtracted.unsupported.length, 1);
    assert.match(subtracted.unsupported[0]?.detail ?? '', /^EFA_PATTERN_UNSUPPORTED: .*class subtraction/);
    assert.match(subtracted.unsupported[0]?.where ?? '', /Familienname/);
  });

  test('property names from the German labels', () => {
    assert.equal(propertyName('Natürliche Person'), 'natuerlichePerson');
    assert.equal(propertyName('Straße'), 'strasse');
    assert.equal(propertyName('1. Wohnsitz'), 'f1Wohnsitz');
  });
});

describe('FIM readers: XDatenfelder 2 and 3 as their XSDs allow them', () => {
  const EXPORTS = join(FIXTURES, 'exports');
  const v2Simple = () => readFileSync(join(FIXTURES, 'v2-simple.xml'), 'utf8');

  test('an empty <xdf:version/> and a missing optional element are read, not refused', () => {
    const xml = v2Simple().replace(/<xdf:version>[^<]*<\/xdf:version>/g, '<xdf:version/>').replace(/<xdf:hilfetextEingabe>[^<]*<\/xdf:hilfetextEingabe>/g, '');
    const r = importFim(xml);
    assert.equal(r.source.version, '');
    assert.deepEqual(Object.keys(r.schema.properties as object), ['natuerlichePerson']);
    // The real Gewerbe-Anmeldung has one such element.
    const gewerbe = importFimFile(join(EXPORTS, 'S00000009-gewerbe', 'S00000009_xdatenfelder.xml'));
    assert.equal(gewerbe.source.id, 'S00000009');
  });

  test('a version 3 Stammdatenschema: schema, groups, rules, inline value lists and code list references with their version', () => {
    const r = importFimFile(join(EXPORTS, 'S00000094-mutterschutz-xdf3', 'S00000000094V1.0.0_xdf3.xml'));
    assert.deepEqual(r.source, {
      xdatenfelder: '3', message: 'xdatenfelder.stammdatenschema.0102', id: 'S00000000094', version: '1.0.0',
      name: 'Benachrichtigung über die Beschäftigung einer schwangeren oder stillenden Frau',
    });
    const text = JSON.stringify(r.schema);
    // Werteliste inline (werte/wert): the options with their labels.
    assert.ok(text.includes('{"const":"001","title":"in Deutschland"},{"const":"002","title":"außerhalb von Deutschland"}'), 'the inline value list');
    // A code list reference keeps URN and version (here not under codelists/: reported with both).
    assert.ok(r.unsupported.some((u) => u.construct === 'codelisteReferenz' && (u.detail ?? '').includes('urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat version 2021-02-19')), JSON.stringify(r.unsupported));
    // Rules (freitextRegel) are read with their element, and translated: "Wenn im Datenfeld F00000000463 der Wert 009 angegeben wurde, dann soll F00000000601 zum Pflichtfeld werden."
    assert.deepEqual(r.rules, { total: 13, translated: 13 });
    const sonstiges = (r.form.steps as Array<{ fields: Array<{ pointer: string; showIf?: unknown; required?: boolean }> }>).flatMap((s) => s.fields).find((f) => f.pointer === '/sonstigesBeschaeftigungsverhaeltnis');
    assert.deepEqual(sonstiges?.showIf, { '===': [{ var: 'answers.dieFrauStehtInFolgendemBeschaeftigungsverhaeltnis' }, '009'] });
    assert.equal(sonstiges?.required, true);
  });

  test('version 3 relations (provenance of an element) are read and reported, not asked', () => {
    const xml = readFileSync(join(FIXTURES, 'v3-simple.xml'), 'utf8');
    // On the group below the root, Straßenanschrift.
    const at = xml.indexOf('<xdf:id>G60000000086</xdf:id>');
    const withRelation = xml.slice(0, at) + xml.slice(at).replace('</xdf:identifikation>', '</xdf:identifikation><xdf:relation><xdf:praedikat listURI="urn:xoev-de:fim:codeliste:xdatenfelder.relation" listVersionID="1.0"><code>ABL</code></xdf:praedikat><xdf:objekt><xdf:id>G60000000001</xdf:id><xdf:version>1.0.0</xdf:version></xdf:objekt></xdf:relation>');
    assert.notEqual(withRelation, xml);
    const r = importFim(withRelation);
    assert.deepEqual(r.unsupported.filter((u) => u.construct === 'relation').map((u) => u.detail), ['ABL G60000000001: provenance only, not part of the form']);
  });

  test('version 2 and 3 of the same export give the same structure', () => {
    const v2 = importFimFile(join(EXPORTS, 'S05000058-bewohnerparken', 'S05000058V1.0_xdf2.xml'));
    const v3 = importFimFile(join(EXPORTS, 'S05000058-bewohnerparken-xdf3', 'S05000000058V1.0.0_xdf3.xml'));
    const shape = (r: FimImport) => JSON.stringify(r.schema.properties, (k, v: unknown) => (k === '$comment' || k === 'description' ? undefined : v));
    assert.equal(Object.keys(v3.schema.properties as object).join(), Object.keys(v2.schema.properties as object).join());
    assert.ok(shape(v3).length > 1000);
  });
});

describe('FIM exports: the ZIP or folder with its code lists', () => {
  const MUTTERSCHUTZ = join(FIXTURES, 'exports', 'S00000094-mutterschutz');
  const zipOf = (dir: string) => zipSync(Object.fromEntries(readdirSync(dir).map((f) => [`export/${f}`, readFileSync(join(dir, f))])));

  test('a ZIP gives the same draft as its folder, and the code lists it ships are installed under honest names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'efa-fim-zip-'));
    try {
      const zip = join(dir, 'S00000094.zip');
      writeFileSync(zip, zipOf(MUTTERSCHUTZ));
      const fromZip = importFimFile(zip);
      const fromFolder = importFimFile(MUTTERSCHUTZ);
      assert.deepEqual(fromZip.schema, fromFolder.schema);
      assert.deepEqual(fromZip.codeListFiles.map((f) => f.file).sort(), [
        'codelists/bund.destatis.bevoelkerungsstatistik.schluessel.staat_2021-02-19.xml',
        'codelists/fim.codeliste.anschrift-inland-oder-ausland_2021-06-18.xml',
        'codelists/fim.codeliste.artbeschaeftigungsverhaeltnis_2018-05-09.xml',
        'codelists/fim.codeliste.statusfrauschwangerstillend_2020-02-06.xml',
      ]);
      // The choice is backed by the export's own list.
      const text = JSON.stringify(fromZip.schema);
      assert.ok(text.includes('"x-codelist":{"urn":"urn:de:fim:codeliste:anschrift-inland-oder-ausland","version":"2021-06-18"}'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a list the project has (same URN and version) is used, not written again; a local list is named as such', () => {
    const root = mkdtempSync(join(tmpdir(), 'efa-fim-lists-'));
    try {
      const first = importFimFile(MUTTERSCHUTZ, { root });
      assert.equal(first.codeListFiles.length, 4);
      writeCodeListFiles(root, first);
      const again = importFimFile(join(FIXTURES, 'exports', 'S00000094-mutterschutz-xdf3'), { root });
      assert.deepEqual(again.codeListFiles, [], 'the Destatis list is in the project already');
      assert.ok(again.notes.some((n) => n.kind === 'codelist' && n.text.includes('(already in the project)')));
      const parking = importFimFile(join(FIXTURES, 'exports', 'S05000058-bewohnerparken'), { root, serviceId: 'bewohnerparken' });
      const local = parking.codeListFiles.find((f) => f.urn === 'Bestätigung');
      assert.equal(local?.file, 'codelists/lokal.bewohnerparken.bestaetigung_0-1.xml');
      assert.ok(parking.notes.some((n) => n.text.includes('„Bestätigung“ is no URN, so it is not published in a repository')));
      assert.ok(!parking.unsupported.some((u) => (u.detail ?? '').includes('XRepository (Bestätigung)')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a ZIP that is not one, or holds no XDatenfelder message, is refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'efa-fim-bad-zip-'));
    try {
      const broken = join(dir, 'kaputt.zip');
      writeFileSync(broken, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40)]));
      assert.throws(() => importFimFile(broken), /kaputt\.zip: not a readable ZIP file/);
      const lists = join(dir, 'nur-listen.zip');
      writeFileSync(lists, zipSync({ 'C1.xml': readFileSync(join(MUTTERSCHUTZ, 'C00000020_genericode.xml')) }));
      assert.throws(() => importFimFile(lists), /nur-listen\.zip: not an XDatenfelder message/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FIM rule shapes of several fields and of dates', () => {
  test('UND/ODER of compared, negated or empty fields becomes one compound shape; a mixed joiner or a date inside stays untranslated', () => {
    assert.deepEqual(parseRule('Wenn Feld F00000532 „Beseitigung“ <> wahr ODER das Feld F00000549 „Deponie“ leer ist, dann muss das Feld F00000550 „Andere Art“ befüllt sein. Wenn …'), {
      type: 'compound', join: 'or', targets: ['F00000550'], required: true,
      atoms: [{ ref: 'F00000532', test: { values: [true] }, negate: true }, { ref: 'F00000549', test: { given: false }, negate: false }],
    });
    assert.equal(parseRule('Wenn das Feld F1000000001 = 01 UND das Feld F1000000002 = 02 ODER das Feld F1000000003 leer ist, dann muss das Feld F1000000004 befüllt sein.'), undefined);
    assert.equal(parseRule('Wenn das Feld F00002364 = "wahr" ODER (aktuelles Datum - G00001377.F00002373) > 6 Jahre, dann muss die Feldgruppe G00001378 befüllt sein.'), undefined);
  });

  test('"(aktuelles Datum - F1) < 7 Tage, dann muss F2 befüllt sein" is a check of days until the date, exclusive when the text forbids F2 otherwise', () => {
    assert.deepEqual(parseRule('Wenn (aktuelles Datum - F00000539 „Beginn der Tätigkeiten“) < 7 Tage muss das Feld F00002543 „Fristverkürzung“ befüllt sein. Wenn (aktuelles Datum - F00000539 „Beginn der Tätigkeiten“) >= 7 Tage, dann darf das Feld F00002543 „Fristverkürzung“ nicht befüllt sein.'),
      { type: 'soon', source: 'F00000539', days: 7, target: 'F00002543', exclusive: true });
    assert.deepEqual(parseRule('Wenn (aktuelles Datum - F00000539) < 3 Tage, dann muss das Feld F00002543 befüllt sein.'), { type: 'soon', source: 'F00000539', days: 3, target: 'F00002543', exclusive: false });
  });
});
