import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contrastRatio } from '../src/tenants/contrast.js';
import { Browser } from './support/browser.js';
import { activity, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';
import { rawGet, type RawAnswer } from './support/raw.js';

/** The 16 Länder by official code, as the issue names them; the files must match this, not the other way round. */
const LANDER: ReadonlyArray<[string, string, string]> = [
  ['01', 'sh', 'Schleswig-Holstein'], ['02', 'hh', 'Hamburg'], ['03', 'ni', 'Niedersachsen'], ['04', 'hb', 'Bremen'],
  ['05', 'nw', 'Nordrhein-Westfalen'], ['06', 'he', 'Hessen'], ['07', 'rp', 'Rheinland-Pfalz'], ['08', 'bw', 'Baden-Württemberg'],
  ['09', 'by', 'Bayern'], ['10', 'sl', 'Saarland'], ['11', 'be', 'Berlin'], ['12', 'bb', 'Brandenburg'],
  ['13', 'mv', 'Mecklenburg-Vorpommern'], ['14', 'sn', 'Sachsen'], ['15', 'st', 'Sachsen-Anhalt'], ['16', 'th', 'Thüringen'],
];

interface TenantFile {
  id: string;
  land: string;
  name: { de: string; en: string };
  portalName: { de: string; en: string };
  portals?: Record<string, { de: string; en: string }>;
  hosts: string[];
  logo: string;
  theme: { accent: string };
  services: Record<string, { portal?: string; parameters?: { gebuehrCent?: number; zuschlagRegisterCent?: number; hinweis?: string | { de: string; en?: string } } }>;
}

/** Read straight from disk: the expectations must not come from the code under test. */
function tenantFile(id: string): TenantFile {
  return JSON.parse(readFileSync(join('tenants', `${id}.json`), 'utf8')) as TenantFile;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;');
const euro = (cents: number) => new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(cents / 100).replace(/\s/g, '\\s');

/** A Land's own capital or a big city, so the address is in the Land whose portal the applicant uses. */
const ADDRESS: Record<string, [string, string, string]> = {
  sh: ['24103', 'Kiel', 'Holstenstraße'], hh: ['20095', 'Hamburg', 'Mönckebergstraße'], ni: ['30159', 'Hannover', 'Georgstraße'], hb: ['28195', 'Bremen', 'Obernstraße'],
  nw: ['50667', 'Köln', 'Hohe Straße'], he: ['65183', 'Wiesbaden', 'Kirchgasse'], rp: ['55116', 'Mainz', 'Ludwigsstraße'], bw: ['70173', 'Stuttgart', 'Königstraße'],
  by: ['80331', 'München', 'Marienplatz'], sl: ['66111', 'Saarbrücken', 'Bahnhofstraße'], be: ['10117', 'Berlin', 'Friedrichstraße'], bb: ['14467', 'Potsdam', 'Brandenburger Straße'],
  mv: ['19053', 'Schwerin', 'Mecklenburgstraße'], sn: ['01067', 'Dresden', 'Wilsdruffer Straße'], st: ['39104', 'Magdeburg', 'Breiter Weg'], th: ['99084', 'Erfurt', 'Anger'],
};

/** Walks a GmbH application to the check page on `host`; returns the browser on the check page. */
async function toCheckPage(url: string, host: string, id: string, lang?: 'en'): Promise<Browser> {
  const b = new Browser(url, host);
  await b.get(lang ? `/gewerbeanmeldung?lang=${lang}` : '/gewerbeanmeldung');
  await b.get((await b.submit({}, '/start')).location as string);
  await step(b, person);
  await step(b, { 'betrieb.name': 'Muster Handel GmbH', 'betrieb.rechtsform': 'gmbh', 'betrieb.anzeigegrund': 'neuerrichtung' });
  await step(b, { 'betrieb.registergericht': 'Amtsgericht', 'betrieb.registernummer': 'HRB 4711' });
  const [plz, ort, strasse] = ADDRESS[id] as [string, string, string];
  await step(b, { 'betrieb.anschrift.strasse': strasse, 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': plz, 'betrieb.anschrift.ort': ort });
  const at = await step(b, activity());
  assert.equal(at, '/gewerbeanmeldung/pruefen', `${id}: reached the check page`);
  return b;
}

describe('the 16 Länder as data', () => {
  test('one tenant file per Land: code 01..16, lower-case id, real names in German and English, hosts in the house style', () => {
    for (const [land, id, name] of LANDER) {
      const file = tenantFile(id);
      assert.equal(file.id, id);
      assert.equal(file.land, land, `${id} has Land code ${land}`);
      assert.equal(file.name.de, name);
      assert.ok(file.name.en && file.portalName.de && file.portalName.en, `${id}: names and portal names in de and en`);
      assert.deepEqual(file.hosts, [`${id}.efa.localhost`, `${id}.localhost`]);
      assert.ok(file.services.gewerbeanmeldung, `${id} offers the Gewerbeanmeldung`);
    }
  });

  test('each Land has its own accent on the neutral base, passing WCAG AA, and its own logo', () => {
    const themes = new Set<string>();
    const logos = new Set<string>();
    for (const [, id] of LANDER) {
      const { theme, logo } = tenantFile(id);
      assert.deepEqual(Object.keys(theme), ['accent'], `${id}: the accent is the only theme token`);
      assert.ok(contrastRatio(theme.accent, '#ffffff') >= 3, `${id}: accent (the header's edge) on white`);
      themes.add(JSON.stringify(theme));
      const svg = readFileSync(join('tenants', logo), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.doesNotMatch(svg, /<script|<image|href=/, `${id}: the logo is a plain vector mark`);
      logos.add(svg);
    }
    assert.equal(themes.size, 16, 'no two Länder share a theme');
    assert.equal(logos.size, 16, 'no two Länder share a logo');
  });

  test('the Länder set different parameters, all within the service\'s bounds', () => {
    const service = JSON.parse(readFileSync('services/gewerbeanmeldung/service.json', 'utf8')) as { parameters: Record<string, { minimum?: number; maximum?: number }> };
    const fees = new Set<number>();
    for (const [, id] of LANDER) {
      const p = tenantFile(id).services.gewerbeanmeldung?.parameters ?? {};
      for (const name of ['gebuehrCent', 'zuschlagRegisterCent'] as const) {
        const value = p[name];
        if (value === undefined) continue;
        const bounds = service.parameters[name];
        assert.ok(value >= (bounds?.minimum ?? -Infinity) && value <= (bounds?.maximum ?? Infinity), `${id}: ${name}=${value} within bounds`);
      }
      fees.add((p.gebuehrCent ?? 2600) * 10_000 + (p.zuschlagRegisterCent ?? 0));
    }
    assert.ok(fees.size >= 12, `the Länder differ in fees (${fees.size} different combinations)`);
  });
});

describe('all 16 Länder served by host (PostgreSQL)', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('the runtime loaded exactly the 16 Länder, in the order of their codes', () => {
    assert.deepEqual([...stack.rt.tenants.values()].map((t) => `${t.land}:${t.id}`), LANDER.map(([land, id]) => `${land}:${id}`));
  });

  test('every Land renders its home page, and every offered service\'s start page and first step, in its own name, logo and stylesheet', async () => {
    for (const [, id] of LANDER) {
      const file = tenantFile(id);
      for (const host of file.hosts) {
        const b = new Browser(stack.url, host);
        const home = await b.get('/');
        assert.equal(home.status, 200, `${host}: home`);
        assert.match(home.html, new RegExp(`<span>${escapeHtml(file.portalName.de)}</span>`), `${host}: its portal name`);
        for (const [serviceId, offer] of Object.entries(file.services)) {
          // The service's pages appear under the portal the Land files it under (its business portal, say).
          const portalName = (offer.portal ? file.portals?.[offer.portal] : undefined) ?? file.portalName;
          const start = await b.get(`/${serviceId}`);
          assert.equal(start.status, 200, `${host}: start page of ${serviceId}`);
          assert.match(start.html, new RegExp(`<span>${escapeHtml(portalName.de)}</span>`));
          assert.match(start.html, /<img src="\/logo\.svg"/, `${host}: its logo`);
          assert.match(start.html, /<link rel="stylesheet" href="\/theme\.css">/, `${host}: its stylesheet`);
          const first = await b.submit({}, '/start');
          assert.equal(first.status, 303);
          const stepPage = await b.get(first.location as string);
          assert.equal(stepPage.status, 200, `${host}: first step of ${serviceId}`);
          assert.match(stepPage.html, /Schritt 1( von \d)?<\/p>/);
          assert.match(stepPage.html, new RegExp(`<span>${escapeHtml(portalName.de)}</span>`));
          for (const [, otherId] of LANDER) {
            if (otherId !== id) assert.doesNotMatch(stepPage.html, new RegExp(`<span>${escapeHtml(tenantFile(otherId).portalName.de)}</span>`), `${host}: no other Land's name`);
          }
        }
      }
    }
  });

  test('each host serves its own stylesheet and logo, cached per tenant with an ETag', async () => {
    const etags = new Set<string>();
    for (const [, id] of LANDER) {
      const file = tenantFile(id);
      const b = new Browser(stack.url, `${id}.localhost`);
      const css = await fetchRaw(stack.url, `${id}.localhost`, '/theme.css');
      assert.equal(css.status, 200);
      assert.match(css.headers['content-type'] ?? '', /^text\/css/);
      assert.match(css.body, new RegExp(`--efa-accent:${file.theme.accent};`), `${id}: its accent marks the header`);
      assert.doesNotMatch(css.body, /--kern-color-action/, `${id}: links and buttons keep KERN's action colour`);
      assert.doesNotMatch(css.body, /font-family/, `${id}: no font of its own`);
      assert.match(css.headers['cache-control'] ?? '', /public, max-age=\d+/);
      const etag = css.headers.etag ?? '';
      assert.match(etag, /^"[\w-]+"$/);
      etags.add(etag);
      const again = await fetchRaw(stack.url, `${id}.localhost`, '/theme.css', { 'if-none-match': etag });
      assert.equal(again.status, 304, `${id}: an unchanged stylesheet costs a 304`);
      assert.equal(again.body, '');
      const logo = await fetchRaw(stack.url, `${id}.localhost`, '/logo.svg');
      assert.equal(logo.status, 200);
      assert.equal(logo.headers['content-type'], 'image/svg+xml');
      assert.equal(logo.body, readFileSync(join('tenants', file.logo), 'utf8'), `${id}: its own logo file`);
      // Browsers ask for /favicon.ico on their own: the Land's logo, not a 404.
      const favicon = await fetchRaw(stack.url, `${id}.localhost`, '/favicon.ico');
      assert.equal(favicon.status, 200, `${id}: a favicon`);
      assert.equal(favicon.body, logo.body, `${id}: the favicon is its logo`);
      const legal = await b.get('/impressum');
      assert.equal(legal.status, 200);
      assert.match(legal.html, /<link rel="icon" type="image\/svg\+xml" href="\/logo\.svg">/, `${id}: pages name the favicon`);
    }
    assert.equal(etags.size, 16, 'one stylesheet per tenant');
  });

  test('legal pages (imprint, privacy, accessibility, contact) exist for every Land in both languages and are linked from every page', async () => {
    type Text = { de: string; en: string };
    type Legal = { sections: Array<{ heading: Text; text: Text }> };
    for (const [, id] of LANDER) {
      const file = JSON.parse(readFileSync(join('tenants', `${id}.json`), 'utf8')) as {
        legal: { imprint: Legal; privacy: Legal; contact: { email: string }; accessibility: { scope: Text; barriers: Text[]; feedback: { email: string }; enforcement: { name: Text; web: string } } };
      };
      const b = new Browser(stack.url, `${id}.localhost`);
      const start = await b.get('/gewerbeanmeldung');
      for (const slug of ['impressum', 'datenschutz', 'barrierefreiheit', 'kontakt']) assert.match(start.html, new RegExp(`href="/${slug}"`), `${id}: footer links ${slug}`);
      for (const lang of ['de', 'en'] as const) {
        for (const [slug, key] of [['impressum', 'imprint'], ['datenschutz', 'privacy']] as const) {
          const page = (await b.get(`/${slug}?lang=${lang}`)).html;
          assert.ok(file.legal[key].sections.length >= 4, `${id}: ${key} has real sections, not one sentence`);
          for (const section of file.legal[key].sections) {
            assert.ok(page.includes(`<h2 class="kern-heading-small">${escapeHtml(section.heading[lang])}</h2>`), `${id}: ${key} (${lang}) heading ${section.heading.de}`);
            assert.ok(page.includes(escapeHtml(section.text[lang])), `${id}: ${key} (${lang}) text of ${section.heading.de}`);
          }
        }
        // BITV 2.0: scope, conformity status, known barriers, feedback mechanism, enforcement procedure.
        const a = file.legal.accessibility;
        const page = (await b.get(`/barrierefreiheit?lang=${lang}`)).html;
        assert.ok(page.includes(escapeHtml(a.scope[lang])), `${id}: accessibility scope (${lang})`);
        assert.match(page, lang === 'de' ? /mit den Anforderungen der BITV 2\.0 (vollständig|teilweise|nicht) vereinbar/ : /(fully|partially|does not) compl/, `${id}: conformity status (${lang})`);
        for (const barrier of a.barriers) assert.ok(page.includes(escapeHtml(barrier[lang])), `${id}: known barrier (${lang})`);
        assert.ok(page.includes(`mailto:${a.feedback.email}`), `${id}: feedback mechanism`);
        assert.ok(page.includes(escapeHtml(a.enforcement.name[lang])) && page.includes(`href="${a.enforcement.web}"`), `${id}: enforcement procedure (${lang})`);
      }
      assert.match((await b.get('/kontakt')).html, new RegExp(`mailto:${file.legal.contact.email}`));
    }
  });


  test('a Land\'s parameters change the fee and the notice on the start and the check page', async () => {
    const shown = new Map<string, string>();
    for (const [, id] of LANDER) {
      const p = tenantFile(id).services.gewerbeanmeldung?.parameters ?? {};
      const b = await toCheckPage(stack.url, `${id}.localhost`, id);
      const expectedFee = (p.gebuehrCent ?? 2600) + (p.zuschlagRegisterCent ?? 0);
      const fee = /<dt class="kern-description-list-item__key">Gebühr<\/dt><dd class="kern-description-list-item__value">([^<]+)</.exec(b.lastHtml)?.[1] ?? '';
      assert.match(fee, new RegExp(`^${euro(expectedFee)}$`), `${id}: GmbH fee = Gebühr + Zuschlag of its own file`);
      const hint = typeof p.hinweis === 'string' ? p.hinweis : p.hinweis?.de;
      const hintBox = /<div class="kern-alert kern-alert--info efa-land-hint">[\s\S]*?<p class="kern-body">([^<]*)<\/p>/.exec(b.lastHtml)?.[1];
      assert.equal(hintBox, hint ? escapeHtml(hint) : undefined, `${id}: its own notice on the check page, or none`);
      const start = await b.get('/gewerbeanmeldung');
      assert.match(start.html, new RegExp(`Gebühr: ab <strong>${euro(p.gebuehrCent ?? 2600)}</strong>`), `${id}: the lowest fee from its parameter on the start page`);
      assert.match(start.html, /Die genaue Gebühr hängt von Ihren Angaben ab/, `${id}: why the check page may show more`);
      shown.set(id, `${fee}|${hintBox ?? ''}`);
    }
    assert.notEqual(shown.get('hh'), shown.get('th'), 'Hamburg and Thüringen differ in fee and notice');
    assert.ok(new Set(shown.values()).size >= 12, 'most Länder show a fee and notice of their own');
  });
});

describe('one Land\'s applicant data is never reachable through another Land', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres', env: { EFA_PATH_TENANTS: 'false' } }); });
  after(async () => stack.close());

  test('a draft started in Hamburg is not found on any other Land\'s host, and stays intact', async () => {
    const owner = new Browser(stack.url, 'hh.localhost');
    await owner.get('/gewerbeanmeldung');
    await owner.get((await owner.submit({}, '/start')).location as string);
    await step(owner, { ...person, 'inhaber.familienname': 'Geheimnisvoll' });
    const cookie = owner.cookie('efa_draft_gewerbeanmeldung');
    assert.ok(cookie, 'the draft cookie');
    for (const [, id] of LANDER.filter(([, i]) => i !== 'hh')) {
      const thief = new Browser(stack.url, `${id}.localhost`);
      thief.setCookie('efa_draft_gewerbeanmeldung', cookie);
      const stepPage = await thief.get('/gewerbeanmeldung/person');
      assert.equal(stepPage.status, 410, `${id}: the Hamburg draft does not exist here`);
      assert.doesNotMatch(stepPage.html, /Geheimnisvoll|Erika/, `${id}: no data`);
      const check = await thief.get('/gewerbeanmeldung/pruefen');
      assert.equal(check.status, 410);
      assert.doesNotMatch(check.html, /Geheimnisvoll/);
      const start = await thief.get('/gewerbeanmeldung');
      assert.doesNotMatch(start.html, /Antrag fortsetzen/, `${id}: no resume offered for a foreign draft`);
      const post = await thief.submit({ 'betrieb.name': 'Fremd' }, '/start');
      assert.equal(post.status, 303, 'starting anew is allowed: it creates the thief\'s own draft');
    }
    const back = await owner.get('/gewerbeanmeldung/person');
    assert.equal(back.status, 200);
    assert.match(back.html, /value="Geheimnisvoll"/, 'the owner still has the draft, untouched');
  });

  test('a submission\'s confirmation and status link of NRW give 404 and no data on the 15 other hosts and under any path', async () => {
    const b = new Browser(stack.url, 'nw.localhost');
    await b.get('/gewerbeanmeldung');
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, { ...person, 'inhaber.familienname': 'Vertraulich' });
    await step(b, { 'betrieb.name': 'Kiosk Vertraulich', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
    await step(b, { 'betrieb.anschrift.strasse': 'Hohe Straße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '50667', 'betrieb.anschrift.ort': 'Köln' });
    await step(b, activity());
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const id = (done.location as string).split('/').pop() as string;
    const reference = /class="efa-reference">([^<]+)</.exec((await b.get(done.location as string)).html)?.[1] ?? '';
    assert.match(reference, /^NW-/);
    assert.equal((await b.get(`/status/${id}`)).status, 200, 'its own host shows the status');
    for (const [, other] of LANDER.filter(([, i]) => i !== 'nw')) {
      const foreign = new Browser(stack.url, `${other}.localhost`);
      for (const path of [`/status/${id}`, `/gewerbeanmeldung/bestaetigung/${id}`, `/nw/status/${id}`]) {
        const res = await foreign.get(path);
        assert.equal(res.status, 404, `${other}: ${path}`);
        assert.doesNotMatch(res.html, new RegExp(`Vertraulich|${reference}|Köln`), `${other}: ${path} shows no data`);
      }
    }
  });
});

function fetchRaw(url: string, host: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return rawGet(url, path, { host, ...headers });
}
