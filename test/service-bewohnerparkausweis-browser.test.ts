import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { pdfWith } from './support/answers.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * The Bewohnerparkausweis as an applicant in Bayern meets it in Chromium (issue 23, items 3–6 and
 * 8): messages in words naming the field, everyday input taken and shown normalised, the permit
 * term as radios listing only what Bayern issues with each fee, the file upload pattern, and one
 * optional marker. Every page is checked with axe-core and the Nu HTML Checker.
 */
describe('Bewohnerparkausweis in Bayern, in a real browser: fields written for people', () => {
  let stack: TestStack;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  const served: HtmlPage[] = [];
  const violations = new Map<string, string[]>();

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    chromium = await launchChromium();
    context = await chromium.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await chromium?.close();
    await stack?.close();
  });

  /** Records the page for the HTML checker and checks it with axe. */
  async function landed(name: string): Promise<void> {
    served.push({ name, html: await page.content() });
    const found = await axeViolations(page);
    if (found.length > 0) violations.set(name, found);
  }

  async function press(control: Locator, name: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), control.click()]);
    await landed(name);
  }

  const continueButton = () => page.locator('main form[method="post"]:not([id]) button.kern-btn--primary');
  const errorOf = async (id: string) => ((await page.locator(`#${id}-error`).textContent()) ?? '').replace(/\s+/g, ' ').trim();

  test('from the person step to the check page and back to the documents', async () => {
    await page.goto(`${stack.url}/by/bewohnerparkausweis`);
    await landed('start');
    await press(page.locator('form[action$="/start"] button.kern-btn--primary'), 'person');

    // Item 8: the e-mail address is marked optional once, by KERN's marker; the label itself says nothing.
    const emailLabel = page.locator('label[for="f-antragsteller-email"]');
    assert.equal(((await emailLabel.textContent()) ?? '').replace(/\s+/g, ' ').trim(), 'E-Mail-Adresse (optional)');
    assert.equal(await emailLabel.locator('.kern-label__optional').count(), 1);
    assert.equal(await page.locator('main').getByText('freiwillig').count(), 0);

    // Item 3 and 4: messages in words naming the field; a birth date ahead is refused.
    await page.fill('[name="antragsteller.familienname"]', 'Huber');
    await page.fill('[name="antragsteller.geburtsdatum.day"]', '1');
    await page.fill('[name="antragsteller.geburtsdatum.month"]', '5');
    await page.fill('[name="antragsteller.geburtsdatum.year"]', '2099');
    await press(continueButton(), 'person: errors');
    assert.equal(await errorOf('f-antragsteller-vorname'), 'Fehler: Geben Sie Ihren Vornamen ein.');
    assert.equal(await errorOf('f-antragsteller-geburtsdatum'), 'Fehler: Geben Sie für Ihr Geburtsdatum ein Datum bis heute ein; es kann nicht in der Zukunft liegen.');
    await page.fill('[name="antragsteller.vorname"]', 'Anna');
    await page.fill('[name="antragsteller.geburtsdatum.year"]', '78');
    await press(continueButton(), 'person: two-digit year');
    assert.equal(await errorOf('f-antragsteller-geburtsdatum'), 'Fehler: Geben Sie das Jahr vierstellig ein, zum Beispiel 1978 statt 78.');
    await page.fill('[name="antragsteller.geburtsdatum.year"]', '1978');
    await press(continueButton(), 'address');

    await page.fill('[name="antragsteller.anschrift.strasse"]', 'Marienplatz');
    await page.fill('[name="antragsteller.anschrift.hausnummer"]', '8  rgb.');
    await page.fill('[name="antragsteller.anschrift.plz"]', '80331');
    await page.fill('[name="antragsteller.anschrift.ort"]', 'München');
    await press(continueButton(), 'vehicle');

    await page.fill('[name="fahrzeug.kennzeichen"]', 'm-ah 1234');
    await page.check('#f-fahrzeug-fahrzeugart');
    await page.fill('[name="fahrzeug.gesamtmasseKg"]', '1.850');
    await page.locator('input[name="fahrzeug.nutzung"][value="firmenwagen"]').check();
    await press(continueButton(), 'term');

    // Item 5: Bayern issues for at most 2 years: two radios, each with its fee.
    const terms = await page.locator('input[name="ausweis.jahre"]').evaluateAll((inputs) => inputs.map((i) => `${(i as HTMLInputElement).value}: ${(document.querySelector(`label[for="${i.id}"]`)?.textContent ?? '').trim()}`));
    assert.deepEqual(terms, ['1: 1 Jahr – 30,00\u00a0€', '2: 2 Jahre – 60,00\u00a0€']);
    await page.locator('input[name="ausweis.jahre"][value="2"]').check();
    await press(continueButton(), 'documents');

    // Item 6: one hint with the limits; a text file named scan.pdf is told it is no PDF.
    const hint = page.locator('#f-nachweise-meldebescheinigung-hint');
    assert.equal(((await hint.textContent()) ?? '').trim(), 'PDF, JPEG oder PNG, höchstens 10 MB je Datei.');
    assert.equal(await page.locator('main').getByText('10 MB').count(), 2, 'once per file field, never twice for one');
    await page.setInputFiles('#f-nachweise-meldebescheinigung', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('only text, no PDF\n') });
    await page.setInputFiles('#f-nachweise-nutzungsnachweis', { name: 'arbeitgeber.pdf', mimeType: 'application/pdf', buffer: pdfWith('Bescheinigung des Arbeitgebers') });
    await press(continueButton(), 'documents: no real PDF');
    assert.match(await errorOf('f-nachweise-meldebescheinigung'), /^Fehler: Die Datei „scan\.pdf“ ist keine echte PDF-Datei\./);
    await page.setInputFiles('#f-nachweise-meldebescheinigung', { name: 'meldebescheinigung.pdf', mimeType: 'application/pdf', buffer: pdfWith('Meldebescheinigung Anna Huber') });
    await press(continueButton(), 'check');

    // Normalised values are what the check page shows; no optional marker in the summary.
    const summary = ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
    for (const shown of ['M-AH 1234', '1850', 'Marienplatz 8 rgb., 80331 München', '2 Jahre', '60,00']) assert.ok(summary.includes(shown), `the check page shows ${shown}`);
    assert.doesNotMatch(summary, /\(optional\)|freiwillig/);

    // The uploaded files as a list, each with its own remove button; removing one shows the step again.
    await page.goto(`${stack.url}/by/bewohnerparkausweis/nachweise?zurueck=pruefen`);
    await landed('documents: uploaded files');
    const files = page.locator('ul.efa-files li.efa-file');
    assert.equal(await files.count(), 2);
    assert.deepEqual(await page.locator('ul.efa-files button.efa-file__remove').allTextContents(), ['Entfernen meldebescheinigung.pdf', 'Entfernen arbeitgeber.pdf']);
    assert.equal(await page.locator('main input[type="checkbox"]').count(), 0, 'no cramped checkboxes');
    const box = await page.locator('ul.efa-files button.efa-file__remove').first().boundingBox();
    assert.ok(box && box.height < 60, `the remove button is one line high (${box?.height}px)`);
    assert.match(((await page.locator('#f-nachweise-meldebescheinigung-replace').textContent()) ?? ''), /Um die Datei zu ersetzen, wählen Sie unten eine andere aus\./);
    await press(page.locator('button.efa-file__remove[value]').nth(1), 'documents: one removed');
    assert.match(page.url(), /\/by\/bewohnerparkausweis\/nachweise\?zurueck=pruefen$/);
    assert.deepEqual(await page.locator('ul.efa-files .efa-file__name').allTextContents(), ['meldebescheinigung.pdf']);
  });

  test('no axe violations and no Nu HTML Checker errors on the pages shown', async () => {
    assert.ok(served.length >= 10, `${served.length} pages checked`);
    assert.equal(violations.size, 0, report(violations));
    const nu = await vnuErrors(served);
    assert.equal(nu.size, 0, report(nu));
  });
});
