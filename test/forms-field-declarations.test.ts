import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, type ConditionEnv } from '../src/forms/conditions.js';
import { radios } from '../src/forms/fields/choice.js';
import type { FormField } from '../src/forms/fields/kind.js';
import { notOffered, offeredOptions, offeringField } from '../src/forms/options.js';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { KIEL, PROBE, probeForm, probeRoot, type ProbeRoot } from './support/probe-service.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

/** A permit term of 1–3 years, offered up to the parameter `max` (issue 23, item 5). */
function termField(): FormField {
  const scope = { answer: () => undefined, params: new Set(['max']), derived: new Set<string>() };
  const cond = (n: number) => compileCondition('form', `/o/${n}`, { '<=': [n, { var: 'params.max' }] }, scope);
  return {
    def: { pointer: '/jahre', kind: 'radios', optionFee: true }, pointer: '/jahre', name: 'jahre', id: 'f-jahre', label: { de: 'Laufzeit', en: 'Term' },
    schema: { type: 'integer' }, required: true, kind: radios, controls: [],
    options: [1, 2, 3].map((n) => ({ value: String(n), label: { de: n === 1 ? '1 Jahr' : `${n} Jahre`, en: n === 1 ? '1 year' : `${n} years` } })),
    optionShowIf: new Map([[ '2', cond(2) ], [ '3', cond(3) ]]),
  };
}
const env = (max: number): ConditionEnv => ({ params: { max }, derive: () => ({}), fee: (answers) => ({ cents: 3000 * Number((answers as { jahre?: number }).jahre) }) });

describe('choices whose options depend on parameters', () => {
  test('only the offered options are listed, each with its fee, and the value is a whole number', () => {
    const field = termField();
    assert.deepEqual(offeredOptions(field, {}, env(2)).map((o) => o.value), ['1', '2']);
    assert.deepEqual(offeredOptions(field, {}, env(3)).map((o) => o.value), ['1', '2', '3']);
    const view = radios.view(offeringField(field, {}, env(2)), 2, undefined, 'de', new Map());
    assert.deepEqual((view.options as Array<{ value: string; label: string; checked: boolean }>).map((o) => [o.value, o.label, o.checked]), [['1', '1 Jahr – 30,00\u00a0€', false], ['2', '2 Jahre – 60,00\u00a0€', true]]);
    assert.equal(radios.parse(field, { jahre: '2' }, { places: undefined as never }).value, 2);
    assert.equal(radios.summary(field, 2, 'en'), '2 years');
  });
  test('a value not offered here is refused with the options that are, also when it was chosen under other parameters', () => {
    const field = termField();
    assert.deepEqual(notOffered(field, 3, {}, env(2)), {
      de: '„3 Jahre“ ist hier nicht möglich. Wählen Sie eine der angebotenen Möglichkeiten: 1 Jahr, 2 Jahre.',
      en: '“3 years” is not available here. Select one of the options offered: 1 year, 2 years.',
    });
    assert.equal(notOffered(field, 3, {}, env(3)), undefined);
    assert.equal(notOffered(field, 1, {}, env(1)), undefined);
    assert.equal(notOffered(field, undefined, {}, env(1)), undefined);
    // A forged value that is no option at all is the kind's own refusal (parse), not this one.
    assert.equal(radios.parse(field, { jahre: '7' }, { places: undefined as never }).error?.code, 'enum');
    assert.equal(radios.parse(field, { jahre: '2.0' }, { places: undefined as never }).error?.code, 'enum');
  });
  test('without a fee the options keep their labels', () => {
    const field = termField();
    const view = radios.view(offeringField(field, {}, { params: { max: 2 }, derive: () => ({}) }), undefined, undefined, 'de', new Map());
    assert.deepEqual((view.options as Array<{ label: string }>).map((o) => o.label), ['1 Jahr', '2 Jahre']);
  });
});

describe('field declarations checked when the form loads', () => {
  let probe: ProbeRoot;
  before(() => { probe = probeRoot(); });
  after(() => probe.close());

  type Form = { steps: Array<{ fields: Array<Record<string, unknown>> }> };
  async function refused(change: (form: Form) => void, path: string, message: RegExp): Promise<void> {
    const form = probeForm() as Form;
    change(form);
    probe.write(`forms/${PROBE}.form.json`, form);
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => {
      assert.ok(err instanceof DeclarationError, String(err));
      assert.equal(err.path, path);
      assert.match(err.message, message);
      return true;
    });
  }

  test('a label that marks itself optional would be marked twice', async () => {
    await refused((f) => { f.steps[1]!.fields[0]!.label = { de: 'Rasse (freiwillig)', en: 'Breed' }; }, '/steps/1/fields/0/label', /runtime marks a field that is not required itself/);
    await refused((f) => { f.steps[1]!.fields[0]!.label = { de: 'Rasse', en: 'Breed (optional)' }; }, '/steps/1/fields/0/label', /"\(optional\)"/);
    await refused((f) => { f.steps[1]!.fields[0]!.label = { de: 'Transpondernummer (Chip, freiwillig)', en: 'Chip' }; }, '/steps/1/fields/0/label', /freiwillig/);
  });
  test('options offered by condition must be options, read known parameters, and belong to a choice', async () => {
    await refused((f) => { f.steps[0]!.fields[0]!.optionShowIf = { '999': { '>': [{ var: 'params.satzCent' }, 0] } }; }, '/steps/0/fields/0/optionShowIf/999', /"999" is not an option of the schema/);
    await refused((f) => { f.steps[0]!.fields[0]!.optionShowIf = { [KIEL]: { var: 'params.nichtDa' } }; }, `/steps/0/fields/0/optionShowIf/${KIEL}/var`, /nichtDa/);
    await refused((f) => { f.steps[1]!.fields[1]!.optionFee = true; }, '/steps/1/fields/1/kind', /belong to a field of kind "radios" or "select"/);
    await refused((f) => { f.steps[1]!.fields[1]!.timing = 'past'; }, '/steps/1/fields/1/timing', /belongs to a field of kind "date"/);
  });
});
