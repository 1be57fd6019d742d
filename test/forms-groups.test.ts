import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { XMLParser } from 'fast-xml-parser';
import { Browser } from './support/browser.js';
import { extractErrors, inDays } from './support/answers.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { waitUntil } from './support/delivery-stack.js';
import { beginPets, expectRedirect, HOLDER_KIEL, HOLDER_KOELN } from './support/pets.js';
import { startStack, type TestStack } from './support/runtime.js';
import type { ReceivedMessage } from '../src/demo/receivers/inbox.js';

/**
 * Repeatable groups over HTTP without JavaScript, on a service generated for this test into a copy
 * of the project root (no declared service needs a group): add, change and remove rows, the
 * minItems/maxItems bounds, row-named errors, the check page, and arrays at the receiver.
 */
const SERVICE = 'haustiere';

/** The fields of row `n` (1-based), named as the row page names them. */
function pet(n: number, name: string, art: 'hund' | 'katze' = 'hund', born = { day: '1', month: '5', year: '2020' }): Record<string, string> {
  const p = `tiere.${n - 1}`;
  return { [`${p}.name`]: name, [`${p}.art`]: art, [`${p}.geburtsdatum.day`]: born.day, [`${p}.geburtsdatum.month`]: born.month, [`${p}.geburtsdatum.year`]: born.year, [`${p}.gechippt`]: 'ja' };
}

/** One answer of a row as the list, the removal page and the check page show it (label and value aligned). */
const line = (label: string, value: string): string => `<dt class="efa-lines__label">${label}</dt><dd class="efa-lines__value">${value}</dd>`;

/**
 * Removes a row as the applicant does: "Entfernen" is a link to a page that asks first; its form
 * (with the CSRF token) removes the row and leads back to the list, which says so.
 */
async function removeRow(b: Browser, listPath: string, n: number, question: RegExp): Promise<void> {
  await b.get(`${listPath}/${n}/entfernen`);
  assert.equal(b.lastStatus, 200);
  assert.match(b.lastHtml, question);
  assert.match(b.lastHtml, new RegExp(`<a class="kern-link" href="${listPath}">(Abbrechen|Cancel)</a>`), 'cancel leads back to the list');
  await expectRedirect(b, await b.submit({}, `/${n}/entfernen`), `${listPath}?entfernt=${n}`);
}

