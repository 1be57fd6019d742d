import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Browser } from './support/browser.js';
import { follow } from './support/answers.js';
import { editJson } from './support/declarations.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { readPdf, squeeze } from './support/pdf.js';
import { addPlaceService, KIEL, KOELN } from './support/place-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * A place without a connected office is told on the step that names the place, with whom to ask
 * and the answers so far as a PDF, not on the check page after every other step. Test data only:
 * SH's places go to SH's office; Köln's office is known (with its contact) but not connected to
 * this service; nobody is responsible for the rest of NW (Bonn).
 */
const SERVICE = 'platznutzung-luecke';
const KOELN_OFFICE = {
  id: 'test-koeln-platzamt', name: 'Stadt Köln – Platzamt (Test)', nameEn: 'City of Cologne – Place Office (test)',
  address: { street: 'Willy-Brandt-Platz 2', postalCode: '50679', city: 'Köln' }, contact: { email: 'platzamt@koeln.example', phone: '+49 221 0000 0001' },
};
const BONN = { strasse: 'Altes Rathaus', hausnummer: '1', plz: '53111', ort: 'Bonn', ars: '053140000000' };
const NAME = 'Erika Lückenfinderin';

const placeAnswers = (anschrift: { strasse: string; hausnummer: string; plz: string; ort: string }) => ({
  name: NAME, 'anschrift.strasse': anschrift.strasse, 'anschrift.hausnummer': anschrift.hausnummer, 'anschrift.plz': anschrift.plz, 'anschrift.ort': anschrift.ort,
});

describe('a place with no connected office is told at once', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-no-office-');
    await addPlaceService(temp.root, { id: SERVICE, leikaKey: '99999999999105' });
    editJson(join(temp.root, 'routing', `${SERVICE}.json`), (doc) => {
      doc.authorities = [KOELN_OFFICE];
      doc.responsibilities = [{ leikaKey: '99999999999105', arsPrefix: '01', authorityId: 'land-sh' }, { leikaKey: '99999999999105', arsPrefix: '05315', authorityId: KOELN_OFFICE.id }];
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  async function afterPlace(b: Browser, anschrift: typeof KIEL): Promise<{ status: number; html: string; location?: string }> {
    assert.equal((await b.get(`/sh/${SERVICE}`)).status, 200);
    await follow(b, await b.submit({}, '/start'), 'start');
    return b.submit(placeAnswers(anschrift));
  }

  test('Köln: the place step leads to the page naming the office that is responsible, with its contact and a PDF of the answers', async () => {
    const b = new Browser(stack.url);
    const res = await afterPlace(b, KOELN);
    assert.equal(res.status, 303);
    assert.equal(res.location, `/sh/${SERVICE}/keine-stelle`, 'not on to the next step');
    const page = await b.get(res.location as string);
    assert.equal(page.status, 200);
    assert.match(page.html, /Für Köln, Stadt können Sie diesen Antrag hier nicht stellen/);
    assert.match(page.html, /Stadt Köln – Platzamt \(Test\)/);
    assert.match(page.html, /Willy-Brandt-Platz 2/);
    assert.match(page.html, /mailto:platzamt@koeln\.example/);
    const pdfHref = /href="([^"]+angaben\.pdf)"/.exec(page.html)?.[1] as string;
    assert.equal(pdfHref, `/sh/${SERVICE}/angaben.pdf`);

    const pdf = await fetch(`${stack.url}${pdfHref}`, { headers: { cookie: b.cookieHeader() } });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(pdf.headers.get('cache-control'), 'no-store');
    const read = await readPdf(Buffer.from(await pdf.arrayBuffer()));
    const text = squeeze(read.text);
    for (const expected of ['Ihre Angaben (nicht abgesendet)', NAME, 'Domkloster', KOELN_OFFICE.name, 'Seite 1 von']) assert.ok(text.includes(squeeze(expected)), `the PDF has "${expected}"`);
    assert.equal(read.title, 'Ihre Angaben (nicht abgesendet)');

    // Another browser has no draft here: the PDF is not there for it.
    assert.notEqual((await fetch(`${stack.url}${pdfHref}`)).headers.get('content-type'), 'application/pdf');

    // The check page says it too, and links here.
    const check = await b.get(`/sh/${SERVICE}/pruefen`);
    assert.match(check.html, /href="\/sh\/platznutzung-luecke\/keine-stelle"/);
    assert.doesNotMatch(check.html, /action="\/sh\/platznutzung-luecke\/absenden"/, 'no submit button');
  });

  test('Bonn: nobody is responsible in the routing data, so the applicant is sent to the municipality', async () => {
    const b = new Browser(stack.url);
    const res = await afterPlace(b, BONN);
    assert.equal(res.location, `/sh/${SERVICE}/keine-stelle`);
    const page = await b.get(res.location as string);
    assert.match(page.html, /Ihre Gemeinde Bonn, Stadt sagt Ihnen, welche Stelle zuständig ist/);
    assert.match(page.html, /href="\/sh\/kontakt"/);
  });

  test('Kiel: connected, so on to the next step; changing Köln to Kiel leads on, and the page then redirects', async () => {
    const kiel = new Browser(stack.url);
    assert.equal((await afterPlace(kiel, KIEL)).location, `/sh/${SERVICE}/zeitraum`);

    const b = new Browser(stack.url);
    await follow(b, await afterPlace(b, KOELN), 'Köln');
    const change = /class="kern-link efa-change-place" href="([^"]+)"/.exec(b.lastHtml)?.[1] as string;
    assert.equal(change, `/sh/${SERVICE}/ort`);
    await b.get(change);
    assert.match(b.lastHtml, /value="Domkloster"/, 'the answers are kept');
    const res = await b.submit(placeAnswers(KIEL));
    assert.equal(res.location, `/sh/${SERVICE}/zeitraum`);
    const stale = await b.get(`/sh/${SERVICE}/keine-stelle`);
    assert.equal(stale.status, 303, 'with an office now, the page leads back to the form');
  });

  test('a later step posted with the same place is not interrupted again', async () => {
    const b = new Browser(stack.url);
    await follow(b, await afterPlace(b, KOELN), 'Köln');
    await b.get(`/sh/${SERVICE}/zeitraum`);
    const res = await b.submit({ 'zeitraum.von.day': '1', 'zeitraum.von.month': '3', 'zeitraum.von.year': '2027', 'zeitraum.bis.day': '5', 'zeitraum.bis.month': '3', 'zeitraum.bis.year': '2027' });
    assert.equal(res.location, `/sh/${SERVICE}/pruefen`);
  });
});
