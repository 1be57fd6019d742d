import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodeLists, parseGenericode } from '../src/codelists/genericode.js';
import { DeclarationError } from '../src/core/errors.js';
import { stepContext } from '../src/http/applicant/logic.js';
import { PlaceIndex } from '../src/places/places.js';
import { loadDeclarations } from '../src/runtime.js';
import { processStep } from '../src/forms/validate.js';
import { KIEL, PROBE, probeRoot, probeSchema, type ProbeRoot } from './support/probe-service.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const URN = 'urn:de:efa:codelist:hunderassen';

describe('code lists in XÖV Genericode', () => {
  test('every shipped list parses, with a URN, a version, a code column and unique codes', () => {
    const lists = loadCodeLists('.');
    const files = readdirSync('codelists').filter((f) => f.endsWith('.xml'));
    assert.equal([...lists.values()].reduce((n, versions) => n + versions.size, 0), files.length, 'one list and version per file');
    for (const versions of lists.values()) {
      for (const list of versions.values()) {
        assert.match(list.urn, /^urn:/);
        assert.ok(list.rows.length > 0);
        assert.equal(new Set(list.rows.map((r) => r[list.codeColumn])).size, list.rows.length);
      }
    }
  });

  test('the dog breed list: codes, German and English names', () => {
    const list = parseGenericode(join('codelists', 'efa.hunderassen_1.xml'));
    assert.equal(list.urn, URN);
    assert.equal(list.version, '1');
    assert.equal(list.versionUrn, `${URN}_1`);
    assert.equal(list.codeColumn, 'code');
    assert.deepEqual(list.columns, ['code', 'name', 'name_en']);
    assert.deepEqual(list.rows.find((r) => r.code === '166'), { code: '166', name: 'Deutscher Schäferhund', name_en: 'German Shepherd Dog' });
  });
});

