import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeclarations } from '../src/runtime.js';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import type { ReceivedMessage } from '../src/demo/receivers/inbox.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { waitUntil } from './support/delivery-stack.js';
import { addExtraService, copyProjectRoot, type ExtraService, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * The two kinds of boxes to tick: "checkbox" (one consent, the one code of its list) and
 * "checkboxes" (a multiple choice: an array of codes, minItems/maxItems), on a last step of the
 * pets service of test/support (no declared service is named).
 */
const SERVICE = 'haustiere-boxes';
const SPEC: ExtraService = { id: SERVICE, leikaKey: '99999999999041', tenants: ['sh'], routes: { '010020000000': 'gewerbeamt-kiel' }, minItems: 1, maxItems: 2 };
const HOLDER = { 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };
const PET = { 'tiere.0.name': 'Bello', 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020' };

async function withBoxes(root: string): Promise<void> {
  await addExtraService(root, SPEC);
  const dir = join(root, 'services', SERVICE);
  // Loosely typed on purpose: three different JSON documents, each edited by path.
  type Doc = { required: string[]; properties: Record<string, unknown>; examples: Array<{ data: object }>; steps: unknown[] };
  const edit = (file: string, fn: (doc: Doc) => void) => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
    fn(doc);
    writeFileSync(file, JSON.stringify(doc, null, 2));
  };
  edit(join(dir, 'schema.json'), (s) => {
    s.required.push('einwilligung', 'leistungen');
    s.properties.einwilligung = { title: 'Einwilligung', type: 'string', oneOf: [{ const: '01', title: 'Ich stimme der Verarbeitung meiner Daten zu.' }] };
    s.properties.leistungen = {
      title: 'Gewünschte Leistungen', type: 'array', minItems: 1, maxItems: 2, uniqueItems: true,
      items: { type: 'string', oneOf: [{ const: 'marke', title: 'Hundemarke' }, { const: 'chip', title: 'Chip-Registrierung' }, { const: 'beratung', title: 'Beratung' }] },
    };
  });
  edit(join(dir, 'examples.json'), (e) => { for (const x of e.examples) Object.assign(x.data, { einwilligung: '01', leistungen: ['marke'] }); });
  edit(join(root, 'forms', `${SERVICE}.form.json`), (f) => {
    f.steps.push({
      id: 'einwilligung', title: { de: 'Leistungen und Einwilligung', en: 'Services and consent' },
      fields: [
        { pointer: '/leistungen', kind: 'checkboxes', label: { de: 'Gewünschte Leistungen', en: 'Services wanted' }, options: { marke: { de: 'Hundemarke', en: 'Dog tag' }, chip: { de: 'Chip-Registrierung', en: 'Chip registration' }, beratung: { de: 'Beratung', en: 'Advice' } } },
        { pointer: '/einwilligung', kind: 'checkbox', label: { de: 'Einwilligung', en: 'Consent' }, options: { '01': { de: 'Ich stimme der Verarbeitung meiner Daten zu.', en: 'I agree to the processing of my data.' } } },
      ],
    });
  });
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
}

describe('checkbox and checkboxes over HTTP without JavaScript', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-boxes-');
    await withBoxes(temp.root);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  test('boxes in a fieldset; messages for people; forged codes refused; the check page and the payload carry the codes', async () => {
    const b = new Browser(stack.url);
    const base = `/sh/${SERVICE}`;
    await b.get(base);
    await b.get((await b.submit({}, '/start')).location as string);
    await b.get((await b.submit(HOLDER)).location as string);
    const row = await b.submit(PET);
    assert.equal(row.status, 303, extractErrors(row.html));
    await b.get(row.location as string);
    const on = await b.submit({});
    assert.equal(on.location, `${base}/einwilligung`, extractErrors(on.html));
    await b.get(on.location as string);
    const pages: HtmlPage[] = [{ name: 'boxes', html: b.lastHtml }];
    assert.match(b.lastHtml, /<fieldset class="kern-fieldset"[^>]*>\s*<legend class="kern-label">Gewünschte Leistungen<\/legend>/);
    assert.match(b.lastHtml, /<input class="kern-form-check__checkbox" type="checkbox" id="f-leistungen" name="leistungen\.marke" value="ja">\s*<label class="kern-label" for="f-leistungen">Hundemarke<\/label>/);
    assert.match(b.lastHtml, /<input class="kern-form-check__checkbox" type="checkbox" id="f-einwilligung" name="einwilligung" value="01">\s*<label class="kern-label" for="f-einwilligung">Ich stimme der Verarbeitung meiner Daten zu\.<\/label>/);

    const empty = await b.submit({});
    assert.equal(empty.status, 400);
    assert.match(empty.html, /href="#f-leistungen">Wählen Sie für[^<]*Gewünschte Leistungen[^<]* mindestens eine Möglichkeit aus\.<\/a>/, extractErrors(empty.html));
    assert.match(empty.html, /href="#f-einwilligung">Setzen Sie das Häkchen bei[^<]*Einwilligung[^<]*\.<\/a>/, extractErrors(empty.html));

    const three = await b.submit({ 'leistungen.marke': 'ja', 'leistungen.chip': 'ja', 'leistungen.beratung': 'ja', einwilligung: '01' });
    assert.equal(three.status, 400);
    assert.match(three.html, /höchstens 2 Möglichkeiten aus\./, extractErrors(three.html));
    assert.match(three.html, /name="leistungen\.chip" value="ja" checked>/, 'the ticks stay as posted');
    assert.match(three.html, /name="einwilligung" value="01" checked>/);
    pages.push({ name: 'boxes with errors, ticked', html: three.html });

    const forged = await b.submit({ 'leistungen.gold': 'ja', einwilligung: '99' });
    assert.equal(forged.status, 400);
    assert.match(forged.html, /Wählen Sie nur Möglichkeiten aus, die angeboten werden\./);
    assert.match(forged.html, /Setzen Sie das Häkchen oder lassen Sie das Feld leer\./);

    const done = await b.submit({ 'leistungen.beratung': 'ja', 'leistungen.marke': 'ja', einwilligung: '01' });
    assert.equal(done.location, `${base}/pruefen`, extractErrors(done.html));
    await b.get(done.location as string);
    assert.match(b.lastHtml, /Gewünschte Leistungen<\/dt>\s*<dd[^>]*>Hundemarke, Beratung/);
    assert.match(b.lastHtml, /Einwilligung<\/dt>\s*<dd[^>]*>Ich stimme der Verarbeitung meiner Daten zu\./);
    pages.push({ name: 'check page', html: b.lastHtml });
    const nu = await vnuErrors(pages);
    assert.equal(nu.size, 0, `Nu HTML Checker:\n${report(nu)}`);
    // axe on the same pages, with the runtime's CSS (shown at its origin).
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage({ locale: 'de-DE' });
      await page.goto(`${stack.url}${base}`);
      const found = new Map<string, string[]>();
      for (const p of pages) {
        await page.setContent(p.html, { waitUntil: 'load' });
        const violations = await axeViolations(page);
        if (violations.length > 0) found.set(p.name, violations);
      }
      assert.equal(found.size, 0, `axe:\n${report(found)}`);
    } finally {
      await chromium.close();
    }
    const sent = await b.submit({}, '/absenden');
    assert.equal(sent.status, 303, extractErrors(sent.html));
    const id = (sent.location ?? '').split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 20_000, `submission ${id} at the receiver`);
    const doc = JSON.parse((stack.inbox.get(id) as ReceivedMessage).document) as { data: { leistungen: string[]; einwilligung: string } };
    assert.deepEqual([doc.data.leistungen, doc.data.einwilligung], [['marke', 'beratung'], '01'], 'codes in the list\'s order');
  });
});

describe('checkbox and checkboxes declarations', () => {
  test('a checkbox over several options and checkboxes without maxItems are refused with file and path', async () => {
    const temp = copyProjectRoot('efa-boxes-decl-');
    try {
      await withBoxes(temp.root);
      const file = join(temp.root, 'services', SERVICE, 'schema.json');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties: Record<string, Record<string, unknown>> };
      (schema.properties.einwilligung as { oneOf: unknown[] }).oneOf.push({ const: '02', title: 'Ich stimme nicht zu.' });
      writeFileSync(file, JSON.stringify(schema));
      await assert.rejects(loadDeclarations(temp.root, {}), /steps\/2\/fields\/1\/kind: kind "checkbox" at \/einwilligung: a checkbox fills a boolean, or a string with exactly one option/);
      (schema.properties.einwilligung as { oneOf: unknown[] }).oneOf.pop();
      delete (schema.properties.leistungen as Record<string, unknown>).maxItems;
      writeFileSync(file, JSON.stringify(schema));
      await assert.rejects(loadDeclarations(temp.root, {}), /steps\/2\/fields\/0\/kind: kind "checkboxes" at \/leistungen: checkboxes need "maxItems"/);
    } finally {
      temp.remove();
    }
  });
});
