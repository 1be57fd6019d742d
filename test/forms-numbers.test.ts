import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decimal } from '../src/forms/fields/decimal.js';
import type { FieldKind, FormField, ParseContext } from '../src/forms/fields/kind.js';
import { money } from '../src/forms/fields/money.js';
import { readNumber } from '../src/forms/fields/numbers.js';
import type { Lang } from '../src/forms/text.js';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { waitUntil } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

describe('reading a number as typed on a German or an English page', () => {
  const read = (input: string, lang: Lang, maxDecimals?: number) => {
    const r = readNumber(input, lang, maxDecimals === undefined ? {} : { maxDecimals });
    return r.ok ? r.text : r.problem;
  };

  test('a comma or a point before the decimals, on either page', () => {
    for (const lang of ['de', 'en'] as const) {
      assert.equal(read('2,5', lang), '2.5');
      assert.equal(read('2.5', lang), '2.5');
      assert.equal(read(' -3,25 ', lang), '-3.25');
      assert.equal(read('−3,25', lang), '-3.25', 'the typographic minus');
      assert.equal(read('0012', lang), '12');
    }
  });

  test('thousands grouped where the reading is unambiguous', () => {
    for (const lang of ['de', 'en'] as const) {
      assert.equal(read('1.850,5', lang), '1850.5');
      assert.equal(read('1,850.5', lang), '1850.5');
      assert.equal(read('1 850,5', lang), '1850.5');
      assert.equal(read('1.234.567,89', lang), '1234567.89');
      assert.equal(read('1.850.000', lang), '1850000');
    }
    // The page's own decimal mark followed by three digits is a decimal.
    assert.equal(read('1,850', 'de'), '1.850');
    assert.equal(read('1.850', 'en'), '1.850');
    // The page's thousands mark followed by three digits could be either: the applicant says which.
    assert.deepEqual(readNumber('1.850', 'de'), { ok: false, problem: 'ambiguous', readings: ['1850', '1.850'] });
    assert.deepEqual(readNumber('1,850', 'en'), { ok: false, problem: 'ambiguous', readings: ['1850', '1.850'] });
    // An amount has at most two decimals: three digits after a mark group thousands.
    assert.equal(read('1.850', 'de', 2), '1850');
    assert.equal(read('12,500', 'en', 2), '12500');
    assert.equal(read('12,505', 'de', 2), '12.505', 'the page\'s decimal mark stays one: the amount then has too many decimals');
  });

  test('what is no number is refused', () => {
    for (const input of ['2,5,1', '1.85.0', '1,85,0', '12,', '1..5', 'abc', '2,5 m', '1 85,5', '12.345,67.8', '1234567890123456']) {
      assert.equal(read(input, 'de'), 'format', input);
      assert.equal(read(input, 'en'), 'format', input);
    }
  });
});

function fieldOf(kind: FieldKind, schema: Record<string, unknown>): FormField {
  return { def: { pointer: '/x', kind: kind.name }, pointer: '/x', name: 'x', id: 'f-x', label: { de: 'Fläche', en: 'Area' }, schema, required: true, options: [], kind, controls: [] };
}
const ctx = (lang: Lang): ParseContext => ({ places: undefined as never, lang });

