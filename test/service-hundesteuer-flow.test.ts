import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { decryptWith } from '../src/crypto/jwe.js';
import { Browser } from './support/browser.js';
import { extractErrors, follow } from './support/answers.js';
import { waitUntil } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * Hundesteuer, the service's own acceptance walk: three dogs, one of them of a breed that NW and BY
 * list as dangerous (American Staffordshire Terrier, code 286) with its certificate as a PDF, over
 * HTTP without JavaScript, in three Länder, to the municipal tax offices of the demo directory:
 * Kiel (webhook), Lübeck (FIT-Connect), Köln (XTA), München (OSCI) and Bonn (pull API). SH lists
 * no breed: there the certificate is never asked for, and nothing is attached.
 */
const SERVICE = 'hundesteuer';
const PULL_API = '/_efa/api/v1';

/** A small but real PDF: file-type recognises it by its header. */
const CERTIFICATE = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% Wesenstest bestanden, Rocky, 2025\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

interface Place { tenant: string; plz: string; ort: string; authority: string; transport: string }
const PLACES: Place[] = [
  { tenant: 'sh', plz: '24103', ort: 'Kiel', authority: 'kiel-hundesteuer', transport: 'webhook' },
  { tenant: 'sh', plz: '23552', ort: 'Lübeck', authority: 'luebeck-hundesteuer', transport: 'fit-connect' },
  { tenant: 'nw', plz: '50667', ort: 'Köln', authority: 'koeln-hundesteuer', transport: 'xta' },
  { tenant: 'by', plz: '80331', ort: 'München', authority: 'muenchen-hundesteuer', transport: 'osci' },
  { tenant: 'nw', plz: '53111', ort: 'Bonn', authority: 'bonn-hundesteuer', transport: 'pull' },
];

function dog(n: number, name: string, rasse: string, geschlecht: 'huendin' | 'ruede', born: [string, string, string]): Record<string, string> {
  const p = `hunde.${n - 1}`;
  return {
    [`${p}.name`]: name, [`${p}.rasse`]: rasse, [`${p}.geschlecht`]: geschlecht,
    [`${p}.wurfdatum.day`]: born[0], [`${p}.wurfdatum.month`]: born[1], [`${p}.wurfdatum.year`]: born[2],
    [`${p}.haltungsbeginn.day`]: '1', [`${p}.haltungsbeginn.month`]: '6', [`${p}.haltungsbeginn.year`]: '2025',
  };
}


