import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProject } from '../src/check.js';
import { Browser } from './support/browser.js';
import { extractErrors, follow } from './support/answers.js';
import { waitUntil } from './support/delivery-stack.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { addPlaceService, KIEL, KOELN } from './support/place-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/** Test services only (a copy of the project root): one for any place, one for its portal's Land only. */
const ANYWHERE = 'platznutzung';
const PORTAL_LAND = 'platznutzung-land';

const place = (anschrift: { strasse: string; hausnummer: string; plz: string; ort: string }) => ({
  name: 'Erika Mustermann', 'anschrift.strasse': anschrift.strasse, 'anschrift.hausnummer': anschrift.hausnummer, 'anschrift.plz': anschrift.plz, 'anschrift.ort': anschrift.ort,
});
const period = (von: string, bis: string) => {
  const [vy, vm, vd] = von.split('-');
  const [by, bm, bd] = bis.split('-');
  return { 'zeitraum.von.day': String(Number(vd)), 'zeitraum.von.month': String(Number(vm)), 'zeitraum.von.year': vy as string, 'zeitraum.bis.day': String(Number(bd)), 'zeitraum.bis.month': String(Number(bm)), 'zeitraum.bis.year': by as string };
};
/** The check page's fee, as shown ("15,00 €"). */
const feeOf = (html: string) => /Gebühr<\/dt><dd class="kern-description-list-item__value">([^<]+)</.exec(html)?.[1]?.replace(/\s/g, ' ');