describe('the decimal and money kinds', () => {
  test('decimal: stored as a number, checked against the schema exactly, written back in the page\'s language', () => {
    const field = fieldOf(decimal, { type: 'number', exclusiveMinimum: 0, maximum: 1000, multipleOf: 0.1 });
    const parse = (value: string, lang: Lang = 'de') => decimal.parse(field, { x: value }, ctx(lang));
    assert.equal(parse('0,3').value, 0.3, '0.3 is a multiple of 0.1, though not in binary floats');
    assert.equal(parse('1.000', 'en').value, 1);
    assert.equal(parse('').value, undefined);
    assert.deepEqual(parse('2,5,1').error?.message, { de: '„Fläche“ muss eine Zahl sein, zum Beispiel 2,5.', en: '“Area” must be a number, for example 2.5.' });
    assert.equal(parse('2,5,1').error?.code, 'type');
    assert.equal(parse('1.850').error?.code, 'ambiguous');
    assert.match(String(parse('1.850').error?.message && (parse('1.850').error?.message as { de: string }).de), /Meinen Sie 1850 oder 1,85\?/);
    assert.deepEqual(parse('0').error?.message, { de: '„Fläche“ muss größer als 0 sein.', en: '“Area” must be more than 0.' });
    assert.deepEqual(parse('1.000,5').error?.message, { de: '„Fläche“ darf höchstens 1.000 sein.', en: '“Area” must be at most 1,000.' });
    assert.deepEqual(parse('2,55').error?.message, { de: '„Fläche“ darf höchstens eine Nachkommastelle haben.', en: '“Area” can have at most one decimal place.' });
    assert.equal(decimal.view(field, 2.5, undefined, 'de', new Map()).value, '2,5');
    assert.equal(decimal.view(field, 2.5, undefined, 'en', new Map()).value, '2.5');
    assert.equal(decimal.view(field, 2.5, undefined, 'de', new Map()).inputmode, 'decimal');
    assert.equal(decimal.summary(field, 1850.5, 'de'), '1.850,5');
    assert.equal(decimal.summary(field, 1850.5, 'en'), '1,850.5');
    // A step that is no power of ten is named, with an example that fits.
    const half = fieldOf(decimal, { type: 'number', minimum: 1, multipleOf: 0.5 });
    assert.deepEqual(decimal.parse(half, { x: '1,2' }, ctx('de')).error?.message, { de: '„Fläche“ muss ein Vielfaches von 0,5 sein, zum Beispiel 2,5.', en: '“Area” must be a multiple of 0.5, for example 2.5.' });
    assert.equal(decimal.checkSchema?.({ type: 'number', multipleOf: 0 }), '"multipleOf" must be a number above 0');
  });

  test('money: cents for an integer schema, euros for a number schema; "12,50", "12.50" and "12 €" alike', () => {
    const cents = fieldOf(money, { type: 'integer', minimum: 100, maximum: 500000 });
    const euros = fieldOf(money, { type: 'number' });
    for (const input of ['12,50', '12.50', '12,5', '12,50 €', '€ 12,50', '12,50 EUR']) {
      assert.equal(money.parse(cents, { x: input }, ctx('de')).value, 1250, input);
      assert.equal(money.parse(euros, { x: input }, ctx('en')).value, 12.5, input);
    }
    assert.equal(money.parse(cents, { x: '12 €' }, ctx('de')).value, 1200);
    assert.equal(money.parse(cents, { x: '1.250,00 €' }, ctx('de')).value, 125000);
    assert.equal(money.parse(cents, { x: '1.250' }, ctx('de')).value, 125000, 'three digits after the mark: thousands');
    assert.deepEqual(money.parse(cents, { x: '0,99' }, ctx('de')).error?.message, { de: '„Fläche“ muss mindestens 1,00\u00A0€ sein.', en: '“Area” must be at least €1.00.' });
    assert.equal(money.parse(cents, { x: '12,505' }, ctx('de')).error?.code, 'multipleOf');
    assert.equal(money.parse(cents, { x: '2,5,1' }, ctx('de')).error?.code, 'type');
    assert.equal(money.parse(euros, { x: '-5' }, ctx('de')).error?.code, 'minimum', 'no negative amount unless the schema allows it');
    assert.equal(money.summary(cents, 125050, 'de').replace(/\s/g, ' '), '1.250,50 €');
    assert.equal(money.summary(cents, 125050, 'en'), '€1,250.50');
    assert.equal(money.view(cents, 1250, undefined, 'de', new Map()).value, '12,50');
    assert.equal(money.view(euros, 12.5, undefined, 'en', new Map()).value, '12.50');
    assert.equal(money.view(cents, undefined, undefined, 'de', new Map()).format, 'In Euro, zum Beispiel 12,50');
    assert.equal(money.checkSchema?.({ type: 'number', multipleOf: 0.001 }), '"multipleOf" of an amount in euros must not be finer than 0.01 (a cent)');
  });
});

