import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, Response } from 'playwright-core';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { applyForPets, figuresStack, FIGURES_TENANT, type PetApplication } from './support/figures.js';
import type { TempRoot } from './support/extra-service.js';
import type { TestStack } from './support/runtime.js';

/**
 * The figures page and the survey on the confirmation page in a real browser (Debian's Chromium):
 * the question, the question with its error, the thanks, the figures page in German and English and
 * on a narrow screen, each at 0 axe violations, and all of them at 0 Nu HTML errors. A test service
 * of its own, so the shipped services' pages and screenshots are untouched.
 */
describe('figures and survey in a real browser: 0 axe violations, 0 Nu errors', () => {
  let temp: TempRoot;
  let stack: TestStack;
  let chromium: Browser;
  const pages: HtmlPage[] = [];
  const violations = new Map<string, string[]>();
  let open: PetApplication;

  before(async () => {
    ({ stack, temp } = await figuresStack());
    // Five answered surveys, so the page shows numbers as well as suppressed counts.
    for (let i = 0; i < 5; i++) {
      const s = await applyForPets(stack.url, `Probe ${i}`, `Tier ${i}`);
      assert.equal((await s.browser.submit({ zufriedenheit: String(1 + (i % 2) * 4) }, '/umfrage')).status, 303);
    }
    open = await applyForPets(stack.url, 'Probe offen', 'Tier offen');
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await stack?.close();
    temp?.remove();
  });

  /** The page as served (for the Nu checker) with its status, and as shown (for axe). */
  async function check(page: Page, res: Response | null, name: string, status: number): Promise<void> {
    assert.equal(res?.status(), status, `${name}: served with ${status}`);
    pages.push({ name, html: await (res as Response).text() });
    const found = await axeViolations(page);
    if (found.length > 0) violations.set(`${name} (${page.url()})`, found);
  }

  test('the survey on the confirmation page: question, error, thanks', async () => {
    const context = await chromium.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    const url = new URL(stack.url);
    await context.addCookies(open.browser.cookieHeader().split('; ').map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: url.hostname, path: '/' };
    }));
    const page = await context.newPage();
    await check(page, await page.goto(`${stack.url}${open.confirmationPath}`), 'confirmation with the survey', 200);
    const send = () => page.getByRole('button', { name: 'Bewertung senden' }).click();
    const [unanswered] = await Promise.all([page.waitForNavigation(), send()]);
    assert.match(await page.title(), /^Fehler: /);
    await check(page, unanswered, 'confirmation with the survey unanswered', 400);
    await page.getByLabel('Zufrieden', { exact: true }).check();
    const [answered] = await Promise.all([page.waitForNavigation(), send()]);
    assert.match(await page.locator('#umfrage').innerText(), /Vielen Dank/);
    await check(page, answered, 'confirmation after the survey', 200);
    await context.close();
  });

  test('the figures page: chart and tables, German, English, narrow', async () => {
    for (const [lang, width] of [['de', 1280], ['en', 1280], ['de', 360]] as const) {
      const context = await chromium.newContext({ locale: lang === 'de' ? 'de-DE' : 'en-GB', viewport: { width, height: 800 } });
      const page = await context.newPage();
      const res = await page.goto(`${stack.url}/${FIGURES_TENANT}/statistik?lang=${lang}`);
      assert.equal(await page.locator('svg[role="img"]').count(), 1, 'one chart for the one service with figures');
      assert.equal(await page.locator('table').count(), 1, 'and its table');
      await check(page, res, `figures page (${lang}, ${width}px)`, 200);
      await context.close();
    }
  });

  test('no axe violation and no Nu HTML error on any of these pages', async () => {
    assert.equal(violations.size, 0, `axe violations:\n${report(violations)}`);
    const errors = await vnuErrors(pages);
    assert.equal(errors.size, 0, `HTML errors on ${errors.size} of ${pages.length} pages:\n${report(errors)}`);
  });
});
