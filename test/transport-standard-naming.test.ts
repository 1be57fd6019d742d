import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServices, type LoadedService } from '../src/services/registry.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { STANDARD_FORMATS } from '../src/core/formats.js';
import { hasMapping } from '../src/messages/mapping.js';
import { Browser } from './support/browser.js';
import { activity, person, step } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';

// XTA's Qualifier and our OSCI header say which standard and version the payload follows, as the
// runtime delivers a real submission (format fixed at submit, read back from the database).
const FORMAT = 'xgewerbeanzeige-2.2';
const XGA = STANDARD_FORMATS.get(FORMAT);
const IDENTIFIERS = { readerId: 'ags:01002000:gewerbe', 'xga.leserPraefix': 'MELDID', 'xga.leserKennung': '01002000', 'xga.autorPraefix': 'MELDID', 'xga.autorKennung': '01002000', 'xga.autorName': 'Online-Dienst Gewerbeanmeldung' };

describe('XTA-like and OSCI-like messages name the standard and its version', () => {
  const ADMIN = '/_efa/admin/routing';
  let stack: TestStack;
  let operator: string;
  let service: LoadedService;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    operator = ((await res.json()) as { access_token: string }).access_token;
    // The service with a mapping to the standard (its form's steps are filled in below).
    const services = await loadServices(PACKAGE_ROOT, FORMATS_DIR);
    service = [...services.values()].find((s) => hasMapping(s, FORMAT)) as LoadedService;
  });
  after(async () => stack.close());

  /** Kiel's registrations go to a test office (the Kiel demo receiver's keys) by `transport` in `payloadFormat`. */
  async function route(transport: 'xta' | 'osci', payloadFormat: string): Promise<void> {
    const body = { comment: `${transport} ${payloadFormat}`, upsert: {
      authorities: [{ id: 'gewerbeamt-standard-test', name: 'Gewerbeamt Standardtest' }],
      responsibilities: [{ leikaKey: service.definition.leikaKey, arsPrefix: '010020000000', authorityId: 'gewerbeamt-standard-test' }],
      directory: [{ authorityId: 'gewerbeamt-standard-test', serviceKey: '*', transport, address: `\${EFA_DEMO_RECEIVER_URL}/${transport}/gewerbeamt-kiel`, payloadFormat, encryptionKey: 'keys/gewerbeamt-kiel.enc.json', verificationKey: 'keys/gewerbeamt-kiel.sig.json', identifiers: IDENTIFIERS }],
    } };
    const res = await fetch(`${stack.url}${ADMIN}/changes`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.text());
  }

  async function submitInKiel(): Promise<Record<string, unknown>> {
    const b = new Browser(stack.url);
    await b.get(`/sh/${service.definition.id}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await step(b, person);
    await step(b, { 'betrieb.name': 'Förde-Kiosk', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
    await step(b, { 'betrieb.anschrift.strasse': 'Holstenstraße', 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': '24103', 'betrieb.anschrift.ort': 'Kiel' });
    assert.equal(await step(b, activity()), `/sh/${service.definition.id}/pruefen`);
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const id = (done.location as string).split('/').pop() as string;
    const end = Date.now() + 15_000;
    while (!stack.inbox.get(id)) {
      if (Date.now() > end) assert.fail('the submission did not arrive');
      await new Promise((r) => setTimeout(r, 50));
    }
    return stack.inbox.get(id)?.metadata as Record<string, unknown>;
  }

  test('XTA: the Qualifier names XGewerbeanzeige 2.2 and abh.gewerbemeldung.0500; JSON is named as the runtime\'s document', async () => {
    assert.ok(XGA);
    await route('xta', FORMAT);
    const xga = await submitInKiel();
    assert.equal(xga.service, `${XGA.standardUrn}_2.2`);
    assert.equal(xga.messageType, 'abh.gewerbemeldung.0500');
    assert.equal(xga.messageTypeList, 'urn:de:payloadSchema:elementName');
    assert.equal(xga.payloadSchema, 'http://www.xgewerbeanzeige.de/spezifikation/2.2');
    assert.equal(xga.businessScenario, XGA.businessScenario);
    assert.deepEqual([xga.format, xga.standard, xga.standardVersion], [FORMAT, 'XGewerbeanzeige', '2.2']);

    await route('xta', 'json');
    const json = await submitInKiel();
    assert.equal(json.service, `urn:de:fim:leika:leistung:${service.definition.leikaKey}`);
    assert.equal(json.messageType, `efa.antrag.${service.definition.id}`);
    assert.equal(json.payloadSchema, service.schemaUri);
    assert.deepEqual([json.format, json.standardVersion], ['json', service.definition.version]);
  });

  test('OSCI: the signed content container names XGewerbeanzeige 2.2; XML is named as the runtime\'s document', async () => {
    await route('osci', FORMAT);
    const xga = (await submitInKiel()).standard as Record<string, unknown>;
    assert.equal(xga.service, `${XGA?.standardUrn}_2.2`);
    assert.deepEqual(xga.messageType, { code: 'abh.gewerbemeldung.0500', listUri: 'urn:de:payloadSchema:elementName', listVersion: '1.0' });
    assert.equal(xga.payloadSchema, 'http://www.xgewerbeanzeige.de/spezifikation/2.2');
    assert.deepEqual([xga.standard, xga.version, xga.format], ['XGewerbeanzeige', '2.2', FORMAT]);

    await route('osci', 'xml');
    const xml = (await submitInKiel()).standard as Record<string, unknown>;
    assert.equal((xml.messageType as { code: string }).code, `efa.antrag.${service.definition.id}`);
    assert.deepEqual([xml.format, xml.version, xml.payloadSchema], ['xml', service.definition.version, service.schemaUri]);
  });
});
