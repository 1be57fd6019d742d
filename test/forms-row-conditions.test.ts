import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser as Chromium } from 'playwright-core';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { checkProject } from '../src/check.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { addExtraService, copyProjectRoot, type ExtraService, type TempRoot } from './support/extra-service.js';
import { waitUntil } from './support/delivery-stack.js';
import { launchChromium } from './support/page-checks.js';
import { startStack, type TestStack } from './support/runtime.js';
import type { ReceivedMessage } from '../src/demo/receivers/inbox.js';

/**
 * A field of a repeatable group's row that depends on another field of the same row (row.<path>,
 * or the shorthand's "./<path>"): the chip number, asked only for a microchipped pet. On a service
 * generated for this test into a copy of the project root (no declared service is named).
 */
const SERVICE = 'haustiere-chip';
const SPEC: ExtraService = { id: SERVICE, leikaKey: '99999999999031', tenants: ['sh'], routes: { '010020000000': 'gewerbeamt-kiel' }, minItems: 1, maxItems: 3, chipNumber: true };
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const HOLDER = { 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };
const CHIP = '276098106123456';

function pet(n: number, name: string, chipped: 'ja' | 'nein', chip = ''): Record<string, string> {
  const p = `tiere.${n - 1}`;
  return { [`${p}.name`]: name, [`${p}.art`]: 'hund', [`${p}.geburtsdatum.day`]: '1', [`${p}.geburtsdatum.month`]: '5', [`${p}.geburtsdatum.year`]: '2020', [`${p}.gechippt`]: chipped, [`${p}.chipnummer`]: chip };
}

describe('a row\'s field shown by another field of the same row: checked when the form loads', () => {
  type Field = Record<string, unknown> & { fields?: Field[] };
  const form = `forms/${SERVICE}.form.json`;
  /** A copy with the test service, its chip field's condition replaced by `chip` (and more edits by `change`). */
  async function withChip(chip: ExtraService['chipNumber'], change?: (root: string) => void): Promise<TempRoot> {
    const temp = copyProjectRoot('efa-row-cond-');
    await addExtraService(temp.root, { ...SPEC, chipNumber: chip });
    change?.(temp.root);
    return temp;
  }
  const editForm = (root: string, fn: (items: Field[]) => void) => {
    const file = join(root, form);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { steps: Array<{ fields: Field[] }> };
    fn(doc.steps[1]?.fields[0]?.fields as Field[]);
    writeFileSync(file, JSON.stringify(doc));
  };

  test('row.<path> and "./<path>" read the same row; the shorthand says in words when the field applies', async () => {
    for (const chip of [true, { showIf: { '===': [{ var: 'row.gechippt' }, true] }, conditionHint: { de: 'Nur für gechippte Tiere.', en: 'Only for a microchipped pet.' } }] as const) {
      const temp = await withChip(chip);
      try {
        const decl = await loadDeclarations(temp.root, ENV);
        const item = decl.tenants.get('sh')?.forms.get(SERVICE)?.steps[1]?.fields[0]?.group?.items.find((f) => f.pointer === '/chipnummer');
        assert.deepEqual(item?.showIf?.logic, { '===': [{ var: 'row.gechippt' }, true] });
        assert.deepEqual(item?.controls, [{ name: 'gechippt', var: 'row.gechippt', type: 'yesno' }]);
        if (chip === true) assert.deepEqual(item?.conditionHint, { de: 'Nur wenn Sie bei „Ist das Tier gechippt?“ „Ja“ gewählt haben.', en: 'Only if you chose “Yes” for “Is the pet microchipped?”.' });
      } finally {
        temp.remove();
      }
    }
  });

  test('efa check names the file and the var of a relative pointer that is not in the row, comes later in it, or stands outside a group', async () => {
    const temp = await withChip({ showIf: { and: [{ var: 'row.gechipt' }, { var: 'row.chipnummer' }] }, conditionHint: { de: 'Nur …', en: 'Only …' } }, (root) => editForm(root, (items) => {
      // Asked before the field it reads: the row's answer does not exist yet when this one is asked.
      items.unshift({ pointer: '/chipnummer', kind: 'text', label: 'Chipnummer', showIf: { pointer: './name', equals: 'x' } } as Field);
      items.pop();
    }));
    try {
      const misplaced = await checkProject(temp.root, ENV);
      const messages = misplaced.problems.map((p) => `${p.code} ${p.message}`);
      assert.ok(messages.some((m) => m.startsWith('EFA_XREF_ANSWER ') && m.includes(`${form}: /steps/1/fields/0/fields/0/showIf/pointer: "row.name": /name must be asked by a field before this one in the same row`)), messages.join('\n'));
    } finally {
      temp.remove();
    }
    const typo = await withChip({ showIf: { var: 'row.gechipt' }, conditionHint: { de: 'Nur …', en: 'Only …' } });
    try {
      const report = await checkProject(typo.root, ENV);
      const messages = report.problems.map((p) => `${p.code} ${p.message}`);
      assert.ok(messages.some((m) => m.startsWith('EFA_XREF_ANSWER ') && m.includes(`${form}: /steps/1/fields/0/fields/4/showIf/var: "row.gechipt": /gechipt is not in a row of /tiere`) && m.includes('has: name, art, geburtsdatum, gechippt, chipnummer')), messages.join('\n'));
    } finally {
      typo.remove();
    }
    const outside = await withChip(true, (root) => {
      const file = join(root, form);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { steps: Array<{ fields: Field[] }> };
      (doc.steps[0]?.fields[0] as Field).showIf = { pointer: './name', equals: 'x' };
      writeFileSync(file, JSON.stringify(doc));
    });
    try {
      const err = await loadDeclarations(outside.root, ENV).catch((e: unknown) => e);
      assert.ok(err instanceof DeclarationError, String(err));
      assert.equal(err.code, 'EFA_XREF_ANSWER');
      assert.match(err.message, /\/steps\/0\/fields\/0\/showIf\/pointer: "row\.name": row\.<path> reads a field of the same row and works only in the "fields" of a field of kind "group"/);
    } finally {
      outside.remove();
    }
  });
});

