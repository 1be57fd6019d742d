import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Browser } from './support/browser.js';
import { extractErrors, follow, pdfWith } from './support/answers.js';
import { waitUntil } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * Wohnberechtigungsschein, walked without JavaScript in Kiel (webhook): a household of three (a
 * repeatable group), several income statements in one file field, the ID card; the pages show the
 * household's income limit and flat size from Schleswig-Holstein's parameters.
 */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');


function member(n: number, vorname: string, born: [string, string, string], beziehung: string): Record<string, string> {
  const p = `haushalt.${n - 1}`;
  return { [`${p}.vorname`]: vorname, [`${p}.familienname`]: 'Petersen', [`${p}.geburtsdatum.day`]: born[0], [`${p}.geburtsdatum.month`]: born[1], [`${p}.geburtsdatum.year`]: born[2], [`${p}.beziehung`]: beziehung };
}

describe('Wohnberechtigungsschein: a family in Kiel with several documents', () => {
  let stack: TestStack;
  before(async () => { stack = await startStack({ database: 'postgres' }); });
  after(async () => stack.close());

  test('household rows, three income statements and the ID card arrive, each hash-verified', async () => {
    const b = new Browser(stack.url);
    assert.equal((await b.get('/sh/wohnberechtigungsschein')).status, 200);
    await follow(b, await b.submit({}, '/start'), 'start');
    await follow(b, await b.submit({ 'antragsteller.vorname': 'Jana', 'antragsteller.familienname': 'Petersen', 'antragsteller.geburtsdatum.day': '12', 'antragsteller.geburtsdatum.month': '5', 'antragsteller.geburtsdatum.year': '1985' }), 'person');
    const at = await follow(b, await b.submit({ 'antragsteller.anschrift.strasse': 'Holstenstraße', 'antragsteller.anschrift.hausnummer': '1', 'antragsteller.anschrift.plz': '24103', 'antragsteller.anschrift.ort': 'Kiel' }), 'address');
    assert.equal(at, '/sh/wohnberechtigungsschein/haushalt', 'the household may be empty: the list comes first');
    for (const [n, row] of [[1, member(1, 'Ole', ['20', '1', '1984'], 'ehegatte')], [2, member(2, 'Tom', ['1', '3', '2016'], 'kind')]] as const) {
      await follow(b, await b.submit({ aktion: 'hinzufuegen' }), `add person ${n}`);
      assert.match(b.lastHtml, /<p><a class="kern-link" href="\/sh\/wohnberechtigungsschein\/haushalt">Zurück<\/a><\/p>/, `person ${n}: back leads to the household list, also before its first row`);
      await follow(b, await b.submit(row), `person ${n}`);
    }
    await follow(b, await b.submit({}), 'household');
    await follow(b, await b.submit({ 'einkommen.jahreseinkommenEuro': '31500' }), 'income');

    const slips = [pdfWith('Lohn Jana'), pdfWith('Lohn Ole'), PNG];
    const id = pdfWith('Personalausweis');
    const noId = await b.submitMultipart({}, slips.map((content, i) => ({ name: 'nachweise.einkommensnachweise', filename: i === 2 ? 'kindergeld.png' : `lohn-${i + 1}.pdf`, type: i === 2 ? 'image/png' : 'application/pdf', content })));
    assert.equal(noId.status, 400);
    assert.match(noId.html, /Laden Sie Ihren Personalausweis oder Reisepass hoch/);
    const kept = [...noId.html.matchAll(/name="nachweise\.einkommensnachweise\.keep" value="([0-9a-f-]{36})"/g)].map((m) => m[1] as string);
    assert.equal(kept.length, 3, 'the three statements stay for the next try');
    await follow(b, await b.submitMultipart({ 'nachweise.einkommensnachweise.keep': kept }, [{ name: 'nachweise.ausweis', filename: 'ausweis.pdf', type: 'application/pdf', content: id }]), 'documents');

    // SH's limits (demo values): 23,100 € for two, 5,300 € per further person, 700 € per child.
    assert.match(b.lastHtml, /Einkommensgrenze für Ihren Haushalt/);
    assert.match(b.lastHtml, /29\.100/);
    assert.match(b.lastHtml, /Angemessene Wohnungsgröße in m²/);
    assert.match(b.lastHtml, />80</);
    assert.match(b.lastHtml, /href="\/sh\/wohnberechtigungsschein\/haushalt\/2\?zurueck(=|&#x3D;)pruefen"/);

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const submissionId = (done.location as string).split('/').pop() as string;
    await waitUntil(() => stack.inbox.get(submissionId) !== undefined, 30_000, 'at the receiver');
    const received = stack.inbox.get(submissionId);
    assert.equal(received?.authorityId, 'kiel-wohnungsamt');
    assert.deepEqual(received?.attachments.map((a) => a.sha512).sort(), [...slips, id].map(sha512).sort(), 'four files, each verified by the receiver');
    const doc = JSON.parse(received?.document ?? '{}') as { data: { haushalt: Array<{ vorname: string }> }; derived: { haushaltsgroesse: number; kinder: number; einkommensgrenzeEuro: number } };
    assert.deepEqual(doc.data.haushalt.map((m) => m.vorname), ['Ole', 'Tom']);
    assert.deepEqual([doc.derived.haushaltsgroesse, doc.derived.kinder, doc.derived.einkommensgrenzeEuro], [3, 1, 29100]);
  });
});
