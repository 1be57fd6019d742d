import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Browser } from './support/browser.js';
import { extractErrors, follow, pdfWith } from './support/answers.js';
import { waitUntil } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * Bewohnerparkausweis, walked without JavaScript: a company car in München (OSCI) needs the proof
 * of use besides the registration certificate; the fee is the city's yearly fee times the years.
 */
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');


describe('Bewohnerparkausweis: a company car in München, with two documents, over OSCI', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('3.5 t is the limit, the proof of use is asked only for a car that is not one\'s own, both files arrive', async () => {
    const b = new Browser(stack.url);
    assert.equal((await b.get('/by/bewohnerparkausweis')).status, 200);
    await follow(b, await b.submit({}, '/start'), 'start');
    // Everyday input (issue 23): a birth date ahead and a two-digit year each get their own message.
    const person = { 'antragsteller.vorname': 'Anna', 'antragsteller.familienname': 'Huber', 'antragsteller.geburtsdatum.day': '28', 'antragsteller.geburtsdatum.month': '2' };
    const unborn = await b.submit({ ...person, 'antragsteller.geburtsdatum.year': '2099' });
    assert.equal(unborn.status, 400);
    assert.match(extractErrors(unborn.html), /Geben Sie für Ihr Geburtsdatum ein Datum bis heute ein; es kann nicht in der Zukunft liegen\./);
    const short = await b.submit({ ...person, 'antragsteller.geburtsdatum.year': '78' });
    assert.match(extractErrors(short.html), /Geben Sie das Jahr vierstellig ein, zum Beispiel 1978 statt 78\./);
    await follow(b, await b.submit({ ...person, 'antragsteller.geburtsdatum.year': '1978' }), 'person');
    await follow(b, await b.submit({ 'antragsteller.anschrift.strasse': 'Marienplatz', 'antragsteller.anschrift.hausnummer': '8', 'antragsteller.anschrift.plz': '80331', 'antragsteller.anschrift.ort': 'München' }), 'address');
    const heavy = await b.submit({ 'fahrzeug.kennzeichen': 'M-AH 1234', 'fahrzeug.fahrzeugart': 'wohnmobil', 'fahrzeug.gesamtmasseKg': '3800', 'fahrzeug.nutzung': 'firmenwagen' });
    assert.equal(heavy.status, 400);
    assert.match(heavy.html, /nur für Fahrzeuge bis 3,5 Tonnen/);
    const plate = await b.submit({ 'fahrzeug.kennzeichen': 'MAH1234', 'fahrzeug.fahrzeugart': 'pkw', 'fahrzeug.gesamtmasseKg': '1850', 'fahrzeug.nutzung': 'firmenwagen' });
    assert.equal(plate.status, 400);
    assert.match(extractErrors(plate.html), /Geben Sie das Kennzeichen mit einem Bindestrich nach dem Ortskürzel ein, wie auf dem Schild, zum Beispiel M-AB 1234\./);
    // As typed: lower case, and the weight with a thousands point; stored as on the plate and as a number.
    await follow(b, await b.submit({ 'fahrzeug.kennzeichen': 'm-ah 1234', 'fahrzeug.fahrzeugart': 'pkw', 'fahrzeug.gesamtmasseKg': '1.850', 'fahrzeug.nutzung': 'firmenwagen' }), 'vehicle');
    // The term: only what Bayern issues (at most 2 years), each with its fee; 3 is refused by the server too.
    const terms = [...b.lastHtml.matchAll(/<input class="kern-form-check__radio" type="radio" id="[^"]+" name="ausweis\.jahre" value="([0-9])">\s*<label class="kern-label" for="[^"]+">([^<]+)<\/label>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(terms, [['1', '1 Jahr – 30,00\u00a0€'], ['2', '2 Jahre – 60,00\u00a0€']]);
    const tooLong = await b.submit({ 'ausweis.jahre': '3' });
    assert.equal(tooLong.status, 400, 'München issues for at most 2 years');
    assert.match(extractErrors(tooLong.html), /„3 Jahre“ ist hier nicht möglich\. Wählen Sie eine der angebotenen Möglichkeiten: 1 Jahr, 2 Jahre\./);
    await follow(b, await b.submit({ 'ausweis.jahre': '2' }), 'term');

    assert.match(b.lastHtml, /Nachweis der dauerhaften Nutzung/, 'a company car: the proof of use is asked');
    const melde = pdfWith('Meldebescheinigung Anna Huber');
    const proof = pdfWith('Bescheinigung des Arbeitgebers');
    const missing = await b.submitMultipart({}, [{ name: 'nachweise.meldebescheinigung', filename: 'meldebescheinigung.pdf', type: 'application/pdf', content: melde }]);
    assert.equal(missing.status, 400);
    assert.match(missing.html, /Laden Sie den Nachweis hoch, dass Sie das Fahrzeug dauerhaft nutzen/);
    const kept = /name="nachweise\.meldebescheinigung\.keep" value="([0-9a-f-]{36})"/.exec(missing.html)?.[1];
    assert.ok(kept, 'the accepted file stays for the next try');
    await follow(b, await b.submitMultipart({ 'nachweise.meldebescheinigung.keep': kept }, [{ name: 'nachweise.nutzungsnachweis', filename: 'arbeitgeber.pdf', type: 'application/pdf', content: proof }]), 'documents');

    assert.match(b.lastHtml, /Gebühr/);
    assert.match(b.lastHtml, /M-AH 1234/, 'the plate as normalised');
    assert.match(b.lastHtml, />1850</, 'the weight as a number');
    assert.match(b.lastHtml, /2 Jahre/, 'the term by its option label');
    assert.match(b.lastHtml, /60,00\s€/, '2 years at 30 € (Bayern)');
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const id = (done.location as string).split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(id) !== undefined, 30_000, 'at the receiver');
    const received = stack.inbox.get(id);
    assert.equal(received?.authorityId, 'muenchen-bewohnerparken');
    assert.equal(received?.transport, 'osci');
    assert.deepEqual(received?.attachments.map((a) => [a.filename, a.sha512]).sort(), [['arbeitgeber.pdf', sha512(proof)], ['meldebescheinigung.pdf', sha512(melde)]]);
    const doc = JSON.parse(received?.document ?? '{}') as { fee: { cents: number }; derived: { fremdfahrzeug: boolean } };
    assert.equal(doc.fee.cents, 6000);
    assert.equal(doc.derived.fremdfahrzeug, true);
  });
});