const SERVICE = 'flaechen-test';
const HOLDER = { 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };

/**
 * Over HTTP on a service generated for this test: the keeper's step asks for an area (decimal,
 * m² with one decimal) and a deposit (money, in cents); each row an amount in euros (money, number).
 */
describe('decimal and money fields over HTTP, in German and English', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-numbers-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999003', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
    const schemaFile = join(temp.root, 'services', SERVICE, 'schema.json');
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { properties: { halter: { properties: Record<string, unknown>; required: string[] } }; $defs: { tier: { properties: Record<string, unknown> } } };
    schema.properties.halter.properties.flaeche = { title: 'Fläche', type: 'number', exclusiveMinimum: 0, maximum: 10000, multipleOf: 0.1 };
    schema.properties.halter.properties.kaution = { title: 'Kaution', type: 'integer', minimum: 0, maximum: 1000000 };
    schema.properties.halter.required.push('flaeche', 'kaution');
    schema.$defs.tier.properties.futterkosten = { title: 'Futterkosten', type: 'number', minimum: 0, multipleOf: 0.01 };
    writeFileSync(schemaFile, JSON.stringify(schema));
    writeFileSync(join(temp.root, 'services', SERVICE, TYPES_FILE), await generateTypes(join(temp.root, 'services', SERVICE)));
    const formFile = join(temp.root, 'forms', `${SERVICE}.form.json`);
    const form = JSON.parse(readFileSync(formFile, 'utf8')) as { steps: Array<{ fields: Array<{ fields?: unknown[] } & Record<string, unknown>> }> };
    form.steps[0]?.fields.push(
      { pointer: '/halter/flaeche', kind: 'decimal', width: 10, label: { de: 'Fläche in m²', en: 'Area in m²' } },
      { pointer: '/halter/kaution', kind: 'money', width: 10, label: { de: 'Kaution', en: 'Deposit' } },
    );
    form.steps[1]?.fields[0]?.fields?.push({ pointer: '/futterkosten', kind: 'money', label: { de: 'Futterkosten im Monat', en: 'Food per month' } });
    writeFileSync(formFile, JSON.stringify(form));
    const examplesFile = join(temp.root, 'services', SERVICE, 'examples.json');
    const examples = JSON.parse(readFileSync(examplesFile, 'utf8')) as { examples: Array<{ data: { halter: Record<string, unknown> } }> };
    for (const e of examples.examples) Object.assign(e.data.halter, { flaeche: 2.5, kaution: 1250 });
    writeFileSync(examplesFile, JSON.stringify(examples));
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack.close();
    temp.remove();
  });

  const row = { 'tiere.0.name': 'Bello', 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020', 'tiere.0.gechippt': 'ja' };

  test('0,3 m² is a multiple of 0,1 for the schema check at submit too, though not in binary floats', async () => {
    const b = new Browser(stack.url);
    await b.get(`/sh/${SERVICE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    const res = await b.submit({ ...HOLDER, 'halter.flaeche': '0,3', 'halter.kaution': '0,30' });
    assert.equal(res.status, 303, extractErrors(res.html));
  });

  for (const [lang, query] of [['de', ''], ['en', '?lang=en']] as const) {
    for (const typed of ['2,5', '2.5']) {
      test(`${lang}: "${typed}" m² and "12,50 €" arrive as 2.5 and 1250 cents, shown back as the page writes numbers`, async () => {
        const b = new Browser(stack.url);
        await b.get(`/sh/${SERVICE}${query}`);
        await b.get((await b.submit({}, '/start')).location as string);
        assert.match(b.lastHtml, /id="f-halter-flaeche" name="halter\.flaeche" type="text" value="" inputmode="decimal"/);
        assert.match(b.lastHtml, /id="f-halter-kaution" name="halter\.kaution" type="text" value="" inputmode="decimal"/);

        const bad = await b.submit({ ...HOLDER, 'halter.flaeche': '2,5,1', 'halter.kaution': lang === 'de' ? '12,505' : '12.505' });
        assert.equal(bad.status, 400);
        const errors = lang === 'de'
          ? ['href="#f-halter-flaeche">„Fläche in m²“ muss eine Zahl sein, zum Beispiel 2,5.', 'href="#f-halter-kaution">„Kaution“ darf höchstens zwei Nachkommastellen (Cent) haben.']
          : ['href="#f-halter-flaeche">“Area in m²” must be a number, for example 2.5.', 'href="#f-halter-kaution">“Deposit” can have at most two decimal places (cents).'];
        for (const e of errors) assert.ok(bad.html.includes(e), `${e}\n${extractErrors(bad.html)}`);
        assert.match(bad.html, /name="halter\.flaeche" type="text" value="2,5,1"/, 'what was typed is shown again');

        const ok = await b.submit({ ...HOLDER, 'halter.flaeche': typed, 'halter.kaution': lang === 'de' ? '12,50 €' : '12.50' });
        assert.equal(ok.status, 303, extractErrors(ok.html));
        await b.get(`/sh/${SERVICE}/halter${query}`);
        assert.match(b.lastHtml, new RegExp(`name="halter\\.flaeche" type="text" value="${lang === 'de' ? '2,5' : '2\\.5'}"`));
        assert.match(b.lastHtml, new RegExp(`name="halter\\.kaution" type="text" value="${lang === 'de' ? '12,50' : '12\\.50'}"`));

        await b.get(`/sh/${SERVICE}/tiere${query}`);
        const rowDone = await b.submit({ ...row, 'tiere.0.futterkosten': lang === 'de' ? '1.234,5' : '1,234.5' });
        assert.equal(rowDone.status, 303, extractErrors(rowDone.html));
        await b.get(rowDone.location as string);
        const toCheck = await b.submit({});
        assert.equal(toCheck.status, 303, extractErrors(toCheck.html));
        await b.get(toCheck.location as string);
        const shown = b.lastHtml.replace(/\u00A0/g, ' ');
        if (lang === 'de') {
          assert.match(shown, /Fläche in m²<\/dt>\s*<dd[^>]*>\s*2,5\s*</);
          assert.match(shown, /Kaution<\/dt>\s*<dd[^>]*>\s*12,50 €\s*</);
          assert.match(shown, /Futterkosten im Monat<\/dt><dd class="efa-lines__value">1\.234,50 €</);
        } else {
          assert.match(shown, /Area in m²<\/dt>\s*<dd[^>]*>\s*2\.5\s*</);
          assert.match(shown, /Deposit<\/dt>\s*<dd[^>]*>\s*€12\.50\s*</);
          assert.match(shown, /Food per month<\/dt><dd class="efa-lines__value">€1,234\.50</);
        }

        const done = await b.submit({}, '/absenden');
        assert.equal(done.status, 303, extractErrors(done.html));
        const id = (done.location ?? '').split('/').pop() as string;
        await waitUntil(() => stack.inbox.get(id) !== undefined, 20_000, `submission ${id} at the receiver`);
        const doc = JSON.parse(stack.inbox.get(id)?.document ?? '{}') as { data: { halter: { flaeche: unknown; kaution: unknown }; tiere: Array<{ futterkosten: unknown }> } };
        assert.equal(doc.data.halter.flaeche, 2.5);
        assert.equal(doc.data.halter.kaution, 1250);
        assert.equal(doc.data.tiere[0]?.futterkosten, 1234.5);
      });
    }
  }
});
