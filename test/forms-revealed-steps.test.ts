import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { startStack, type TestStack } from './support/runtime.js';
import { KIEL, LUEBECK, PROBE, probeRoot, type ProbeRoot } from './support/probe-service.js';

/**
 * An answer changed on the check page that reveals a step (here: moving to Lübeck, which grants a
 * reduction, shows the reduction step; claiming it shows the proof step): the applicant is walked
 * through each revealed step and then back to the check page, never sent there with errors for
 * questions they have not seen. On the test service of test/support/probe-service.ts.
 */
describe('a change on the check page that reveals steps walks the applicant through them', () => {
  let probe: ProbeRoot;
  let stack: TestStack;
  before(async () => {
    probe = probeRoot();
    probe.offer('sh', { local: [{ ars: '01003', name: 'Hansestadt Lübeck', parameters: { ermaessigungProzent: 50 } }] });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: probe.root } });
  });
  after(async () => { await stack.close(); probe.close(); });

  async function post(b: Browser, fields: Record<string, string>, to: string): Promise<void> {
    const res = await b.submit(fields);
    assert.equal(res.status, 303, extractErrors(res.html));
    assert.equal(res.location, to);
    await b.get(to);
  }

  test('Kiel → Lübeck from the check page: the reduction step, then the proof step, then the check page without errors', async () => {
    const b = new Browser(stack.url);
    await b.get(`/sh/${PROBE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await post(b, { gemeinde: KIEL }, `/sh/${PROBE}/hund`);
    await post(b, { 'hund.rasse': '166', 'hund.gefaehrlich': 'nein' }, `/sh/${PROBE}/pruefen`);
    assert.doesNotMatch(b.lastHtml, /Ermäßigung/, 'Kiel grants no reduction');

    // A change that reveals nothing goes straight back.
    await b.get(`/sh/${PROBE}/hund?zurueck=pruefen`);
    await post(b, { 'hund.rasse': '166', 'hund.gefaehrlich': 'nein' }, `/sh/${PROBE}/pruefen`);

    await b.get(`/sh/${PROBE}/ort?zurueck=pruefen`);
    await post(b, { gemeinde: LUEBECK }, `/sh/${PROBE}/ermaessigung?zurueck=pruefen`);
    assert.match(b.lastHtml, /Beziehen Sie Bürgergeld\?/);
    assert.doesNotMatch(b.lastHtml, /kern-alert--danger/, 'no errors for a step not yet answered');
    assert.match(b.lastHtml, new RegExp(`href="/sh/${PROBE}/pruefen"`), 'back leads to the check page');
    await post(b, { ermaessigung: 'ja' }, `/sh/${PROBE}/nachweis?zurueck=pruefen`);
    await post(b, { nachweis: 'BG-2026-17' }, `/sh/${PROBE}/pruefen`);
    assert.doesNotMatch(b.lastHtml, /kern-alert--danger/, extractErrors(b.lastHtml));
    assert.match(b.lastHtml, /BG-2026-17/);
    assert.match(b.lastHtml, /45,00\s€/, 'Lübeck\'s reduction of the Land\'s rate (90 €) applies');

    // Answered steps are not asked again: a later change goes straight back.
    await b.get(`/sh/${PROBE}/ort?zurueck=pruefen`);
    await post(b, { gemeinde: LUEBECK }, `/sh/${PROBE}/pruefen`);
  });
});
