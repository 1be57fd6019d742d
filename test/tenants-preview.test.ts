import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeclarationErrors } from '../src/core/errors.js';
import { generateSigningKeyPair } from '../src/crypto/keys.js';
import { createRenderer } from '../src/forms/render.js';
import { t } from '../src/forms/text.js';
import { LEGAL_PAGES } from '../src/http/applicant/legal.js';
import { Previewer, PreviewError } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../src/runtime.js';
import { loadExamples } from '../src/services/examples.js';
import { Browser } from './support/browser.js';
import { startStack, type TestStack } from './support/runtime.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const GEWERBE = 'gewerbeanmeldung';

/**
 * The number of preview pages as the declaration files say, read without the engine: for every
 * tenant file, every service it offers and every language it has, 9 fixed pages, one per step and
 * one more per step with a repeatable group (its first row).
 */
function declaredPageCount(root = '.'): number {
  let count = 0;
  for (const file of readdirSync(join(root, 'tenants')).filter((f) => f.endsWith('.json'))) {
    const tenant = JSON.parse(readFileSync(join(root, 'tenants', file), 'utf8')) as { services: Record<string, unknown>; languages?: string[] };
    for (const service of Object.keys(tenant.services)) {
      const form = JSON.parse(readFileSync(join(root, 'forms', `${service}.form.json`), 'utf8')) as { steps: Array<{ fields: Array<{ kind: string }> }> };
      const rows = form.steps.filter((s) => s.fields.some((f) => f.kind === 'group')).length;
      count += (9 + form.steps.length + rows) * (tenant.languages?.length ?? 1);
    }
  }
  return count;
}
const run = promisify(execFile);

interface ExamplesFile { examples: Array<{ id: string; data: { betrieb: { name: string; rechtsform: string; anschrift?: { ars: string } } } }> }
const EXAMPLES = JSON.parse(readFileSync('services/gewerbeanmeldung/examples.json', 'utf8')) as ExamplesFile;
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

