import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { copyDeclarations } from './declarations.js';
import { join } from 'node:path';
import { generateTypes, TYPES_FILE } from '../../src/services/types-gen.js';
import { ADDRESS_SCHEMA } from '../../src/authoring/scaffold.js';

/**
 * A copy of the project's declarations (services/, forms/, tenants/, routing/) in a temp dir, so a
 * test can add a service without touching the real ones; start the runtime on it with EFA_ROOT.
 */
export interface TempRoot {
  root: string;
  remove(): void;
}

export function copyProjectRoot(prefix = 'efa-root-'): TempRoot {
  const root = mkdtempSync(join(tmpdir(), prefix));
  copyDeclarations(root);
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ExtraService {
  id: string;
  leikaKey: string;
  /** Tenants (Länder) that offer it. */
  tenants: string[];
  /** ARS prefix -> authority id, added to the routing seed. */
  routes: Record<string, string>;
  /** Bounds of the group of animals ("tiere"). */
  minItems: number;
  maxItems: number;
  /**
   * A row field that depends on another of the same row: the chip number, asked (and required)
   * only for a pet that is microchipped; `showIf` as the form writes it (default the shorthand).
   */
  chipNumber?: boolean | { showIf: Record<string, unknown>; conditionHint?: Record<string, string> };
  /**
   * A group nested in each animal's row: its vaccinations (/tiere/<n>/impfungen, each a vaccine
   * and a date), between `min` and `max` per animal.
   */
  vaccinations?: { min: number; max: number };
}

/**
 * Writes a small, complete service into `root`: service.json, schema.json (with a repeatable group
 * of animals, /tiere), generated types, logic (a rule per row, region from the address), a form,
 * sample data, offered by `spec.tenants` and routed by `spec.routes`. Only test data: never in services/.
 */
export async function addExtraService(root: string, spec: ExtraService): Promise<void> {
  const dir = join(root, 'services', spec.id);
  mkdirSync(dir, { recursive: true });
  const json = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  json(join(dir, 'service.json'), {
    $schema: '../../schemas/service.schema.json', id: spec.id, leikaKey: spec.leikaKey, version: '1.0.0',
    title: { de: 'Anmeldung von Haustieren (Test)', en: 'Registration of pets (test)' }, leadLand: spec.tenants[0],
  });
  json(join(dir, 'schema.json'), {
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${spec.id}/1.0.0/schema.json`,
    title: 'Haustiere', type: 'object', additionalProperties: false, required: ['halter', 'tiere'],
    properties: {
      halter: {
        title: 'Halterin oder Halter', type: 'object', additionalProperties: false, required: ['name', 'anschrift'],
        properties: { name: { title: 'Name', type: 'string', minLength: 2, maxLength: 100 }, anschrift: { $ref: '#/$defs/anschrift', title: 'Anschrift' } },
      },
      tiere: { title: 'Tiere', type: 'array', minItems: spec.minItems, maxItems: spec.maxItems, items: { $ref: '#/$defs/tier' } },
    },
    $defs: {
      anschrift: ADDRESS_SCHEMA,
      tier: {
        type: 'object', additionalProperties: false, required: ['name', 'art', 'geburtsdatum', ...(spec.vaccinations && spec.vaccinations.min > 0 ? ['impfungen'] : [])],
        properties: {
          name: { title: 'Name', type: 'string', minLength: 1, maxLength: 60 },
          art: { title: 'Tierart', oneOf: [{ const: 'hund', title: 'Hund' }, { const: 'katze', title: 'Katze' }] },
          geburtsdatum: { title: 'Geburtsdatum', type: 'string', format: 'date' },
          gechippt: { title: 'Gechippt', type: 'boolean' },
          ...(spec.chipNumber ? { chipnummer: { title: 'Chipnummer', type: 'string', pattern: '^[0-9]{15}$' } } : {}),
          ...(spec.vaccinations ? { impfungen: { title: 'Impfungen', type: 'array', minItems: spec.vaccinations.min, maxItems: spec.vaccinations.max, items: { $ref: '#/$defs/impfung' } } } : {}),
        },
      },
      impfung: {
        type: 'object', additionalProperties: false, required: ['impfstoff', 'datum'],
        properties: { impfstoff: { title: 'Impfstoff', type: 'string', minLength: 2, maxLength: 60 }, datum: { title: 'Datum', type: 'string', format: 'date' } },
      },
    },
  });
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
  writeFileSync(join(dir, 'logic.ts'), LOGIC);
  json(join(dir, 'examples.json'), { $schema: '../../schemas/examples.schema.json', examples: [{ id: 'drei-tiere', title: { de: 'Drei Tiere in Kiel', en: 'Three pets in Kiel' }, data: example(spec.minItems, spec.vaccinations?.min) }] });
  json(join(root, 'forms', `${spec.id}.form.json`), {
    $schema: '../schemas/form.schema.json', service: spec.id,
    steps: [
      {
        id: 'halter', title: { de: 'Halterin oder Halter', en: 'Keeper' },
        fields: [
          { pointer: '/halter/name', kind: 'text', label: { de: 'Name', en: 'Name' } },
          { pointer: '/halter/anschrift', kind: 'address', label: { de: 'Anschrift', en: 'Address' } },
        ],
      },
      {
        id: 'tiere', title: { de: 'Ihre Tiere', en: 'Your pets' },
        fields: [{
          pointer: '/tiere', kind: 'group', label: { de: 'Tiere', en: 'Pets' }, itemLabel: { de: 'Tier', en: 'Pet' },
          addLabel: { de: 'Weiteres Tier hinzufügen', en: 'Add another pet' },
          fields: [
            { pointer: '/name', kind: 'text', label: { de: 'Name des Tiers', en: 'Name of the pet' } },
            { pointer: '/art', kind: 'radios', label: { de: 'Tierart', en: 'Kind of animal' }, options: { hund: { de: 'Hund', en: 'Dog' }, katze: { de: 'Katze', en: 'Cat' } } },
            { pointer: '/geburtsdatum', kind: 'date', label: { de: 'Geburtsdatum', en: 'Date of birth' } },
            { pointer: '/gechippt', kind: 'yesno', label: { de: 'Ist das Tier gechippt?', en: 'Is the pet microchipped?' } },
            ...(spec.chipNumber ? [chipField(spec.chipNumber)] : []),
            ...(spec.vaccinations ? [VACCINATIONS] : []),
          ],
        }],
      },
    ],
  });
  for (const tenant of spec.tenants) {
    const file = join(root, 'tenants', `${tenant}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, unknown> };
    doc.services[spec.id] = {};
    json(file, doc);
  }
  json(join(root, 'routing', `${spec.id}.json`), {
    $schema: '../schemas/routing.schema.json',
    responsibilities: Object.entries(spec.routes).map(([arsPrefix, authorityId]) => ({ leikaKey: spec.leikaKey, arsPrefix, authorityId })),
  });
}

const VACCINATIONS = {
  pointer: '/impfungen', kind: 'group', label: { de: 'Impfungen', en: 'Vaccinations' }, itemLabel: { de: 'Impfung', en: 'Vaccination' },
  fields: [
    { pointer: '/impfstoff', kind: 'text', label: { de: 'Impfstoff', en: 'Vaccine' } },
    { pointer: '/datum', kind: 'date', label: { de: 'Datum der Impfung', en: 'Date of vaccination' } },
  ],
};

function chipField(spec: NonNullable<ExtraService['chipNumber']>): Record<string, unknown> {
  const condition = spec === true ? { showIf: { pointer: './gechippt', equals: true } } : spec;
  return { pointer: '/chipnummer', kind: 'text', label: { de: 'Chipnummer', en: 'Chip number' }, required: true, ...condition };
}

/**
 * `rows` animals kept in Kiel, with `vaccinations` each when the service nests them; also what
 * the benchmark fills its group with.
 */
export function example(rows: number, vaccinations?: number): Record<string, unknown> {
  const impfungen = (n: number) => Array.from({ length: n }, (_v, j) => ({ impfstoff: `Impfstoff ${j + 1}`, datum: '2021-03-01' }));
  return {
    halter: { name: 'Erika Mustermann', anschrift: { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' } },
    tiere: Array.from({ length: rows }, (_v, i) => ({
      name: `Tier ${i + 1}`, art: i % 2 === 0 ? 'hund' : 'katze', geburtsdatum: '2020-05-01', gechippt: i % 3 === 0,
      ...(vaccinations === undefined ? {} : { impfungen: impfungen(vaccinations) }),
    })),
  };
}

const LOGIC = `import type { Issue, ServiceLogic } from '../../src/services/contract.js';
import type { Haustiere } from './types.gen.js';

const MESSAGES = {
  EFA_RULE_GEBURT_ZUKUNFT: { de: 'Das Geburtsdatum darf nicht in der Zukunft liegen.', en: 'The date of birth must not be in the future.' },
  EFA_RULE_IMPFUNG_ZUKUNFT: { de: 'Das Datum der Impfung darf nicht in der Zukunft liegen.', en: 'The date of vaccination must not be in the future.' },
} as const;

export const logic: ServiceLogic<Haustiere> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    (data.tiere ?? []).forEach((tier, i) => {
      if (tier?.geburtsdatum && tier.geburtsdatum > ctx.today) issues.push({ pointer: \`/tiere/\${i}/geburtsdatum\`, code: 'EFA_RULE_GEBURT_ZUKUNFT', message: MESSAGES.EFA_RULE_GEBURT_ZUKUNFT });
      // Nested rows (a service with vaccinations): a rule names the inner row's field.
      ((tier as { impfungen?: Array<{ datum?: string }> }).impfungen ?? []).forEach((impfung, j) => {
        if (impfung?.datum && impfung.datum > ctx.today) issues.push({ pointer: \`/tiere/\${i}/impfungen/\${j}/datum\`, code: 'EFA_RULE_IMPFUNG_ZUKUNFT', message: MESSAGES.EFA_RULE_IMPFUNG_ZUKUNFT });
      });
    });
    return issues;
  },
  derive(data) {
    return { anzahlTiere: data.tiere.length, anzahlHunde: data.tiere.filter((t) => t.art === 'hund').length };
  },
  fee() {
    return { cents: 0, currency: 'EUR' };
  },
  region(data) {
    return data.halter.anschrift.ars;
  },
};

export default logic;
`;
