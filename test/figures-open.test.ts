import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFigures, type FigureCell, type PublishedFigures } from '../src/figures/figures.js';
import { protectGroup } from '../src/figures/suppress.js';
import { SHARDS } from '../src/storage/figure-counts.js';
import { purge } from '../src/storage/retention.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { applyForPets, figuresStack, FIGURES_SERVICE, FIGURES_TENANT, startPets, type PetApplication } from './support/figures.js';
import type { TempRoot } from './support/extra-service.js';
import type { TestStack } from './support/runtime.js';

/**
 * The open usage figures: counted where drafts start, are submitted and expire, published per
 * month, Land and service as JSON, CSV and a page, with small counts suppressed so that nobody can
 * be singled out (complementary suppression included), and without anything of the applicants in
 * the published figures or in the counters behind them. The survey: one answer per submission,
 * from the submitting browser, CSRF-protected.
 */
const HOLDERS = ['Zacharias Zählprobe', 'Xaveria Quastenflosser', 'Yorick Vexierbild', 'Wendelin Kryptonym', 'Ulrike Sonderzeichen', 'Theodora Unikat'];
const PETS = ['Quendolin', 'Pfiffikus Eindeutig', 'Rumpelstilzchen Zwo', 'Ottokar Merkmal', 'Nepomuk Spurlos', 'Mirabella Kennung'];

function cellOf(figures: PublishedFigures): FigureCell {
  const cell = figures.cells.find((c) => c.land === FIGURES_TENANT && c.service === FIGURES_SERVICE);
  assert.ok(cell, `a cell for ${FIGURES_TENANT}/${FIGURES_SERVICE} in ${JSON.stringify(figures)}`);
  return cell;
}