describe('the preview for service authors', () => {
  let decl: Declarations;
  let previewer: Previewer;
  before(async () => {
    decl = await loadDeclarations('.', ENV);
    previewer = new Previewer(decl, createRenderer('.'), FORMATS_DIR);
  });

  test('every page of every service, in every Land\'s look and language, with the sample data', () => {
    let pages = 0;
    for (const tenant of decl.tenants.values()) {
      for (const service of Object.keys(tenant.services)) {
        for (const page of previewer.pages(tenant, service)) {
          for (const lang of tenant.languages) {
            const result = previewer.render({ tenant: tenant.id, service, page, lang });
            assert.equal(result.status, 200, `${tenant.id}/${service}/${page}/${lang}`);
            assert.match(result.html, new RegExp(`<html lang="${lang}">`));
            // The Land's own pages carry its portal name, the service's pages that of the portal it is filed under.
            const family = page === 'home' || LEGAL_PAGES.some((l) => l.slug === page) ? undefined : tenant.services[service]?.portal;
            const portal = (family ? tenant.portals?.[family] : undefined) ?? tenant.portalName;
            assert.ok(result.html.includes(`<span>${escapeHtml(t(portal, lang))}</span>`), `${tenant.id}/${page}: the portal's name`);
            assert.ok(result.html.includes(`href="/${tenant.id}/theme.css"`), 'the Land\'s stylesheet');
            assert.ok(result.html.includes(`<img src="/${tenant.id}/logo.svg"`), 'the Land\'s logo');
            assert.ok(result.html.includes(t(decl.tenants.get(tenant.id)?.ui[lang].previewNotice, lang)), 'marked as a preview');
            assert.match(result.html, /<meta name="robots" content="noindex">/);
            pages++;
          }
        }
      }
    }
    assert.equal(pages, declaredPageCount(), 'per Land, offered service and language: home, start, each step (and a group\'s first row), check, confirmation, status and 4 legal pages');
  });

  test('steps and the check page show the sample\'s answers; the default sample is the first that shows the page (in the Land\'s own place when there is one)', () => {
    const [first, second] = EXAMPLES.examples;
    assert.ok(first && second);
    const betrieb = previewer.render({ tenant: 'sh', service: GEWERBE, page: 'betrieb', lang: 'en' });
    assert.equal(betrieb.example, first.id);
    assert.ok(betrieb.html.includes(`value="${escapeHtml(first.data.betrieb.name)}"`));
    assert.match(betrieb.html, new RegExp(`value="${first.data.betrieb.rechtsform}" checked`));
    const check = previewer.render({ tenant: 'hh', service: GEWERBE, page: 'pruefen', example: second.id });
    assert.ok(check.html.includes(escapeHtml(second.data.betrieb.name)));
    // The place decides the rules, not the portal: a business in Köln pays NW's fee (20 €) on Hamburg's portal too (HH's would be 35 €).
    assert.equal(second.data.betrieb.anschrift?.ars.slice(0, 2), '05', 'the second sample is in NW');
    assert.match(check.html, /<dt class="kern-description-list-item__key">Gebühr<\/dt><dd class="kern-description-list-item__value">20,00\s€<\/dd>/, 'NW\'s fee for a sole proprietorship in Köln');
    assert.match(check.html, /Es gelten die Regeln von<\/dt><dd class="kern-description-list-item__value">Köln, Stadt \(Nordrhein-Westfalen\)</);
    const register = previewer.render({ tenant: 'sh', service: GEWERBE, page: 'register' });
    assert.equal(register.status, 200);
    const confirmation = previewer.render({ tenant: 'th', service: GEWERBE, page: 'bestaetigung', lang: 'en' });
    assert.match(confirmation.html, /TH-\d{4}-DEMO-0001/);
    assert.match(confirmation.html, /We have received your application/);
  });

  test('--errors shows a step as if posted empty, with every message', () => {
    const result = previewer.render({ tenant: 'nw', service: GEWERBE, page: 'person', errors: true, lang: 'en' });
    assert.equal(result.status, 400);
    assert.match(result.html, /<title>Error: /);
    assert.match(result.html, /Enter your first name\./);
    assert.match(result.html, /Enter your date of birth\./);
    assert.doesNotMatch(result.html, /value="Erika"/, 'the step\'s own answers are removed');
  });

  test('what does not exist is named, with what does', () => {
    assert.throws(() => previewer.render({ tenant: 'xx' }), (e: unknown) => e instanceof PreviewError && e.code === 'EFA_PREVIEW_INVALID' && /no tenant "xx" \(tenants: sh, hh, ni/.test(e.message));
    assert.throws(() => previewer.render({ tenant: 'by', service: 'keine-leistung' }), /tenant "by" does not offer service "keine-leistung"/);
    // Every declared service that a Land does not offer is refused for that Land (none may be, today).
    for (const tenant of decl.tenants.values()) {
      for (const service of [...decl.services.keys()].filter((id) => !(id in tenant.services))) {
        assert.throws(() => previewer.render({ tenant: tenant.id, service }), new RegExp(`does not offer service "${service}"`));
      }
    }
    assert.throws(() => previewer.render({ tenant: 'by', service: GEWERBE, page: 'zahlung' }), /no page "zahlung" for gewerbeanmeldung \(pages: home, start, person, betrieb, register/);
    assert.throws(() => previewer.render({ tenant: 'by', service: GEWERBE, page: 'register', example: 'gbr-muenchen' }), /step "register" is hidden for example "gbr-muenchen"; examples that show it: gmbh-kiel/);
    assert.throws(() => previewer.render({ tenant: 'by', service: GEWERBE, example: 'gibt-es-nicht' }), /no example "gibt-es-nicht" .*\(examples: gmbh-kiel, uebernahme-koeln, gbr-muenchen\)/);
  });

  test('the samples are checked against the service\'s schema and rules', () => {
    const service = decl.services.get('gewerbeanmeldung');
    assert.ok(service);
    assert.equal(loadExamples(service, FORMATS_DIR, '2026-11-24').length, EXAMPLES.examples.length);
    const dir = mkdtempSync(join(tmpdir(), 'efa-examples-'));
    try {
      cpSync('services/gewerbeanmeldung', dir, { recursive: true });
      const copy = { ...service, dir };
      const broken = structuredClone(EXAMPLES);
      (broken.examples[1] as ExamplesFile['examples'][number]).data.betrieb.rechtsform = 'ag';
      writeFileSync(join(dir, 'examples.json'), JSON.stringify(broken));
      // Every problem of the file at once, each said once: the unknown legal form is no branch of the oneOf.
      assert.throws(() => loadExamples(copy, FORMATS_DIR, '2026-11-24'), (e: unknown) => e instanceof DeclarationErrors
        && e.problems.length === 2 && e.problems.every((p) => p.path === '/examples/1/data/betrieb/rechtsform')
        && /examples\.json: \/examples\/1\/data\/betrieb\/rechtsform: must be equal to constant/.test(e.message) && /must match exactly one schema/.test(e.message));
      const tooYoung = structuredClone(EXAMPLES) as unknown as { examples: Array<{ data: { inhaber: { geburtsdatum: string } } }> };
      (tooYoung.examples[0] as { data: { inhaber: { geburtsdatum: string } } }).data.inhaber.geburtsdatum = '2015-01-01';
      writeFileSync(join(dir, 'examples.json'), JSON.stringify(tooYoung));
      assert.throws(() => loadExamples(copy, FORMATS_DIR, '2026-11-24'), /\/examples\/0\/data\/taetigkeit\/beginn: breaks the service's rule EFA_RULE_MINDESTALTER/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('efa preview on the command line', () => {
  const efa = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'preview', ...args], { maxBuffer: 64 * 1024 * 1024 });

  test('one page as HTML on stdout', async () => {
    const { stdout } = await efa('--tenant', 'by', '--service', 'gewerbeanmeldung', '--step', 'betrieb', '--lang', 'en');
    assert.match(stdout, /^<!doctype html>/);
    assert.match(stdout, /<span>BayernPortal<\/span>/);
    assert.match(stdout, /<h1 class="kern-heading-large">About the business<\/h1>/);
  });

  test('a file with the Land\'s stylesheet and logo inlined, to open without a server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'efa-preview-'));
    try {
      const file = join(dir, 'sn.html');
      await efa('--tenant', 'sn', '--service', GEWERBE, '--step', 'pruefen', '--out', file);
      const html = readFileSync(file, 'utf8');
      assert.match(html, /<style>[\s\S]*--efa-accent:#00663a;[\s\S]*<\/style>/);
      assert.match(html, /<img src="data:image\/svg\+xml;base64,/);
      assert.doesNotMatch(html, /<link rel="stylesheet"/);
      await efa('--all', '--tenant', 'mv', '--out', join(dir, 'all'));
      assert.ok(existsSync(join(dir, 'all', 'mv', 'gewerbeanmeldung', 'register.en.html')));
      assert.ok(existsSync(join(dir, 'all', '_assets', 'kern', 'kern.min.css')));
      assert.match(readFileSync(join(dir, 'all', 'mv', 'gewerbeanmeldung', 'start.de.html'), 'utf8'), /href="\.\.\/_assets\/theme\.css"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong step fails with the stable code and the pages there are', async () => {
    await assert.rejects(efa('--tenant', 'by', '--service', GEWERBE, '--step', 'zahlung'), (e: { code?: number; stderr?: string }) => e.code === 1 && /efa: EFA_PREVIEW_INVALID: no page "zahlung"/.test(e.stderr ?? ''));
  });

  test('--texts lists every overridable key with the Land\'s current text', async () => {
    const { stdout } = await efa('--texts', '--tenant', 'be');
    assert.match(stdout, /^ui\.start\tde: Jetzt online anmelden \| en: Register online now \(override\)$/m);
    assert.match(stdout, /^ui\.continue\tde: Weiter \| en: Continue$/m);
    assert.match(stdout, /^form\.gewerbeanmeldung\.field\.betrieb\.rechtsform\.option\.gmbh\t/m);
  });
});

describe('the preview route, in development only', () => {
  let dev: TestStack;
  let production: TestStack;
  before(async () => {
    dev = await startStack({ database: 'pglite' });
    const key = await generateSigningKeyPair();
    production = await startStack({ database: 'pglite', env: { NODE_ENV: 'production', EFA_SECRET: 'x'.repeat(40), EFA_SIGNING_KEY: JSON.stringify(key.privateJwk), EFA_UPLOAD_SCAN: 'off' } });
  });
  after(async () => {
    await dev.close();
    await production.close();
  });

  test('development: an index, every page, the Land\'s own assets under the preview path', async () => {
    const b = new Browser(dev.url);
    const index = await b.get('/_efa/preview');
    assert.equal(index.status, 200);
    assert.match(index.html, /href="\/_efa\/preview\/th\/gewerbeanmeldung\/register\?lang=en"/);
    const page = await b.get('/_efa/preview/th/gewerbeanmeldung/betrieb?lang=en&example=uebernahme-koeln');
    assert.equal(page.status, 200);
    assert.match(page.html, /Thuringia service portal/);
    assert.match(page.html, /value="Kiosk am Dom"/);
    assert.match(page.html, /href="\/_efa\/preview\/th\/theme\.css"/);
    assert.match((await b.get('/_efa/preview/th/theme.css')).html, /--efa-accent:#8b1538/);
    assert.equal((await b.get('/_efa/preview/th/logo.svg')).status, 200);
    assert.equal((await b.get('/_efa/preview/th/gewerbeanmeldung/taetigkeit?errors=1')).status, 400);
    const missing = await b.get('/_efa/preview/th/gewerbeanmeldung/zahlung');
    assert.equal(missing.status, 404);
    assert.match(missing.html, /EFA_PREVIEW_INVALID/);
  });

  test('production: no preview at all', async () => {
    for (const path of ['/_efa/preview', '/_efa/preview/th/gewerbeanmeldung/betrieb', '/_efa/preview/th/theme.css']) {
      assert.equal((await new Browser(production.url, 'th.localhost').get(path)).status, 404, path);
    }
    assert.equal((await new Browser(production.url, 'th.localhost').get('/gewerbeanmeldung')).status, 200, 'the Land itself is served');
  });
});
