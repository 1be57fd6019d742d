/**
 * What `efa new service` writes (src/authoring/scaffold.ts plans and writes it): the default
 * service's schema, form, logic, example and logic test, the files around a given schema (e.g.
 * from a FIM import), and sample data guessed from such a schema.
 */

const VERSION = '1.0.0';

/** Kiel: a place the demo routing data and the postal code index both know. */
export const SAMPLE_ADDRESS = { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' };

/** The German address the `address` field kind fills; `ars` decides responsibility. */
export const ADDRESS_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['strasse', 'hausnummer', 'plz', 'ort', 'ars'],
  properties: {
    strasse: { title: 'Straße', type: 'string', minLength: 2, maxLength: 100 },
    hausnummer: { title: 'Hausnummer', type: 'string', minLength: 1, maxLength: 10 },
    plz: { title: 'Postleitzahl', type: 'string', pattern: '^[0-9]{5}$' },
    ort: { title: 'Ort', type: 'string', minLength: 2, maxLength: 100 },
    ars: { title: 'Amtlicher Regionalschlüssel', type: 'string', pattern: '^[0-9]{12}$' },
  },
};

export function serviceJson(id: string, leikaKey: string, leadLand: string, title: { de: string; en: string }, schema: Record<string, unknown>): Record<string, unknown> {
  return {
    $schema: '../../schemas/service.schema.json', id, leikaKey, version: VERSION, title,
    description: { de: `${title.de}: beschreiben Sie hier in ein, zwei Sätzen, was beantragt wird und wer zuständig ist.`, en: `${title.en}: describe here in a sentence or two what is applied for and who decides.` },
    leadLand,
    payloadSchemaUri: typeof schema.$id === 'string' ? schema.$id : `https://efa-runtime.example/services/${id}/${VERSION}/schema.json`,
    parameters: {},
    derived: {},
    display: [],
  };
}

export function defaultSchema(id: string, title: string): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://efa-runtime.example/services/${id}/${VERSION}/schema.json`,
    title, type: 'object', additionalProperties: false, required: ['antragsteller', 'anliegen'],
    properties: {
      antragsteller: {
        title: 'Antragstellerin oder Antragsteller', type: 'object', additionalProperties: false, required: ['vorname', 'familienname', 'geburtsdatum', 'anschrift'],
        properties: {
          vorname: { title: 'Vorname', type: 'string', minLength: 1, maxLength: 100 },
          familienname: { title: 'Familienname', type: 'string', minLength: 1, maxLength: 100 },
          geburtsdatum: { title: 'Geburtsdatum', type: 'string', format: 'date' },
          email: { title: 'E-Mail-Adresse', type: 'string', format: 'email', maxLength: 254 },
          anschrift: { $ref: '#/$defs/anschrift', title: 'Anschrift' },
        },
      },
      anliegen: {
        title: 'Ihr Anliegen', type: 'object', additionalProperties: false, required: ['beschreibung'],
        properties: { beschreibung: { title: 'Beschreibung', type: 'string', minLength: 10, maxLength: 2000 } },
      },
    },
    $defs: { anschrift: ADDRESS_SCHEMA },
  };
}

export function defaultForm(id: string): Record<string, unknown> {
  return {
    $schema: '../schemas/form.schema.json', service: id,
    intro: { de: 'Sie brauchen etwa 5 Minuten. Ihre Angaben werden zwischengespeichert; Sie können später weitermachen.', en: 'This takes about 5 minutes. Your answers are saved; you can continue later.' },
    steps: [
      {
        id: 'person', title: { de: 'Angaben zur Person', en: 'About you' },
        fields: [
          // The runtime marks optional fields itself; inMessages names each field in the messages (docs/forms.md, "Messages").
          { pointer: '/antragsteller/vorname', kind: 'text', autocomplete: 'given-name', width: 20, label: { de: 'Vorname', en: 'First name' }, inMessages: { de: 'Ihren Vornamen', en: 'your first name' } },
          { pointer: '/antragsteller/familienname', kind: 'text', autocomplete: 'family-name', width: 20, label: { de: 'Familienname', en: 'Last name' }, inMessages: { de: 'Ihren Familiennamen', en: 'your last name' } },
          { pointer: '/antragsteller/geburtsdatum', kind: 'date', label: { de: 'Geburtsdatum', en: 'Date of birth' }, hint: { de: 'Zum Beispiel 27 3 1985', en: 'For example 27 3 1985' }, inMessages: { de: 'Ihr Geburtsdatum', en: 'your date of birth' } },
          { pointer: '/antragsteller/email', kind: 'email', autocomplete: 'email', width: 30, label: { de: 'E-Mail-Adresse', en: 'Email address' }, inMessages: { de: 'Ihre E-Mail-Adresse', en: 'your email address' } },
        ],
      },
      {
        id: 'anschrift', title: { de: 'Ihre Anschrift', en: 'Your address' },
        fields: [{ pointer: '/antragsteller/anschrift', kind: 'address', label: { de: 'Anschrift', en: 'Address' }, hint: { de: 'Ihre Anschrift entscheidet, welche Stelle zuständig ist.', en: 'Your address decides which office is responsible.' } }],
      },
      {
        id: 'anliegen', title: { de: 'Ihr Anliegen', en: 'Your request' },
        fields: [{ pointer: '/anliegen/beschreibung', kind: 'textarea', label: { de: 'Beschreiben Sie Ihr Anliegen', en: 'Describe your request' } }],
      },
    ],
  };
}