describe('Hundesteuer: three dogs with a certificate, walked without JavaScript in SH, NW and BY, to every transport', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  /** Up to the dogs' step; returns on the first row's page (the group needs one and has none). */
  async function begin(place: Place): Promise<Browser> {
    const b = new Browser(stack.url);
    const start = await b.get(`/${place.tenant}/${SERVICE}`);
    assert.equal(start.status, 200, `${place.tenant} offers the service`);
    await follow(b, await b.submit({}, '/start'), 'start');
    await follow(b, await b.submit({ 'halter.vorname': 'Erika', 'halter.familienname': 'Mustermann', 'halter.geburtsdatum.day': '12', 'halter.geburtsdatum.month': '5', 'halter.geburtsdatum.year': '1985' }), 'keeper');
    const at = await follow(b, await b.submit({ 'halter.anschrift.strasse': 'Hauptstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': place.plz, 'halter.anschrift.ort': place.ort }), 'address');
    assert.equal(at, `/${place.tenant}/${SERVICE}/hunde`);
    if (lists(place)) {
      assert.match(b.lastHtml, /action="[^"]*\/hunde\/1"[^>]*enctype="multipart\/form-data"|enctype="multipart\/form-data"[^>]*action="[^"]*\/hunde\/1"/, 'the row holds a file field: a multipart form');
      // Without JavaScript the certificate is shown with its condition in words (revealed by the browser otherwise).
      assert.match(b.lastHtml, /Nur wenn Sie eine Rasse gewählt haben, die Ihr Land als gefährlich einstuft\./);
    } else {
      assert.doesNotMatch(b.lastHtml, /name="hunde\.0\.nachweis"|Nachweis für eine gelistete Rasse/, 'a Land that lists no breed never asks for the certificate');
      assert.doesNotMatch(b.lastHtml, /multipart\/form-data/);
    }
    // The breeds go by name, not by their code in the list.
    const breeds = [...b.lastHtml.matchAll(/<option value="[^"]+"[^>]*>([^<]+)<\/option>/g)].map((m) => m[1] as string);
    assert.ok(breeds.length > 10, 'the breed list is offered');
    assert.deepEqual(breeds, [...breeds].sort(new Intl.Collator('de', { sensitivity: 'base', numeric: true }).compare));
    return b;
  }

  async function threeDogs(b: Browser, place: Place): Promise<void> {
    const post = (fields: Record<string, string>) => (lists(place) ? b.submitMultipart(fields, []) : b.submit(fields));
    // A certificate sent anyway for a breed the Land does not list is neither kept nor sent (one attachment arrives: Rocky's).
    const unasked = [{ name: 'hunde.0.nachweis', filename: 'Unnötig.pdf', type: 'application/pdf', content: CERTIFICATE }];
    await follow(b, await (lists(place) ? b.submitMultipart(dog(1, 'Bello', '122', 'ruede', ['1', '4', '2023']), unasked) : post(dog(1, 'Bello', '122', 'ruede', ['1', '4', '2023']))), 'dog 1');
    assert.doesNotMatch(b.lastHtml, /Unnötig/);
    await follow(b, await b.submit({ aktion: 'hinzufuegen' }), 'add dog 2');
    await follow(b, await post(dog(2, 'Luna', 'X900', 'huendin', ['10', '2', '2024'])), 'dog 2');
    await follow(b, await b.submit({ aktion: 'hinzufuegen' }), 'add dog 3');
    if (!lists(place)) {
      await follow(b, await post(dog(3, 'Rocky', '286', 'ruede', ['15', '8', '2022'])), 'dog 3, no certificate asked');
    } else {
      // NW and BY list the breed: without its certificate the row is refused, naming the row.
      const refused = await b.submitMultipart(dog(3, 'Rocky', '286', 'ruede', ['15', '8', '2022']), []);
      assert.equal(refused.status, 400);
      assert.match(refused.html, /Für einen Hund dieser Rasse laden Sie bitte den Nachweis hoch/);
      assert.doesNotMatch(extractErrors(refused.html), /Hund 3: /, 'on the row\'s own page the message does not repeat the row\'s name');
      await follow(b, await b.submitMultipart(dog(3, 'Rocky', '286', 'ruede', ['15', '8', '2022']), [{ name: 'hunde.2.nachweis', filename: 'Wesenstest Rocky.pdf', type: 'application/pdf', content: CERTIFICATE }]), 'dog 3 with its certificate');
    }
    assert.match(b.lastHtml, /Rocky/);
    const check = await follow(b, await b.submit({}), 'continue to the check page');
    assert.equal(check, `/${place.tenant}/${SERVICE}/pruefen`);
  }

  for (const place of PLACES) {
    test(`${place.ort} (${place.tenant.toUpperCase()}, ${place.transport}): ${lists(place) ? 'the certificate arrives intact' : 'no certificate asked or sent'}`, async () => {
      const b = await begin(place);
      await threeDogs(b, place);
      if (lists(place)) assert.match(b.lastHtml, /Wesenstest Rocky\.pdf/, 'the check page shows the file');
      else assert.doesNotMatch(b.lastHtml, /Nachweis/, 'the check page asks for no certificate');
      assert.match(b.lastHtml, /href="\/[a-z]{2}\/hundesteuer\/hunde\/3\?zurueck(=|&#x3D;)pruefen"/, 'each dog has its own change link');
      assert.match(b.lastHtml, /Voraussichtliche Hundesteuer im Jahr/, 'the service shows the expected tax, not a fee');
      assert.doesNotMatch(b.lastHtml, />Gebühr</);
      if (place.ort === 'München') assert.match(b.lastHtml, /1\.000,00\s€/, 'München: 100 € + 100 € + 800 € for the listed dog');
      if (place.ort === 'Kiel') assert.match(b.lastHtml, /510,00\s€/, 'Kiel: 150 € + 180 € + 180 € (SH lists no breed)');

      const done = await b.submit({}, '/absenden');
      assert.equal(done.status, 303, extractErrors(done.html));
      const id = (done.location as string).split('/').pop() as string;

      if (place.transport === 'pull') {
        await pullAndVerify(place, id);
        return;
      }
      await waitUntil(() => stack.inbox.get(id) !== undefined, 30_000, `${place.ort}: submission at the receiver`);
      const received = stack.inbox.get(id);
      assert.ok(received);
      assert.equal(received.authorityId, place.authority);
      assert.equal(received.transport, place.transport);
      if (!lists(place)) {
        assert.equal(received.attachments.length, 0);
        assert.doesNotMatch(documentOf(received.document, received.mediaType), /nachweis/i);
        return;
      }
      assert.equal(received.attachments.length, 1);
      const [file] = received.attachments;
      assert.equal(file?.filename, 'Wesenstest Rocky.pdf');
      assert.equal(file?.mediaType, 'application/pdf');
      assert.equal(file?.sha512, sha512(CERTIFICATE), 'the receiver verified the hash it was given');
      assert.ok(file?.bytes.equals(CERTIFICATE), 'byte for byte');
      const doc = documentOf(received.document, received.mediaType);
      assert.match(doc, /Rocky/);
      assert.match(doc, new RegExp(sha512(CERTIFICATE)), 'the payload lists the certificate with its hash');
    });
  }

  async function pullAndVerify(place: Place, id: string): Promise<void> {
    const credentials = stack.pullCredentials.find((c) => c.authorityId === place.authority);
    assert.ok(credentials, `${place.authority} has a pull client`);
    const tokenRes = await fetch(`${stack.url}/_efa/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const auth = { authorization: `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
    const keys = JSON.parse(readFileSync(`routing/demo-private/${place.authority}.json`, 'utf8')) as { decryptionKey: JWK };
    const list = (await (await fetch(`${stack.url}${PULL_API}/submissions/${id}/attachments`, { headers: auth })).json()) as { attachments: Array<{ filename: string; href: string; hash: { content: string } }> };
    assert.equal(list.attachments.length, 1);
    const item = list.attachments[0] as { filename: string; href: string; hash: { content: string } };
    assert.equal(item.filename, 'Wesenstest Rocky.pdf');
    const res = await fetch(`${stack.url}${item.href}`, { headers: auth });
    assert.equal(res.status, 200);
    const { plaintext } = await decryptWith(keys.decryptionKey, await res.text());
    assert.equal(sha512(plaintext), item.hash.content, 'the authority verifies the hash it was given');
    assert.ok(Buffer.from(plaintext).equals(CERTIFICATE));
  }
});

/** Whether the Land lists breeds as dangerous (SH lists none): only then is a certificate asked for. */
function lists(place: Place): boolean {
  return place.tenant !== 'sh';
}

function documentOf(text: string, mediaType: string): string {
  return mediaType === 'application/json' ? JSON.stringify(JSON.parse(text)) : text;
}