describe('repeatable groups: the "add another" pattern without JavaScript', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot();
    await addExtraService(temp.root, {
      id: SERVICE, leikaKey: '99999999999001', tenants: ['sh', 'nw'], minItems: 3, maxItems: 4,
      routes: { '010020000000': 'gewerbeamt-kiel', '053150000000': 'stadt-koeln' },
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack.close();
    temp.remove();
  });

  /** The submission at the receiver, polled: in-process delivery runs on its own timer. */
  async function arrived(confirmation: string | undefined): Promise<ReceivedMessage> {
    const id = (confirmation ?? '').split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 20_000, `submission ${id} at the receiver`);
    return stack.inbox.get(id) as ReceivedMessage;
  }

  const begin = (tenant: string, holder: Record<string, string>, query = '') => beginPets(stack.url, tenant, SERVICE, holder, query);

  test('add three rows, change row 2, remove row 1, be stopped below minItems and at maxItems, check, submit: a JSON array arrives', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    // No rows yet and at least three needed: the first row's questions come at once.
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Tier 1<\/h1>/);
    assert.match(b.lastHtml, /action="\/sh\/haustiere\/tiere\/1"/);

    const empty = await b.submit({});
    assert.equal(empty.status, 400);
    // On the row's own page (headed "Tier 1") the messages do not repeat the row's name.
    assert.match(empty.html, /<a class="kern-link" href="#f-tiere-0-name">Geben Sie Name des Tiers ein\.<\/a>/);
    assert.match(empty.html, /href="#f-tiere-0-art">Wählen Sie Tierart aus\./);
    assert.doesNotMatch(empty.html, /Tier 1: /);
    assert.match(empty.html, /id="f-tiere-0-name" name="tiere\.0\.name"/, 'the control the summary links to');
    await expectRedirect(b, await b.submit(pet(1, 'Bello')), '/sh/haustiere/tiere');
    assert.match(b.lastHtml, new RegExp(`Tier 1: Bello</dt>[\\s\\S]*?${line('Name des Tiers', 'Bello')}`));

    for (const [n, name] of [[2, 'Minka'], [3, 'Rex']] as const) {
      await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), `/sh/haustiere/tiere/${n}`);
      assert.match(b.lastHtml, new RegExp(`<h1 class="kern-heading-large">Tier ${n}</h1>`));
      await expectRedirect(b, await b.submit(pet(n, name, n === 2 ? 'katze' : 'hund')), '/sh/haustiere/tiere');
    }
    assert.equal([...b.lastHtml.matchAll(/<dt class="kern-description-list-item__key">Tier \d: [^<]+<\/dt>/g)].length, 3);
    // Each row: its name, then "Ändern | Entfernen" as two links (no button, no form of their own).
    assert.match(b.lastHtml, /<ul class="efa-row-actions"><li><a class="kern-link" href="\/sh\/haustiere\/tiere\/2">Ändern<span class="kern-sr-only"> Tier 2: Minka<\/span><\/a><\/li><li><a class="kern-link efa-row-remove" href="\/sh\/haustiere\/tiere\/2\/entfernen">Entfernen<span class="kern-sr-only"> Tier 2: Minka<\/span><\/a><\/li><\/ul>/);

    // Change row 2: the page shows its answers; a rule of the service names the row.
    await b.get('/sh/haustiere/tiere/2');
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Tier 2: Minka<\/h1>/, 'the row page names the item');
    assert.match(b.lastHtml, /<p><a class="kern-link" href="\/sh\/haustiere\/tiere">Zurück<\/a><\/p>/, 'back leads to the list');
    assert.match(b.lastHtml, /name="tiere\.1\.name" type="text" value="Minka"/);
    assert.match(b.lastHtml, /value="katze" checked/);
    const future = inDays(40);
    const ruled = await b.submit(pet(2, 'Mia', 'katze', future));
    assert.equal(ruled.status, 400);
    assert.match(ruled.html, /href="#f-tiere-1-geburtsdatum">Das Geburtsdatum darf nicht in der Zukunft liegen\./);
    await expectRedirect(b, await b.submit(pet(2, 'Mia', 'katze')), '/sh/haustiere/tiere');
    assert.match(b.lastHtml, new RegExp(`Tier 2: Mia</dt>[\\s\\S]*?${line('Name des Tiers', 'Mia')}`));
    assert.doesNotMatch(b.lastHtml, /Minka/);

    // Remove row 1: asked first, then a POST with the CSRF token; the others move up, and a banner says so.
    assert.equal((await b.post('/sh/haustiere/tiere/1/entfernen', '')).status, 403, 'no removal without the CSRF token');
    await b.get('/sh/haustiere/tiere/1/entfernen');
    assert.match(b.lastHtml, new RegExp(`<h1 class="kern-heading-large">Möchten Sie „Tier 1: Bello“ entfernen\\?</h1>\\s*<dl class="efa-lines"><div class="efa-lines__item">${line('Name des Tiers', 'Bello')}`));
    await b.get('/sh/haustiere/tiere');
    assert.match(b.lastHtml, /Bello/, 'asking removes nothing');
    assert.doesNotMatch(b.lastHtml, /efa-notice/);
    await removeRow(b, '/sh/haustiere/tiere', 1, /Möchten Sie „Tier 1: Bello“ entfernen\?/);
    assert.match(b.lastHtml, /<div class="kern-alert kern-alert--success efa-notice" role="status"><div class="kern-alert__body"><p class="kern-body">Tier 1 wurde entfernt\.<\/p>/);
    assert.doesNotMatch(b.lastHtml, /Bello/);
    assert.match(b.lastHtml, new RegExp(`Tier 1: Mia</dt>[\\s\\S]*?${line('Name des Tiers', 'Mia')}[\\s\\S]*Tier 2: Rex</dt>[\\s\\S]*?${line('Name des Tiers', 'Rex')}`));
    // The banner says only a number in the group's bounds, whatever the address says.
    for (const forged of ['99', 'Tier%201%20gel%C3%B6scht', '1%3Cb%3E']) {
      assert.doesNotMatch((await b.get(`/sh/haustiere/tiere?entfernt=${forged}`)).html, /efa-notice/, forged);
    }

    // Two rows, three needed: continuing is refused, naming the group.
    const tooFew = await b.submit({});
    assert.equal(tooFew.status, 400);
    assert.match(tooFew.html, /<a class="kern-link" href="#f-tiere">Geben Sie bei „Tiere“ mindestens 3 Einträge an\.<\/a>/);
    assert.match(tooFew.html, /id="f-tiere"><span class="kern-label">Weiteres Tier hinzufügen/, 'the summary links to the add button');

    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), '/sh/haustiere/tiere/3');
    await expectRedirect(b, await b.submit(pet(3, 'Luna', 'katze')), '/sh/haustiere/tiere');
    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), '/sh/haustiere/tiere/4');
    await expectRedirect(b, await b.submit(pet(4, 'Max')), '/sh/haustiere/tiere');
    // At maxItems the add button is gone, and a hand-made add or row 5 is refused.
    assert.doesNotMatch(b.lastHtml, /name="aktion" value="hinzufuegen"/);
    const tooMany = await b.submit({ aktion: 'hinzufuegen' });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.html, /href="#f-tiere">Bei „Tiere“ sind höchstens 4 Einträge möglich\./);
    assert.equal((await b.get('/sh/haustiere/tiere/5')).status, 404);
    await removeRow(b, '/sh/haustiere/tiere', 4, /Möchten Sie „Tier 4: Max“ entfernen\?/);
    await expectRedirect(b, await b.submit({}), '/sh/haustiere/pruefen');

    // The check page: each row with its own change link straight to that row.
    assert.match(b.lastHtml, new RegExp(`<dt class="kern-description-list-item__key">Tier 2: Rex</dt>\\s*<dd class="kern-description-list-item__value"><dl class="efa-lines"><div class="efa-lines__item">${line('Name des Tiers', 'Rex')}`));
    assert.match(b.lastHtml, /href="\/sh\/haustiere\/tiere\/2\?zurueck(=|&#x3D;)pruefen">Ändern<span class="kern-sr-only"> Tier 2: Rex<\/span>/);
    await b.get('/sh/haustiere/tiere/2?zurueck=pruefen');
    assert.match(b.lastHtml, /name="tiere\.1\.name" type="text" value="Rex"/);
    await expectRedirect(b, await b.submit(pet(2, 'Rex der Zweite')), '/sh/haustiere/pruefen');
    assert.match(b.lastHtml, new RegExp(line('Name des Tiers', 'Rex der Zweite')));

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const received = await arrived(done.location);
    assert.equal(received.authorityId, 'gewerbeamt-kiel');
    assert.equal(received.mediaType, 'application/json');
    const doc = JSON.parse(received.document) as { data: { tiere: Array<{ name: string; art: string; gechippt: boolean }> }; derived: { anzahlTiere: number } };
    assert.ok(Array.isArray(doc.data.tiere));
    assert.deepEqual(doc.data.tiere.map((t) => t.name), ['Mia', 'Rex der Zweite', 'Luna']);
    assert.deepEqual(doc.data.tiere.map((t) => t.art), ['katze', 'hund', 'katze']);
    assert.equal(doc.derived.anzahlTiere, 3);
  });

  test('in English, to Köln over XTA: one repeated XML element per row', async () => {
    const b = await begin('nw', HOLDER_KOELN, '?lang=en');
    const empty = await b.submit({});
    assert.match(empty.html, /href="#f-tiere-0-name">Enter name of the pet\./);
    for (const [n, name] of [[1, 'Bello & Co'], [2, 'Minka'], [3, 'Rex']] as const) {
      if (n > 1) await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), `/nw/haustiere/tiere/${n}`);
      await expectRedirect(b, await b.submit(pet(n, name)), '/nw/haustiere/tiere');
    }
    await removeRow(b, '/nw/haustiere/tiere', 3, /Do you want to remove “Pet 3: Rex”\?/);
    assert.match(b.lastHtml, /Pet 3 has been removed\./);
    const tooFew = await b.submit({});
    assert.match(tooFew.html, /href="#f-tiere">Add at least 3 entries to “Pets”\./);
    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), '/nw/haustiere/tiere/3');
    await expectRedirect(b, await b.submit(pet(3, 'Luna', 'katze')), '/nw/haustiere/tiere');
    await expectRedirect(b, await b.submit({}), '/nw/haustiere/pruefen');
    assert.match(b.lastHtml, /Pet 3: Luna<\/dt>/);

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const received = await arrived(done.location);
    assert.equal(received.authorityId, 'stadt-koeln');
    assert.equal(received.mediaType, 'application/xml');
    const xml = new XMLParser({ isArray: (_name, path) => path === 'antrag.data.tiere' }).parse(received.document) as { antrag: { data: { tiere: Array<{ name: string; art: string }> } } };
    assert.deepEqual(xml.antrag.data.tiere.map((t) => t.name), ['Bello & Co', 'Minka', 'Luna']);
    assert.deepEqual(xml.antrag.data.tiere.map((t) => t.art), ['hund', 'hund', 'katze']);
    assert.match(received.document, /<tiere>\s*<name>Bello &amp; Co<\/name>/, 'each row is one <tiere> element, its text escaped');
  });

  test('a row page that does not exist, and rows of another draft, are not found', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    for (const path of ['/sh/haustiere/tiere/0', '/sh/haustiere/tiere/2', '/sh/haustiere/tiere/x', '/sh/haustiere/halter/1', '/sh/haustiere/tiere/1/entfernen', '/sh/haustiere/tiere/1/impfungen/1']) {
      assert.equal((await b.get(path)).status, 404, path);
    }
    await b.get('/sh/haustiere/tiere');
    assert.equal((await b.post('/sh/haustiere/tiere/1/entfernen', `_csrf=${encodeURIComponent(/name="_csrf" value="([^"]*)"/.exec(b.lastHtml)?.[1] ?? '')}`)).status, 404, 'no row 1 to remove yet');
    assert.equal((await new Browser(stack.url).get('/sh/haustiere/tiere/1')).status, 410, 'without a draft: expired');
  });
});

