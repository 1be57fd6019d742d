/**
 * A temporary copy of the project root with one extra service, "probedienst" (a small dog-tax-like
 * service made for tests): a same-step condition, conditions on parameters and derived values,
 * a breed from the code list urn:de:efa:codelist:hunderassen, a yearly tax that depends on the
 * municipality (local parameters) and a display declaration without a fee. Tests never depend on
 * which services the project itself ships.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { copyDeclarations } from './declarations.js';

export const PROBE = 'probedienst';
export const PROBE_LEIKA = '99000000000001';
export const KIEL = '010020000000';
export const LUEBECK = '010030000000';

export function probeSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    // Unique per copy: the data Ajv caches compiled schemas by $id.
    $id: `https://efa-runtime.example/test/${PROBE}/${randomUUID()}/schema.json`,
    title: 'Probedienst', type: 'object', additionalProperties: false, required: ['gemeinde', 'hund'],
    properties: {
      gemeinde: { title: 'Gemeinde', oneOf: [{ const: KIEL, title: 'Kiel' }, { const: LUEBECK, title: 'Lübeck' }] },
      hund: {
        title: 'Hund', type: 'object', additionalProperties: false, required: ['rasse', 'gefaehrlich'],
        properties: {
          rasse: { title: 'Rasse', type: 'string', 'x-codelist': { urn: 'urn:de:efa:codelist:hunderassen', version: '1' } },
          gefaehrlich: { title: 'Gefährlicher Hund', type: 'boolean' },
          wesenstest: { title: 'Wesenstest bestanden bei', type: 'string', minLength: 2, maxLength: 100 },
        },
      },
      ermaessigung: { title: 'Ermäßigung', type: 'boolean' },
      nachweis: { title: 'Nachweis', type: 'string', minLength: 2, maxLength: 100 },
    },
  };
}

export function probeServiceJson(): Record<string, unknown> {
  return {
    id: PROBE, leikaKey: PROBE_LEIKA, version: '1.0.0', title: { de: 'Probedienst Hundesteuer', en: 'Probe dog tax' }, leadLand: 'sh',
    parameters: {
      satzCent: { title: 'Steuersatz je Hund und Jahr in Cent', type: 'integer', minimum: 0, maximum: 100000, default: 9000 },
      gefaehrlichSatzCent: { title: 'Steuersatz für gefährliche Hunde in Cent', type: 'integer', minimum: 0, maximum: 200000, default: 60000 },
      ermaessigungProzent: { title: 'Ermäßigung in Prozent', type: 'integer', minimum: 0, maximum: 100, default: 0 },
    },
    derived: {
      jahressteuerCent: { title: { de: 'Hundesteuer pro Jahr', en: 'Dog tax per year' }, type: 'integer' },
      gefaehrlich: { title: 'Gefährlicher Hund', type: 'boolean' },
    },
    display: [
      { value: 'derived.jahressteuerCent', label: { de: 'Hundesteuer pro Jahr', en: 'Dog tax per year' }, format: 'money', hint: { de: 'fällig jeweils zum 1. Juli', en: 'due every 1 July' } },
    ],
  };
}

const LOGIC = `
const MESSAGES = { EFA_RULE_WESENSTEST: { de: 'Geben Sie an, wo der Wesenstest bestanden wurde.', en: 'Say where the temperament test was passed.' } };
export const logic = {
  messages: MESSAGES,
  rules(data) {
    return data.hund && data.hund.gefaehrlich === true && !data.hund.wesenstest
      ? [{ pointer: '/hund/wesenstest', code: 'EFA_RULE_WESENSTEST', message: MESSAGES.EFA_RULE_WESENSTEST }] : [];
  },
  derive(data, ctx) {
    const gefaehrlich = data.hund.gefaehrlich === true;
    const satz = gefaehrlich ? ctx.params.gefaehrlichSatzCent : ctx.params.satzCent;
    const rabatt = data.ermaessigung === true ? Math.round(satz * ctx.params.ermaessigungProzent / 100) : 0;
    return { jahressteuerCent: satz - rabatt, gefaehrlich };
  },
  fee() { return { cents: 0, currency: 'EUR' }; },
  region(data) { return data.gemeinde; },
};
export default logic;
`;

export function probeForm(): Record<string, unknown> {
  return {
    service: PROBE,
    steps: [
      { id: 'ort', title: { de: 'Wohnort', en: 'Place' }, fields: [{ pointer: '/gemeinde', kind: 'radios', label: { de: 'Gemeinde', en: 'Municipality' } }] },
      {
        id: 'hund', title: { de: 'Ihr Hund', en: 'Your dog' },
        fields: [
          { pointer: '/hund/rasse', kind: 'select', label: { de: 'Rasse', en: 'Breed' } },
          { pointer: '/hund/gefaehrlich', kind: 'yesno', label: { de: 'Ist Ihr Hund als gefährlich eingestuft?', en: 'Is your dog classed as dangerous?' } },
          {
            pointer: '/hund/wesenstest', kind: 'text', label: { de: 'Wo wurde der Wesenstest bestanden?', en: 'Where was the temperament test passed?' },
            showIf: { '==': [{ var: 'answers.hund.gefaehrlich' }, true] },
            conditionHint: { de: 'Nur wenn Ihr Hund als gefährlich eingestuft ist.', en: 'Only if your dog is classed as dangerous.' },
          },
        ],
      },
      {
        id: 'ermaessigung', title: { de: 'Ermäßigung', en: 'Reduction' },
        // Offered only where the municipality grants a reduction, and not for dangerous dogs.
        showIf: { and: [{ '>': [{ var: 'params.ermaessigungProzent' }, 0] }, { '!': { var: 'derived.gefaehrlich' } }] },
        fields: [{ pointer: '/ermaessigung', kind: 'yesno', label: { de: 'Beziehen Sie Bürgergeld?', en: 'Do you receive citizen’s income?' } }],
      },
      {
        id: 'nachweis', title: { de: 'Nachweis', en: 'Proof' },
        showIf: { or: [{ '===': [{ var: 'answers.ermaessigung' }, true] }, { in: [{ var: 'answers.hund.rasse' }, ['X001']] }] },
        fields: [{ pointer: '/nachweis', kind: 'text', label: { de: 'Aktenzeichen des Nachweises', en: 'Reference of the proof' } }],
      },
    ],
  };
}

export interface ProbeRoot {
  root: string;
  serviceDir: string;
  write(relative: string, value: unknown): void;
  read(relative: string): Record<string, unknown>;
  /** Changes one tenant file's entry for the probe service. */
  offer(tenant: string, entry: Record<string, unknown>): void;
  close(): void;
}

