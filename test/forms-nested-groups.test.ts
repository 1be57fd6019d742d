import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { DeclarationError } from '../src/core/errors.js';
import { checkSections } from '../src/http/applicant/check.js';
import { stepContext } from '../src/http/applicant/logic.js';
import type { PageEnv } from '../src/http/applicant/view.js';
import { formOf } from '../src/http/applicant/view.js';
import { summarise, validateAll } from '../src/forms/validate.js';
import { loadDeclarations } from '../src/runtime.js';
import type { ReceivedMessage } from '../src/demo/receivers/inbox.js';
import { extractErrors, inDays } from './support/answers.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { beginPets, expectRedirect, HOLDER_KIEL, HOLDER_KOELN } from './support/pets.js';
import { waitUntil } from './support/delivery-stack.js';
import { addExtraService, copyProjectRoot, example, type ExtraService, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * A group inside a group's row (each pet's vaccinations), on a service generated for this test: the
 * inner list on the outer row's page, inner rows on their own pages (/tiere/<n>/impfungen/<m>),
 * removal after asking, messages naming both rows, the check page, server-side validation, and the
 * nested arrays in the JSON and XML payloads.
 */
const SERVICE = 'haustiere';
const SPEC: ExtraService = {
  id: SERVICE, leikaKey: '99999999999001', tenants: ['sh', 'nw'], minItems: 1, maxItems: 3, vaccinations: { min: 1, max: 2 },
  routes: { '010020000000': 'gewerbeamt-kiel', '053150000000': 'stadt-koeln' },
};

function pet(n: number, name: string): Record<string, string> {
  const p = `tiere.${n - 1}`;
  return { [`${p}.name`]: name, [`${p}.art`]: 'hund', [`${p}.geburtsdatum.day`]: '1', [`${p}.geburtsdatum.month`]: '5', [`${p}.geburtsdatum.year`]: '2020', [`${p}.gechippt`]: 'nein' };
}

function vaccination(n: number, m: number, vaccine: string, date = { day: '1', month: '3', year: '2021' }): Record<string, string> {
  const p = `tiere.${n - 1}.impfungen.${m - 1}`;
  return { [`${p}.impfstoff`]: vaccine, [`${p}.datum.day`]: date.day, [`${p}.datum.month`]: date.month, [`${p}.datum.year`]: date.year };
}

