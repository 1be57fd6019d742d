import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';

/**
 * `efa check` explains every broken cross-reference with the file, the JSON path in it, a stable
 * code and what to do. Each test breaks one reference in a copy of the project root that holds a
 * service of its own (so nothing depends on which services the project ships), runs the real CLI
 * and restores the files afterwards.
 */
const PROBE = 'querverweis';
const LEIKA = '99999999999077';
const LAND = 'sh';
const LIST_URN = 'urn:de:efa:test:tierrassen';
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

type Json = Record<string, unknown>;
interface Form { steps: Array<{ id: string; showIf?: unknown; fields: Array<Json & { fields?: Json[] }> }> }

const CODE_LIST = `<?xml version="1.0" encoding="UTF-8"?>
<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
  <Identification><ShortName>test.tierrassen</ShortName><Version>1</Version><CanonicalUri>${LIST_URN}</CanonicalUri></Identification>
  <ColumnSet>
    <Column Id="code" Use="required"><ShortName>Code</ShortName><Data Type="string"/></Column>
    <Column Id="name" Use="required"><ShortName>Rasse</ShortName><Data Type="string"/></Column>
    <Key Id="codeKey"><ShortName>Code</ShortName><ColumnRef Ref="code"/></Key>
  </ColumnSet>
  <SimpleCodeList>
    <Row><Value ColumnRef="code"><SimpleValue>A</SimpleValue></Value><Value ColumnRef="name"><SimpleValue>Alpha</SimpleValue></Value></Row>
    <Row><Value ColumnRef="code"><SimpleValue>B</SimpleValue></Value><Value ColumnRef="name"><SimpleValue>Beta</SimpleValue></Value></Row>
  </SimpleCodeList>
</gc:CodeList>
`;

interface Run { code: number; stdout: string; stderr: string }

