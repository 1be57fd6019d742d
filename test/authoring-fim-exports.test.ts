import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readTree } from '../src/authoring/fim/read/index.js';
import { loadCodeLists } from '../src/codelists/genericode.js';
import { readFimExport } from '../src/authoring/fim/export.js';
import type { FimElement } from '../src/authoring/fim/tree.js';
import { createRenderer } from '../src/forms/render.js';
import { newLogicContext } from '../src/services/context.js';
import { Previewer } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../src/runtime.js';
import { Browser } from './support/browser.js';
import { extractErrors, pdfWith } from './support/answers.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { delivered, startStack, type TestStack } from './support/runtime.js';

const run = promisify(execFile);
const EXPORTS = 'test/fixtures/fim/exports';

/** The real exports (test/fixtures/fim/exports/README.md) and a label each shows from its own code lists or value lists. */
const FIXTURES = [
  { dir: 'S00000094-mutterschutz', label: 'außerhalb von Deutschland' },
  { dir: 'S00000094-mutterschutz-xdf3', label: 'außerhalb von Deutschland' },
  { dir: 'S00000186-asbest', label: undefined },
  { dir: 'S00000246-aufenthaltserlaubnis', label: 'Fachkraft mit akademischer Ausbildung' },
  { dir: 'S00000121-blaue-karte', label: undefined },
  { dir: 'S05000058-bewohnerparken', label: 'Ich stimme zu.' },
  { dir: 'S05000058-bewohnerparken-xdf3', label: 'Ich stimme zu.' },
  { dir: 'S00000009-gewerbe', label: undefined },
].map((f, i) => ({ ...f, service: `fim-${f.dir.toLowerCase()}`.slice(0, 40).replace(/-+$/, ''), leikaKey: `999999999992${String(i).padStart(2, '0')}` }));

/** Exports with a repeatable group inside a repeatable group: the walk fills its rows. */
const NESTED = new Set(['S00000009-gewerbe']);

const efa = (root: string, args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, EFA_ROOT: root }, maxBuffer: 16 * 1024 * 1024 });
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
type Field = { pointer: string; kind: string; showIf?: unknown; required?: boolean; fields?: Field[] };

/** Every export is walked over HTTP: its generated example posted step by step, rows on their own pages, uploads as files. */
const WALKED = FIXTURES.map((f) => f.dir);

const at = (data: unknown, pointer: string): unknown => pointer.split('/').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);

/**
 * The form post of one step, as a person fills it in from the example: its answers, "Nein" where a
 * question asks whether an optional group applies, a date where a shown field wants one. Fields
 * a condition hides are posted too: the server drops them, as it does for a browser without JavaScript.
 * A yes/no field is answered only when the example does, or the form requires it.
 */
function post(fields: Field[], data: unknown): Record<string, string> {
  const body: Record<string, string> = {};
  for (const f of fields) {
    const name = f.pointer.slice(1).split('/').join('.');
    const value = at(data, f.pointer);
    if (f.kind === 'yesno') {
      if (value !== undefined || f.required) body[name] = value === true ? 'ja' : 'nein';
    }
    else if (f.kind === 'checkboxes') {
      // One control per option ticked: <name>.<code>.
      for (const code of Array.isArray(value) ? value : []) body[`${name}.${String(code)}`] = 'ja';
    } else if (f.kind === 'date') {
      const [year, month, day] = (typeof value === 'string' ? value : '2027-01-15').split('-');
      Object.assign(body, { [`${name}.day`]: String(Number(day)), [`${name}.month`]: String(Number(month)), [`${name}.year`]: year as string });
    } else if (f.kind === 'address' && value && typeof value === 'object') {
      for (const part of ['strasse', 'hausnummer', 'plz', 'ort']) body[`${name}.${part}`] = String((value as Record<string, unknown>)[part] ?? '');
    } else if (f.kind === 'file' || f.kind === 'group') continue;
    else if (value !== undefined) body[name] = String(value);
    else if (f.required && (f.kind === 'text' || f.kind === 'textarea')) body[name] = 'Beispiel';
  }
  return body;
}
type Step = { id: string; showIf?: unknown; fields: Field[] };

