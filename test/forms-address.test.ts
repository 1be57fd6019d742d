import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './support/browser.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * The address field's messages about the postcode and the municipality, on a service generated for
 * this test (its holder's address is labelled "Anschrift"): one message per problem, each linking
 * to a control that is on the page, in words that fit any service.
 */
const SERVICE = 'haustiere-anschrift';
const HOLDER = { 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Weg', 'halter.anschrift.hausnummer': '1' };

/** The error summary's entries: message and the id its link leads to. */
function summary(html: string): Array<{ id: string; message: string }> {
  const box = /efa-error-summary[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...box.matchAll(/<a class="kern-link" href="#([^"]+)">([^<]*)<\/a>/g)].map((m) => ({ id: m[1] as string, message: m[2] as string }));
}

describe('an address whose postcode names no municipality, or several', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-address-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999033', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack.close();
    temp.remove();
  });

  async function holderStep(lang = ''): Promise<Browser> {
    const b = new Browser(stack.url);
    await b.get(`/sh/${SERVICE}${lang}`);
    await b.get((await b.submit({}, '/start')).location as string);
    return b;
  }

  const onPage = (html: string, id: string) => new RegExp(`\\sid="${id}"`).test(html);

  test('an unknown postcode: one message, at the postcode, and no second one about a municipality the page does not ask', async () => {
    const b = await holderStep();
    const res = await b.submit({ ...HOLDER, 'halter.anschrift.plz': '00001', 'halter.anschrift.ort': 'Nirgendwo' });
    assert.equal(res.status, 400);
    assert.deepEqual(summary(res.html), [{ id: 'f-halter-anschrift-plz', message: 'Zur Postleitzahl 00001 ist keine Gemeinde bekannt. Prüfen Sie die Postleitzahl.' }]);
    assert.ok(onPage(res.html, 'f-halter-anschrift-plz'));
    assert.doesNotMatch(res.html, /Gemeinde“ an/);

    // A postcode of the wrong form, and none at all: the postcode's own message, nothing about the municipality.
    const short = await b.submit({ ...HOLDER, 'halter.anschrift.plz': '123', 'halter.anschrift.ort': 'Kiel' });
    assert.deepEqual(summary(short.html), [{ id: 'f-halter-anschrift-plz', message: 'Geben Sie die Postleitzahl im richtigen Format ein.' }]);
    const none = await b.submit({ ...HOLDER, 'halter.anschrift.plz': '', 'halter.anschrift.ort': 'Kiel' });
    assert.deepEqual(summary(none.html), [{ id: 'f-halter-anschrift-plz', message: 'Geben Sie die Postleitzahl ein.' }]);
  });

  test('a postcode of several municipalities: the choice is asked on the page, in words naming the field, not a business premises', async () => {
    const b = await holderStep();
    const res = await b.submit({ ...HOLDER, 'halter.anschrift.plz': '23701', 'halter.anschrift.ort': '' });
    assert.equal(res.status, 400);
    const entries = summary(res.html);
    assert.deepEqual(entries.map((e) => e.message).sort(), ['Die Postleitzahl 23701 gehört zu mehreren Gemeinden. Wählen Sie aus, in welcher Gemeinde „Anschrift“ liegt.', 'Geben Sie den Ort ein.']);
    for (const e of entries) assert.ok(onPage(res.html, e.id), `the summary links to #${e.id}, which is on the page`);
    assert.match(res.html, /value="010550012012"[^>]*><label class="kern-label" for="[^"]+">Eutin, Stadt/);
    assert.doesNotMatch(res.html, /Betriebsstätte/);

    const english = await holderStep('?lang=en');
    const en = await english.submit({ ...HOLDER, 'halter.anschrift.plz': '23701', 'halter.anschrift.ort': '' });
    assert.ok(summary(en.html).some((e) => e.message === 'Postcode 23701 covers several municipalities. Select the municipality of “Address”.'), en.html);
    assert.doesNotMatch(en.html, /premises/);
  });
});