/** Copies the project's declarative folders and adds the probe service, offered by sh (and routed to land-sh). */
export function probeRoot(): ProbeRoot {
  const root = mkdtempSync(join(tmpdir(), 'efa-probe-'));
  copyDeclarations(root);
  const serviceDir = join(root, 'services', PROBE);
  mkdirSync(serviceDir, { recursive: true });
  const write = (relative: string, value: unknown) => writeFileSync(join(root, relative), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  const read = (relative: string) => JSON.parse(readFileSync(join(root, relative), 'utf8')) as Record<string, unknown>;
  write(`services/${PROBE}/schema.json`, probeSchema());
  write(`services/${PROBE}/service.json`, probeServiceJson());
  write(`services/${PROBE}/logic.js`, LOGIC);
  write(`services/${PROBE}/examples.json`, { examples: [{ id: 'kiel', title: 'Kiel', data: { gemeinde: KIEL, hund: { rasse: '166', gefaehrlich: false } } }] });
  write(`forms/${PROBE}.form.json`, probeForm());
  const routing = read('routing/demo.json') as { responsibilities: unknown[] };
  routing.responsibilities.push({ leikaKey: PROBE_LEIKA, arsPrefix: '01', authorityId: 'land-sh' });
  write('routing/demo.json', routing);
  const offer = (tenant: string, entry: Record<string, unknown>) => {
    const file = `tenants/${tenant}.json`;
    const def = read(file) as { services: Record<string, unknown> };
    def.services[PROBE] = entry;
    write(file, def);
  };
  offer('sh', {});
  return { root, serviceDir, write, read, offer, close: () => rmSync(root, { recursive: true, force: true }) };
}