describe('real FIM exports: efa new service --from-fim, then efa check, with no hand edit', () => {
  let temp: TempRoot;
  let decl: Declarations;
  const created = new Map<string, string>();

  before(async () => {
    temp = copyProjectRoot('efa-fim-exports-');
    for (const f of FIXTURES) {
      const { stdout } = await efa(temp.root, ['new', 'service', f.service, '--from-fim', join(EXPORTS, f.dir), '--leika', f.leikaKey, '--lead', 'sh']);
      created.set(f.dir, stdout);
    }
  });
  after(() => temp?.remove());

  test('efa check passes on the services as created (schema, form, logic, examples, the installed code lists)', async () => {
    const { stdout } = await efa(temp.root, ['check']);
    assert.match(stdout, /^ok: /m);
  });

  test('most FIM rules become conditions; the share per export is printed, the rest listed in fim-import.md with their text', () => {
    for (const f of FIXTURES) {
      const notes = readFileSync(join(temp.root, 'services', f.service, 'fim-import.md'), 'utf8');
      const m = /FIM rules: (\d+) of (\d+) translated/.exec(notes);
      assert.ok(m, `${f.dir}: fim-import.md states the share`);
      const [translated, total] = [Number(m[1]), Number(m[2])];
      console.warn(`${f.dir}: ${translated} of ${total} FIM rules translated (${total === 0 ? 100 : Math.round((100 * translated) / total)} %)`);
      assert.ok(total === 0 || translated / total >= 0.8, `${f.dir}: ${translated}/${total}`);
      assert.equal((notes.match(/not translated/g) ?? []).length >= total - translated, true, `${f.dir}: every untranslated rule is listed`);
      // A report line is never repeated.
      const lines = notes.split('\n').filter((l) => l.startsWith('- '));
      assert.equal(new Set(lines).size, lines.length, `${f.dir}: repeated lines in fim-import.md`);
    }
  });

  test('nothing is dropped without a line: every FIM field is in the schema or named in fim-import.md', () => {
    for (const f of FIXTURES) {
      const schema = readFileSync(join(temp.root, 'services', f.service, 'schema.json'), 'utf8');
      const notes = readFileSync(join(temp.root, 'services', f.service, 'fim-import.md'), 'utf8');
      const ids = new Set<string>();
      const walk = (els: FimElement[]) => els.forEach((e) => { if (e.type === 'field') ids.add(e.id); walk(e.children); });
      walk(readTree(readFimExport(join(EXPORTS, f.dir)).xml).children);
      const missing = [...ids].filter((id) => !schema.includes(`${id} `) && !schema.includes(`${id}"`) && !notes.includes(id));
      assert.deepEqual(missing, [], `${f.dir}: fields neither mapped nor reported`);
    }
  });

  test('a one-option list becomes a checkbox, a Mehrfachauswahl checkboxes over the list\'s codes', () => {
    const kinds = (dir: string) => {
      const f = FIXTURES.find((x) => x.dir === dir) as (typeof FIXTURES)[number];
      const out = new Map<string, string>();
      const walk = (fields: Field[], base: string) => fields.forEach((x) => { out.set(`${base}${x.pointer}`, x.kind); walk(x.fields ?? [], `${base}${x.pointer}`); });
      walk((json(join(temp.root, 'forms', `${f.service}.form.json`)).steps as Step[]).flatMap((st) => st.fields), '');
      return { out, schema: json(join(temp.root, 'services', f.service, 'schema.json')) };
    };
    const parking = kinds('S05000058-bewohnerparken');
    assert.equal(parking.out.get('/einwilligungZurVerarbeitungPersonenbezogenerDaten'), 'checkbox');
    const stay = kinds('S00000246-aufenthaltserlaubnis');
    assert.equal(stay.out.get('/persoenlicheDatenDerAntragstellendenPerson/staatsangehoerigkeit'), 'checkboxes');
    const nationality = at(stay.schema, '/properties/persoenlicheDatenDerAntragstellendenPerson/properties/staatsangehoerigkeit') as Record<string, unknown>;
    assert.deepEqual([nationality.type, nationality.uniqueItems, typeof nationality.maxItems], ['array', true, 'number']);
  });

  test('no optional group is forced: its fields are asked only when a rule or a question says it applies', () => {
    for (const f of FIXTURES) {
      const schema = json(join(temp.root, 'services', f.service, 'schema.json'));
      const steps = json(join(temp.root, 'forms', `${f.service}.form.json`)).steps as Step[];
      const optional: string[] = [];
      const visit = (node: Record<string, unknown>, at: string) => {
        const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
        const required = new Set((node.required as string[] | undefined) ?? []);
        for (const [key, sub] of Object.entries(props)) {
          if (sub.type !== 'object' || !sub.properties) continue;
          const isAddress = 'ars' in (sub.properties as object);
          if (!required.has(key) && ((sub.required as string[] | undefined) ?? []).length > 0 && !isAddress) optional.push(`${at}/${key}`);
          visit(sub, `${at}/${key}`);
        }
      };
      visit(schema, '');
      for (const group of optional) {
        for (const step of steps) {
          for (const field of step.fields.filter((x) => x.pointer.startsWith(`${group}/`))) {
            assert.ok(field.showIf !== undefined || step.showIf !== undefined, `${f.dir}: ${field.pointer} of the optional group ${group} is asked unconditionally`);
          }
        }
      }
    }
  });

  describe('offered in Schleswig-Holstein', () => {
    before(async () => {
      const tenantFile = join(temp.root, 'tenants', 'sh.json');
      const tenant = json(tenantFile) as { services: Record<string, unknown> };
      for (const f of FIXTURES) {
        tenant.services[f.service] = {};
        writeFileSync(join(temp.root, 'routing', `${f.service}.json`), JSON.stringify({ $schema: '../schemas/routing.schema.json', responsibilities: [{ leikaKey: f.leikaKey, arsPrefix: '01', authorityId: 'land-sh' }] }));
      }
      writeFileSync(tenantFile, JSON.stringify(tenant, null, 2));
      decl = await loadDeclarations(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' });
    });

    describe('the generated example, walked over HTTP without JavaScript, reaches the local receiver', () => {
      let stack: TestStack;
      before(async () => { stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } }); });
      after(async () => stack?.close());

      for (const dir of WALKED) {
        test(dir, async () => {
          const f = FIXTURES.find((x) => x.dir === dir) as (typeof FIXTURES)[number];
          const steps = json(join(temp.root, 'forms', `${f.service}.form.json`)).steps as Step[];
          const example = (json(join(temp.root, 'services', f.service, 'examples.json')).examples as Array<{ data: unknown }>)[0]?.data;
          const b = new Browser(stack.url);
          assert.equal((await b.get(`/sh/${f.service}`)).status, 200);
          let res = await b.submit({}, '/start');
          const nested = new Set<string>();
          for (let n = 0; res.location && !res.location.endsWith('/pruefen') && n < 40; n++) {
            await b.get(res.location);
            const id = res.location.split('/').pop() as string;
            const step = steps.find((s) => s.id === id);
            assert.ok(step, `${dir}: ${res.location} is a step of the form`);
            // A repeatable group: each of the example's rows on its own page (1-based), then on from the list.
            const group = step.fields.find((x) => x.kind === 'group');
            const rows = group ? ((at(example, group.pointer) as unknown[] | undefined) ?? []) : [];
            for (const [i] of rows.entries()) {
              const page: string = `${res.location}/${i + 1}`;
              assert.equal((await b.get(page)).status, 200, page);
              const bound = (group?.fields ?? []).map((x) => ({ ...x, pointer: `${group?.pointer}/${i}${x.pointer}` }));
              // A group nested in the row: "add" keeps the row's answers and opens an inner row on its own page, which leads back to the row.
              for (const inner of bound.filter((x) => x.kind === 'group')) {
                for (const [j] of ((at(example, inner.pointer) as unknown[] | undefined) ?? []).entries()) {
                  const segment = inner.pointer.split('/').pop() as string;
                  const add = await b.submit({ ...post(bound, example), aktion: `hinzufuegen-${segment}` });
                  assert.equal(add.location, `${page}/${segment}/${j + 1}`, `${dir} ${page}: ${extractErrors(add.html)}`);
                  await b.get(add.location as string);
                  const innerRow = await b.submit(post((inner.fields ?? []).map((x) => ({ ...x, pointer: `${inner.pointer}/${j}${x.pointer}` })), example));
                  assert.equal(innerRow.location, page, `${dir} ${add.location}: ${extractErrors(innerRow.html)}`);
                  nested.add(segment);
                  await b.get(page);
                }
              }
              const saved = await b.submit(post(bound, example));
              assert.equal(saved.status, 303, `${dir} ${page}: ${extractErrors(saved.html)}`);
              await b.get(res.location);
            }
            const body = group ? {} : post(step.fields, example);
            // Uploads the example names (an applicant's PDF for each), sent as a browser sends a form with files.
            const files = step.fields.filter((x) => x.kind === 'file' && at(example, x.pointer) !== undefined)
              .map((x) => ({ name: x.pointer.slice(1).split('/').join('.'), filename: 'nachweis.pdf', type: 'application/pdf', content: pdfWith('Nachweis') }));
            res = files.length > 0 ? await b.submitMultipart(body, files) : await b.submit(body);
            assert.equal(res.status, 303, `${dir} ${id}: ${extractErrors(res.html)} (posted ${JSON.stringify(body)})`);
          }
          assert.match(res.location ?? '', /\/pruefen$/);
          await b.get(res.location as string);
          const done = await b.submit({}, '/absenden');
          assert.equal(done.status, 303, extractErrors(done.html));
          const received = await delivered(stack, (done.location as string).split('/').pop() as string);
          assert.ok(received, `${dir}: the local receiver got the submission`);
          const doc = JSON.parse(received.document) as { meta: { service: string; leikaKey: string } };
          assert.deepEqual([doc.meta.service, doc.meta.leikaKey], [f.service, f.leikaKey]);
          // The rows of groups nested in rows (the Gewerbe-Anmeldung's legal representatives) reach the authority.
          if (NESTED.has(dir)) assert.ok(nested.size > 0, `${dir}: no nested row was walked`);
          const sent = JSON.stringify(doc);
          for (const segment of nested) assert.match(sent, new RegExp(`"${segment}":\\[\\{`), `${dir}: the nested rows of ${segment} reach the authority`);
        });
      }
    });

    test('the Asbest-Anzeige\'s rules of dates, rows and several fields are enforced: logic.ts refuses what breaks them, the form shows what a compound condition decides', () => {
      const f = FIXTURES.find((x) => x.dir === 'S00000186-asbest') as (typeof FIXTURES)[number];
      const logic = decl.services.get(f.service)?.logic;
      assert.ok(logic);
      const today = '2027-03-01';
      const codes = (data: object) => logic.rules(data, newLogicContext({}, 'sh', today)).map((i) => `${i.code} ${i.pointer}`);
      const u = '/unternehmensbezogeneAnzeige';
      // R00001344: a start less than 7 days away needs the shortened notice period, one 7 days or more away may not have it.
      const start = (beginnDerTaetigkeiten: string, frist?: string) => ({ unternehmensbezogeneAnzeige: { beginnDerTaetigkeiten, ...(frist ? { moechtenSieEineFristverkuerzungBeantragen: frist } : {}) } });
      assert.ok(codes(start('2027-03-04')).includes(`EFA_RULE_FIM_R00001344 ${u}/moechtenSieEineFristverkuerzungBeantragen`), codes(start('2027-03-04')).join('; '));
      assert.ok(!codes(start('2027-03-04', 'Begründung')).some((c) => c.startsWith('EFA_RULE_FIM_R00001344')));
      assert.ok(codes(start('2027-03-08', 'Begründung')).includes(`EFA_RULE_FIM_R00001344 ${u}/moechtenSieEineFristverkuerzungBeantragen`), 'refused 7 days ahead');
      assert.ok(!codes(start('2027-03-08')).some((c) => c.startsWith('EFA_RULE_FIM_R00001344')));
      // R00000940 in every row of the persons responsible: one of phone, fax or e-mail, named at the row that lacks it.
      const rows = { unternehmensbezogeneAnzeige: { verantwortlichePersonImBetrieb: [{ angabenZurErreichbarkeit: { telefonnummer: '0431 123456' } }, { angabenZurErreichbarkeit: { telefonnummer: '', sonstiges: 'x' } }] } };
      const inRows = codes(rows).filter((c) => c.startsWith('EFA_RULE_FIM_R00000940') && c.includes('/verantwortlichePersonImBetrieb/'));
      assert.deepEqual(inRows, [`EFA_RULE_FIM_R00000940 ${u}/verantwortlichePersonImBetrieb/1/angabenZurErreichbarkeit/telefonnummer`]);
      // R00001316: the DGUV procedure number with option 04 only.
      const g = '/weitereAngabenZurObjektbezogenenOderUnternehmensbezogenen/massnahmenZurBegrenzungDerAsbestexposition/gefaehrdungsbeurteilungMitArbeitsplan2';
      const dguv = (choice: string, nummer?: string) => {
        const plan = { esWerdenTechnischeSchutzmassnahmenEinschliesslichDer: [choice], ...(nummer ? { verfahrensnummerNachDguvInformation201012: nummer } : {}) };
        return { weitereAngabenZurObjektbezogenenOderUnternehmensbezogenen: { massnahmenZurBegrenzungDerAsbestexposition: { gefaehrdungsbeurteilungMitArbeitsplan2: plan } } };
      };
      assert.ok(codes(dguv('04')).includes(`EFA_RULE_FIM_R00001316 ${g}/verfahrensnummerNachDguvInformation201012`));
      assert.ok(codes(dguv('01', 'BT 12')).includes(`EFA_RULE_FIM_R00001316 ${g}/verfahrensnummerNachDguvInformation201012`));
      assert.ok(!codes(dguv('04', 'BT 12')).some((c) => c.startsWith('EFA_RULE_FIM_R00001316')));
      // R00001186 (A <> wahr ODER B leer → C): a condition of the form with both deciding fields.
      const fields = (json(join(temp.root, 'forms', `${f.service}.form.json`)).steps as Step[]).flatMap((st) => st.fields);
      const other = fields.find((x) => x.pointer.endsWith('/abfallbehandlung/andereArtDerAbfallbeseitigungMitBeschreibung'));
      const shown = JSON.stringify(other?.showIf);
      assert.match(shown, /\{"or":\[\{"!":\[\{"===":\[\{"var":"answers\.[^"]*abfallbehandlung\.wirdEinEntsorgungsfachbetrieb[^"]*"\},true\]\}\]\},\{"!":\[\{"var":"answers\.[^"]*abfallbehandlung\.dieBeseitigung[^"]*"\}\]\}\]\}/, shown);
      assert.equal(other?.required, true, 'asked as required where the rule applies');
    });

    test('every preview page renders in German and English; code-list fields are choices with the export\'s labels', () => {
      const preview = new Previewer(decl, createRenderer(temp.root), FORMATS_DIR);
      const lists = loadCodeLists(temp.root);
      const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      const tenant = decl.tenants.get('sh');
      assert.ok(tenant);
      for (const f of FIXTURES) {
        const pages = preview.pages(tenant, f.service);
        assert.ok(pages.length >= 4, `${f.service}: ${pages.join(', ')}`);
        let html = '';
        for (const page of pages) {
          for (const lang of tenant.languages) {
            const shown = preview.render({ tenant: 'sh', service: f.service, page, lang });
            assert.equal(shown.status, 200, `${f.service}/${page}/${lang}`);
            if (lang === 'de') html += shown.html;
          }
        }
        if (f.label) assert.ok(html.includes(f.label), `${f.dir}: a choice offers „${f.label}“ from the export`);
        // Every code list the schema references is installed; the pages the examples show offer their labels (fields behind a condition the examples do not meet are not on them).
        const refs = [...readFileSync(join(temp.root, 'services', f.service, 'schema.json'), 'utf8').matchAll(/"x-codelist": \{\s*"urn": "([^"]+)",\s*"version": "([^"]+)"/g)];
        const offered = refs.filter(([, urn, version]) => {
          const list = lists.get(urn as string)?.get(version as string);
          assert.ok(list, `${f.dir}: ${urn} ${version} is installed`);
          const label = list.columns.find((c) => c !== list.codeColumn) as string;
          return list.rows.every((r) => html.includes(escape(r[label] as string)));
        });
        if (refs.length > 0) assert.ok(offered.length > 0, `${f.dir}: no code list's labels are offered`);
        console.warn(`${f.dir}: ${offered.length} of ${refs.length} code-list fields offered on the example's pages with all their labels`);
      }
    });
  });
});
