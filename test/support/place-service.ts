import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADDRESS_SCHEMA } from '../../src/authoring/scaffold.js';
import { generateTypes, TYPES_FILE } from '../../src/services/types-gen.js';

/**
 * A test service whose rules and fee depend on the responsible place and on the day: the use of
 * a place for a period, charged per day at the place's rate (`satzCentJeTag`, which may change on
 * a date), for at most the place's `hoechstTage` days. Only test data: never in services/.
 */
export interface PlaceService {
  id: string;
  leikaKey: string;
  /** service.json "places". */
  places?: 'anywhere' | 'portal-land';
}

/** The tenants' values: SH's Kiel raises its rate on 1 January 2027; NW allows 30 days and Köln charges 1.50 €. */
export const PLACE_PARAMETERS = {
  sh: { parameters: { satzCentJeTag: 100 }, local: [{ ars: '01002', name: 'Kiel, ab 2027', validFrom: '2027-01-01', parameters: { satzCentJeTag: 120 } }] },
  nw: { parameters: { satzCentJeTag: 130, hoechstTage: 30 }, local: [{ ars: '05315', name: 'Köln', parameters: { satzCentJeTag: 150 } }] },
} as const;

export const KIEL = { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' };
export const KOELN = { strasse: 'Domkloster', hausnummer: '4', plz: '50667', ort: 'Köln', ars: '053150000000' };

/** Writes the service into `root` (a copy of the project), offered by SH and NW, routed to each Land's office. */
export async function addPlaceService(root: string, spec: PlaceService, examples?: Record<string, unknown>): Promise<void> {
  const dir = join(root, 'services', spec.id);
  mkdirSync(dir, { recursive: true });
  const json = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  json(join(dir, 'service.json'), {
    $schema: '../../schemas/service.schema.json', id: spec.id, leikaKey: spec.leikaKey, version: '1.0.0',
    title: { de: 'Nutzung eines Platzes (Test)', en: 'Use of a place (test)' }, leadLand: 'sh', ...(spec.places ? { places: spec.places } : {}),
    parameters: {
      satzCentJeTag: { title: { de: 'Satz je Tag in Cent', en: 'Rate per day in cents' }, type: 'integer', minimum: 0, maximum: 10000, default: 100 },
      hoechstTage: { title: { de: 'Längster Zeitraum in Tagen', en: 'Longest period in days' }, type: 'integer', minimum: 1, maximum: 365, default: 60 },
    },
    display: [{ value: 'fee', label: { de: 'Gebühr', en: 'Fee' } }],
  });
  json(join(dir, 'schema.json'), {
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${spec.id}/1.0.0/schema.json`,
    title: 'Platznutzung', type: 'object', additionalProperties: false, required: ['name', 'anschrift', 'zeitraum'],
    properties: {
      name: { title: 'Name', type: 'string', minLength: 2, maxLength: 100 },
      anschrift: { ...ADDRESS_SCHEMA, title: 'Ort der Nutzung' },
      zeitraum: {
        title: 'Zeitraum', type: 'object', additionalProperties: false, required: ['von', 'bis'],
        properties: { von: { title: 'Vom', type: 'string', format: 'date' }, bis: { title: 'Bis', type: 'string', format: 'date' } },
      },
    },
  });
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
  writeFileSync(join(dir, 'logic.ts'), LOGIC);
  json(join(dir, 'examples.json'), examples ?? {
    $schema: '../../schemas/examples.schema.json', today: '2026-12-01', tenant: 'sh',
    examples: [{ id: 'kiel', title: { de: 'Kiel über den Jahreswechsel', en: 'Kiel over the new year' }, data: { name: 'Erika Mustermann', anschrift: KIEL, zeitraum: { von: '2026-12-21', bis: '2027-02-18' } } }],
  });
  json(join(root, 'forms', `${spec.id}.form.json`), {
    $schema: '../schemas/form.schema.json', service: spec.id,
    steps: [
      { id: 'ort', title: { de: 'Ort', en: 'Place' }, fields: [{ pointer: '/name', kind: 'text' }, { pointer: '/anschrift', kind: 'address' }] },
      { id: 'zeitraum', title: { de: 'Zeitraum', en: 'Period' }, fields: [{ pointer: '/zeitraum/von', kind: 'date' }, { pointer: '/zeitraum/bis', kind: 'date' }] },
    ],
  });
  for (const [tenant, offer] of Object.entries(PLACE_PARAMETERS)) {
    const file = join(root, 'tenants', `${tenant}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, unknown> };
    doc.services[spec.id] = offer;
    json(file, doc);
  }
  json(join(root, 'routing', `${spec.id}.json`), {
    $schema: '../schemas/routing.schema.json',
    responsibilities: [{ leikaKey: spec.leikaKey, arsPrefix: '01', authorityId: 'land-sh' }, { leikaKey: spec.leikaKey, arsPrefix: '05', authorityId: 'land-nw' }],
  });
}

const LOGIC = `import type { FeeLine, Issue, LocalText, LogicContext, ServiceLogic } from '../../src/services/contract.js';
import type { Platznutzung } from './types.gen.js';

interface Params { satzCentJeTag: number; hoechstTage: number }

const MAX_DAYS_AHEAD = 730;
const MESSAGES: Record<string, LocalText> = {
  EFA_RULE_ENDE_VOR_BEGINN: { de: 'Das Ende darf nicht vor dem Beginn liegen.', en: 'The end must not be before the start.' },
  EFA_RULE_ZU_LANG: { de: 'Der Zeitraum ist länger, als die Gemeinde erlaubt.', en: 'The period is longer than the municipality allows.' },
  EFA_RULE_ZU_FRUEH: { de: 'Sie können höchstens zwei Jahre im Voraus beantragen.', en: 'You can apply at most two years ahead.' },
};

function nextDay(day: string): string {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

const euro = (cents: number) => (cents / 100).toFixed(2);

function line(from: string, to: string, days: number, rate: number): FeeLine {
  return { label: { de: from + ' bis ' + to + ': ' + days + ' Tage zu ' + euro(rate).replace('.', ',') + ' €', en: from + ' to ' + to + ': ' + days + ' days at €' + euro(rate) }, cents: days * rate };
}

/** One line per rate: the period is split where the place's rate changes. */
function feeLines(von: string, bis: string, ctx: LogicContext<Params>): FeeLine[] {
  const lines: FeeLine[] = [];
  let start = von, last = von, days = 0, rate = ctx.param('satzCentJeTag', { on: von });
  for (let day = von; day <= bis; day = nextDay(day)) {
    const today = ctx.param('satzCentJeTag', { on: day });
    if (today !== rate) { lines.push(line(start, last, days, rate)); start = day; days = 0; rate = today; }
    days++;
    last = day;
  }
  lines.push(line(start, last, days, rate));
  return lines;
}

export const logic: ServiceLogic<Platznutzung, Params> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    const issue = (code: string) => issues.push({ pointer: '/zeitraum/bis', code, message: MESSAGES[code] as LocalText });
    const von = data.zeitraum?.von, bis = data.zeitraum?.bis;
    if (von && ctx.dates.daysBetween(ctx.today, von) > MAX_DAYS_AHEAD) issues.push({ pointer: '/zeitraum/von', code: 'EFA_RULE_ZU_FRUEH', message: MESSAGES.EFA_RULE_ZU_FRUEH as LocalText });
    if (von && bis && bis < von) issue('EFA_RULE_ENDE_VOR_BEGINN');
    else if (von && bis && ctx.dates.daysBetween(von, bis) + 1 > ctx.params.hoechstTage) issue('EFA_RULE_ZU_LANG');
    return issues;
  },
  derive() {
    return {};
  },
  fee(data, ctx) {
    const lines = feeLines(data.zeitraum.von, data.zeitraum.bis, ctx);
    return { cents: lines.reduce((sum, l) => sum + l.cents, 0), currency: 'EUR', lines };
  },
  region(data) {
    return data.anschrift.ars;
  },
};

export default logic;
`;
