import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { loadServices, type LoadedService } from '../src/services/registry.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { buildPayload, MessageInvalidError, MessageMappingError, validateMessage } from '../src/messages/index.js';
import { loadProfile, profileOf, structureProblems, type StructureProfile } from '../src/messages/validate.js';
import { Browser } from './support/browser.js';
import { activity, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';

// The Gewerbeanmeldung's own mapping to XGewerbeanzeige 2.2 (a test of that one service's mapping).
const FORMAT = 'xgewerbeanzeige-2.2';
const NS = 'http://www.xgewerbeanzeige.de/spezifikation/2.2';
const fixture = (name: string) => readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'xgewerbeanzeige', name), 'utf8');

const data = {
  inhaber: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1985-05-12', staatsangehoerigkeit: '151', email: 'erika@example.org' },
  betrieb: {
    name: 'Förde Backwaren GmbH', rechtsform: 'gmbh', anzeigegrund: 'neuerrichtung', registergericht: 'Amtsgericht Kiel', registernummer: 'HRB 12345', telefon: '0431 123456',
    anschrift: { strasse: 'Holstenstraße', hausnummer: '1a', plz: '24103', ort: 'Kiel', ars: '010020000000' },
  },
  taetigkeit: { beschreibung: 'Einzelhandel mit Backwaren', wirtschaftszweig: '47240', betriebsart: 'handwerk', beginn: '2027-03-01', nebenerwerb: true, beschaeftigte: 4 },
};
const meta = { submissionId: '7f0c2d8e-3b1a-4c5d-9e8f-0a1b2c3d4e5f', submittedAt: '2027-02-01T10:00:00.000Z', reference: 'SH-2027-ABCD-EFGH' };
const entry = { authority: { id: 'gewerbeamt-test', name: 'Gewerbeamt Test' }, endpoint: { identifiers: { 'xga.leserPraefix': 'MELDID', 'xga.leserKennung': '01002000', 'xga.autorPraefix': 'MELDID', 'xga.autorKennung': '01002000', 'xga.autorName': 'Online-Dienst Gewerbeanmeldung' } } };

type Ordered = Array<Record<string, unknown>>;
const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false });

/** Every element's path with its text and attributes, in document order. */
function flatten(xml: string): Array<{ path: string; text?: string; attrs: Record<string, string> }> {
  const out: Array<{ path: string; text?: string; attrs: Record<string, string> }> = [];
  const walk = (nodes: Ordered, path: string) => {
    for (const node of nodes) {
      const name = Object.keys(node).find((k) => k !== ':@');
      if (!name || name === '#text' || name === '?xml') continue;
      const children = node[name] as Ordered;
      const text = children.find((c) => '#text' in c)?.['#text'];
      out.push({ path: `${path}/${name}`, text: text === undefined ? undefined : String(text), attrs: (node[':@'] ?? {}) as Record<string, string> });
      walk(children, `${path}/${name}`);
    }
  };
  walk(parser.parse(xml) as Ordered, '');
  return out;
}

function value(flat: ReturnType<typeof flatten>, path: string): string | undefined {
  return flat.find((e) => e.path === path)?.text;
}