describe('nested groups over HTTP without JavaScript', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-nested-');
    await addExtraService(temp.root, SPEC);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack.close();
    temp.remove();
  });

  const begin = (tenant: string, holder: Record<string, string>, query = '') => beginPets(stack.url, tenant, SERVICE, holder, query);

  async function arrived(confirmation: string | undefined): Promise<ReceivedMessage> {
    const id = (confirmation ?? '').split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 20_000, `submission ${id} at the receiver`);
    return stack.inbox.get(id) as ReceivedMessage;
  }

  test('add, change and remove vaccinations of a pet on their own pages; messages name both rows; the check page and the JSON payload carry them', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    const base = `/sh/${SERVICE}/tiere`;
    const pages: HtmlPage[] = [];
    const keep = (name: string) => pages.push({ name, html: b.lastHtml });
    // The first pet's page lists its vaccinations (none yet) with an add button of their own.
    assert.match(b.lastHtml, /<legend class="kern-label kern-label--large">Impfungen<\/legend>/);
    assert.match(b.lastHtml, /name="aktion" value="hinzufuegen-impfungen" id="f-tiere-0-impfungen"><span class="kern-label">Impfung hinzufügen/);
    // Saving the pet without a vaccination: the inner group's minimum, named for the row.
    const none = await b.submit(pet(1, 'Bello'));
    assert.equal(none.status, 400);
    assert.match(none.html, /href="#f-tiere-0-impfungen">Geben Sie bei „Impfungen“ mindestens einen Eintrag an\./);
    // "Add" keeps the pet's answers as they stand and opens the first vaccination.
    await expectRedirect(b, await b.submit({ ...pet(1, 'Bello'), aktion: 'hinzufuegen-impfungen' }), `${base}/1/impfungen/1`);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Impfung 1<\/h1>/);
    assert.match(b.lastHtml, new RegExp(`<p><a class="kern-link" href="${base}/1">Zurück</a></p>`), 'back leads to the pet');
    assert.match(b.lastHtml, new RegExp(`action="${base}/1/impfungen/1"`));
    const empty = await b.submit({});
    keep('inner row posted empty');
    assert.equal(empty.status, 400);
    // On the inner row's own page the message needs no row names (issue 23: no row prefix on its own page).
    assert.match(empty.html, /href="#f-tiere-0-impfungen-0-impfstoff">Geben Sie Impfstoff ein\.<\/a>/);
    assert.doesNotMatch(empty.html, /Tier 1: Impfung 1: Geben Sie/);
    assert.match(empty.html, /id="f-tiere-0-impfungen-0-impfstoff" name="tiere\.0\.impfungen\.0\.impfstoff"/);
    // A rule of the service about the inner row, on that row's page.
    const future = await b.submit(vaccination(1, 1, 'Tollwut', inDays(30)));
    assert.equal(future.status, 400);
    assert.match(future.html, /href="#f-tiere-0-impfungen-0-datum">Das Datum der Impfung darf nicht in der Zukunft liegen\./);
    await expectRedirect(b, await b.submit(vaccination(1, 1, 'Tollwut')), `${base}/1`);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Tier 1: Bello<\/h1>/);
    assert.match(b.lastHtml, /name="tiere\.0\.name" type="text" value="Bello"/, 'the pet\'s answers were kept');
    assert.match(b.lastHtml, new RegExp(`Impfung 1: Tollwut</dt>[\\s\\S]*?href="${base}/1/impfungen/1">Ändern<span class="kern-sr-only"> Impfung 1: Tollwut</span></a></li><li><a class="kern-link efa-row-remove" href="${base}/1/impfungen/1/entfernen">Entfernen`));

    // A second one, then change the first.
    await expectRedirect(b, await b.submit({ ...pet(1, 'Bello'), aktion: 'hinzufuegen-impfungen' }), `${base}/1/impfungen/2`);
    await expectRedirect(b, await b.submit(vaccination(1, 2, 'Staupe')), `${base}/1`);
    assert.doesNotMatch(b.lastHtml, /value="hinzufuegen-impfungen"/, 'at maxItems the inner add button is gone');
    const tooMany = await b.submit({ ...pet(1, 'Bello'), aktion: 'hinzufuegen-impfungen' });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.html, /Bei „Impfungen“ sind höchstens 2 Einträge möglich\./);
    assert.equal((await b.get(`${base}/1/impfungen/3`)).status, 404);
    await b.get(`${base}/1/impfungen/1`);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Impfung 1: Tollwut<\/h1>/);
    await expectRedirect(b, await b.submit(vaccination(1, 1, 'Tollwut (Auffrischung)')), `${base}/1`);

    // Remove the second: asked first; back on the pet's page a banner says so.
    await b.get(`${base}/1/impfungen/2/entfernen`);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Möchten Sie „Impfung 2: Staupe“ entfernen\?<\/h1>/);
    keep('inner row removal asked');
    await expectRedirect(b, await b.submit({}, '/impfungen/2/entfernen'), `${base}/1?entfernt=impfungen.2`);
    assert.match(b.lastHtml, /efa-notice" role="status"><div class="kern-alert__body"><p class="kern-body">Impfung 2 wurde entfernt\./);
    assert.doesNotMatch(b.lastHtml, /Staupe/);
    keep('outer row with its inner list and the banner');
    await expectRedirect(b, await b.submit(pet(1, 'Bello')), base);
    keep('list with a nested count');
    assert.match(b.lastHtml, /<dt class="efa-lines__label">Impfungen<\/dt><dd class="efa-lines__value">1<\/dd>/, 'the list counts the inner rows');

    // The check page: the pet, then its vaccination indented, each with its own change link.
    await expectRedirect(b, await b.submit({}), `/sh/${SERVICE}/pruefen`);
    assert.match(b.lastHtml, /efa-summary-row">\s*<dt class="kern-description-list-item__key">Tier 1: Bello<\/dt>[\s\S]*?efa-summary-row efa-summary-row--nested">\s*<dt class="kern-description-list-item__key">Impfung 1: Tollwut \(Auffrischung\)<\/dt>/);
    assert.match(b.lastHtml, /href="\/sh\/haustiere\/tiere\/1\/impfungen\/1\?zurueck(=|&#x3D;)pruefen">Ändern<span class="kern-sr-only"> Impfung 1: Tollwut \(Auffrischung\)/);
    keep('check page with nested rows');
    await b.get(`${base}/1/impfungen/1?zurueck=pruefen`);
    await expectRedirect(b, await b.submit(vaccination(1, 1, 'Tollwut')), `/sh/${SERVICE}/pruefen`);
    const errors = await vnuErrors(pages);
    assert.equal(errors.size, 0, `Nu HTML Checker:\n${report(errors)}`);

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const received = await arrived(done.location);
    const doc = JSON.parse(received.document) as { data: { tiere: Array<{ name: string; impfungen: Array<{ impfstoff: string; datum: string }> }> } };
    assert.deepEqual(doc.data.tiere, [{ name: 'Bello', art: 'hund', geburtsdatum: '2020-05-01', gechippt: false, impfungen: [{ impfstoff: 'Tollwut', datum: '2021-03-01' }] }]);
  });

  test('in English to Köln: the generic XML payload repeats the inner element inside each outer one', async () => {
    const b = await begin('nw', HOLDER_KOELN, '?lang=en');
    const base = `/nw/${SERVICE}/tiere`;
    await expectRedirect(b, await b.submit({ ...pet(1, 'Rex'), aktion: 'hinzufuegen-impfungen' }), `${base}/1/impfungen/1`);
    const empty = await b.submit({});
    assert.match(empty.html, /href="#f-tiere-0-impfungen-0-impfstoff">Enter vaccine\./);
    await expectRedirect(b, await b.submit(vaccination(1, 1, 'Rabies')), `${base}/1`);
    await expectRedirect(b, await b.submit({ ...pet(1, 'Rex'), aktion: 'hinzufuegen-impfungen' }), `${base}/1/impfungen/2`);
    await expectRedirect(b, await b.submit(vaccination(1, 2, 'Distemper & Co')), `${base}/1`);
    await expectRedirect(b, await b.submit(pet(1, 'Rex')), base);
    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), `${base}/2`);
    await expectRedirect(b, await b.submit({ ...pet(2, 'Luna'), aktion: 'hinzufuegen-impfungen' }), `${base}/2/impfungen/1`);
    await expectRedirect(b, await b.submit(vaccination(2, 1, 'Leukose')), `${base}/2`);
    await expectRedirect(b, await b.submit(pet(2, 'Luna')), base);
    await expectRedirect(b, await b.submit({}), `/nw/${SERVICE}/pruefen`);
    assert.match(b.lastHtml, /Vaccination 2: Distemper &amp; Co<\/dt>/);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const received = await arrived(done.location);
    assert.equal(received.mediaType, 'application/xml');
    const xml = new XMLParser({ isArray: (_n, path) => path === 'antrag.data.tiere' || path === 'antrag.data.tiere.impfungen' }).parse(received.document) as { antrag: { data: { tiere: Array<{ name: string; impfungen: Array<{ impfstoff: string }> }> } } };
    assert.deepEqual(xml.antrag.data.tiere.map((t) => [t.name, t.impfungen.map((i) => i.impfstoff)]), [['Rex', ['Rabies', 'Distemper & Co']], ['Luna', ['Leukose']]]);
  });

  test('with JavaScript (Chromium): the inner list, an inner row and its removal page have no axe violations; "Entfernen" is one line high', async () => {
    const chromium = await launchChromium();
    try {
      const context = await chromium.newContext({ locale: 'de-DE', viewport: { width: 375, height: 812 } });
      const page = await context.newPage();
      const found = new Map<string, string[]>();
      const check = async (name: string) => {
        const violations = await axeViolations(page);
        if (violations.length > 0) found.set(name, violations);
      };
      const fill = async (fields: Record<string, string>) => {
        for (const [name, value] of Object.entries(fields)) {
          const control = page.locator(`[name="${name}"]`);
          if ((await control.first().getAttribute('type')) === 'radio') await page.locator(`[name="${name}"][value="${value}"]`).check();
          else await control.fill(value);
        }
      };
      await page.goto(`${stack.url}/sh/${SERVICE}`);
      await page.locator('form[action$="/start"] button.kern-btn--primary').click();
      await fill(HOLDER_KIEL);
      await page.locator('button.kern-btn--primary[type="submit"]').click();
      await page.waitForURL(`**/sh/${SERVICE}/tiere`);
      await fill(pet(1, 'Bello'));
      await page.locator('button[value="hinzufuegen-impfungen"]').click();
      await page.waitForURL(`**/sh/${SERVICE}/tiere/1/impfungen/1`);
      await check('inner row');
      await fill(vaccination(1, 1, 'Tollwut gegen sehr lange Bezeichnungen'));
      await page.locator('.efa-actions button[type="submit"]').click();
      await page.waitForURL(`**/sh/${SERVICE}/tiere/1`);
      await check('outer row with its inner list (375 px)');
      const remove = page.locator('.efa-row-remove');
      const box = await remove.evaluate((a) => ({ height: a.getBoundingClientRect().height, rects: a.getClientRects().length, line: Number.parseFloat(getComputedStyle(a).lineHeight) || Number.parseFloat(getComputedStyle(a).fontSize) * 1.5 }));
      assert.equal(box.rects, 1, '"Entfernen" is one box at 375 px');
      assert.ok(box.height < box.line * 1.5, `"Entfernen" is one line high at 375 px (${box.height}px)`);
      await remove.click();
      await page.waitForURL(`**/sh/${SERVICE}/tiere/1/impfungen/1/entfernen`);
      await check('inner row removal');
      await page.locator('.efa-remove-actions button[type="submit"]').click();
      await page.waitForURL(`**/sh/${SERVICE}/tiere/1?entfernt=impfungen.1`);
      assert.match((await page.locator('.efa-notice').textContent()) ?? '', /Impfung 1 wurde entfernt\./);
      await check('outer row with the banner');
      assert.equal(found.size, 0, `axe (WCAG 2.2 AA):\n${report(found)}`);
      await context.close();
    } finally {
      await chromium.close();
    }
  });

  test('inner row pages that do not exist are not found; one of another pet only once that pet exists', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    await expectRedirect(b, await b.submit({ ...pet(1, 'Bello'), aktion: 'hinzufuegen-impfungen' }), `/sh/${SERVICE}/tiere/1/impfungen/1`);
    for (const path of ['/tiere/2/impfungen/1', '/tiere/1/impfungen/0', '/tiere/1/impfungen/2', '/tiere/1/impfung/1', '/tiere/1/name/1', '/tiere/1/impfungen/1/entfernen', '/halter/1/impfungen/1']) {
      assert.equal((await b.get(`/sh/${SERVICE}${path}`)).status, 404, path);
    }
  });
});

