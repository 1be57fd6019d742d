import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, evaluate, revealData, type ConditionDefinition, type ConditionScope } from '../src/forms/conditions.js';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { Browser } from './support/browser.js';
import { startStack, type TestStack } from './support/runtime.js';
import { KIEL, LUEBECK, PROBE, probeForm, probeRoot, probeServiceJson, type ProbeRoot } from './support/probe-service.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

/** A scope in which every answer below /a and the named parameters and derived values exist. */
const scope: ConditionScope = {
  answer: (pointer) => (pointer.startsWith('/a/') ? undefined : `${pointer} does not exist`),
  params: new Set(['limit']),
  derived: new Set(['adult']),
};

function holds(def: ConditionDefinition, answers: Record<string, unknown>, params: Record<string, unknown> = {}, derived: Record<string, unknown> = {}): boolean {
  return evaluate(compileCondition('form.json', '/showIf', def, scope), answers, { params, derive: () => derived });
}

describe('conditions are JsonLogic expressions over answers, parameters and derived values', () => {
  test('AND, OR, NOT, comparisons and "in" on answers', () => {
    const both = { and: [{ '==': [{ var: 'answers.a.kind' }, 'gmbh'] }, { '>=': [{ var: 'answers.a.staff' }, 10] }] };
    assert.equal(holds(both, { a: { kind: 'gmbh', staff: 12 } }), true);
    assert.equal(holds(both, { a: { kind: 'gmbh', staff: 3 } }), false);
    const either = { or: [{ in: [{ var: 'answers.a.kind' }, ['ohg', 'kg']] }, { '<': [{ var: 'answers.a.staff' }, 1] }] };
    assert.equal(holds(either, { a: { kind: 'kg', staff: 5 } }), true);
    assert.equal(holds(either, { a: { kind: 'gmbh', staff: 0 } }), true);
    assert.equal(holds(either, { a: { kind: 'gmbh', staff: 5 } }), false);
    assert.equal(holds({ '!': { var: 'answers.a.flag' } }, { a: { flag: true } }), false);
    assert.equal(holds({ '!': { var: 'answers.a.flag' } }, {}), true, 'an unanswered question counts as not true');
  });

  test('the shorthand { pointer, equals | in } means the same as before', () => {
    assert.equal(holds({ pointer: '/a/kind', equals: 'uebernahme' }, { a: { kind: 'uebernahme' } }), true);
    assert.equal(holds({ pointer: '/a/kind', equals: 'uebernahme' }, { a: { kind: 'neu' } }), false);
    assert.equal(holds({ pointer: '/a/n', equals: 1 }, { a: { n: '1' } }), false, 'strict equality, as the old equals was');
    assert.equal(holds({ pointer: '/a/kind', in: ['gmbh', 'kg'] }, { a: { kind: 'kg' } }), true);
    assert.equal(holds({ pointer: '/a/kind', in: ['gmbh', 'kg'] }, {}), false);
  });

  test('parameters in force and derived values', () => {
    const cond = { and: [{ '>': [{ var: 'params.limit' }, 0] }, { var: 'derived.adult' }] };
    assert.equal(holds(cond, {}, { limit: 5 }, { adult: true }), true);
    assert.equal(holds(cond, {}, { limit: 0 }, { adult: true }), false);
    assert.equal(holds(cond, {}, { limit: 5 }, {}), false, 'a derived value that cannot be computed yet is not true');
    let derivations = 0;
    evaluate(compileCondition('f', '/p', { var: 'answers.a.x' }, scope), {}, { params: {}, derive: () => { derivations++; return {}; } });
    assert.equal(derivations, 0, 'derive() runs only for conditions that read derived values');
  });

  test('the browser gets only the values a condition reads from outside the page', () => {
    const cond = compileCondition('f', '/p', { and: [{ var: 'answers.a.here' }, { '>': [{ var: 'params.limit' }, 1] }, { '==': [{ var: 'answers.a.earlier' }, 'x'] }] }, scope);
    const data = revealData(cond, { a: { here: true, earlier: 'x', secret: 'not needed' } }, { params: { limit: 3, other: 9 }, derive: () => ({}) }, [{ name: 'a.here' }]);
    assert.deepEqual(data, { params: { limit: 3 }, answers: { a: { earlier: 'x' } } });
  });

  test('mistakes in a condition are refused with the file and JSON path', () => {
    const refuse = (def: unknown, path: string, message: RegExp) => assert.throws(() => compileCondition('forms/x.form.json', '/steps/1/showIf', def as ConditionDefinition, scope), (err: unknown) => {
      assert.ok(err instanceof DeclarationError);
      assert.equal(err.file, 'forms/x.form.json');
      assert.equal(err.path, path);
      assert.match(err.message, message);
      return true;
    });
    refuse({ '==': [{ var: 'answers.b.kind' }, 1] }, '/steps/1/showIf/==/0/var', /answers\.b\.kind.*does not exist/);
    refuse({ '>': [{ var: 'params.nope' }, 1] }, '/steps/1/showIf/>/0/var', /no such service parameter.*limit/);
    refuse({ var: 'derived.nope' }, '/steps/1/showIf/var', /no such derived value.*adult/);
    refuse({ var: 'a.kind' }, '/steps/1/showIf/var', /must start with answers\., params\., derived\. or \(in a group's row\) row\./);
    refuse({ between: [1, 2, 3] }, '/steps/1/showIf/between', /unknown JsonLogic operator "between"/);
    refuse({ and: [{ var: 'answers.a.x' }, { '==': 1, '!=': 2 }] }, '/steps/1/showIf/and/1', /exactly one operator/);
    refuse({ var: [{ cat: ['answers.', 'a'] }] }, '/steps/1/showIf/var', /must name a variable as a string/);
    refuse({ pointer: '/a/kind' }, '/steps/1/showIf', /needs "equals" or "in"/);
    refuse({ pointer: '/b/kind', equals: 1 }, '/steps/1/showIf/pointer', /does not exist/);
  });
});

describe('conditions in a form file are checked at load time', () => {
  let probe: ProbeRoot;
  before(() => { probe = probeRoot(); });
  after(() => probe.close());

  async function refused(change: (form: { steps: Array<{ showIf?: unknown; fields: Array<Record<string, unknown>> }> }) => void, path: string, message: RegExp): Promise<void> {
    const form = probeForm() as { steps: Array<{ showIf?: unknown; fields: Array<Record<string, unknown>> }> };
    change(form);
    probe.write(`forms/${PROBE}.form.json`, form);
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => {
      assert.ok(err instanceof DeclarationError, String(err));
      assert.match(err.file, new RegExp(`forms/${PROBE}\\.form\\.json$`));
      assert.equal(err.path, path);
      assert.match(err.message, message);
      return true;
    });
  }

  test('a step may only read earlier steps; a field also earlier fields of its own step', async () => {
    await refused((f) => { f.steps[1]!.showIf = { '==': [{ var: 'answers.nachweis' }, 'x'] }; }, '/steps/1/showIf/==/0/var', /answers\.nachweis.*earlier step/);
    await refused((f) => { f.steps[1]!.showIf = { var: 'answers.hund.gefaehrlich' }; }, '/steps/1/showIf/var', /earlier step/);
    await refused((f) => { f.steps[1]!.fields[0]!.showIf = { var: 'answers.hund.gefaehrlich' }; }, '/steps/1/fields/0/showIf/var', /earlier step or earlier on this step/);
    await refused((f) => {
      f.steps[0]!.fields.push({ pointer: '/nachweis', kind: 'date', label: 'Seit' }, { pointer: '/ermaessigung', kind: 'yesno', label: 'E', showIf: { '!!': { var: 'answers.nachweis' } }, conditionHint: 'Nur wenn …' });
      f.steps.splice(2, 2);
    }, '/steps/0/fields/2/showIf', /"date" field of several inputs.*earlier step/);
  });

  test('unknown parameters, undeclared derived values and fields that are not in the schema', async () => {
    await refused((f) => { f.steps[2]!.showIf = { '>': [{ var: 'params.rabatt' }, 0] }; }, '/steps/2/showIf/>/0/var', /params\.rabatt.*no such service parameter.*satzCent/);
    await refused((f) => { f.steps[2]!.showIf = { var: 'derived.steuerfrei' }; }, '/steps/2/showIf/var', /derived\.steuerfrei.*jahressteuerCent, gefaehrlich/);
    await refused((f) => { f.steps[3]!.showIf = { var: 'answers.hund.farbe' }; }, '/steps/3/showIf/var', /\/hund\/farbe does not exist in services\/probedienst\/schema\.json/);
  });

  test('a same-step condition must say in words when the field applies (shown without JavaScript)', async () => {
    await refused((f) => { delete f.steps[1]!.fields[2]!.conditionHint; }, '/steps/1/fields/2/conditionHint', /without JavaScript.*Nur wenn/);
    const form = probeForm() as { steps: Array<{ fields: Array<Record<string, unknown>> }> };
    const field = form.steps[1]!.fields[2]!;
    delete field.conditionHint;
    field.showIf = { pointer: '/hund/gefaehrlich', equals: true };
    probe.write(`forms/${PROBE}.form.json`, form);
    const d = await loadDeclarations(probe.root, ENV);
    const hint = d.forms.get(PROBE)?.steps[1]?.fields[2]?.conditionHint as { de: string; en: string };
    assert.equal(hint.de, 'Nur wenn Sie bei „Ist Ihr Hund als gefährlich eingestuft?“ „Ja“ gewählt haben.', 'the shorthand writes its own hint');
    assert.equal(hint.en, 'Only if you chose “Yes” for “Is your dog classed as dangerous?”.');
    probe.write(`forms/${PROBE}.form.json`, probeForm());
  });

  test('a display item may only show declared derived values', async () => {
    const service = probeServiceJson() as { display: Array<Record<string, unknown>> };
    service.display.push({ value: 'derived.steuerfrei', label: { de: 'Steuerfrei', en: 'Tax free' }, format: 'yesno' });
    probe.write(`services/${PROBE}/service.json`, service);
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => err instanceof DeclarationError && err.path === '/display/1/value' && /declare "steuerfrei" under "derived"/.test(err.message));
    probe.write(`services/${PROBE}/service.json`, probeServiceJson());
  });
});