describe('Gewerbeanmeldung as XGewerbeanzeige 2.2 abh.gewerbemeldung.0500', () => {
  let service: LoadedService;
  let profile: StructureProfile;

  before(async () => {
    const services = await loadServices(PACKAGE_ROOT, FORMATS_DIR);
    service = services.get('gewerbeanmeldung') as LoadedService;
    profile = loadProfile(FORMAT) as StructureProfile;
  });

  test('the structure profile is KoSIT\'s valid 2.2 example', () => {
    const fromExample = profileOf(fixture('xgwa2.2-valid.xml'));
    assert.equal(profile.namespace, NS);
    assert.equal(profile.root, 'abh.gewerbemeldung.0500');
    const betrieb = 'abh.gewerbemeldung.0500/satz/anmeldung/gewerbe/betrieb';
    assert.deepEqual({ ...profile.order, [betrieb]: profile.order[betrieb]?.filter((n) => n !== 'geschaeftsbezeichnung') }, fromExample.order);
    assert.deepEqual(profile.codes, fromExample.codes);
  });

  test('KoSIT\'s valid example passes the check; its invalid ones are refused, naming what is wrong', () => {
    assert.deepEqual(structureProblems(fixture('xgwa2.2-valid.xml'), profile), []);
    const invalid = structureProblems(fixture('xgwa2.2-invalid.xml'), profile);
    assert.ok(invalid.some((p) => p.includes('gewerbe/betriebArt is required and missing')), invalid.join('\n'));
    assert.ok(invalid.some((p) => p.includes('beteiligtePerson/familienname is required and missing')), invalid.join('\n'));
    for (const older of ['xgwa2.1-invalid-xsd.xml', 'xgwa2.0-invalid-xsd.xml', 'xgwa2.1-valid.xml']) {
      assert.match(structureProblems(fixture(older), profile).join('\n'), /namespace is "http:\/\/www\.xgewerbeanzeige\.de\/spezifikation\/2\.[01]"/, older);
    }
  });

  test('every answer lands in its element, in the standard\'s order, with codes from their lists', async () => {
    const { text, mediaType } = await buildPayload(service, FORMAT, { meta, data, derived: {} }, entry);
    assert.equal(mediaType, 'application/xml');
    assert.deepEqual(structureProblems(text, profile), []);
    const flat = flatten(text);
    const root = flat[0];
    assert.equal(root?.path, '/xga:abh.gewerbemeldung.0500');
    assert.equal(root?.attrs['xmlns:xga'], NS);
    assert.equal(root?.attrs.version, '2.2');
    const K = '/xga:abh.gewerbemeldung.0500/xga:nachrichtenkopf';
    const A = '/xga:abh.gewerbemeldung.0500/xga:satz/xga:anmeldung';
    const G = `${A}/xga:gewerbe`;
    const P = `${G}/xga:beteiligtePerson`;
    const expected: Record<string, string> = {
      [`${K}/xga:identifikation.nachricht/xga:nachrichtenUUID`]: meta.submissionId,
      [`${K}/xga:identifikation.nachricht/xga:nachrichtentyp/code`]: '0500',
      [`${K}/xga:identifikation.nachricht/xga:erstellungszeitpunkt`]: meta.submittedAt,
      [`${K}/xga:leser/xga:behoerdenkennung/xga:praefix/code`]: 'MELDID',
      [`${K}/xga:leser/xga:behoerdenkennung/xga:kennung/code`]: '01002000',
      [`${K}/xga:leser/xga:behoerdenname`]: 'Gewerbeamt Test',
      [`${K}/xga:autor/xga:behoerdenname`]: 'Online-Dienst Gewerbeanmeldung',
      [`${A}/xga:gemeindeSchluessel/code`]: '01002000',
      [`${A}/xga:uuid`]: meta.submissionId,
      [`${G}/xga:betrieb/xga:eingetragenerName`]: data.betrieb.name,
      [`${G}/xga:betrieb/xga:eintragungNr`]: '12345',
      [`${G}/xga:betrieb/xga:eintragungOrt`]: data.betrieb.registergericht,
      [`${G}/xga:betrieb/xga:eintragungArt/code`]: 'B',
      [`${G}/xga:betrieb/xga:rechtsformSchluessel/code`]: '350',
      [`${G}/xga:anzahlVollzeitBeschaeftigte`]: '4',
      [`${G}/xga:betriebArt/xga:industrie/code`]: '0',
      [`${G}/xga:betriebArt/xga:handwerk/code`]: '1',
      [`${G}/xga:betriebArt/xga:handel/code`]: '0',
      [`${G}/xga:betriebArt/xga:sonstiges/code`]: '0',
      [`${G}/xga:istNebenerwerb/code`]: '1',
      [`${G}/xga:anschrift/xga:strasse`]: data.betrieb.anschrift.strasse,
      [`${G}/xga:anschrift/xga:hausNrVon`]: data.betrieb.anschrift.hausnummer,
      [`${G}/xga:anschrift/xga:ort`]: data.betrieb.anschrift.ort,
      [`${G}/xga:anschrift/xga:plz`]: data.betrieb.anschrift.plz,
      [`${P}/xga:personFunktion/code`]: '3',
      [`${P}/xga:familienname`]: data.inhaber.familienname,
      [`${P}/xga:vorname`]: data.inhaber.vorname,
      [`${P}/xga:geburtsdatum`]: '12051985',
      [`${P}/xga:staatangehoerigkeiten/xga:staatsangehoerigkeitSchluessel/code`]: '151',
      [`${A}/xga:gueltigAb`]: data.taetigkeit.beginn,
      [`${A}/xga:datumMeldung`]: '2027-02-01',
      [`${A}/xga:taetigkeitenGesamt/xga:schwerpunkt/xga:taetigkeitSchwerpunkt`]: data.taetigkeit.beschreibung,
      [`${A}/xga:taetigkeitenGesamt/xga:schwerpunkt/xga:taetigkeitSchluessel`]: '47240',
      [`${A}/xga:taetigkeitenGesamt/xga:schwerpunkt/xga:stichwort`]: 'Einzelhandel mit Back- und Süßwaren',
      [`${A}/xga:grundAnmeldungSchluessel/code`]: '01',
    };
    for (const [path, want] of Object.entries(expected)) assert.equal(value(flat, path), want, path);
    const contacts = flat.filter((e) => e.path === `${P}/xga:erreichbarkeit/xga:kennung`).map((e) => e.text);
    assert.deepEqual(contacts, [data.inhaber.email, data.betrieb.telefon]);
    // Codes travel with their list, as XÖV has it (nachrichtentyp's list is fixed by the schema).
    const coded = new Map(flat.filter((e) => e.path.endsWith('/code')).map((e) => [e.path.slice(0, -'/code'.length), e]));
    for (const path of coded.keys()) {
      const el = flat.find((e) => e.path === path) as { attrs: Record<string, string> };
      if (path.endsWith('nachrichtentyp')) continue;
      assert.ok(el.attrs.listVersionID, `${path} has listVersionID`);
      if (!path.endsWith('nationSchluessel')) assert.match(el.attrs.listURI ?? '', /^urn:/, `${path} has listURI`);
    }
    assert.equal(flat.find((e) => e.path === `${G}/xga:betrieb/xga:rechtsformSchluessel`)?.attrs.listURI, 'urn:xoev-de:xgewerbeanzeige:codeliste:rechtsformen');
  });

  test('a business outside the commercial register goes under geschaeftsbezeichnung', async () => {
    const sole = { ...data, betrieb: { ...data.betrieb, rechtsform: 'einzelunternehmen', registergericht: undefined, registernummer: undefined }, taetigkeit: { ...data.taetigkeit, nebenerwerb: false } };
    const { text } = await buildPayload(service, FORMAT, { meta, data: sole, derived: {} }, entry);
    const flat = flatten(text);
    assert.equal(value(flat, '/xga:abh.gewerbemeldung.0500/xga:satz/xga:anmeldung/xga:gewerbe/xga:betrieb/xga:geschaeftsbezeichnung'), data.betrieb.name);
    assert.ok(!flat.some((e) => e.path.endsWith('eingetragenerName') || e.path.endsWith('eintragungArt')));
    assert.equal(value(flat, '/xga:abh.gewerbemeldung.0500/xga:satz/xga:anmeldung/xga:gewerbe/xga:istNebenerwerb/code'), '0');
    assert.equal(value(flat, '/xga:abh.gewerbemeldung.0500/xga:satz/xga:anmeldung/xga:gewerbe/xga:beteiligtePerson/xga:personFunktion/code'), '1');
    assert.deepEqual(structureProblems(text, profile), []);
  });

  test('a value without a code, or a directory entry without the Behördenkennung, is refused before anything is sent', async () => {
    await assert.rejects(buildPayload(service, FORMAT, { meta, data: { ...data, inhaber: { ...data.inhaber, staatsangehoerigkeit: '999' } }, derived: {} }, entry),
      (err: unknown) => err instanceof MessageMappingError && err.code === 'EFA_MESSAGE_CODE_UNKNOWN' && /staatsangehoerigkeitSchluessel/.test(err.message));
    await assert.rejects(buildPayload(service, FORMAT, { meta, data, derived: {} }, { ...entry, endpoint: { identifiers: {} } }),
      (err: unknown) => err instanceof MessageMappingError && err.code === 'EFA_MESSAGE_VALUE_MISSING' && /leser\/xga:behoerdenkennung\/xga:praefix/.test(err.message));
  });
});

