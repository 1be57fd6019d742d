import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser } from './support/browser.js';
import { startStack, type TestStack } from './support/runtime.js';
import { copyDeclarations } from './support/declarations.js';

type Texts = Record<string, string | { de?: string; en?: string }>;

function textsOf(root: string, id: string): Texts {
  return (JSON.parse(readFileSync(join(root, 'tenants', `${id}.json`), 'utf8')) as { texts?: Texts }).texts ?? {};
}

function de(text: Texts[string] | undefined): string {
  return typeof text === 'string' ? text : (text?.de ?? '');
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;');

/** Overrides a test adds to Sachsen-Anhalt in a copy of the project: one of each kind of key. */
const ST_OVERRIDES: Texts = {
  'ui.continue': { de: 'Speichern und weiter', en: 'Save and continue' },
  'ui.checkTitle': 'Bitte prüfen Sie Ihre Angaben',
  'service.gewerbeanmeldung.title': { de: 'Gewerbe anzeigen', en: 'Notify a trade' },
  'form.gewerbeanmeldung.step.betrieb.title': { de: 'Ihr Unternehmen', en: 'Your company' },
  'form.gewerbeanmeldung.field.betrieb.name.label': { de: 'Firmenname', en: 'Company name' },
  'form.gewerbeanmeldung.field.betrieb.telefon.hint': { de: 'Für Rückfragen des Ordnungsamts', en: 'For questions from the public order office' },
  'form.gewerbeanmeldung.field.betrieb.rechtsform.option.gbr': { de: 'GbR (Gesellschaft bürgerlichen Rechts)', en: 'GbR (partnership)' },
  'form.gewerbeanmeldung.field.inhaber.vorname.error.required': { de: 'Wie heißen Sie mit Vornamen?', en: 'What is your first name?' },
  'service.gewerbeanmeldung.rule.EFA_RULE_VORBETRIEB': { de: 'Wie hieß der Betrieb, den Sie übernehmen?', en: 'What was the name of the business you take over?' },
};

describe('text overrides shipped with the Länder', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('Berlin\'s own start button and e-mail hint, in both languages; other Länder keep the defaults', async () => {
    const texts = textsOf('.', 'be');
    const start = texts['ui.start'] as { de: string; en: string };
    const hint = texts['form.gewerbeanmeldung.field.inhaber.email.hint'] as { de: string; en: string };
    assert.ok(start && hint, 'Berlin ships these overrides');
    const b = new Browser(stack.url, 'be.localhost');
    assert.match((await b.get('/gewerbeanmeldung?lang=de')).html, new RegExp(`<span class="kern-label">${start.de}</span>`));
    assert.match((await b.get('/gewerbeanmeldung?lang=en')).html, new RegExp(`<span class="kern-label">${start.en}</span>`));
    const step = await b.get((await b.submit({}, '/start')).location as string);
    assert.match(step.html, new RegExp(`<div class="kern-hint" id="f-inhaber-email-hint">${hint.en}</div>`));
    const sh = new Browser(stack.url, 'sh.localhost');
    const shStart = await sh.get('/gewerbeanmeldung?lang=de');
    assert.match(shStart.html, /<span class="kern-label">Antrag starten<\/span>/);
    assert.doesNotMatch(shStart.html, new RegExp(start.de));
  });

  test('Hamburg\'s service title and home text', async () => {
    const texts = textsOf('.', 'hh');
    const title = de(texts['service.gewerbeanmeldung.title']);
    const intro = de(texts['ui.homeIntro']);
    assert.ok(title && intro);
    const b = new Browser(stack.url, 'hh.localhost');
    const home = await b.get('/?lang=de');
    assert.ok(home.html.includes(intro), 'home text');
    assert.match(home.html, new RegExp(`<a class="kern-link" href="/gewerbeanmeldung">${title}</a>`));
    assert.match((await b.get('/gewerbeanmeldung')).html, new RegExp(`<h1 class="kern-heading-x-large">${title}</h1>`));
    assert.match((await new Browser(stack.url, 'ni.localhost').get('/gewerbeanmeldung?lang=de')).html, /<h1 class="kern-heading-x-large">Gewerbeanmeldung<\/h1>/, 'Niedersachsen keeps the service\'s title');
  });
});

