import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { negotiateLang, t } from '../src/forms/text.js';
import { uiTexts } from '../src/forms/ui-texts.js';
import type { LocalText } from '../src/services/contract.js';
import { textCatalogue } from '../src/tenants/texts.js';
import { legalTexts } from '../src/tenants/registry.js';
import { Browser } from './support/browser.js';
import { inDays } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';
import { rawGet } from './support/raw.js';

/** What the applicant types: deliberately free of German words, so any German on the page is ours. */
const ANSWERS = {
  person: { 'inhaber.vorname': 'Jane', 'inhaber.familienname': 'Doe', 'inhaber.geburtsdatum.day': '3', 'inhaber.geburtsdatum.month': '7', 'inhaber.geburtsdatum.year': '1980', 'inhaber.staatsangehoerigkeit': '135', 'inhaber.email': 'jane@example.org' },
  betrieb: { 'betrieb.name': 'Doe Trading', 'betrieb.rechtsform': 'gmbh', 'betrieb.anzeigegrund': 'uebernahme', 'betrieb.telefon': '+49 89 555' },
  register: { 'betrieb.registergericht': 'Local court', 'betrieb.registernummer': 'HRB 4711' },
  anschrift: { 'betrieb.anschrift.strasse': 'Marienplatz', 'betrieb.anschrift.hausnummer': '8', 'betrieb.anschrift.plz': '80331', 'betrieb.anschrift.ort': 'München' },
  taetigkeit: (() => {
    const start = inDays(20);
    return { 'taetigkeit.beschreibung': 'Retail of coffee and tea', 'taetigkeit.wirtschaftszweig': '47240', 'taetigkeit.betriebsart': 'handel', 'taetigkeit.beginn.day': start.day, 'taetigkeit.beginn.month': start.month, 'taetigkeit.beginn.year': start.year, 'taetigkeit.vorbetrieb': 'Old Shop', 'taetigkeit.nebenerwerb': 'nein', 'taetigkeit.beschaeftigte': '1' };
  })(),
};