describe('a group is declared in the form and checked at startup', () => {
  const SPEC = { id: SERVICE, leikaKey: '99999999999001', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 };
  const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

  /** Loads a fresh copy with the test service after `change`; returns the error or the declarations. */
  async function load(change: (root: string) => void) {
    const temp = copyProjectRoot('efa-group-decl-');
    try {
      await addExtraService(temp.root, SPEC);
      change(temp.root);
      return await loadDeclarations(temp.root, ENV).catch((err: unknown) => err);
    } finally {
      temp.remove();
    }
  }
  /** The form's and schema's JSON, typed as far as these edits reach into it. */
  interface FieldJson { pointer: string; kind: string; itemLabel?: unknown; fields?: FieldJson[] }
  interface DocJson { steps: Array<{ fields: FieldJson[] }>; properties: { tiere: { maxItems?: number } }; texts?: Record<string, unknown> }
  const edit = (root: string, file: string, fn: (j: DocJson) => void) => {
    const path = join(root, file);
    const j = JSON.parse(readFileSync(path, 'utf8')) as DocJson;
    fn(j);
    writeFileSync(path, JSON.stringify(j));
  };
  const groupOf = (j: DocJson) => j.steps[1]?.fields[0] as FieldJson;
  const form = `forms/${SERVICE}.form.json`;
  const schema = `services/${SERVICE}/schema.json`;

  test('a mistake names the file, the path and what is wrong', async () => {
    const noMax = await load((root) => edit(root, schema, (j) => { delete j.properties.tiere.maxItems; }));
    assert.ok(noMax instanceof DeclarationError);
    assert.ok(noMax.message.endsWith(`forms/${SERVICE}.form.json: /steps/1/fields/0/pointer: /tiere needs "maxItems" in the schema: a group must be bounded`), noMax.message);
    const unknownItem = await load((root) => edit(root, form, (j) => { (groupOf(j).fields?.[0] as FieldJson).pointer = '/nme'; }));
    assert.ok(unknownItem instanceof DeclarationError);
    assert.match(unknownItem.message, /\/steps\/1\/fields\/0\/fields\/0\/pointer: "\/nme" does not exist in services\/haustiere\/schema\.json \(in the items of \/tiere: a group's fields point into one row\)/);
    const crowded = await load((root) => edit(root, form, (j) => { j.steps[1]?.fields.push({ pointer: '/halter/name', kind: 'text' }); j.steps[0]?.fields.shift(); }));
    assert.ok(crowded instanceof DeclarationError);
    assert.match(crowded.message, /\/steps\/1\/fields: a step with a "group" field must have no other fields/);
    const noItemLabel = await load((root) => edit(root, form, (j) => { delete groupOf(j).itemLabel; }));
    assert.ok(noItemLabel instanceof DeclarationError);
    assert.match(noItemLabel.message, /\/steps\/1\/fields\/0\/itemLabel: is required but missing/);
    const wrongKind = await load((root) => edit(root, form, (j) => { (groupOf(j).fields?.[2] as FieldJson).kind = 'integer'; }));
    assert.ok(wrongKind instanceof DeclarationError);
    assert.match(wrongKind.message, /kind "integer" cannot fill a schema value of type "string" at \/tiere\/0\/geburtsdatum/);
  });

  test('a Land rewords a row\'s field, the row name and the group\'s messages like any text', async () => {
    const decl = await load((root) => edit(root, 'tenants/sh.json', (j) => {
      j.texts = { ...j.texts, [`form.${SERVICE}.field.tiere.name.label`]: { de: 'Rufname', en: 'Call name' }, [`form.${SERVICE}.field.tiere.itemLabel`]: 'Haustier', [`form.${SERVICE}.field.tiere.error.minItems`]: 'Mindestens ein Haustier, bitte.' };
    }));
    assert.ok(!(decl instanceof Error), String(decl));
    const group = (decl as Awaited<ReturnType<typeof loadDeclarations>>).tenants.get('sh')?.forms.get(SERVICE)?.steps[1]?.fields[0];
    assert.deepEqual(group?.group?.items[0]?.label, { de: 'Rufname', en: 'Call name' });
    assert.deepEqual(group?.group?.itemLabel, { de: 'Haustier', en: 'Pet' });
    assert.deepEqual(group?.def.errors?.minItems, { de: 'Mindestens ein Haustier, bitte.' });
  });
});

describe('a group\'s own messages and add button, as the form and the Land word them', () => {
  let temp: TempRoot;
  let stack: TestStack;
  const MIN = { de: 'Nennen Sie mindestens ein Tier.', en: 'Name at least one pet.' };
  const MAX = { de: 'Mehr als zwei Tiere nehmen wir online nicht an.', en: 'We take at most two pets online.' };
  const NW_MIN = 'In Nordrhein-Westfalen: mindestens ein Tier, bitte.';
  before(async () => {
    temp = copyProjectRoot('efa-group-texts-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999001', tenants: ['sh', 'nw'], minItems: 1, maxItems: 2, routes: { '01': 'land-sh', '05': 'land-nw' } });
    const formFile = join(temp.root, 'forms', `${SERVICE}.form.json`);
    const form = JSON.parse(readFileSync(formFile, 'utf8')) as { steps: Array<{ fields: Array<Record<string, unknown>> }> };
    Object.assign(form.steps[1]?.fields[0] ?? {}, { errors: { minItems: MIN, maxItems: MAX } });
    writeFileSync(formFile, JSON.stringify(form));
    const nwFile = join(temp.root, 'tenants', 'nw.json');
    const nw = JSON.parse(readFileSync(nwFile, 'utf8')) as { texts?: Record<string, unknown> };
    nw.texts = { ...nw.texts, [`form.${SERVICE}.field.tiere.error.minItems`]: NW_MIN };
    writeFileSync(nwFile, JSON.stringify(nw));
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack.close();
    temp.remove();
  });

  /** Past the keeper's step; the group has no row yet, so its first row's page is shown. */
  const begin = (tenant: string, holder: Record<string, string>, query = '') => beginPets(stack.url, tenant, SERVICE, holder, query);
  const continueWithoutRows = (b: Browser, tenant: string, query = '') => b.post(`/${tenant}/${SERVICE}/tiere${query}`, `_csrf=${encodeURIComponent(/name="_csrf" value="([^"]*)"/.exec(b.lastHtml)?.[1] ?? '')}`);

  test('no row at all: the form\'s errors.minItems, and the Land\'s where it rewords it; the button adds the first, not "another"', async () => {
    const sh = await begin('sh', HOLDER_KIEL);
    const none = await continueWithoutRows(sh, 'sh');
    assert.equal(none.status, 400);
    assert.match(none.html, new RegExp(`href="#f-tiere">${MIN.de}</a>`));
    assert.match(none.html, /id="f-tiere"><span class="kern-label">Tier hinzufügen<\/span>/);
    assert.doesNotMatch(none.html, /Weiteres Tier hinzufügen/);

    const en = await continueWithoutRows(await begin('sh', HOLDER_KIEL, '?lang=en'), 'sh', '?lang=en');
    assert.match(en.html, new RegExp(`href="#f-tiere">${MIN.en}</a>`));
    assert.match(en.html, /<span class="kern-label">Add a pet<\/span>/);

    const nw = await continueWithoutRows(await begin('nw', HOLDER_KOELN), 'nw');
    assert.equal(nw.status, 400);
    assert.match(nw.html, new RegExp(`href="#f-tiere">${NW_MIN}</a>`));
  });

  test('removing the only row of a group that needs one: the first row\'s questions again, with the banner', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    await expectRedirect(b, await b.submit(pet(1, 'Bello')), `/sh/${SERVICE}/tiere`);
    await removeRow(b, `/sh/${SERVICE}/tiere`, 1, /Möchten Sie „Tier 1: Bello“ entfernen\?/);
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Tier 1<\/h1>/);
    assert.match(b.lastHtml, /efa-notice" role="status"><div class="kern-alert__body"><p class="kern-body">Tier 1 wurde entfernt\./);
    await b.get(`/sh/${SERVICE}/tiere/1?entfernt=1`);
    assert.doesNotMatch(b.lastHtml, /efa-notice/, 'a row\'s own page says nothing of a removal');
  });

  test('one row too many: the form\'s errors.maxItems; with rows the button says "another"', async () => {
    const b = await begin('sh', HOLDER_KIEL);
    await expectRedirect(b, await b.submit(pet(1, 'Bello')), `/sh/${SERVICE}/tiere`);
    assert.match(b.lastHtml, /<span class="kern-label">Weiteres Tier hinzufügen<\/span>/);
    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), `/sh/${SERVICE}/tiere/2`);
    await expectRedirect(b, await b.submit(pet(2, 'Minka', 'katze')), `/sh/${SERVICE}/tiere`);
    const tooMany = await b.submit({ aktion: 'hinzufuegen' });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.html, new RegExp(`href="#f-tiere">${MAX.de}</a>`));
  });
});