describe('every kind of override reaches the page, for its Land only', () => {
  let stack: TestStack;
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'efa-texts-'));
    copyDeclarations(root);
    const file = join(root, 'tenants', 'st.json');
    const st = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    st.texts = ST_OVERRIDES;
    writeFileSync(file, JSON.stringify(st));
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: root } });
  });
  after(async () => {
    await stack.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('UI text, service title, step title, label, new hint, option label and error message, in German and English', async () => {
    for (const lang of ['de', 'en'] as const) {
      const pick = (key: string) => { const v = ST_OVERRIDES[key]; return typeof v === 'string' ? (lang === 'de' ? v : undefined) : v?.[lang]; };
      const b = new Browser(stack.url, 'st.localhost');
      const start = await b.get(`/gewerbeanmeldung?lang=${lang}`);
      assert.match(start.html, new RegExp(`<h1 class="kern-heading-x-large">${pick('service.gewerbeanmeldung.title')}</h1>`), `${lang}: service title`);
      await b.get((await b.submit({}, '/start')).location as string);
      const empty = await b.submit({ 'inhaber.vorname': '' });
      assert.equal(empty.status, 400);
      assert.ok(empty.html.includes(html(pick('form.gewerbeanmeldung.field.inhaber.vorname.error.required') as string)), `${lang}: overridden error message`);
      assert.match(empty.html, new RegExp(`<span class="kern-label">${pick('ui.continue')}</span>`), `${lang}: overridden button`);
      const next = await b.submit({ 'inhaber.vorname': 'Jo', 'inhaber.familienname': 'Doe', 'inhaber.geburtsdatum.day': '1', 'inhaber.geburtsdatum.month': '2', 'inhaber.geburtsdatum.year': '1980', 'inhaber.staatsangehoerigkeit': '135' });
      const betrieb = await b.get(next.location as string);
      assert.match(betrieb.html, new RegExp(`<h1 class="kern-heading-large">${pick('form.gewerbeanmeldung.step.betrieb.title')}</h1>`), `${lang}: step title`);
      assert.match(betrieb.html, new RegExp(`<label class="kern-label" for="f-betrieb-name">${pick('form.gewerbeanmeldung.field.betrieb.name.label')}</label>`), `${lang}: label`);
      assert.match(betrieb.html, new RegExp(`<div class="kern-hint" id="f-betrieb-telefon-hint">${pick('form.gewerbeanmeldung.field.betrieb.telefon.hint')}</div>`), `${lang}: a hint where the form has none`);
      assert.ok(betrieb.html.includes(`>${html(pick('form.gewerbeanmeldung.field.betrieb.rechtsform.option.gbr') as string)}</label>`), `${lang}: option label`);
      const missing = await b.submit({ 'betrieb.rechtsform': 'gbr', 'betrieb.anzeigegrund': 'neuerrichtung' });
      const label = pick('form.gewerbeanmeldung.field.betrieb.name.label') as string;
      // The form's phrase ("den Namen des Betriebs") named the old label: the Land's label speaks for itself.
      assert.ok(missing.html.includes(lang === 'de' ? `Geben Sie ${label} ein.` : `Enter ${label.charAt(0).toLowerCase()}${label.slice(1)}.`), `${lang}: messages name the field by its overridden label`);
    }
  });

  test('a German-only override keeps the English default', async () => {
    const b = new Browser(stack.url, 'st.localhost');
    await b.get('/gewerbeanmeldung?lang=de');
    await b.get((await b.submit({}, '/start')).location as string);
    for (const [stepId, fields] of Object.entries(walkAnswers())) {
      const res = await b.submit(fields);
      assert.equal(res.status, 303, stepId);
      await b.get(res.location as string);
    }
    assert.match(b.lastHtml, /<h1 class="kern-heading-large">Bitte prüfen Sie Ihre Angaben<\/h1>/);
    assert.match((await b.get('/gewerbeanmeldung/pruefen?lang=en')).html, /<h1 class="kern-heading-large">Check your answers<\/h1>/);
  });

  test('a rule message of the service\'s logic, in German and English; other Länder keep the service\'s wording', async () => {
    const takeover = async (host: string, lang: 'de' | 'en') => {
      const b = new Browser(stack.url, host);
      await b.get(`/gewerbeanmeldung?lang=${lang}`);
      await b.get((await b.submit({}, '/start')).location as string);
      const answers: Record<string, Record<string, string>> = { ...walkAnswers(), betrieb: { 'betrieb.name': 'Doe Trading', 'betrieb.rechtsform': 'gbr', 'betrieb.anzeigegrund': 'uebernahme' } };
      for (const stepId of ['person', 'betrieb', 'anschrift']) await b.get((await b.submit(answers[stepId] ?? {})).location as string);
      // The name of the business taken over is left out: the service's rule EFA_RULE_VORBETRIEB reports it.
      const res = await b.submit({ ...answers.taetigkeit, 'taetigkeit.vorbetrieb': '' });
      assert.equal(res.status, 400);
      return res.html;
    };
    for (const lang of ['de', 'en'] as const) {
      const own = (ST_OVERRIDES['service.gewerbeanmeldung.rule.EFA_RULE_VORBETRIEB'] as { de: string; en: string })[lang];
      assert.ok((await takeover('st.localhost', lang)).includes(html(own)), `${lang}: Sachsen-Anhalt's wording`);
      const other = await takeover('sn.localhost', lang);
      assert.ok(!other.includes(html(own)), `${lang}: not in Sachsen`);
      assert.ok(other.includes(lang === 'de' ? 'Geben Sie den Namen des übernommenen Betriebs an.' : 'Enter the name of the business you take over.'), `${lang}: Sachsen keeps the service's message`);
    }
  });

  test('the overrides belong to Sachsen-Anhalt alone', async () => {
    const b = new Browser(stack.url, 'sn.localhost');
    const start = await b.get('/gewerbeanmeldung?lang=de');
    assert.match(start.html, /<h1 class="kern-heading-x-large">Gewerbeanmeldung<\/h1>/);
    const step = await b.get((await b.submit({}, '/start')).location as string);
    assert.match(step.html, /<span class="kern-label">Weiter<\/span>/);
    assert.doesNotMatch(step.html, /Speichern und weiter/);
  });
});

function walkAnswers(): Record<string, Record<string, string>> {
  return {
    person: { 'inhaber.vorname': 'Jo', 'inhaber.familienname': 'Doe', 'inhaber.geburtsdatum.day': '1', 'inhaber.geburtsdatum.month': '2', 'inhaber.geburtsdatum.year': '1980', 'inhaber.staatsangehoerigkeit': '135' },
    betrieb: { 'betrieb.name': 'Doe Trading', 'betrieb.rechtsform': 'gbr', 'betrieb.anzeigegrund': 'neuerrichtung' },
    anschrift: { 'betrieb.anschrift.strasse': 'Breiter Weg', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '39104', 'betrieb.anschrift.ort': 'Magdeburg' },
    taetigkeit: { 'taetigkeit.beschreibung': 'Retail of coffee and tea', 'taetigkeit.wirtschaftszweig': '47240', 'taetigkeit.betriebsart': 'handel', 'taetigkeit.beginn.day': '1', 'taetigkeit.beginn.month': '1', 'taetigkeit.beginn.year': '2026', 'taetigkeit.nebenerwerb': 'nein' },
  };
}