export const DEFAULT_EXAMPLE = {
  antragsteller: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1985-05-12', email: 'erika@example.org', anschrift: SAMPLE_ADDRESS },
  anliegen: { beschreibung: 'Ich beantrage die Leistung für meinen Haushalt in Kiel.' },
};

export const DEFAULT_LOGIC = `import type { Issue, LocalText, ServiceLogic } from '../../src/services/contract.js';
import type { __TYPE__ } from './types.gen.js';

/** The parameters a Land may set: declare each in service.json "parameters" (bounds, default) and here. */
export type Parameters = Record<string, never>;

/** What derive() returns: declare each in service.json "derived" and here. */
export type Derived = Record<string, never>;

/** The rules' messages by code: a Land may reword them (text key service.<id>.rule.<CODE>). */
const MESSAGES = {
  EFA_RULE_GEBURTSDATUM_ZUKUNFT: { de: 'Das Geburtsdatum darf nicht in der Zukunft liegen.', en: 'The date of birth must not be in the future.' },
} as const satisfies Record<string, LocalText>;

function issue(pointer: string, code: keyof typeof MESSAGES): Issue {
  return { pointer, code, message: MESSAGES[code] };
}

/**
 * Service logic imports only types from the engine; whatever it calls comes with ctx
 * (ctx.today, ctx.dates, ctx.params): docs/services.md.
 */
export const logic: ServiceLogic<__TYPE__, Parameters, Derived> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    // Rules run on every step with the answers so far: report only what is answered.
    const birth = data.antragsteller?.geburtsdatum;
    if (birth && ctx.dates.daysBetween(ctx.today, birth) > 0) issues.push(issue('/antragsteller/geburtsdatum', 'EFA_RULE_GEBURTSDATUM_ZUKUNFT'));
    return issues;
  },
  derive() {
    return {};
  },
  fee() {
    return { cents: 0, currency: 'EUR' };
  },
  region(data) {
    // The applicant's municipality decides which authority is responsible.
    return data.antragsteller.anschrift.ars;
  },
};

export default logic;
`;

export function logicTest(id: string, typeName: string, defaults: boolean): string {
  const ruleTests = defaults
    ? `
  test('a date of birth in the future is refused at its field; a past one is not', () => {
    const data = structuredClone(example);
    assert.deepEqual(logic.rules(data, ctx), []);
    // The day after the examples' day: in the future for the rule.
    data.antragsteller.geburtsdatum = new Date(Date.parse(examples.today) + 86_400_000).toISOString().slice(0, 10);
    assert.deepEqual(logic.rules(data, ctx).map((i) => \`\${i.pointer} \${i.code}\`), ['/antragsteller/geburtsdatum EFA_RULE_GEBURTSDATUM_ZUKUNFT']);
  });

  test('responsibility follows the applicant\\'s address', () => {
    assert.equal(logic.region(example), example.antragsteller.anschrift.ars);
  });
`
    : `
  test('the sample application breaks no rule', () => {
    assert.deepEqual(logic.rules(example, ctx), []);
  });
`;
  return `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { logic, type Parameters } from '../services/${id}/logic.js';
import type { ${typeName} } from '../services/${id}/types.gen.js';
import { newLogicContext } from '../src/services/context.js';

const examples = JSON.parse(readFileSync(new URL('../services/${id}/examples.json', import.meta.url), 'utf8')) as { today: string; tenant: string; examples: Array<{ data: ${typeName} }> };
const example = examples.examples[0]!.data;
/** Rules compare with ctx.today, never the clock: the day and tenant examples.json states keep the test stable. */
const ctx = newLogicContext<Parameters>({}, examples.tenant, examples.today);

describe('${id}: rules and responsibility', () => {${ruleTests}});
`;
}

