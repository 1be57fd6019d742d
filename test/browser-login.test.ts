import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { accountKey } from '../src/accounts/sessions.js';
import { startLocalOpenIdProvider, type LocalOpenIdProvider } from '../src/demo/oidc-provider.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { editJson } from './support/declarations.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * The login walk in a real browser (Debian's Chromium through playwright-core), against the local
 * OpenID provider over HTTP: the start page that asks for the login, the page that refuses a
 * login below the service's trust level, the prefilled step and check pages, the logout. Only
 * this runtime's pages are checked with axe-core and the Nu HTML Checker; the provider's login
 * and logout pages are its own. A test service of its own in a temporary copy of the project, so
 * the shipped services' pages (and the README's screenshots) are untouched.
 */
const SERVICE = 'kontobrowser';
const TENANT = 'sh';
const SECRET_ENV = 'EFA_TEST_OIDC_SECRET';
const SECRET = 'a-client-secret-for-the-local-op-only';

describe('the login walk in a real browser: our pages at 0 axe violations and 0 Nu errors', () => {
  let temp: TempRoot;
  let op: LocalOpenIdProvider;
  let stack: TestStack;
  let chromium: Browser;
  /** Our pages as served, for one run of the HTML checker at the end. */
  const served: Array<{ name: string; html: Promise<string | undefined> }> = [];
  const violations = new Map<string, string[]>();

  before(async () => {
    op = await startLocalOpenIdProvider({ port: 0 });
    temp = copyProjectRoot('efa-browser-login-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999021', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 });
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => {
      doc.login = {
        mode: 'required', trustLevel: 'substantial',
        prefill: [{ pointer: '/halter/name', attribute: 'fullName' }, { pointer: '/halter/anschrift', attribute: 'address', editable: true }],
      };
    });
    editJson(join(temp.root, 'tenants', `${TENANT}.json`), (doc) => {
      doc.accounts = { adapter: 'oidc', issuer: op.issuer, clientId: 'efa-test', clientSecretEnv: SECRET_ENV };
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, [SECRET_ENV]: SECRET } });
    await op.register({ clientId: 'efa-test', clientSecret: SECRET, redirectUris: [`${stack.url}/${TENANT}/anmeldung/rueckkehr`], postLogoutRedirectUris: [`${stack.url}/${TENANT}/anmeldung/abgemeldet`] });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await stack?.close();
    await op?.close();
    temp?.remove();
  });

  /**
   * A German browser tab that keeps the last document this runtime served it (after redirects). Every
   * document of this runtime goes to the HTML checker, also the pages that go on to the account
   * service at once (their axe check is `interstitial`).
   */
  async function newTab(): Promise<{ page: Page; context: BrowserContext; last: () => Response | undefined }> {
    const context = await chromium.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    let last: Response | undefined;
    page.on('response', (res) => {
      const req = res.request();
      const url = new URL(res.url());
      if (!req.isNavigationRequest() || req.frame() !== page.mainFrame() || (res.status() >= 300 && res.status() < 400) || url.origin !== new URL(stack.url).origin) return;
      last = res;
      // A page the browser left at once (the refresh on to the account service) may have no body left to read.
      served.push({ name: `${req.method()} ${url.pathname}`, html: res.text().catch(() => undefined) });
    });
    return { page, context, last: () => last };
  }

  /** Waits until the tab shows `path` of this runtime, then checks that page with axe. */
  async function ours(tab: { page: Page; last: () => Response | undefined }, path: string, name: string, status = 200): Promise<string> {
    await tab.page.waitForURL((url) => url.origin === new URL(stack.url).origin && url.pathname === path);
    const res = tab.last();
    assert.ok(res && new URL(res.url()).pathname === path, `${name}: served at ${path} (${res?.url()})`);
    assert.equal(res.status(), status, `${name}: served with ${status}`);
    const found = await axeViolations(tab.page);
    if (found.length > 0) violations.set(`${name} (${tab.page.url()})`, found);
    return res.text();
  }

  /**
   * Our page that goes on to the account service at once, checked with axe while the way on is
   * held: the provider answers this tab with 204 No Content, and a browser then stays on the page.
   */
  async function interstitial(tab: { page: Page; last: () => Response | undefined }, show: () => Promise<unknown>, path: string, name: string): Promise<string> {
    const held = `${op.issuer}/**`;
    await tab.page.route(held, (route) => route.fulfill({ status: 204 }));
    try {
      await show();
      const html = await ours(tab, path, name);
      assert.match(html, new RegExp(`<meta http-equiv="refresh" content="0; url=${op.issuer.replace(/[.]/g, '\\.')}/`), `${name}: goes on to the account service`);
      return html;
    } finally {
      await tab.page.unroute(held);
    }
  }

  /** Activates the control and waits until the browser is at `origin` (after any redirects and refreshes). */
  async function click(page: Page, control: Locator, origin: string): Promise<void> {
    await Promise.all([page.waitForURL((url) => url.origin === origin), control.click()]);
  }

  /** Through the provider's login page as `person` (its pages are not checked). */
  async function chooseAtProvider(page: Page, person: RegExp): Promise<void> {
    await page.waitForURL((url) => url.origin === op.issuer && url.pathname.startsWith('/interaction/'));
    await click(page, page.getByRole('button', { name: person }), new URL(stack.url).origin);
  }

  test('"Antrag starten" without a login leads through our login page to the account service; a login below the level: the refusal page', async () => {
    const tab = await newTab();
    try {
      await tab.page.goto(`${stack.url}/${TENANT}/${SERVICE}`);
      const start = await ours(tab, `/${TENANT}/${SERVICE}`, 'start page of a service with login required');
      assert.match(start, /melden Sie sich mit Ihrem Nutzerkonto an/);
      const startButton = tab.page.getByRole('button', { name: 'Antrag starten' });
      await interstitial(tab, () => startButton.click(), `/${TENANT}/${SERVICE}/anmelden`, 'login start (after "Antrag starten")');
      await click(tab.page, tab.page.getByRole('link', { name: 'Weiter zum Nutzerkonto' }), op.issuer);
      await chooseAtProvider(tab.page, /Bernd Basis/);
      const refused = await ours(tab, `/${TENANT}/anmeldung/rueckkehr`, 'trust level too low', 403);
      assert.match(refused, /Höheres Vertrauensniveau nötig/);
      assert.match(refused, /Online-Ausweis/);
    } finally {
      await tab.context.close();
    }
  });

  test('login at the level needed: prefilled step and check pages, logout here and at the account service', async () => {
    const tab = await newTab();
    const { page } = tab;
    try {
      await page.goto(`${stack.url}/${TENANT}/${SERVICE}`);
      await ours(tab, `/${TENANT}/${SERVICE}`, 'start page before the login');
      // The login link, this time without a stop: our page goes on to the account service by itself.
      await click(page, page.getByRole('link', { name: /melden Sie sich mit Ihrem Nutzerkonto an/ }), op.issuer);
      await chooseAtProvider(page, /Erika Mustermann/);
      const step = await ours(tab, `/${TENANT}/${SERVICE}/halter`, 'step page with prefilled answers');
      assert.match(step, /Aus Ihrem Nutzerkonto übernommen; diese Angabe kann hier nicht geändert werden/);
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Erika Mustermann');
      assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('readonly'), '', 'the locked answer is read-only');

      await page.goto(`${stack.url}/${TENANT}/${SERVICE}/pruefen`);
      const check = await ours(tab, `/${TENANT}/${SERVICE}/pruefen`, 'check page with prefilled answers');
      assert.match(check, /Erika Mustermann<div class="kern-hint efa-prefilled">Aus Ihrem Nutzerkonto übernommen/);

      await page.goto(`${stack.url}/${TENANT}/${SERVICE}/halter`);
      await ours(tab, `/${TENANT}/${SERVICE}/halter`, 'step page with the logout button');
      await interstitial(tab, () => page.getByRole('button', { name: 'Abmelden' }).click(), `/${TENANT}/${SERVICE}/abmelden`, 'logout here, on to the account service');
      await click(page, page.getByRole('link', { name: 'Weiter zum Nutzerkonto' }), op.issuer);
      await click(page, page.getByRole('button', { name: 'Abmelden' }), new URL(stack.url).origin);
      const out = await ours(tab, `/${TENANT}/anmeldung/abgemeldet`, 'logged out');
      assert.match(out, /Sie sind abgemeldet/);
      await page.goto(`${stack.url}/${TENANT}/${SERVICE}/halter`);
      assert.notEqual(new URL(page.url()).pathname, `/${TENANT}/${SERVICE}/halter`, 'after the logout the draft no longer opens');
    } finally {
      await tab.context.close();
    }
  });

  test('the Land\'s Postfach after login: the overview of the account\'s applications in German and English, its logout', async () => {
    // An application of Erika Mustermann's account (the provider's subject is the person's id) with an answer not read yet.
    const id = randomUUID();
    await stack.rt.db.query(
      `INSERT INTO submissions (id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, status,
                                payload_jwe, payload_media_type, payload_sha512, schema_uri, fee_cents, submitted_at, delivery_mode, account)
       VALUES ($1, 'SH-2026-BROWSER1', $2, $3, '1.0.0', '99999999999021', '010020000000', 'land-sh', 'Land Schleswig-Holstein', 'delivered', '', 'application/json', 'x', 'urn:x', 0, now(), 'push', $4)`,
      [id, TENANT, SERVICE, accountKey(TENANT, 'elster')],
    );
    await stack.rt.db.query(`INSERT INTO submission_answers (id, submission_id, authority_id, channel, status, content_sha256, sealed) VALUES ($1, $2, 'land-sh', 'webhook', 'ACTION_REQUIRED', sha256('x'::bytea), NULL)`, [randomUUID(), id]);
    const tab = await newTab();
    const { page } = tab;
    try {
      await interstitial(tab, () => page.goto(`${stack.url}/${TENANT}/postfach`), `/${TENANT}/postfach/anmelden`, 'Postfach login start');
      await click(page, page.getByRole('link', { name: 'Weiter zum Nutzerkonto' }), op.issuer);
      await chooseAtProvider(page, /Erika Mustermann/);
      const overview = await ours(tab, `/${TENANT}/postfach`, 'Postfach overview');
      assert.match(overview, /SH-2026-BROWSER1/);
      assert.match(overview, /Ihre Mitwirkung ist erforderlich/);
      assert.match(overview, /1 neu/);
      await page.goto(`${stack.url}/${TENANT}/postfach?lang=en`);
      assert.match(await ours(tab, `/${TENANT}/postfach`, 'Postfach overview (English)'), /Your action is needed/);
      await interstitial(tab, () => page.getByRole('button', { name: 'Log out' }).click(), `/${TENANT}/postfach/abmelden`, 'Postfach logout, on to the account service');
    } finally {
      await tab.context.close();
    }
  });

  test('no axe violation on our pages, and the Nu HTML Checker finds no error', async () => {
    const pages: HtmlPage[] = (await Promise.all(served.map(async (p) => ({ name: p.name, html: await p.html })))).filter((p): p is HtmlPage => p.html !== undefined);
    const names = new Set(pages.map((p) => p.name));
    for (const path of [`GET /${TENANT}/${SERVICE}`, `GET /${TENANT}/${SERVICE}/anmelden`, `GET /${TENANT}/anmeldung/rueckkehr`, `GET /${TENANT}/${SERVICE}/halter`, `GET /${TENANT}/${SERVICE}/pruefen`, `POST /${TENANT}/${SERVICE}/abmelden`, `GET /${TENANT}/anmeldung/abgemeldet`, `GET /${TENANT}/postfach/anmelden`, `GET /${TENANT}/postfach`, `POST /${TENANT}/postfach/abmelden`]) {
      assert.ok(names.has(path), `${path} was collected for the HTML checker (${[...names].join(', ')})`);
    }
    assert.equal(violations.size, 0, `axe violations:\n${report(violations)}`);
    const errors = await vnuErrors(pages);
    assert.equal(errors.size, 0, `HTML errors on ${errors.size} of ${pages.length} pages:\n${report(errors)}`);
  });
});