describe('nested groups in the engine: declarations, validation, check page', () => {
  const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
  interface FieldJson { pointer: string; kind: string; titleField?: string; fields?: FieldJson[]; itemLabel?: unknown }
  interface FormJson { steps: Array<{ fields: FieldJson[] }> }

  async function load(change?: (form: FormJson, root: string) => void) {
    const temp = copyProjectRoot('efa-nested-decl-');
    try {
      await addExtraService(temp.root, { ...SPEC, routes: { '01': 'land-sh' }, tenants: ['sh'] });
      const file = join(temp.root, 'forms', `${SERVICE}.form.json`);
      const form = JSON.parse(readFileSync(file, 'utf8')) as FormJson;
      change?.(form, temp.root);
      writeFileSync(file, JSON.stringify(form));
      return await loadDeclarations(temp.root, ENV).catch((err: unknown) => err);
    } finally {
      temp.remove();
    }
  }
  const inner = (form: FormJson) => form.steps[1]?.fields[0]?.fields?.find((f) => f.pointer === '/impfungen') as FieldJson;

  test('a group nested twice, a file in a nested group and an unknown titleField are refused with file and path', async () => {
    const twice = await load((form) => inner(form).fields?.push({ pointer: '/faelle', kind: 'group', itemLabel: 'X', fields: [{ pointer: '/a', kind: 'text' }] }));
    assert.ok(twice instanceof DeclarationError);
    assert.match(twice.message, /\/steps\/1\/fields\/0\/fields\/4\/fields\/2\/kind: a group inside a group's row cannot contain another group \(one level of nesting\)/);
    const file = await load((form) => { (inner(form).fields as FieldJson[])[0] = { pointer: '/impfstoff', kind: 'file' }; });
    assert.ok(file instanceof DeclarationError);
    assert.match(file.message, /\/steps\/1\/fields\/0\/fields\/4\/fields: a group inside a group's row cannot ask for files/);
    const title = await load((form) => { inner(form).titleField = '/datm'; });
    assert.ok(title instanceof DeclarationError);
    assert.match(title.message, /\/steps\/1\/fields\/0\/fields\/4\/titleField: "\/datm" is no field of this group's row \(fields: \/impfstoff, \/datum\)/);
  });

  test('validateAll checks every inner row and its message leads to the inner row\'s page; the check page lists inner rows named by titleField', async () => {
    const decl = await load((form) => { inner(form).titleField = '/datum'; });
    assert.ok(!(decl instanceof Error), String(decl));
    const { tenants, services, places } = decl as Awaited<ReturnType<typeof loadDeclarations>>;
    const tenant = tenants.get('sh');
    const service = services.get(SERVICE);
    assert.ok(tenant && service);
    const env: PageEnv = { tenant, lang: 'de', base: '/sh', url: `/sh/${SERVICE}/pruefen` };
    const data = example(2, 2) as { tiere: Array<{ impfungen: Array<Record<string, unknown>> }> };
    const ctx = stepContext(env, places, service, '2026-01-01', data);
    assert.equal(validateAll(service, formOf(tenant, SERVICE), data, ctx), undefined, 'the example is valid');
    delete data.tiere[1]?.impfungen[1]?.impfstoff;
    const problem = validateAll(service, formOf(tenant, SERVICE), data, ctx);
    assert.equal(problem?.step.id, 'tiere');
    assert.deepEqual([...(problem?.errors.values() ?? [])], ['Tier 2: Impfung 2: Geben Sie Impfstoff ein.']);
    const [entry] = summarise(problem?.step.fields ?? [], problem?.errors ?? new Map());
    assert.deepEqual({ row: entry?.row, href: entry?.href }, { row: '2/impfungen/2', href: 'f-tiere-1-impfungen-1-impfstoff' });

    const rows = checkSections(env, service, data, ctx.conditions).find((s) => s.title === 'Ihre Tiere')?.rows ?? [];
    assert.deepEqual(rows.map((r) => [r.label, r.nested ?? false, r.changeHref]), [
      ['Tiere', false, `/sh/${SERVICE}/tiere?zurueck=pruefen`],
      ['Tier 1: Tier 1', false, `/sh/${SERVICE}/tiere/1?zurueck=pruefen`],
      ['Impfung 1: 1. März 2021', true, `/sh/${SERVICE}/tiere/1/impfungen/1?zurueck=pruefen`],
      ['Impfung 2: 1. März 2021', true, `/sh/${SERVICE}/tiere/1/impfungen/2?zurueck=pruefen`],
      ['Tier 2: Tier 2', false, `/sh/${SERVICE}/tiere/2?zurueck=pruefen`],
      ['Impfung 1: 1. März 2021', true, `/sh/${SERVICE}/tiere/2/impfungen/1?zurueck=pruefen`],
      ['Impfung 2: 1. März 2021', true, `/sh/${SERVICE}/tiere/2/impfungen/2?zurueck=pruefen`],
    ]);
    assert.ok(!rows[1]?.lines?.some((l) => l.label === 'Impfungen'), 'the outer row does not repeat its inner rows as a count');
  });
});