/** Wrong answers that reach every kind of message: required, format, pattern, input checks, the service's rules. */
const WRONG: Array<[string, Record<string, string>]> = [
  ['person', {}],
  ['person', { 'inhaber.vorname': 'J', 'inhaber.geburtsdatum.day': '31', 'inhaber.geburtsdatum.month': '2', 'inhaber.geburtsdatum.year': '1980', 'inhaber.email': 'no-at-sign' }],
  ['person', { 'inhaber.geburtsdatum.day': '3', 'inhaber.geburtsdatum.year': '1980' }],
  ['betrieb', { 'betrieb.rechtsform': 'erfunden', 'betrieb.telefon': 'abc' }],
  ['register', { 'betrieb.registernummer': '4711' }],
  ['anschrift', {}],
  ['anschrift', { 'betrieb.anschrift.strasse': 'X', 'betrieb.anschrift.hausnummer': 'x', 'betrieb.anschrift.plz': '00000', 'betrieb.anschrift.ort': 'Nowhere' }],
  ['anschrift', { 'betrieb.anschrift.strasse': 'Dorfstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '94330', 'betrieb.anschrift.ort': '' }],
  ['taetigkeit', { 'taetigkeit.beschreibung': 'short', 'taetigkeit.beginn.day': '1', 'taetigkeit.beginn.month': '1', 'taetigkeit.beginn.year': String(new Date().getFullYear() + 3), 'taetigkeit.nebenerwerb': 'vielleicht', 'taetigkeit.beschaeftigte': 'two' }],
  ['taetigkeit', { 'taetigkeit.beschreibung': 'Retail of coffee and tea', 'taetigkeit.wirtschaftszweig': '47240', 'taetigkeit.betriebsart': 'handel', 'taetigkeit.beginn.day': '1', 'taetigkeit.beginn.month': '1', 'taetigkeit.beginn.year': '1985', 'taetigkeit.nebenerwerb': 'nein' }],
];

interface Walk {
  pages: Array<{ name: string; status: number; html: string }>;
  errorMessages: string[];
}

/**
 * Every page an applicant can meet, in one language: home, start, each step (the conditional register
 * step and the conditional takeover field included) with its error messages, the check page, the
 * submission's confirmation and status, the legal pages, a 404 and an expired session.
 */
async function walk(url: string, tenant: string, lang: 'de' | 'en', submit: boolean): Promise<Walk> {
  const b = new Browser(url);
  const pages: Walk['pages'] = [];
  const errorMessages: string[] = [];
  const keep = async (name: string, res: Promise<{ status: number; html: string }>) => {
    const page = await res;
    pages.push({ name, status: page.status, html: page.html });
    errorMessages.push(...[...page.html.matchAll(/<p class="kern-error"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => visibleText(m[1] ?? '').replace(/^(Fehler|Error):\s*/, '')));
    return page;
  };
  await keep('home', b.get(`/${tenant}/?lang=${lang}`));
  await keep('start', b.get(`/${tenant}/gewerbeanmeldung`));
  const first = await b.submit({}, '/start');
  await keep('person', b.get(first.location as string));
  for (const stepId of ['person', 'betrieb', 'register', 'anschrift', 'taetigkeit']) {
    for (const [wrongStep, fields] of WRONG) {
      if (wrongStep !== stepId) continue;
      const res = await keep(`${stepId} (errors)`, b.submit({ ...(ANSWERS[stepId as keyof typeof ANSWERS] as Record<string, string>), ...blank(stepId), ...fields }));
      assert.equal(res.status, 400, `${lang}: ${stepId} with wrong answers is refused`);
    }
    const next = await b.submit(ANSWERS[stepId as keyof typeof ANSWERS] as Record<string, string>);
    assert.equal(next.status, 303, `${lang}: ${stepId} accepted (${next.html.slice(0, 0)})`);
    await keep(next.location as string, b.get(next.location as string));
  }
  assert.match(b.lastUrl, /\/pruefen$/);
  if (submit) {
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, `${lang}: submitted`);
    const confirmation = await keep('confirmation', b.get(done.location as string));
    const statusHref = /href="([^"]+\/status\/[^"]+)"/.exec(confirmation.html)?.[1] as string;
    await keep('status', b.get(statusHref));
  }
  for (const slug of ['impressum', 'datenschutz', 'barrierefreiheit', 'kontakt']) await keep(slug, b.get(`/${tenant}/${slug}`));
  await keep('not found', b.get(`/${tenant}/gibt-es-nicht/auch-nicht`));
  const stranger = new Browser(url);
  await stranger.get(`/${tenant}/?lang=${lang}`);
  await keep('expired', stranger.get(`/${tenant}/gewerbeanmeldung/person`));
  return { pages, errorMessages };
}

/** The step's own fields emptied, so each wrong answer is judged alone. */
function blank(stepId: string): Record<string, string> {
  return Object.fromEntries(Object.keys(ANSWERS[stepId as keyof typeof ANSWERS] as Record<string, string>).map((k) => [k, '']));
}

function decode(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#([0-9]+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&');
}

/** What a reader (or a screen reader) gets: text between tags and the texts of aria-label, alt, title and placeholder. */
function visibleText(html: string): string {
  const attributes = [...html.matchAll(/\s(?:aria-label|alt|title|placeholder)="([^"]*)"/g)].map((m) => m[1]);
  const body = html.replace(/<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' ');
  return decode(`${body} ${attributes.join(' ')}`).replace(/\s+/g, ' ');
}

function texts(text: LocalText | undefined): { de: string; en: string } | undefined {
  if (text === undefined) return undefined;
  return { de: t(text, 'de'), en: t(text, 'en') };
}

/** German strings that have an English counterpart: if one shows on an English page, a translation was missed. */
function germanStrings(stack: TestStack, tenant: string, walkDe: Walk): string[] {
  const strings = new Set<string>();
  const add = (pair: { de: string; en: string } | undefined) => { if (pair && pair.de !== pair.en && pair.de.trim().length >= 3) strings.add(pair.de.trim()); };
  for (const key of Object.keys(uiTexts.de) as Array<keyof typeof uiTexts.de>) add({ de: uiTexts.de[key], en: uiTexts.en[key] });
  for (const text of textCatalogue(stack.rt.services, stack.rt.forms).values()) add(texts(text));
  const tn = stack.rt.tenants.get(tenant);
  assert.ok(tn);
  for (const key of Object.keys(tn.ui.de) as Array<keyof typeof tn.ui.de>) add({ de: tn.ui.de[key], en: tn.ui.en[key] });
  for (const text of [tn.name, tn.portalName, ...legalTexts(tn.legal).map(([, text]) => text)]) add(texts(text));
  for (const params of tn.parameters.values()) add(texts(params.hinweis as LocalText | undefined));
  // Schema titles are German only and the fallback for labels and options: none may surface in English.
  const schema = readFileSync('services/gewerbeanmeldung/schema.json', 'utf8');
  for (const m of schema.matchAll(/"title": "([^"]+)"/g)) add({ de: m[1] as string, en: '' });
  for (const message of walkDe.errorMessages) add({ de: message, en: '' });
  return [...strings];
}

/** Words that are German and not English: they catch hard-coded German that no catalogue knows about. */
const GERMAN_WORDS = /\b(und|oder|nicht|Sie|Ihre?n?|bitte|Bitte|der|die|das|des|dem|für|mit|ist|sind|eine?[mnrs]?|zum|zur|bei|über|Angaben|Antrag|Gebühr|Schritt|Zurück|Weiter|Ändern)\b/;

function assertNoGerman(page: { name: string; html: string }, german: readonly string[], allowed: readonly string[]): void {
  let text = visibleText(page.html);
  for (const proper of allowed) text = text.split(proper).join(' ');
  const leftovers = german.filter((g) => new RegExp(`(^|[^\\p{L}])${g.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
  assert.deepEqual(leftovers, [], `English page "${page.name}" shows German text`);
  const word = GERMAN_WORDS.exec(text);
  assert.equal(word, null, `English page "${page.name}" shows the German word "${word?.[0]}" in: …${word ? text.slice(Math.max(0, word.index - 60), word.index + 60) : ''}…`);
}

describe('German and English, chosen by the applicant', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('Bayern in English: every page, every error message, the check page, confirmation and status: no German UI text left', async () => {
    const de = await walk(stack.url, 'by', 'de', true);
    const en = await walk(stack.url, 'by', 'en', true);
    const german = germanStrings(stack, 'by', de);
    assert.ok(german.length >= 120, `a real list of German strings (${german.length})`);
    assert.ok(de.errorMessages.length >= 20, `the walk met many error messages (${de.errorMessages.length})`);
    assert.equal(en.pages.length, de.pages.length);
    // Proper names, not translations: the Land's portal and what the applicant typed. The authority
    // has an English name in the routing data (nameEn), so its German name must not appear.
    const allowed = ['BayernPortal', 'Marienplatz', 'München', 'Deutsch'];
    for (const name of ['/by/gewerbeanmeldung/pruefen', 'confirmation', 'status']) {
      const page = en.pages.find((p) => p.name === name);
      assert.ok(page?.html.includes('State Capital Munich – District Administration Department, Trade Affairs (Demo)'), `${name}: the authority's English name`);
      assert.ok(!page?.html.includes('Kreisverwaltungsreferat'), `${name}: not its German name`);
    }
    assert.ok(de.pages.find((p) => p.name === 'status')?.html.includes('Landeshauptstadt München – Kreisverwaltungsreferat, Gewerbeangelegenheiten (Demo)'), 'German pages keep the official name');
    for (const page of en.pages) {
      assert.match(page.html, /<html lang="en">/, `${page.name}: marked as English`);
      assertNoGerman(page, german, allowed);
    }
    const titles = en.pages.map((p) => /<title>([^<]*)<\/title>/.exec(p.html)?.[1] ?? '');
    assert.ok(titles.some((x) => x.startsWith('Error: ')), 'error pages say so in the title, in English');
    assert.ok(en.pages.some((p) => p.name === 'status' && /data-status="(submitted|delivered)"/.test(p.html)));
  });

  test('every Land\'s start page, first step and check page in English have no German UI text', async () => {
    const walkDe = await walk(stack.url, 'by', 'de', false);
    for (const tenant of stack.rt.tenants.values()) {
      const german = germanStrings(stack, tenant.id, walkDe);
      const b = new Browser(stack.url);
      const pages: Array<{ name: string; html: string }> = [];
      pages.push({ name: `${tenant.id} home`, html: (await b.get(`/${tenant.id}/?lang=en`)).html });
      pages.push({ name: `${tenant.id} start`, html: (await b.get(`/${tenant.id}/gewerbeanmeldung`)).html });
      await b.get((await b.submit({}, '/start')).location as string);
      pages.push({ name: `${tenant.id} first step`, html: b.lastHtml });
      for (const stepId of ['person', 'betrieb', 'register', 'anschrift', 'taetigkeit']) {
        const res = await b.submit(ANSWERS[stepId as keyof typeof ANSWERS] as Record<string, string>);
        await b.get(res.location as string);
      }
      pages.push({ name: `${tenant.id} check`, html: b.lastHtml });
      assert.match(b.lastHtml, /Check your answers/);
      const allowed = ['Marienplatz', 'München', 'Deutsch'];
      for (const page of pages) assertNoGerman(page, german, allowed);
    }
  });

  test('the language is chosen with ?lang=, remembered, offered in the header, and negotiated from the browser', async () => {
    const b = new Browser(stack.url);
    const en = decode((await b.get('/th/gewerbeanmeldung?lang=en')).html);
    assert.match(en, /<html lang="en">/);
    assert.match(en, /Start application/);
    assert.match(en, /<a class="kern-link" href="\/th\/gewerbeanmeldung\?lang=de" lang="de" hreflang="de">Deutsch<\/a>/, 'a link back to German, in German');
    assert.match(en, /<span aria-current="true" lang="en">English<\/span>/);
    assert.match((await b.get('/th/impressum')).html, /<html lang="en">/, 'remembered for the next page');
    await b.get('/th/gewerbeanmeldung');
    const step = await b.get((await b.submit({}, '/start')).location as string);
    assert.match(step.html, /Step 1( of \d)?<\/p>/);
    const fromCheck = decode((await b.get('/th/gewerbeanmeldung/person?zurueck=pruefen')).html);
    assert.match(fromCheck, /href="\/th\/gewerbeanmeldung\/person\?zurueck=pruefen&lang=de"/, 'switching language keeps the way back to the check page');
    assert.match((await b.get('/th/gewerbeanmeldung?lang=de')).html, /<html lang="de">/);
    assert.match((await b.get('/th/gewerbeanmeldung?lang=fr')).html, /<html lang="de">/, 'an unknown language keeps the current one');

    const browserEnglish = await rawGet(stack.url, '/th/gewerbeanmeldung', { 'accept-language': 'en-GB,en;q=0.9,de;q=0.5' });
    assert.match(browserEnglish.body, /<html lang="en">/, 'an English browser gets English without asking');
    assert.equal(browserEnglish.headers['content-language'], 'en');
    const browserGerman = await rawGet(stack.url, '/th/gewerbeanmeldung', { 'accept-language': 'fr-FR,de;q=0.8,en;q=0.5' });
    assert.match(browserGerman.body, /<html lang="de">/);
    assert.match((await rawGet(stack.url, '/th/gewerbeanmeldung', {})).body, /<html lang="de">/, 'German by default');
    assert.match((await rawGet(stack.url, '/th/gewerbeanmeldung?lang=de', { 'accept-language': 'en' })).body, /<html lang="de">/, 'the applicant\'s choice beats the browser');
  });

  test('Accept-Language negotiation follows quality values and offered languages', () => {
    assert.equal(negotiateLang('en-US,en;q=0.9', ['de', 'en']), 'en');
    assert.equal(negotiateLang('de-AT,en;q=0.5', ['de', 'en']), 'de');
    assert.equal(negotiateLang('fr, en;q=0.1, de;q=0.2', ['de', 'en']), 'de');
    assert.equal(negotiateLang('en', ['de']), undefined, 'not offered');
    assert.equal(negotiateLang('en;q=0', ['de', 'en']), undefined, 'q=0 means "not this"');
    assert.equal(negotiateLang(undefined, ['de', 'en']), undefined);
  });

  test('every text of the services and forms and every UI text has an English version', () => {
    const missing = [...textCatalogue(stack.rt.services, stack.rt.forms)].filter(([, text]) => text !== undefined && (typeof text === 'string' || !text.en)).map(([key]) => key);
    assert.deepEqual(missing, []);
  });
});