describe('over HTTP: a same-step condition without JavaScript, conditions on parameters, and the declared facts in de and en', () => {
  let probe: ProbeRoot;
  let stack: TestStack;
  before(async () => {
    probe = probeRoot();
    // Kiel (ARS 01002…) has its own rate; Lübeck keeps the Land's. A reduction is offered only in Lübeck.
    probe.offer('sh', {
      parameters: { satzCent: 12000 },
      local: [
        { ars: '01002', name: 'Landeshauptstadt Kiel', parameters: { satzCent: 15000 } },
        { ars: '01003', name: 'Hansestadt Lübeck', parameters: { ermaessigungProzent: 50 } },
        { ars: '010020000000', validTo: '2001-12-31', parameters: { satzCent: 1 } },
      ],
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: probe.root } });
  });
  after(async () => { await stack.close(); probe.close(); });

  async function begin(b: Browser, gemeinde: string): Promise<void> {
    await b.get(`/sh/${PROBE}`);
    await b.get((await b.submit({}, '/start')).location as string);
    const next = await b.submit({ gemeinde });
    assert.equal(next.status, 303);
    await b.get(next.location as string);
  }

  test('the conditional field is on the page with its condition in words, and the reveal script comes from the app', async () => {
    const b = new Browser(stack.url);
    await begin(b, KIEL);
    assert.equal(b.lastUrl.endsWith(`/sh/${PROBE}/hund`), true);
    const html = b.lastHtml;
    assert.match(html, /Wo wurde der Wesenstest bestanden\?/, 'visible without JavaScript');
    assert.match(html, /Nur wenn Ihr Hund als gefährlich eingestuft ist\./);
    const box = /<div class="efa-reveal"([^>]*)>/.exec(html)?.[1] ?? '';
    assert.doesNotMatch(box, /\shidden/, 'the server never hides it: only the script does');
    const attr = (name: string) => JSON.parse((new RegExp(`${name}="([^"]*)"`).exec(box)?.[1] ?? '').replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')) as unknown;
    assert.deepEqual(attr('data-efa-show-if'), { '==': [{ var: 'answers.hund.gefaehrlich' }, true] }, 'the same expression the server evaluates');
    assert.deepEqual(attr('data-efa-controls'), [{ name: 'hund.gefaehrlich', var: 'answers.hund.gefaehrlich', type: 'yesno' }]);
    assert.deepEqual(attr('data-efa-data'), {}, 'no other answers of the draft on the page');
    assert.match(html, /<script src="\/_efa\/json-logic\.js" defer><\/script><script src="\/_efa\/reveal\.js" defer><\/script>/);
    assert.doesNotMatch(html, /<script>/, 'no inline script');
    const res = await fetch(`${stack.url}/_efa/reveal.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.match(await res.text(), /jsonLogic\.apply/);
    const lib = await fetch(`${stack.url}/_efa/json-logic.js`);
    assert.match(await lib.text(), /root\.jsonLogic = factory\(\)/, 'the library\'s browser build');
    assert.match((await fetch(`${stack.url}/sh/${PROBE}`)).headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);

    const english = await b.get(`/sh/${PROBE}/hund?lang=en`);
    assert.match(english.html, /Only if your dog is classed as dangerous\./);
    assert.match(english.html, /<option value="166"[^>]*>German Shepherd Dog<\/option>/, 'breed labels from the code list, in English');
  });

  test('posted without JavaScript: validated when the condition holds after the post, dropped when it does not', async () => {
    const b = new Browser(stack.url);
    await begin(b, KIEL);
    const missing = await b.submit({ 'hund.rasse': '166', 'hund.gefaehrlich': 'ja', 'hund.wesenstest': '' });
    assert.equal(missing.status, 400, 'a dangerous dog needs the test');
    assert.match(missing.html, /Geben Sie an, wo der Wesenstest bestanden wurde\./);

    const ignored = await b.submit({ 'hund.rasse': '166', 'hund.gefaehrlich': 'nein', 'hund.wesenstest': 'Tierheim Nord' });
    assert.equal(ignored.status, 303);
    assert.equal(ignored.location, `/sh/${PROBE}/pruefen`, 'no reduction step in Kiel (parameter 0), no proof step');
    const check = await b.get(ignored.location as string);
    assert.doesNotMatch(check.html, /Tierheim Nord/, 'the answer of a field whose condition does not hold is dropped');
    assert.match(check.html, /Hundesteuer pro Jahr/);
    assert.match(check.html, /150,00\s€/, 'Kiel\'s own rate (longest ARS prefix); the expired Kiel entry is ignored');
    assert.match(check.html, /fällig jeweils zum 1\. Juli/);
    assert.doesNotMatch(check.html, /Gebühr/, 'no fee declared, so none is shown');
    assert.match(check.html, /Ergebnis und zuständige Stelle/);

    const en = await b.get(`/sh/${PROBE}/pruefen?lang=en`);
    assert.match(en.html, /Dog tax per year/);
    assert.match(en.html, /€150\.00/);
    assert.match(en.html, /due every 1 July/);
    assert.doesNotMatch(en.html, />Fee</);
    assert.match(en.html, /Result and responsible office/);

    await b.get(`/sh/${PROBE}/hund?zurueck=pruefen&lang=de`);
    const dangerous = await b.submit({ 'hund.rasse': '166', 'hund.gefaehrlich': 'ja', 'hund.wesenstest': 'Tierheim Nord' });
    assert.equal(dangerous.location, `/sh/${PROBE}/pruefen`);
    const again = await b.get(dangerous.location as string);
    assert.match(again.html, /Tierheim Nord/, 'kept now that the condition holds');
    assert.match(again.html, /600,00\s€/);

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const confirmation = await b.get(done.location as string);
    assert.match(confirmation.html, /Hundesteuer pro Jahr/);
    assert.match(confirmation.html, /600,00\s€/);
    assert.doesNotMatch(confirmation.html, /Gebühr/);
    const enConfirmation = await b.get(`${done.location as string}?lang=en`);
    assert.match(enConfirmation.html, /Dog tax per year/);
    assert.match(enConfirmation.html, /€600\.00/);
  });

  test('a step shown by a parameter of the applicant\'s municipality and a derived value; another by an answer', async () => {
    const b = new Browser(stack.url);
    await begin(b, LUEBECK);
    const next = await b.submit({ 'hund.rasse': 'X001', 'hund.gefaehrlich': 'nein' });
    assert.equal(next.location, `/sh/${PROBE}/ermaessigung`, 'Lübeck grants a reduction (local parameter) and the dog is not dangerous (derived)');
    await b.get(next.location as string);
    assert.equal((await b.submit({ ermaessigung: 'ja' })).location, `/sh/${PROBE}/nachweis`);
    await b.get(`/sh/${PROBE}/nachweis`);
    const check = await b.follow(await b.submit({ nachweis: 'BG-2026-17' }));
    assert.match(check.html, /60,00\s€/, 'Lübeck: the Land\'s rate of 120 € halved');

    await b.get(`/sh/${PROBE}/hund?zurueck=pruefen`);
    const dangerous = await b.follow(await b.submit({ 'hund.rasse': '166', 'hund.gefaehrlich': 'ja', 'hund.wesenstest': 'Kreisveterinär' }));
    assert.match(dangerous.html, /Angaben prüfen/);
    assert.doesNotMatch(dangerous.html, /BG-2026-17|Ermäßigung/, 'the reduction and proof steps are hidden now and their answers dropped');
    assert.match(dangerous.html, /600,00\s€/);
  });
});