function efaCheck(root: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], { env: { ...process.env, EFA_ROOT: root, DATABASE_URL: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The problem line of `efa check` for this code, file and JSON path ("  CODE file: path: message"). */
function problemLine(run: Run, code: string, file: string, path: string): string {
  const line = run.stderr.split('\n').find((l) => l.startsWith(`  ${code} `) && l.includes(`${file}: ${path}: `));
  assert.ok(line, `no ${code} problem for ${file} ${path} in:\n${run.stderr}${run.stdout}`);
  return line;
}

describe('efa check explains broken cross-references with file, JSON path and reason', () => {
  let temp: TempRoot;
  const at = (rel: string) => join(temp.root, rel);
  const read = (rel: string) => JSON.parse(readFileSync(at(rel), 'utf8')) as Json;
  const write = (rel: string, value: unknown) => writeFileSync(at(rel), `${JSON.stringify(value, null, 2)}\n`);
  const formFile = `forms/${PROBE}.form.json`;
  const serviceFile = `services/${PROBE}/service.json`;
  const schemaFile = `services/${PROBE}/schema.json`;
  const examplesFile = `services/${PROBE}/examples.json`;
  const tenantFile = `tenants/${LAND}.json`;
  const routingFile = `routing/${PROBE}.json`;

  /** Changes files, runs efa check, puts the files back (also when the assertions fail). */
  async function checkBroken(files: string[], change: () => void): Promise<Run> {
    const originals = new Map(files.map((f) => [f, readFileSync(at(f), 'utf8')]));
    try {
      change();
      const run = await efaCheck(temp.root);
      assert.equal(run.code, 1, `efa check passed a broken reference:\n${run.stdout}${run.stderr}`);
      return run;
    } finally {
      for (const [f, text] of originals) writeFileSync(at(f), text);
    }
  }

  function form(): Form {
    return read(formFile) as unknown as Form;
  }

  before(async () => {
    temp = copyProjectRoot('efa-xref-');
    await addExtraService(temp.root, { id: PROBE, leikaKey: LEIKA, tenants: [LAND], routes: { '01': `land-${LAND}` }, minItems: 1, maxItems: 3 });
    // Give the probe everything that can be referred to: a parameter, a derived value, a code list, a conditional step.
    writeFileSync(at('codelists/test.tierrassen_1.xml'), CODE_LIST);
    const service = read(serviceFile);
    service.parameters = { gebuehrCent: { title: { de: 'Gebühr', en: 'Fee' }, type: 'integer', minimum: 0, maximum: 100000, default: 0 } };
    service.derived = { anzahlTiere: { title: { de: 'Anzahl der Tiere', en: 'Number of pets' }, type: 'integer' } };
    service.display = [{ value: 'derived.anzahlTiere', label: { de: 'Tiere', en: 'Pets' }, format: 'number' }];
    write(serviceFile, service);
    const schema = read(schemaFile) as { properties: Record<string, { properties?: Json }>; $defs: { tier: { properties: Json } } };
    (schema.properties.halter?.properties as Json).gewerblich = { title: 'Gewerblich', type: 'boolean' };
    schema.properties.bemerkung = { title: 'Bemerkung', type: 'string', maxLength: 200 } as never;
    schema.$defs.tier.properties.rasse = { title: 'Rasse', type: 'string', 'x-codelist': { urn: LIST_URN, version: '1' } };
    write(schemaFile, schema);
    writeFileSync(at(`services/${PROBE}/${TYPES_FILE}`), await generateTypes(at(`services/${PROBE}`)));
    const f = form();
    f.steps[0]?.fields.push({ pointer: '/halter/gewerblich', kind: 'yesno', label: { de: 'Gewerblich?', en: 'Commercial?' } });
    f.steps.push({
      id: 'bemerkung', title: { de: 'Bemerkung', en: 'Remark' } as never, showIf: { '==': [{ var: 'answers.halter.gewerblich' }, true] },
      fields: [{ pointer: '/bemerkung', kind: 'textarea', label: { de: 'Bemerkung', en: 'Remark' } }],
    } as never);
    (f.steps[1]?.fields[0]?.fields as Json[]).push({ pointer: '/rasse', kind: 'select', label: { de: 'Rasse', en: 'Breed' }, options: { A: { de: 'Alpha', en: 'Alpha' } } });
    write(formFile, f);
    const examples = read(examplesFile) as { examples: Array<{ data: { halter: Json; bemerkung?: string } }> };
    for (const e of examples.examples) { e.data.halter.gewerblich = true; e.data.bemerkung = 'Zucht'; }
    write(examplesFile, examples);
  });
  after(() => temp.remove());

  test('the unbroken copy passes', async () => {
    const run = await efaCheck(temp.root);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^ok: \d+ services/m);
    assert.doesNotMatch(run.stderr, /warning|EFA_/);
  });

  test('a form field whose pointer is not in the schema, also inside a group', async () => {
    const run = await checkBroken([formFile], () => {
      const f = form();
      (f.steps[0]?.fields[0] as Json).pointer = '/halter/nmae';
      (f.steps[1]?.fields[0]?.fields as Json[])[1] = { pointer: '/artt', kind: 'radios', label: 'Art' };
      write(formFile, f);
    });
    assert.match(problemLine(run, 'EFA_XREF_POINTER', formFile, '/steps/0/fields/0/pointer'), /"\/halter\/nmae" does not exist in services\/querverweis\/schema\.json: fix the pointer or add the property.*\/halter has: name, anschrift, gewerblich/);
    assert.match(problemLine(run, 'EFA_XREF_POINTER', formFile, '/steps/1/fields/0/fields/1/pointer'), /"\/artt" does not exist in services\/querverweis\/schema\.json \(in the items of \/tiere.*fix the pointer or add the property.*has: name, art, geburtsdatum/);
    // Both in one run: a form's problems are listed together, not one per run.
    assert.match(run.stderr, /EFA_DECLARATION_INVALID: 2 problems:/);
  });

  test('a condition on an unknown answer, an undeclared parameter or an unknown derived value', async () => {
    const run = await checkBroken([formFile], () => {
      const f = form();
      (f.steps[1] as Form['steps'][number]).showIf = { '>': [{ var: 'params.rabatt' }, 0] };
      (f.steps[2] as Form['steps'][number]).showIf = { '==': [{ var: 'answers.halter.gewerbe' }, true] };
      (f.steps[2]?.fields[0] as Json).showIf = { '!!': { var: 'derived.anzahlHunde' } };
      write(formFile, f);
    });
    assert.match(problemLine(run, 'EFA_XREF_PARAMETER', formFile, '/steps/1/showIf/>/0/var'), /"params\.rabatt": no such service parameter: declare "rabatt" under "parameters" in service\.json or fix the name \(declared: gebuehrCent\)/);
    assert.match(problemLine(run, 'EFA_XREF_ANSWER', formFile, '/steps/2/showIf/==/0/var'), /"answers\.halter\.gewerbe": \/halter\/gewerbe does not exist in services\/querverweis\/schema\.json.*gewerblich/);
    assert.match(problemLine(run, 'EFA_XREF_DERIVED', formFile, '/steps/2/fields/0/showIf/!!/var'), /"derived\.anzahlHunde": no such derived value.*declared: anzahlTiere/);
  });

  test('a tenant value or a local override of a parameter the service does not declare', async () => {
    const run = await checkBroken([tenantFile], () => {
      const tenant = read(tenantFile) as { services: Record<string, Json> };
      tenant.services[PROBE] = { parameters: { gebuehrCent: 500, rabatt: 10 }, local: [{ ars: '01002', parameters: { gebuehrCnt: 700 } }] };
      write(tenantFile, tenant);
    });
    assert.match(problemLine(run, 'EFA_XREF_PARAMETER', tenantFile, `/services/${PROBE}/parameters/rabatt`), /no parameter "rabatt" in services\/querverweis\/service\.json: remove it or fix the name \(declared: gebuehrCent\)/);
    assert.match(problemLine(run, 'EFA_XREF_PARAMETER', tenantFile, `/services/${PROBE}/local/0/parameters/gebuehrCnt`), /no parameter "gebuehrCnt".*local override can only change a declared parameter/);
    assert.match(run.stderr, /EFA_DECLARATION_INVALID: 2 problems:/);
  });

  test('a code list that does not exist: in the schema, a tenant\'s restriction or a form\'s labels', async () => {
    const schema = await checkBroken([schemaFile], () => {
      const s = read(schemaFile) as { $defs: { tier: { properties: { rasse: Json } } } };
      s.$defs.tier.properties.rasse['x-codelist'] = { urn: LIST_URN, version: '2' };
      write(schemaFile, s);
    });
    assert.match(problemLine(schema, 'EFA_XREF_CODELIST', schemaFile, '/$defs/tier/properties/rasse/x-codelist/version'), /urn:de:efa:test:tierrassen has no version "2" under codelists\/.*\(versions: 1\)/);
    // The broken service is reported once, not again by its form, tenant and types.
    assert.match(schema.stderr, /EFA_DECLARATION_INVALID: 1 problem:/);

    const tenant = await checkBroken([tenantFile], () => {
      const t = read(tenantFile) as { services: Record<string, Json> };
      t.services[PROBE] = { codelists: { 'urn:de:efa:test:katzenrassen': ['A'], [LIST_URN]: ['A', 'Z'] } };
      write(tenantFile, t);
    });
    assert.match(problemLine(tenant, 'EFA_XREF_CODELIST', tenantFile, `/services/${PROBE}/codelists/urn:de:efa:test:katzenrassen`), /schema\.json uses no code list "urn:de:efa:test:katzenrassen".*it uses: urn:de:efa:test:tierrassen/);
    assert.match(problemLine(tenant, 'EFA_XREF_CODELIST', tenantFile, `/services/${PROBE}/codelists/${LIST_URN}/1`), /"Z" is not a code of urn:de:efa:test:tierrassen version 1/);

    const labels = await checkBroken([formFile], () => {
      const f = form();
      ((f.steps[1]?.fields[0]?.fields as Json[])[4] as Json).options = { Z: { de: 'Zeta', en: 'Zeta' } };
      write(formFile, f);
    });
    assert.match(problemLine(labels, 'EFA_XREF_CODELIST', formFile, '/steps/1/fields/0/fields/4/options/Z'), /"Z" is not a code of urn:de:efa:test:tierrassen version 1, the list the schema references here/);
  });

  test('an example set that leaves a conditional step unshown', async () => {
    const run = await checkBroken([examplesFile], () => {
      const examples = read(examplesFile) as { examples: Array<{ data: { halter: Json; bemerkung?: string } }> };
      for (const e of examples.examples) { e.data.halter.gewerblich = false; delete e.data.bemerkung; }
      write(examplesFile, examples);
    });
    const line = problemLine(run, 'EFA_XREF_EXAMPLE', examplesFile, '/examples');
    assert.match(line, /no example shows the conditional step "bemerkung".*forms\/querverweis\.form\.json \/steps\/2\/showIf reads answers\.halter\.gewerblich.*add an example whose answers meet the condition/);
  });

  test('other references: display of an undeclared derived value, a tenant offering, a form or routing for no service', async () => {
    const run = await checkBroken([serviceFile, tenantFile, routingFile], () => {
      const service = read(serviceFile);
      service.display = [{ value: 'derived.anzahlHunde', label: { de: 'Hunde', en: 'Dogs' } }];
      write(serviceFile, service);
      const tenant = read(tenantFile) as { services: Record<string, Json> };
      tenant.services.gibtesnicht = {};
      write(tenantFile, tenant);
      write(routingFile, { responsibilities: [{ leikaKey: '99999999999078', arsPrefix: '01', authorityId: `land-${LAND}` }, { leikaKey: LEIKA, arsPrefix: '02', authorityId: 'amt-gibt-es-nicht' }] });
      write('forms/gibtesnicht.form.json', { service: 'gibtesnicht', steps: [] });
    }).finally(() => rmSync(at('forms/gibtesnicht.form.json'), { force: true }));
    assert.match(problemLine(run, 'EFA_XREF_DERIVED', serviceFile, '/display/0/value'), /"derived\.anzahlHunde" is not a derived value of this service: declare "anzahlHunde" under "derived".*declared: anzahlTiere/);
    assert.match(problemLine(run, 'EFA_XREF_SERVICE', tenantFile, '/services/gibtesnicht'), /no service "gibtesnicht" under services\/: fix the id or remove the offer/);
    assert.match(problemLine(run, 'EFA_XREF_SERVICE', 'forms/gibtesnicht.form.json', '/'), /no service "gibtesnicht" under services\/.*rename the file or remove it/);
    assert.match(problemLine(run, 'EFA_XREF_SERVICE', routingFile, '/responsibilities/0/leikaKey'), /no service under services\/ has the LeiKa key "99999999999078", so this responsibility is never used/);
    assert.match(problemLine(run, 'EFA_ROUTING_INVALID', routingFile, '/responsibilities/1/authorityId'), /unknown authority "amt-gibt-es-nicht"/);
    // Every problem at once, each on its own line.
    assert.match(run.stderr, /EFA_DECLARATION_INVALID: 5 problems:/);
  });

  test('a Land filing a service under a portal it does not declare is refused by efa check', async () => {
    const run = await checkBroken([tenantFile], () => {
      const tenant = read(tenantFile) as { services: Record<string, Json>; portals?: Record<string, Json> };
      tenant.portals = { wirtschaft: { de: 'Unternehmensportal', en: 'Business portal' } };
      (tenant.services[PROBE] as Json).portal = 'gewerbe';
      write(tenantFile, tenant);
    });
    assert.match(problemLine(run, 'EFA_XREF_PORTAL', tenantFile, `/services/${PROBE}/portal`), /no portal "gewerbe" under \/portals: .*\(portals: wirtschaft\)/);
  });

  test('a Land offering a service that asks for a login, without an account service, is refused by efa check and at startup', async () => {
    const withLogin = (mode: string) => () => {
      const service = read(serviceFile);
      service.login = { mode };
      write(serviceFile, service);
    };
    for (const mode of ['required', 'optional']) {
      const run = await checkBroken([serviceFile], withLogin(mode));
      assert.match(problemLine(run, 'EFA_XREF_ACCOUNTS', tenantFile, `/services/${PROBE}`), new RegExp(`offers "${PROBE}", whose login is "${mode}" \\(services/${PROBE}/service\\.json /login/mode\\), but the Land has no account service: add "accounts"`));
    }
    const original = readFileSync(at(serviceFile), 'utf8');
    try {
      withLogin('required')();
      await assert.rejects(loadDeclarations(temp.root, ENV), (err: unknown) => {
        assert.ok(err instanceof DeclarationError, String(err));
        assert.equal(err.code, 'EFA_XREF_ACCOUNTS');
        assert.equal(err.path, `/services/${PROBE}`);
        assert.ok(err.file.endsWith(tenantFile), err.file);
        return true;
      });
      // With the Land's account service configured, the same service loads.
      const tenant = read(tenantFile);
      const tenantOriginal = readFileSync(at(tenantFile), 'utf8');
      try {
        tenant.accounts = { adapter: 'oidc', issuer: 'https://konto.example', clientId: 'efa', clientSecretEnv: 'EFA_TEST_UNUSED' };
        write(tenantFile, tenant);
        const loaded = await loadDeclarations(temp.root, ENV);
        assert.equal(loaded.services.get(PROBE)?.definition.login?.mode, 'required');
      } finally {
        writeFileSync(at(tenantFile), tenantOriginal);
      }
    } finally {
      writeFileSync(at(serviceFile), original);
    }
  });

  test('a Land offering a service whose fee must be paid before submitting, without a payment provider, is refused by efa check', async () => {
    const run = await checkBroken([serviceFile, tenantFile], () => {
      const service = read(serviceFile);
      service.payment = { policy: 'before-submit' };
      write(serviceFile, service);
      const tenant = read(tenantFile);
      delete tenant.payment;
      write(tenantFile, tenant);
    });
    assert.match(problemLine(run, 'EFA_XREF_PAYMENT', tenantFile, `/services/${PROBE}`), new RegExp(`offers "${PROBE}", whose fee must be paid before submitting \\(services/${PROBE}/service\\.json /payment/policy\\), but the Land has no payment provider: add "payment"`));
    const original = readFileSync(at(serviceFile), 'utf8');
    try {
      const service = read(serviceFile);
      service.payment = { policy: 'before-submit' };
      write(serviceFile, service);
      // With the Land's provider (the copied tenant file has one), the same service loads.
      const tenant = read(tenantFile);
      assert.ok(tenant.payment, 'the Land has a payment provider');
      assert.equal((await loadDeclarations(temp.root, ENV)).services.get(PROBE)?.definition.payment?.policy, 'before-submit');
    } finally {
      writeFileSync(at(serviceFile), original);
    }
  });

  test('a Land offering the service where no responsibility covers it is warned about, not refused', async () => {
    const other = 'tenants/nw.json';
    const original = readFileSync(at(other), 'utf8');
    try {
      const tenant = read(other) as { services: Record<string, Json> };
      tenant.services[PROBE] = {};
      write(other, tenant);
      const run = await efaCheck(temp.root);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stderr, /warning: tenants\/nw\.json: \/services\/querverweis: no responsibility in routing\/\*\.json covers Land 05 for querverweis \(99999999999077\)/);
      assert.doesNotMatch(run.stderr, /tenants\/sh\.json/);
    } finally {
      writeFileSync(at(other), original);
    }
  });

  test('startup still stops at the first problem, with the same message', async () => {
    const original = readFileSync(at(formFile), 'utf8');
    try {
      const f = form();
      (f.steps[0]?.fields[0] as Json).pointer = '/halter/nmae';
      write(formFile, f);
      await assert.rejects(loadDeclarations(temp.root, ENV), (err: unknown) => {
        assert.ok(err instanceof DeclarationError, String(err));
        assert.equal(err.code, 'EFA_XREF_POINTER');
        assert.equal(err.path, '/steps/0/fields/0/pointer');
        assert.match(err.message, /querverweis\.form\.json: \/steps\/0\/fields\/0\/pointer: "\/halter\/nmae" does not exist/);
        return true;
      });
    } finally {
      writeFileSync(at(formFile), original);
    }
  });
});
