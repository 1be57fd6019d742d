import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { UnknownTextKeyError } from '../src/tenants/texts.js';
import { copyDeclarations } from './support/declarations.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

type Json = Record<string, unknown>;

/** A copy of the declarative files in which one test breaks one thing. */
function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'efa-tenants-'));
  copyDeclarations(dir);
  return dir;
}

function edit(dir: string, file: string, change: (json: Json) => void): void {
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
  change(json);
  writeFileSync(path, JSON.stringify(json, null, 2));
}

/**
 * Startup on the copy must stop with a DeclarationError; the copy is removed either way. The copy's
 * folder is cut from file and message, so they read as they would in the project itself.
 */
async function startupError(dir: string): Promise<DeclarationError> {
  try {
    await loadDeclarations(dir, ENV);
  } catch (err) {
    assert.ok(err instanceof DeclarationError, `expected a DeclarationError, got ${String(err)}`);
    assert.ok(err.file.startsWith(`${dir}/`), `the file is named with its path: ${err.file}`);
    Object.defineProperty(err, 'file', { value: err.file.slice(dir.length + 1) });
    err.message = err.message.split(`${dir}/`).join('');
    return err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.fail('startup should have stopped');
}

async function brokenTenant(id: string, change: (json: Json) => void): Promise<DeclarationError> {
  const dir = projectCopy();
  edit(dir, `tenants/${id}.json`, change);
  return startupError(dir);
}

const theme = (j: Json) => j.theme as Record<string, string>;
const offer = (j: Json) => (j.services as Record<string, { parameters: Json }>).gewerbeanmeldung as { parameters: Json };

describe('a broken tenant file of any Land stops startup, naming the file and the JSON path', () => {
  test('the unchanged files load', async () => {
    const d = await loadDeclarations('.', ENV);
    assert.equal(d.tenants.size, 16);
  });

  test('a theme colour that is not a colour (Hessen)', async () => {
    const err = await brokenTenant('he', (j) => { theme(j).accent = '#12345'; });
    assert.equal(err.file, join('tenants', 'he.json'));
    assert.equal(err.path, '/theme/accent');
    assert.match(err.message, /^tenants\/he\.json: \/theme\/accent: must match pattern/);
  });

  test('a font is not a tenant choice: every Land uses the neutral KERN base (Thüringen)', async () => {
    const err = await brokenTenant('th', (j) => { theme(j).font = 'noto-sans'; });
    assert.equal(err.file, join('tenants', 'th.json'));
    assert.equal(err.path, '/theme/font');
    assert.match(err.message, /^tenants\/th\.json: \/theme\/font: a font is not a tenant choice/);
  });

  test('a colour token other than the one accent is refused by name (Mecklenburg-Vorpommern)', async () => {
    const err = await brokenTenant('mv', (j) => { theme(j).headerBackground = '#00336e'; });
    assert.equal(err.file, join('tenants', 'mv.json'));
    assert.equal(err.path, '/theme/headerBackground');
    assert.match(err.message, /^tenants\/mv\.json: \/theme\/headerBackground: "headerBackground" is not a theme token a Land may set \(allowed: accent\)/);
  });

  test('an offer under a portal the Land does not declare, and a portal without its English name (Nordrhein-Westfalen)', async () => {
    const unknown = await brokenTenant('nw', (j) => { (Object.values(j.services as Record<string, Json>)[0] as Json).portal = 'nirgends'; });
    assert.equal(unknown.code, 'EFA_XREF_PORTAL');
    assert.match(unknown.message, /^tenants\/nw\.json: \/services\/[a-z-]+\/portal: no portal "nirgends" under \/portals: .*\(portals: wirtschaft\)$/);
    const untranslated = await brokenTenant('nw', (j) => { (j.portals as Record<string, Json>).wirtschaft = { de: 'Wirtschafts-Service-Portal.NRW' }; });
    assert.equal(untranslated.path, '/portals/wirtschaft/en');
  });

  test('an accent too pale for the header\'s edge on white (Sachsen-Anhalt)', async () => {
    const err = await brokenTenant('st', (j) => { theme(j).accent = '#ffee88'; });
    assert.equal(err.path, '/theme/accent');
    assert.match(err.message, /^tenants\/st\.json: \/theme\/accent: contrast 1\.\d\d:1 of #ffee88 .* below WCAG AA 3:1 for graphical objects \(1\.4\.11\)$/);
  });

  test('a parameter above and one below the service\'s bounds (Thüringen, Brandenburg)', async () => {
    const above = await brokenTenant('th', (j) => { offer(j).parameters.zuschlagRegisterCent = 3001; });
    assert.equal(above.message, 'tenants/th.json: /services/gewerbeanmeldung/parameters/zuschlagRegisterCent: must be <= 3000');
    const below = await brokenTenant('bb', (j) => { offer(j).parameters.gebuehrCent = 999; });
    assert.equal(below.message, 'tenants/bb.json: /services/gewerbeanmeldung/parameters/gebuehrCent: must be >= 1000');
  });

  test('a parameter the service does not declare (Rheinland-Pfalz)', async () => {
    const err = await brokenTenant('rp', (j) => { offer(j).parameters.rabattCent = 100; });
    assert.equal(err.path, '/services/gewerbeanmeldung/parameters/rabattCent');
    assert.equal(err.code, 'EFA_XREF_PARAMETER');
    assert.match(err.message, /no parameter "rabattCent" in services\/gewerbeanmeldung\/service\.json: remove it or fix the name \(declared: .*gebuehrCent/);
  });

  test('a notice too long for the service\'s bound (Sachsen)', async () => {
    const err = await brokenTenant('sn', (j) => { offer(j).parameters.hinweis = { de: 'x'.repeat(501), en: 'y' }; });
    assert.equal(err.message, 'tenants/sn.json: /services/gewerbeanmeldung/parameters/hinweis/de: must NOT have more than 500 characters');
  });

  test('a notice only in German although the Land offers English (Niedersachsen)', async () => {
    const err = await brokenTenant('ni', (j) => { offer(j).parameters.hinweis = 'Nur auf Deutsch.'; });
    assert.equal(err.path, '/services/gewerbeanmeldung/parameters/hinweis');
    assert.match(err.message, /needs an "en" text: the tenant offers English/);
  });

  test('an imprint section without English although the Land offers English (Saarland)', async () => {
    const germanOnlyImprint = (j: Json) => { ((j.legal as Json).imprint as { sections: Json[] }).sections[0] = { heading: 'Herausgeber', text: 'Nur Deutsch' }; };
    const err = await brokenTenant('sl', germanOnlyImprint);
    assert.equal(err.path, '/legal/imprint/sections/0/heading/en');
    assert.match(err.message, /offers English/);
    const germanOnly = await loadWith('sl', (j) => { germanOnlyImprint(j); j.languages = ['de']; });
    assert.deepEqual(germanOnly.languages, ['de'], 'a German-only Land needs no English texts');
  });

  test('an accessibility statement without a part BITV 2.0 requires is refused, naming the part (Hamburg, Berlin, Bayern)', async () => {
    const statement = (j: Json) => (j.legal as Json).accessibility as Json;
    const noEnforcement = await brokenTenant('hh', (j) => { delete statement(j).enforcement; });
    assert.equal(noEnforcement.file, join('tenants', 'hh.json'));
    assert.equal(noEnforcement.path, '/legal/accessibility/enforcement');
    assert.match(noEnforcement.message, /^tenants\/hh\.json: \/legal\/accessibility\/enforcement: is missing: .*Schlichtungsstelle/);
    const noFeedback = await brokenTenant('be', (j) => { delete statement(j).feedback; });
    assert.equal(noFeedback.path, '/legal/accessibility/feedback');
    assert.match(noFeedback.message, /feedback mechanism/);
    const noStatus = await brokenTenant('by', (j) => { delete statement(j).status; });
    assert.equal(noStatus.path, '/legal/accessibility/status');
    const noBarriers = await brokenTenant('by', (j) => { statement(j).barriers = []; });
    assert.equal(noBarriers.path, '/legal/accessibility/barriers');
    assert.match(noBarriers.message, /is empty, but status is "partial"/);
    const plain = await brokenTenant('by', (j) => { (j.legal as Json).accessibility = { de: 'Wir bemühen uns.', en: 'We try.' }; });
    assert.equal(plain.path, '/legal/accessibility/scope', 'a one-sentence text is not a statement');
  });

  test('languages without German (Bremen)', async () => {
    const err = await brokenTenant('hb', (j) => { j.languages = ['en']; });
    assert.equal(err.path, '/languages');
    assert.match(err.message, /must include "de"/);
  });

  test('two tenants claiming the same Land code or the same host', async () => {
    const code = await brokenTenant('th', (j) => { j.land = '15'; });
    assert.equal(code.message, 'tenants/th.json: /land: Land code "15" already belongs to tenant "st"');
    const host = await brokenTenant('th', (j) => { (j.hosts as string[])[1] = 'st.localhost'; });
    assert.equal(host.message, 'tenants/th.json: /hosts/1: host "st.localhost" already belongs to tenant "st"');
  });

  test('a logo that could run script, or is missing', async () => {
    const dir = projectCopy();
    writeFileSync(join(dir, 'tenants/assets/hh.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>');
    const scripted = await startupError(dir);
    assert.equal(scripted.path, '/logo');
    assert.match(scripted.message, /tenants\/hh\.json: \/logo: tenants\/assets\/hh\.svg contains "onload=": logos may not script/);
    const missing = await brokenTenant('hh', (j) => { j.logo = 'assets/gibt-es-nicht.svg'; });
    assert.equal(missing.message, 'tenants/hh.json: /logo: file tenants/assets/gibt-es-nicht.svg does not exist');
  });
});

describe('text overrides are checked at startup', () => {
  test('an unknown key stops startup with the file, the JSON path, the key and the closest known key', async () => {
    const err = await brokenTenant('be', (j) => { (j.texts as Json)['ui.strat'] = { de: 'Los', en: 'Go' }; });
    assert.ok(err instanceof UnknownTextKeyError);
    assert.equal(err.code, 'EFA_DECLARATION_INVALID');
    assert.equal(err.file, join('tenants', 'be.json'));
    assert.equal(err.path, '/texts/ui.strat');
    assert.equal(err.key, 'ui.strat');
    assert.match(err.message, /^tenants\/be\.json: \/texts\/ui\.strat: unknown text key "ui\.strat" \(did you mean "ui\.start"\?\)/);
  });

  test('keys of fields, steps and options that do not exist are unknown too', async () => {
    for (const key of ['form.gewerbeanmeldung.field.betrieb.nme.label', 'form.gewerbeanmeldung.step.zahlung.title', 'form.gewerbeanmeldung.field.betrieb.rechtsform.option.ag', 'form.gewerbeanmeldung.field.inhaber.vorname.error.EFA_RULE_MINDESTALTER', 'service.gewerbeanmeldung.titel']) {
      const err = await brokenTenant('sn', (j) => { j.texts = { [key]: 'X' }; });
      assert.ok(err instanceof UnknownTextKeyError, key);
      assert.equal(err.path, `/texts/${key}`);
    }
  });

  test('an override for a service the Land does not offer, and a new text without German', async () => {
    const notOffered = await brokenTenant('st', (j) => { j.services = {}; j.texts = { 'service.gewerbeanmeldung.title': 'Gewerbe' }; });
    assert.equal(notOffered.message, 'tenants/st.json: /texts/service.gewerbeanmeldung.title: service "gewerbeanmeldung" is not offered by this tenant, so the text would never show: offer it under /services or remove the override');
    const noGerman = await brokenTenant('st', (j) => { j.texts = { 'form.gewerbeanmeldung.step.person.intro': { en: 'Tell us about you.' } }; });
    assert.equal(noGerman.path, '/texts/form.gewerbeanmeldung.step.person.intro');
    assert.match(noGerman.message, /has no default text: give the German text/);
    const empty = await brokenTenant('st', (j) => { j.texts = { 'ui.start': { de: '' } }; });
    assert.match(empty.message, /^tenants\/st\.json: \/texts\/ui\.start/);
  });
});

describe('a form may label the schema\'s options; a label for no option stops startup', () => {
  test('unknown option value', async () => {
    const dir = projectCopy();
    edit(dir, 'forms/gewerbeanmeldung.form.json', (j) => {
      const field = ((j.steps as Array<{ fields: Json[] }>)[1] as { fields: Json[] }).fields[1] as { options: Json };
      field.options.ag = { de: 'Aktiengesellschaft', en: 'Stock corporation' };
    });
    const err = await startupError(dir);
    assert.equal(err.path, '/steps/1/fields/1/options/ag');
    assert.match(err.message, /"ag" is not an option of the schema \(options: einzelunternehmen, gbr, gmbh, ug, ohg, kg\)/);
  });
});

async function loadWith(id: string, change: (json: Json) => void) {
  const dir = projectCopy();
  try {
    edit(dir, `tenants/${id}.json`, change);
    const d = await loadDeclarations(dir, ENV);
    const tenant = d.tenants.get(id);
    assert.ok(tenant);
    return tenant;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