describe('the directory entry chooses the format, and a change applies without a restart', () => {
  const ADMIN = '/_efa/admin/routing';
  let stack: TestStack;
  let operator: string;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    operator = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => stack.close());

  /** Kiel's registrations go to a test office that shares the Kiel demo receiver's keys, in the given format. */
  async function route(payloadFormat: string): Promise<void> {
    const services = await loadServices(PACKAGE_ROOT, FORMATS_DIR);
    const leikaKey = (services.get('gewerbeanmeldung') as LoadedService).definition.leikaKey;
    const body = { comment: `format ${payloadFormat}`, upsert: {
      authorities: [{ id: 'gewerbeamt-format-test', name: 'Gewerbeamt Formattest' }],
      responsibilities: [{ leikaKey, arsPrefix: '010020000000', authorityId: 'gewerbeamt-format-test' }],
      directory: [{ authorityId: 'gewerbeamt-format-test', serviceKey: '*', transport: 'webhook', address: '${EFA_DEMO_RECEIVER_URL}/webhook/gewerbeamt-kiel', payloadFormat, encryptionKey: 'keys/gewerbeamt-kiel.enc.json', verificationKey: 'keys/gewerbeamt-kiel.sig.json', identifiers: entry.endpoint.identifiers }],
    } };
    const res = await fetch(`${stack.url}${ADMIN}/changes`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.text());
  }

  async function submitInKiel(): Promise<string> {
    const b = new Browser(stack.url);
    await b.get('/sh/gewerbeanmeldung');
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    await step(b, { 'betrieb.name': 'Förde-Kiosk', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
    await step(b, { 'betrieb.anschrift.strasse': 'Holstenstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' });
    assert.equal(await step(b, activity()), '/sh/gewerbeanmeldung/pruefen');
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const id = (done.location as string).split('/').pop() as string;
    const end = Date.now() + 15_000;
    while (!stack.inbox.get(id)) {
      if (Date.now() > end) assert.fail('the submission did not arrive');
      await new Promise((r) => setTimeout(r, 50));
    }
    return (stack.inbox.get(id) as { document: string }).document;
  }

  test('JSON stays JSON; switched to XGewerbeanzeige, the next submission arrives as abh.gewerbemeldung.0500', async () => {
    await route('json');
    const json = JSON.parse(await submitInKiel()) as { data: { betrieb: { name: string } } };
    assert.equal(json.data.betrieb.name, 'Förde-Kiosk');

    await route(FORMAT);
    const xml = await submitInKiel();
    assert.deepEqual(structureProblems(xml, loadProfile(FORMAT) as StructureProfile), []);
    const flat = flatten(xml);
    assert.equal(flat[0]?.attrs['xmlns:xga'], NS);
    assert.equal(value(flat, '/xga:abh.gewerbemeldung.0500/xga:satz/xga:anmeldung/xga:gewerbe/xga:betrieb/xga:geschaeftsbezeichnung'), 'Förde-Kiosk');
    assert.equal(value(flat, '/xga:abh.gewerbemeldung.0500/xga:nachrichtenkopf/xga:leser/xga:behoerdenname'), 'Gewerbeamt Formattest');

    await route('json');
    assert.equal((JSON.parse(await submitInKiel()) as { data: { betrieb: { name: string } } }).data.betrieb.name, 'Förde-Kiosk');
  });
});

describe('an operator\'s XSD is applied to every outgoing message with xmllint', () => {
  // A stand-in for the official XSD (not obtainable here): the message element must hold a nachrichtenkopf, then a satz.
  const XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="${NS}" elementFormDefault="qualified">
  <xs:element name="abh.gewerbemeldung.0500"><xs:complexType><xs:sequence>
    <xs:element name="nachrichtenkopf"><xs:complexType><xs:sequence><xs:any processContents="skip" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="satz" maxOccurs="unbounded"><xs:complexType><xs:sequence><xs:any processContents="skip" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>
</xs:schema>`;
  let dir: string;
  let service: LoadedService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'efa-xsd-'));
    mkdirSync(join(dir, FORMAT));
    writeFileSync(join(dir, FORMAT, 'xgewerbeanzeige.xsd'), XSD);
    process.env.EFA_MESSAGE_XSD_DIR = dir;
    service = (await loadServices(PACKAGE_ROOT, FORMATS_DIR)).get('gewerbeanmeldung') as LoadedService;
  });
  after(() => {
    delete process.env.EFA_MESSAGE_XSD_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  test('a message the XSD accepts goes out; one it refuses is stopped with xmllint\'s reason', async () => {
    const { text } = await buildPayload(service, FORMAT, { meta, data, derived: {} }, entry);
    await validateMessage(PACKAGE_ROOT, FORMAT, text);
    const noSatz = text.replace(/<xga:satz>[\s\S]*<\/xga:satz>/, '');
    await assert.rejects(validateMessage(PACKAGE_ROOT, FORMAT, noSatz), (err: unknown) => err instanceof MessageInvalidError && /satz/.test(err.message));
    // The structure check alone would refuse it too; the XSD must refuse what the profile lets pass.
    writeFileSync(join(dir, FORMAT, 'xgewerbeanzeige.xsd'), XSD.replace('name="satz" maxOccurs="unbounded"', 'name="satz" minOccurs="2" maxOccurs="unbounded"'));
    await assert.rejects(validateMessage(PACKAGE_ROOT, FORMAT, text), (err: unknown) => err instanceof MessageInvalidError && /xmllint|Element|satz/.test(err.message));
  });
});