describe('code lists referenced from a service schema, and restricted by a Land', () => {
  let probe: ProbeRoot;
  before(() => { probe = probeRoot(); });
  after(() => probe.close());

  test('the reference becomes an enum of the codes; the form gets its labels from the list; a Land may restrict it', async () => {
    probe.offer('sh', {});
    probe.offer('by', { codelists: { [URN]: ['11', '76', '286', 'X001'] } });
    const d = await loadDeclarations(probe.root, ENV);
    const service = d.services.get(PROBE);
    assert.ok(service);
    const valid = { gemeinde: KIEL, hund: { rasse: '166', gefaehrlich: false } };
    assert.equal(service.validate(valid), true);
    assert.equal(service.validate({ ...valid, hund: { rasse: 'dackel', gefaehrlich: false } }), false, 'a code outside the list is invalid');

    const optionsIn = (tenant: string) => d.tenants.get(tenant)?.forms.get(PROBE)?.steps[1]?.fields[0]?.options ?? [];
    const sh = optionsIn('sh');
    assert.equal(sh.length, service.codeLists.get(URN)?.rows.length, 'the whole list where no restriction applies');
    assert.deepEqual(sh.find((o) => o.value === '286')?.label, { de: 'American Staffordshire Terrier', en: 'American Staffordshire Terrier' });
    // The Land's codes only, offered sorted by their German label (a code list's own order is by code).
    const by = optionsIn('by');
    assert.deepEqual(by.map((o) => o.value).sort(), ['11', '286', '76', 'X001']);
    const labels = by.map((o) => (o.label as { de: string }).de);
    assert.deepEqual(labels, [...labels].sort((a, b) => a.localeCompare(b, 'de')));

    const step = (tenant: string, body: Record<string, string>) => {
      const t = d.tenants.get(tenant);
      assert.ok(t);
      const env = { tenant: t, lang: 'de' as const, base: `/${tenant}`, url: '/' };
      return processStep(service, t.forms.get(PROBE)?.steps[1] as never, { gemeinde: KIEL }, body, stepContext(env, PlaceIndex.load(probe.root), service, '2026-05-01'));
    };
    assert.equal(step('sh', { 'hund.rasse': '166', 'hund.gefaehrlich': 'nein' }).errors.size, 0);
    const refused = step('by', { 'hund.rasse': '166', 'hund.gefaehrlich': 'nein' });
    assert.match(refused.errors.get('/hund/rasse') ?? '', /eine der angebotenen Möglichkeiten/, 'a restricted Land refuses a code it does not offer');
    assert.equal(step('by', { 'hund.rasse': '286', 'hund.gefaehrlich': 'nein' }).errors.size, 0);
  });

  async function refused(path: string, message: RegExp, fileEnd: string): Promise<void> {
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => {
      const problem = err instanceof DeclarationError ? err : undefined;
      assert.ok(problem, String(err));
      assert.ok(problem.file.endsWith(fileEnd), problem.file);
      assert.equal(problem.path, path);
      assert.match(problem.message, message);
      return true;
    });
  }

  test('an unknown URN or version stops loading with the schema file and path', async () => {
    const schema = probeSchema() as { properties: { hund: { properties: { rasse: Record<string, unknown> } } } };
    schema.properties.hund.properties.rasse['x-codelist'] = { urn: 'urn:de:efa:codelist:katzenrassen', version: '1' };
    probe.write(`services/${PROBE}/schema.json`, schema);
    await refused('/properties/hund/properties/rasse/x-codelist/urn', /no code list "urn:de:efa:codelist:katzenrassen".*hunderassen/, `services/${PROBE}/schema.json`);
    schema.properties.hund.properties.rasse['x-codelist'] = { urn: URN, version: '2' };
    probe.write(`services/${PROBE}/schema.json`, schema);
    await refused('/properties/hund/properties/rasse/x-codelist/version', /has no version "2".*versions: 1/, `services/${PROBE}/schema.json`);
    probe.write(`services/${PROBE}/schema.json`, probeSchema());
  });

  test('a restriction may only leave codes out, and only of a list the service uses', async () => {
    probe.offer('by', { codelists: { [URN]: ['11', 'pudelmischling'] } });
    await refused(`/services/${PROBE}/codelists/${URN}/1`, /"pudelmischling" is not a code of urn:de:efa:codelist:hunderassen version 1/, 'tenants/by.json');
    probe.offer('by', { codelists: { 'urn:de:efa:codelist:katzenrassen': ['1'] } });
    await refused(`/services/${PROBE}/codelists/urn:de:efa:codelist:katzenrassen`, /uses no code list.*hunderassen/, 'tenants/by.json');
    probe.offer('by', {});
  });

  test('a broken code list file names itself', async () => {
    probe.write('codelists/kaputt_1.xml', '<?xml version="1.0"?><gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/"><Identification><ShortName>x</ShortName><Version>1</Version></Identification></gc:CodeList>');
    await refused('/CodeList/Identification/CanonicalUri', /is missing/, 'codelists/kaputt_1.xml');
    probe.write('codelists/kaputt_1.xml', (await import('node:fs')).readFileSync(join('codelists', 'efa.hunderassen_1.xml'), 'utf8'));
    await refused('/CodeList/Identification/Version', /urn:de:efa:codelist:hunderassen version 1 is also in/, 'codelists/kaputt_1.xml');
    (await import('node:fs')).rmSync(join(probe.root, 'codelists', 'kaputt_1.xml'));
  });

  test('efa check reports an unknown version with file and path', async () => {
    const schema = probeSchema() as { properties: { hund: { properties: { rasse: Record<string, unknown> } } } };
    schema.properties.hund.properties.rasse['x-codelist'] = { urn: URN, version: '7' };
    probe.write(`services/${PROBE}/schema.json`, schema);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], { env: { ...process.env, EFA_ROOT: probe.root, DATABASE_URL: '' } }, (err, _stdout, stderr) => {
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr });
      });
    });
    probe.write(`services/${PROBE}/schema.json`, probeSchema());
    assert.equal(code, 1);
    assert.match(stderr, /services\/probedienst\/schema\.json: \/properties\/hund\/properties\/rasse\/x-codelist\/version: urn:de:efa:codelist:hunderassen has no version "7"/);
  });
});
