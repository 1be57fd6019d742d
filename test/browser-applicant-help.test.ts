import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { editJson } from './support/declarations.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { addPlaceService, KIEL, KOELN } from './support/place-service.js';
import { startStack, type TestStack } from './support/runtime.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';

/**
 * The pages that help an applicant past a dead end, in a real browser (Debian's Chromium), at
 * 1280 and 375 px, in German and English (they need no script; axe does): the page for a place with no
 * connected office, and the save page with its e-mail form (empty, refused, sent). Each is
 * checked with axe-core and the Nu HTML Checker, and nothing may be wider than the window.
 * A test service in a temporary copy of the project; Köln has no office connected for it.
 */
const SERVICE = 'platznutzung-hilfe';
const LEIKA = '99999999999107';

describe('help past a dead end, in a real browser: 0 axe violations, 0 Nu errors, no overflow at 375 px', () => {
  let temp: TempRoot;
  let stack: TestStack;
  let smtp: TestSmtp;
  let chromium: Browser;
  const served: HtmlPage[] = [];
  const problems = new Map<string, string[]>();

  before(async () => {
    temp = copyProjectRoot('efa-browser-help-');
    await addPlaceService(temp.root, { id: SERVICE, leikaKey: LEIKA });
    editJson(join(temp.root, 'routing', `${SERVICE}.json`), (doc) => {
      doc.responsibilities = [{ leikaKey: LEIKA, arsPrefix: '01', authorityId: 'land-sh' }];
    });
    smtp = await startTestSmtp();
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, ...smtp.env } });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await stack?.close();
    await smtp?.close();
    temp?.remove();
  });

  /** Checks the page as shown: axe, no element wider than the window; keeps its HTML for the Nu checker. */
  async function check(page: Page, name: string): Promise<void> {
    const found = await axeViolations(page);
    const wide = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > width + 1).slice(0, 3).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
    });
    if (wide.length > 0) found.push(`wider than the window: ${wide.join(', ')}`);
    if (found.length > 0) problems.set(name, found);
    served.push({ name, html: await page.content() });
  }

  async function toPlace(page: Page, lang: 'de' | 'en', place: typeof KIEL): Promise<void> {
    await page.goto(`${stack.url}/sh/${SERVICE}?lang=${lang}`);
    await Promise.all([page.waitForNavigation(), page.locator('form[action$="/start"] button').click()]);
    await page.fill('#f-name', 'Erika Mustermann');
    await page.fill('#f-anschrift-strasse', place.strasse);
    await page.fill('#f-anschrift-hausnummer', place.hausnummer);
    await page.fill('#f-anschrift-plz', place.plz);
    await page.fill('#f-anschrift-ort', place.ort);
    await Promise.all([page.waitForNavigation(), page.locator('.efa-actions button[type="submit"]').first().click()]);
  }

  for (const width of [1280, 375]) {
    for (const lang of ['de', 'en'] as const) {
      test(`${width} px, ${lang}: the no-office page after the place step, and the save page with its e-mail form`, async () => {
        const context = await chromium.newContext({ viewport: { width, height: 800 }, locale: lang === 'en' ? 'en-GB' : 'de-DE' });
        const page = await context.newPage();
        page.setDefaultTimeout(60_000);
        try {
          await toPlace(page, lang, KOELN);
          assert.equal(new URL(page.url()).pathname, `/sh/${SERVICE}/keine-stelle`);
          assert.equal(await page.locator('.efa-no-office h1').count(), 1);
          assert.equal(await page.locator('a.efa-answers-pdf').getAttribute('href'), `/sh/${SERVICE}/angaben.pdf`);
          await check(page, `${width}/${lang}: no office`);

          await page.goto(`${stack.url}/sh/${SERVICE}/speichern?lang=${lang}`);
          await check(page, `${width}/${lang}: save page`);
          await Promise.all([page.waitForNavigation(), page.locator('form[action$="/speichern"] button').click()]);
          assert.equal(await page.locator('#f-resume-email').getAttribute('aria-invalid'), 'true');
          await check(page, `${width}/${lang}: save page, address missing`);
          await page.fill('#f-resume-email', `erika.${width}.${lang}@example.test`);
          await Promise.all([page.waitForNavigation(), page.locator('form[action$="/speichern"] button').click()]);
          assert.equal(await page.locator('.efa-resume-sent').count(), 1);
          await check(page, `${width}/${lang}: save page, link sent`);
        } finally {
          await context.close();
        }
      });
    }
  }

  test('the Nu HTML Checker finds no error on any of these pages; axe found none either', async () => {
    for (const [name, errors] of await vnuErrors(served)) problems.set(`${name} (Nu)`, errors);
    assert.equal(problems.size, 0, report(problems));
    assert.ok(served.length >= 16, `${served.length} pages checked`);
  });
});