describe('a row\'s field shown by another field of the same row, over HTTP', () => {
  let temp: TempRoot;
  let stack: TestStack;
  let chromium: Chromium | undefined;
  before(async () => {
    temp = copyProjectRoot('efa-row-cond-http-');
    await addExtraService(temp.root, SPEC);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await chromium?.close();
    await stack.close();
    temp.remove();
  });

  async function begin(b: Browser): Promise<void> {
    await b.get(`/sh/${SERVICE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    const res = await b.submit(HOLDER);
    assert.equal(res.location, `/sh/${SERVICE}/tiere`, extractErrors(res.html));
    await b.get(res.location as string);
  }

  async function saveRow(b: Browser, fields: Record<string, string>): Promise<void> {
    const res = await b.submit(fields);
    assert.equal(res.status, 303, extractErrors(res.html));
    await b.get(res.location as string);
  }

  test('without JavaScript: the row page shows the field with its condition in words; the server asks it only when the row says so and drops it otherwise', async () => {
    const b = new Browser(stack.url);
    await begin(b);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Tier 1<\/h1>/);
    assert.match(b.lastHtml, /Nur wenn Sie bei „Ist das Tier gechippt\?“ „Ja“ gewählt haben\./, 'the condition in words');
    assert.match(b.lastHtml, /name="tiere\.0\.chipnummer"/, 'asked on the row page without JavaScript');
    const box = /<div class="efa-reveal"([^>]*)>/.exec(b.lastHtml)?.[1] ?? '';
    const attr = (name: string) => JSON.parse((new RegExp(`${name}="([^"]*)"`).exec(box)?.[1] ?? '').replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')) as unknown;
    assert.deepEqual(attr('data-efa-controls'), [{ name: 'tiere.0.gechippt', var: 'row.gechippt', type: 'yesno' }], 'the control of this row');
    assert.match(b.lastHtml, /<script src="\/_efa\/reveal\.js" defer><\/script>/);

    // Chipped, no number: required on this row.
    const missing = await b.submit(pet(1, 'Bello', 'ja'));
    assert.equal(missing.status, 400);
    assert.match(missing.html, /href="#f-tiere-0-chipnummer">Geben Sie Chipnummer ein\.<\/a>/);
    await saveRow(b, pet(1, 'Bello', 'ja', CHIP));
    assert.match(b.lastHtml, /<dt class="efa-lines__label">Chipnummer<\/dt><dd class="efa-lines__value">276098106123456<\/dd>/);

    // Not chipped: a number typed anyway is neither checked nor kept.
    assert.equal((await b.submit({ aktion: 'hinzufuegen' })).location, `/sh/${SERVICE}/tiere/2`);
    await b.get(`/sh/${SERVICE}/tiere/2`);
    await saveRow(b, pet(2, 'Minka', 'nein', 'keine Nummer'));
    assert.match(b.lastHtml, /Tier 2: Minka<\/dt>[\s\S]*Name des Tiers<\/dt><dd class="efa-lines__value">Minka/);
    assert.doesNotMatch(b.lastHtml, /keine Nummer/);

    // Row 1 changed to "not chipped" from the check page: its number goes too.
    const check = await b.submit({});
    assert.equal(check.location, `/sh/${SERVICE}/pruefen`, extractErrors(check.html));
    await b.get(`/sh/${SERVICE}/tiere/1?zurueck=pruefen`);
    await saveRow(b, pet(1, 'Bello', 'nein', CHIP));
    assert.doesNotMatch(b.lastHtml, /276098106123456/, 'not on the check page');
    await b.get(`/sh/${SERVICE}/tiere/2?zurueck=pruefen`);
    await saveRow(b, pet(2, 'Minka', 'ja', '276098106654321'));

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const id = (done.location ?? '').split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 20_000, `submission ${id} at the receiver`);
    const doc = JSON.parse((stack.inbox.get(id) as ReceivedMessage).document) as { data: { tiere: Array<{ name: string; gechippt: boolean; chipnummer?: string }> } };
    assert.deepEqual(doc.data.tiere, [
      { name: 'Bello', art: 'hund', geburtsdatum: '2020-05-01', gechippt: false },
      { name: 'Minka', art: 'hund', geburtsdatum: '2020-05-01', gechippt: true, chipnummer: '276098106654321' },
    ]);
  });

  test('with JavaScript (Chromium): on the row page, answering the deciding question reveals and hides the dependent one', async () => {
    chromium = await launchChromium();
    const context = await chromium.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${stack.url}/sh/${SERVICE}`);
    await page.locator('form[action$="/start"] button.kern-btn--primary').click();
    for (const [name, value] of Object.entries(HOLDER)) await page.locator(`[name="${name}"]`).fill(value);
    await page.locator('button.kern-btn--primary[type="submit"]').click();
    await page.waitForURL(`**/sh/${SERVICE}/tiere`);
    await page.locator('h1', { hasText: 'Tier 1' }).waitFor();
    const chip = page.locator('#f-tiere-0-chipnummer');
    await chip.waitFor({ state: 'hidden' });
    await page.locator('#f-tiere-0-gechippt').check();
    await chip.waitFor({ state: 'visible' });
    await page.locator('#f-tiere-0-gechippt-1').check();
    await chip.waitFor({ state: 'hidden' });
    await context.close();
  });
});
