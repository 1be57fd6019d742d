import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './support/browser.js';
import { activity, extractErrors, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';

describe('a full Gewerbeanmeldung over HTTP, without JavaScript, against PostgreSQL', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('Schleswig-Holstein: GmbH in Kiel, through every step to the Kiel trade office', async () => {
    const b = new Browser(stack.url);
    const start = await b.get('/sh/gewerbeanmeldung');
    assert.equal(start.status, 200);
    assert.match(start.html, /Serviceportal Schleswig-Holstein/);
    assert.match(start.html, /href="\/sh\/theme.css"/);
    assert.match(start.html, /26,00\s€/, 'fee from the SH parameter');
    assert.match(start.html, /Gebühr nach Eingang der Rechnung/, 'the Land\'s notice');

    const first = await b.submit({}, '/start');
    assert.equal(first.status, 303);
    assert.equal(first.location, '/sh/gewerbeanmeldung/person');
    await b.get(first.location as string);
    assert.match(b.lastHtml, /Gewerbeanmeldung · Schritt 1<\/p>/, 'the register step appears only for some legal forms: no total that would change from "1 von 4" to "3 von 5"');

    assert.equal(await step(b, person), '/sh/gewerbeanmeldung/betrieb');
    assert.equal(await step(b, { 'betrieb.name': 'Bäckerei Mustermann GmbH', 'betrieb.rechtsform': 'gmbh', 'betrieb.anzeigegrund': 'neuerrichtung', 'betrieb.telefon': '0431 123456' }), '/sh/gewerbeanmeldung/register', 'a GmbH gets the register step');
    assert.equal(await step(b, { 'betrieb.registergericht': 'Amtsgericht Kiel', 'betrieb.registernummer': 'HRB 12345' }), '/sh/gewerbeanmeldung/anschrift');
    assert.equal(await step(b, { 'betrieb.anschrift.strasse': 'Holstenstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' }), '/sh/gewerbeanmeldung/taetigkeit');
    assert.doesNotMatch(b.lastHtml, /übernommenen Betriebs/, 'conditional field hidden for a new business');
    assert.equal(await step(b, activity()), '/sh/gewerbeanmeldung/pruefen');

    assert.match(b.lastHtml, /Angaben prüfen/);
    assert.match(b.lastHtml, /Bäckerei Mustermann GmbH/);
    assert.match(b.lastHtml, /12\. Mai 1985/);
    assert.match(b.lastHtml, /Holstenstraße 1, 24103 Kiel/);
    assert.match(b.lastHtml, /Landeshauptstadt Kiel – Gewerbeangelegenheiten/);
    assert.match(b.lastHtml, /Gebühr und zuständige Stelle/);
    assert.match(b.lastHtml, />Gebühr<\/dt><dd class="kern-description-list-item__value">26,00\s€</, 'the fee, as service.json "display" declares it');
    assert.match(b.lastHtml, /href="\/sh\/gewerbeanmeldung\/register\?zurueck(=|&#x3D;)pruefen"/, 'change links');

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const confirmation = await b.get(done.location as string);
    const reference = /class="efa-reference">([^<]+)</.exec(confirmation.html)?.[1];
    assert.match(reference ?? '', /^SH-\d{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    assert.equal(b.cookie('efa_draft_gewerbeanmeldung'), undefined, 'draft cookie cleared');

    await stack.rt.delivery?.drain();
    const id = (done.location as string).split('/').pop() as string;
    const received = stack.inbox.get(id);
    assert.ok(received, 'the local receiver got the submission');
    assert.equal(received.authorityId, 'gewerbeamt-kiel');
    assert.equal(received.transport, 'webhook');
    assert.equal(received.reference, reference);
    const doc = JSON.parse(received.document) as { data: { betrieb: { anschrift: { ars: string }; registernummer: string } }; derived: { handelsregisterpflichtig: boolean }; fee: { cents: number } };
    assert.equal(doc.data.betrieb.anschrift.ars, '010020000000');
    assert.equal(doc.data.betrieb.registernummer, 'HRB 12345');
    assert.equal(doc.derived.handelsregisterpflichtig, true);
    assert.equal(doc.fee.cents, 2600);

    const status = await b.get(`/sh/status/${id}`);
    assert.match(status.html, /data-status="delivered"/);
    const attempts = await stack.rt.db.query<{ outcome: string; receipt: { verified: boolean } }>('SELECT outcome, receipt FROM delivery_attempts WHERE submission_id = $1', [id]);
    assert.equal(attempts.rows[0]?.outcome, 'delivered');
    assert.equal(attempts.rows[0]?.receipt.verified, true, 'receipt signed by the authority and verified');
    const stored = await stack.rt.db.query<{ payload_jwe: string }>('SELECT payload_jwe FROM submissions WHERE id = $1', [id]);
    assert.doesNotMatch(stored.rows[0]?.payload_jwe ?? '', /Mustermann/, 'no plaintext in the central database');
  });

  test('Nordrhein-Westfalen: takeover of a sole proprietorship in Köln, XML to the Köln trade office', async () => {
    const b = new Browser(stack.url);
    await b.get('/nw/gewerbeanmeldung');
    assert.match(b.lastHtml, /Wirtschafts-Service-Portal\.NRW/);
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    assert.equal(await step(b, { 'betrieb.name': 'Kiosk am Dom', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'uebernahme' }), '/nw/gewerbeanmeldung/anschrift', 'no register step for a sole proprietorship');
    await step(b, { 'betrieb.anschrift.strasse': 'Domkloster', 'betrieb.anschrift.hausnummer': '4', 'betrieb.anschrift.plz': '50667', 'betrieb.anschrift.ort': 'Köln' });
    assert.match(b.lastHtml, /Name des übernommenen Betriebs/, 'conditional field shown for a takeover');
    assert.match(b.lastHtml, /<label class="kern-label" for="f-taetigkeit-vorbetrieb">Name des übernommenen Betriebs<\/label>/, 'a takeover needs the name: the label does not say optional');
    // Posted empty: the rule's message comes in the same round as the other fields' errors, not after them.
    const empty = await b.submit({});
    assert.equal(empty.status, 400);
    assert.match(empty.html, /Geben Sie die angemeldete Tätigkeit ein\./);
    assert.match(empty.html, /href="#f-taetigkeit-vorbetrieb">Geben Sie den Namen des übernommenen Betriebs an/);
    const missing = await b.submit(activity());
    assert.equal(missing.status, 400);
    assert.match(missing.html, /Geben Sie den Namen des übernommenen Betriebs an/);
    assert.equal(await step(b, activity({ 'taetigkeit.vorbetrieb': 'Kiosk Schmitz' })), '/nw/gewerbeanmeldung/pruefen');
    assert.match(b.lastHtml, /20,00\s€/, 'NW fee parameter');
    const done = await b.submit({}, '/absenden');
    await stack.rt.delivery?.drain();
    const received = stack.inbox.get((done.location as string).split('/').pop() as string);
    assert.ok(received);
    assert.equal(received.authorityId, 'stadt-koeln');
    assert.equal(received.transport, 'xta', 'Köln is connected over XTA');
    assert.equal(received.mediaType, 'application/xml');
    assert.match(received.document, /<vorbetrieb>Kiosk Schmitz<\/vorbetrieb>/);
  });

  test('validation errors are shown on the right fields, in German, with a linked summary', async () => {
    const b = new Browser(stack.url);
    await b.get('/sh/gewerbeanmeldung');
    await b.get((await b.submit({}, '/start')).location as string);
    const res = await b.submit({ 'inhaber.vorname': '', 'inhaber.familienname': 'Muster', 'inhaber.geburtsdatum.day': '31', 'inhaber.geburtsdatum.month': '2', 'inhaber.geburtsdatum.year': '1990', 'inhaber.email': 'kein-at-zeichen' });
    assert.equal(res.status, 400);
    assert.match(res.html, /<title>Fehler: /);
    assert.match(res.html, /<a class="kern-link" href="#f-inhaber-vorname">Geben Sie Ihren Vornamen ein\.<\/a>/);
    assert.match(res.html, /href="#f-inhaber-geburtsdatum">Geben Sie für Ihr Geburtsdatum ein gültiges Datum ein/);
    assert.match(res.html, /href="#f-inhaber-email">Geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein/);
    assert.match(res.html, /href="#f-inhaber-staatsangehoerigkeit">Wählen Sie Ihre Staatsangehörigkeit aus/);
    assert.match(res.html, /id="f-inhaber-vorname-error"/);
    assert.match(res.html, /id="f-inhaber-vorname" name="inhaber\.vorname" type="text" value="" autocomplete="given-name" aria-describedby="f-inhaber-vorname-error" aria-invalid="true"/);
    assert.match(res.html, /value="Muster"/, 'typed answers stay');
    assert.match(res.html, /name="inhaber\.geburtsdatum\.day" inputmode="numeric" value="31"/);

    await step(b, person);
    await step(b, { 'betrieb.name': 'X GmbH', 'betrieb.rechtsform': 'gmbh', 'betrieb.anzeigegrund': 'neuerrichtung' });
    const register = await b.submit({ 'betrieb.registergericht': 'AG Kiel', 'betrieb.registernummer': '12345' });
    assert.equal(register.status, 400);
    assert.match(register.html, /Geben Sie die Handelsregisternummer mit HRA oder HRB und der Nummer an/);

    await step(b, { 'betrieb.registergericht': 'AG Kiel', 'betrieb.registernummer': 'HRB 1' });
    const unknownPlz = await b.submit({ 'betrieb.anschrift.strasse': 'Weg', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '00001', 'betrieb.anschrift.ort': 'Nirgendwo' });
    assert.equal(unknownPlz.status, 400);
    assert.match(unknownPlz.html, /href="#f-betrieb-anschrift-plz">Zur Postleitzahl 00001 ist keine Gemeinde bekannt/);
    const hostile = await b.submit({ 'betrieb.anschrift.strasse': '<script>alert(1)</script>', 'betrieb.anschrift.hausnummer': 'x', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' });
    assert.equal(hostile.status, 400);
    assert.doesNotMatch(hostile.html, /<script>alert/, 'answers are escaped');
    assert.match(hostile.html, /&lt;script&gt;/);
    await step(b, { 'betrieb.anschrift.strasse': 'Weg', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' });
    const minor = await b.submit({ ...activity(), 'taetigkeit.beginn.day': '1', 'taetigkeit.beginn.month': '1', 'taetigkeit.beginn.year': '2000' });
    assert.equal(minor.status, 400);
    assert.match(extractErrors(minor.html), /mindestens 18 Jahre alt/, 'cross-field rule of the service logic');
  });

  test('a returning applicant resumes the draft where they left off', async () => {
    const b = new Browser(stack.url);
    await b.get('/sh/gewerbeanmeldung');
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    const cookie = b.cookie('efa_draft_gewerbeanmeldung') as string;
    assert.ok(cookie);

    const later = new Browser(stack.url);
    later.setCookie('efa_draft_gewerbeanmeldung', cookie);
    const start = await later.get('/sh/gewerbeanmeldung');
    assert.match(start.html, /Sie haben einen angefangenen Antrag/);
    assert.match(start.html, /href="\/sh\/gewerbeanmeldung\/betrieb"/);
    const back = await later.get('/sh/gewerbeanmeldung/person');
    assert.match(back.html, /value="Erika"/);
    assert.match(back.html, /name="inhaber\.geburtsdatum\.year" inputmode="numeric" value="1985"/);

    const stored = await stack.rt.db.query<{ data_enc: Uint8Array }>('SELECT data_enc FROM drafts');
    assert.ok(stored.rows.length > 0);
    for (const row of stored.rows) assert.doesNotMatch(Buffer.from(row.data_enc).toString('latin1'), /Erika/, 'drafts are encrypted at rest');

    const forged = new Browser(stack.url);
    forged.setCookie('efa_draft_gewerbeanmeldung', cookie.replace(/\.[^.]+$/, '.forged'));
    assert.equal((await forged.get('/sh/gewerbeanmeldung/person')).status, 410, 'a tampered cookie finds no draft');

    const otherLand = new Browser(stack.url);
    otherLand.setCookie('efa_draft_gewerbeanmeldung', cookie);
    assert.equal((await otherLand.get('/nw/gewerbeanmeldung/person')).status, 410, 'another Land cannot open the draft');
  });

  test('no responsible authority: the applicant is told before submit and nothing is stored', async () => {
    // Every Land has a fallback in the demo data: the operator takes Hamburg's away, as a gap in real data would be.
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const tokenRes = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const { access_token: accessToken } = (await tokenRes.json()) as { access_token: string };
    const change = await fetch(`${stack.url}/_efa/admin/routing/changes`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ remove: { responsibilities: [{ leikaKey: '99050012104000', arsPrefix: '02' }] } }) });
    assert.equal(change.status, 201, await change.text());
    const b = new Browser(stack.url);
    await b.get('/sh/gewerbeanmeldung');
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    await step(b, { 'betrieb.name': 'Hafenkiosk', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
    // Told right after the step that names the place, not only on the check page.
    const gap = await b.submit({ 'betrieb.anschrift.strasse': 'Jungfernstieg', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '20354', 'betrieb.anschrift.ort': 'Hamburg' });
    assert.equal(gap.location, '/sh/gewerbeanmeldung/keine-stelle');
    assert.match((await b.get(gap.location)).html, /können Sie diesen Antrag hier nicht stellen/);
    await b.get('/sh/gewerbeanmeldung/taetigkeit');
    const token = /name="_csrf" value="([^"]*)"/.exec(b.lastHtml)?.[1] ?? '';
    await step(b, activity());
    assert.match(b.lastHtml, /noch keine zuständige Stelle angebunden/);
    assert.doesNotMatch(b.lastHtml, /action="\/sh\/gewerbeanmeldung\/absenden"/);
    const before = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submissions');
    const forced = await b.post('/sh/gewerbeanmeldung/absenden', `_csrf=${encodeURIComponent(token)}`);
    assert.equal(forced.status, 422);
    const afterCount = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submissions');
    assert.equal(afterCount.rows[0]?.n, before.rows[0]?.n);
  });

  test('a post without CSRF token is refused', async () => {
    const b = new Browser(stack.url);
    await b.get('/sh/gewerbeanmeldung');
    const res = await b.post('/sh/gewerbeanmeldung/start', 'x=1');
    assert.equal(res.status, 403);
  });

  test('pages carry a CSP without inline script', async () => {
    const res = await fetch(`${stack.url}/sh/gewerbeanmeldung`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
  });
});