describe('open figures: counted, published, suppressed, anonymous', () => {
  let stack: TestStack;
  let temp: TempRoot;
  const submitted: PetApplication[] = [];
  const abandoned: Browser[] = [];

  before(async () => {
    ({ stack, temp } = await figuresStack());
    for (const [i, holder] of HOLDERS.entries()) submitted.push(await applyForPets(stack.url, holder, PETS[i] as string));
    // Two drafts left on the pets step, one opened and never answered; then all three expire.
    abandoned.push(await startPets(stack.url, 'Valentin Abbrecher'), await startPets(stack.url, 'Susanna Abbrecherin'));
    const opened = new Browser(stack.url);
    await opened.get(`/${FIGURES_TENANT}/${FIGURES_SERVICE}`);
    await opened.submit({}, '/start');
    await stack.rt.db.query(`UPDATE drafts SET expires_at = now() - interval '1 second'`);
    const outcome = await purge(stack.rt.db, { payloadDays: 0, attemptDays: 0, routingVersionsKept: 0 });
    assert.equal(outcome.purged.drafts, 3, 'the purge removed the three expired drafts');
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  const get = async (path: string) => {
    const res = await fetch(`${stack.url}${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', setCookie: res.headers.get('set-cookie'), body: await res.text() };
  };

  test('a survey answer counts once per submission, from the submitting browser, with its CSRF token', async () => {
    const [first, second] = submitted as [PetApplication, PetApplication];
    const noToken = await fetch(`${stack.url}${first.confirmationPath}/umfrage`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'zufriedenheit=1' });
    assert.equal(noToken.status, 403, 'a post without the CSRF token is refused');
    const missing = await first.browser.submit({}, '/umfrage');
    assert.equal(missing.status, 400);
    assert.match(extractErrors(missing.html), /Bitte wählen Sie aus, wie zufrieden Sie sind/);
    assert.match(missing.html, /<a class="kern-link" href="#zufriedenheit-5">/, 'the error summary links the first answer');
    const otherTab = first.browser.tab();
    const forged = await first.browser.submit({ zufriedenheit: '9' }, '/umfrage');
    assert.equal(forged.status, 400, 'a score outside 1 to 5 is refused');
    const done = await first.browser.submit({ zufriedenheit: '5' }, '/umfrage');
    assert.equal(done.status, 303);
    const thanks = await first.browser.get(first.confirmationPath);
    assert.match(thanks.html, /Vielen Dank für Ihre Bewertung/);
    assert.doesNotMatch(thanks.html, /name="zufriedenheit"/, 'once answered, the question is not asked again');
    // Another tab still showing the question answers too: nothing more is counted.
    assert.equal((await otherTab.submit({ zufriedenheit: '1' }, '/umfrage')).status, 303);
    // A stranger who knows the submission id, with a valid CSRF token of their own but no status cookie: not counted.
    const stranger = new Browser(stack.url);
    await stranger.get(`/${FIGURES_TENANT}/${FIGURES_SERVICE}`);
    const body = new URLSearchParams({ _csrf: /name="_csrf" value="([^"]*)"/.exec(stranger.lastHtml)?.[1] ?? '', zufriedenheit: '1' }).toString();
    const strangers = await fetch(`${stack.url}${second.confirmationPath}/umfrage`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: stranger.cookieHeader() }, body });
    assert.equal(strangers.status, 404, 'the stranger gets the page that asks for the status link');
    const { rows } = await stack.rt.db.query<{ key: string; n: string }>(`SELECT key, n FROM figure_counts WHERE kind = 'survey' ORDER BY key`);
    assert.deepEqual(rows.map((r) => [r.key, Number(r.n)]), [['5', 1]], 'exactly one answer was counted');
    // The others answer: four more "5" and one "1" (6 answers, of which one "1").
    for (const s of submitted.slice(1, 5)) assert.equal((await s.browser.submit({ zufriedenheit: '5' }, '/umfrage')).status, 303);
    assert.equal((await (submitted[5] as PetApplication).browser.submit({ zufriedenheit: '1' }, '/umfrage')).status, 303);
  });

  test('counts are published per month, Land and service; small counts and their complements are suppressed', async () => {
    const cell = cellOf(await readFigures(stack.rt.db, { land: FIGURES_TENANT }, { minCount: 5, currentMonth: true }));
    assert.equal(cell.started, 9, 'six submitted, two abandoned on a step and one opened only');
    assert.equal(cell.submitted, 6);
    assert.deepEqual(cell.medianMinutes, { from: 0, to: 2 }, 'submitted within two minutes of opening');
    assert.equal(cell.abandoned, null, 'three abandoned drafts are fewer than five');
    assert.deepEqual(cell.abandonedByStep.map((s) => s.count), [null, null], 'and so is each step');
    assert.equal(cell.surveyAnswers, 6);
    assert.equal(cell.surveyByScore['1'], null, 'one "very dissatisfied" is suppressed');
    assert.equal(cell.surveyByScore['5'], null, 'five "very satisfied" are suppressed too: 6 answers minus 5 would give the hidden 1 back');
    assert.equal(cell.paid, 0, 'no payment is counted until the payment part reports one');
    assert.equal(cell.paymentShare, 0);
    // With a threshold of 2, the two abandoned on the pets step show and the single one before the first answer does not.
    const low = cellOf(await readFigures(stack.rt.db, { land: FIGURES_TENANT }, { minCount: 2, currentMonth: true }));
    assert.equal(low.abandoned, 3);
    assert.deepEqual(Object.fromEntries(low.abandonedByStep.map((s) => [s.step, s.count])), { '': null, tiere: null }, 'the single one is hidden, and the two with it, as 3 - 2 would give it back');
    // The month in progress is not published unless configured.
    assert.equal((await readFigures(stack.rt.db, {}, { minCount: 5, currentMonth: false })).cells.length, 0);
  });

  test('JSON, CSV and the page publish the same figures, without cookies, and refuse a malformed filter', async () => {
    const month = cellOf(await readFigures(stack.rt.db, {}, { minCount: 5, currentMonth: true })).month;
    for (const path of ['/_efa/figures.json', `/${FIGURES_TENANT}/statistik/figures.json`, `/_efa/figures.json?land=${FIGURES_TENANT}&service=${FIGURES_SERVICE}&month=${month}`]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.setCookie, null, `${path} sets no cookie`);
      const cell = cellOf(JSON.parse(res.body) as PublishedFigures);
      assert.equal(cell.submitted, 6);
      assert.equal(cell.surveyByScore['5'], null);
    }
    assert.equal(JSON.parse((await get('/_efa/figures.json?month=1999-01')).body).cells.length, 0, 'another month: no cells');
    assert.equal(JSON.parse((await get('/_efa/figures.json?land=hh')).body).cells.length, 0, 'another Land: no cells');
    for (const bad of ['month=2026-13', 'land=SH%27--', 'service=%3Cscript%3E']) {
      const res = await get(`/_efa/figures.json?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.match(res.body, /EFA_FIGURES_FILTER/);
    }
    const csv = await get(`/${FIGURES_TENANT}/statistik/figures.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'month,land,service,figure,key,value');
    assert.ok(lines.includes(`${month},sh,${FIGURES_SERVICE},submitted,,6`));
    assert.ok(lines.includes(`${month},sh,${FIGURES_SERVICE},survey_score,5,<5`));
    assert.ok(lines.includes(`${month},sh,${FIGURES_SERVICE},abandoned,,<5`));
    const page = await get(`/${FIGURES_TENANT}/statistik`);
    assert.equal(page.status, 200);
    assert.equal(page.setCookie, null, 'the page sets no cookie');
    assert.match(page.body, /<svg role="img"/);
    assert.match(page.body, /<td class="kern-table__cell kern-table__cell--numeric">6<\/td>/);
    assert.match(page.body, /sehr zufrieden: &lt;5/);
    assert.doesNotMatch(page.body, /<script|style="/, 'no script and no style attribute');
  });

  test('nothing of the applicants is in the published figures or in the counters', async () => {
    const outputs = await Promise.all(['/_efa/figures.json', '/_efa/figures.csv', `/${FIGURES_TENANT}/statistik/figures.json`, `/${FIGURES_TENANT}/statistik/figures.csv`, `/${FIGURES_TENANT}/statistik`, `/${FIGURES_TENANT}/statistik?lang=en`].map(async (path) => ({ path, body: (await get(path)).body })));
    const { rows } = await stack.rt.db.query('SELECT * FROM figure_counts');
    outputs.push({ path: 'table figure_counts', body: JSON.stringify(rows) });
    const distinctive = [...HOLDERS, ...PETS, 'Valentin Abbrecher', 'Susanna Abbrecherin', 'Zählweg', '24103', ...submitted.flatMap((s) => [s.id, s.reference])];
    for (const { path, body } of outputs) {
      for (const value of distinctive) assert.ok(!body.includes(value), `${path} contains "${value}"`);
      assert.doesNotMatch(body, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, `${path} holds no id`);
    }
    // The counters are sums per month, Land, service, kind and key (spread over a few shards): nothing else is in a row.
    assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), ['key', 'kind', 'month', 'n', 'service_id', 'shard', 'tenant']);
    const started = rows.filter((r) => r.kind === 'started');
    assert.ok(started.length <= SHARDS, `at most ${SHARDS} rows count the started drafts`);
    assert.equal(started.reduce((sum, r) => sum + Number(r.n), 0), 9);
    // The submission keeps only that its survey was answered, never the answer.
    const columns = await stack.rt.db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'submissions' AND column_name LIKE '%survey%'`);
    assert.deepEqual(columns.rows.map((c) => c.column_name), ['survey_answered']);
  });
});

describe('suppression cannot be undone by subtraction', () => {
  test('in every group, a hidden part is never the only one and the hidden parts add up to at least k', () => {
    const k = 5;
    let seed = 20;
    const random = (max: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % max;
    for (let run = 0; run < 5000; run++) {
      const parts = Array.from({ length: 1 + random(5) }, () => (random(3) === 0 ? 0 : random(12)));
      const total = parts.reduce((a, b) => a + b, 0);
      const out = protectGroup(total, parts, k);
      const shown = JSON.stringify({ total, parts, out });
      out.parts.forEach((p, i) => {
        if (p !== null) assert.ok(p === 0 || p >= k || false, `visible small count: ${shown}`);
        if (p !== null) assert.equal(p, parts[i], shown);
      });
      if (out.total === null) continue;
      assert.equal(out.total, total, shown);
      assert.ok(total === 0 || total >= k, `visible small total: ${shown}`);
      const hidden = parts.filter((_p, i) => out.parts[i] === null);
      if (hidden.length > 0) {
        assert.ok(hidden.length >= 2, `a single hidden part equals total minus the visible ones: ${shown}`);
        assert.ok(hidden.reduce((a, b) => a + b, 0) >= k, `the hidden parts add up to less than k: ${shown}`);
      }
    }
  });

  test('examples', () => {
    assert.deepEqual(protectGroup(6, [1, 0, 0, 0, 5], 5), { total: 6, parts: [null, 0, 0, 0, null] });
    assert.deepEqual(protectGroup(3, [1, 2], 5), { total: null, parts: [null, null] });
    assert.deepEqual(protectGroup(20, [8, 2, 10], 5), { total: 20, parts: [null, null, 10] });
    assert.deepEqual(protectGroup(9, [9, 0], 5), { total: 9, parts: [9, 0] });
  });
});