describe('the responsible place decides the rules, and parameters can change on a date', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-place-');
    await addPlaceService(temp.root, { id: ANYWHERE, leikaKey: '99999999999101' });
    await addPlaceService(temp.root, { id: PORTAL_LAND, leikaKey: '99999999999102', places: 'portal-land' });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  async function toPeriod(b: Browser, tenant: string, service: string, anschrift: typeof KIEL): Promise<void> {
    assert.equal((await b.get(`/${tenant}/${service}`)).status, 200);
    await follow(b, await b.submit({}, '/start'), 'start');
    await follow(b, await b.submit(place(anschrift)), 'place');
  }

  test('from SH for a place in Köln: NW\'s rule (30 days at most) and Köln\'s rate (1.50 € a day), the check page names Köln, NW\'s office receives it', async () => {
    const b = new Browser(stack.url);
    await toPeriod(b, 'sh', ANYWHERE, KOELN);
    const tooLong = await b.submit(period('2027-03-01', '2027-04-09'));
    assert.equal(tooLong.status, 400, 'NW allows 30 days (SH would allow 60)');
    assert.match(extractErrors(tooLong.html), /länger, als die Gemeinde erlaubt/);
    await follow(b, await b.submit(period('2027-03-01', '2027-03-10')), 'period');
    assert.match(b.lastHtml, /Angaben prüfen/);
    assert.equal(feeOf(b.lastHtml), '15,00 €', '10 days at Köln\'s 1.50 € (SH would charge 10,00 €)');
    assert.match(b.lastHtml, /Es gelten die Regeln von<\/dt><dd class="kern-description-list-item__value">Köln, Stadt \(Nordrhein-Westfalen\)</);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const id = (done.location as string).split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 30_000, 'at the receiver');
    assert.equal(stack.inbox.get(id)?.authorityId, 'land-nw');
    const doc = JSON.parse(stack.inbox.get(id)?.document ?? '{}') as { fee: { cents: number } };
    assert.equal(doc.fee.cents, 1500);
  });

  test('the same 40 days in Kiel from SH follow SH\'s rule (60 days) and rate; the check page names Kiel', async () => {
    const b = new Browser(stack.url);
    await toPeriod(b, 'sh', ANYWHERE, KIEL);
    await follow(b, await b.submit(period('2026-10-01', '2026-11-09')), 'period');
    assert.equal(feeOf(b.lastHtml), '40,00 €', '40 days at 1.00 €, before Kiel\'s new rate');
    assert.doesNotMatch(b.lastHtml, /efa-fee-lines/, 'one rate: no split shown');
    assert.match(b.lastHtml, /Es gelten die Regeln von<\/dt><dd class="kern-description-list-item__value">Kiel, Landeshauptstadt</);
  });

  test('a period across Kiel\'s rate change is charged at both rates, split at 1 January', async () => {
    const b = new Browser(stack.url);
    await toPeriod(b, 'sh', ANYWHERE, KIEL);
    await follow(b, await b.submit(period('2026-12-21', '2027-02-18')), 'period');
    assert.equal(feeOf(b.lastHtml), '69,80 €', '11 days at 1.00 € and 49 days at 1.20 €');
    const lines = [...b.lastHtml.matchAll(/<li class="efa-line">([^<]+)<\/li>/g)].map((m) => m[1]?.replace(/\s/g, ' '));
    assert.deepEqual(lines, ['2026-12-21 bis 2026-12-31: 11 Tage zu 1,00 €: 11,00 €', '2027-01-01 bis 2027-02-18: 49 Tage zu 1,20 €: 58,80 €']);
  });

  test('a service for its portal\'s Land only refuses a place in another Land with a page that leads to that Land\'s portal', async () => {
    const b = new Browser(stack.url);
    await toPeriod(b, 'sh', PORTAL_LAND, KOELN);
    assert.match(b.lastUrl, new RegExp(`/sh/${PORTAL_LAND}/pruefen$`), 'straight to the check page, which says where to apply');
    const page = await b.get(`/sh/${PORTAL_LAND}/pruefen`);
    assert.equal(page.status, 409);
    assert.match(page.html, /Beantragen Sie dies im Portal von Nordrhein-Westfalen/);
    assert.match(page.html, /Der Ort Ihres Antrags \(Köln, Stadt\) liegt in Nordrhein-Westfalen/);
    assert.match(page.html, new RegExp(`<a class="kern-btn kern-btn--primary efa-elsewhere-portal" href="/nw/${PORTAL_LAND}">`), 'NW\'s portal, the same service');
    assert.doesNotMatch(page.html, /action="[^"]*absenden"/, 'nothing to submit here');
    assert.match(page.html, new RegExp(`<a class="kern-link" href="/sh/${PORTAL_LAND}/ort\\?zurueck&#x3D;pruefen">Ort ändern</a>`), 'or change the place');
    const submit = await b.post(`/sh/${PORTAL_LAND}/absenden`, `_csrf=${encodeURIComponent(/name="_csrf" value="([^"]+)"/.exec((await b.get(`/sh/${PORTAL_LAND}/ort`)).html)?.[1] ?? '')}`);
    assert.equal(submit.status, 409, 'a submit is refused too');
    const stored = await stack.rt.db.query('SELECT count(*)::int AS n FROM submissions WHERE service_id = $1', [PORTAL_LAND]);
    assert.equal((stored.rows[0] as { n: number }).n, 0);
    // In Kiel (SH) the same service goes on as usual.
    const kiel = new Browser(stack.url);
    await toPeriod(kiel, 'sh', PORTAL_LAND, KIEL);
    assert.match(kiel.lastUrl, /\/zeitraum$/);
  });

  test('efa check names the day and the tenant an example is checked under, from examples.json', async () => {
    const examples = (today: string) => ({
      $schema: '../../schemas/examples.schema.json', today, tenant: 'sh',
      examples: [{ id: 'koeln', title: { de: 'Köln' }, data: { name: 'Erika Mustermann', anschrift: KOELN, zeitraum: { von: '2028-12-01', bis: '2028-12-20' } } }],
    });
    const file = join(temp.root, 'services', ANYWHERE, 'examples.json');
    writeFileSync(file, JSON.stringify(examples('2027-01-01')));
    const fine = await checkProject(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' });
    assert.deepEqual(fine.problems.map((p) => p.message), [], 'within two years of the stated day');
    writeFileSync(file, JSON.stringify(examples('2026-11-30')));
    const { problems } = await checkProject(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /breaks the service's rule EFA_RULE_ZU_FRUEH .* checked on 2026-11-30 \(the "today" of examples\.json\) under tenant sh for the place 053150000000/);
  });
});
