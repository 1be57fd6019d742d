/**
 * The bench's own services, generated into a temp copy of the project root (EFA_ROOT), so the
 * figures do not depend on which services are declared: a 3-page, 30-field form (the same form the
 * DEFRA engine serves), a service with a repeatable group (test/support/extra-service.ts), and for
 * the startup bench N copies of the 30-field service offered by every tenant.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTypes, TYPES_FILE } from '../../src/services/types-gen.js';
import { addExtraService, copyProjectRoot, type TempRoot } from '../../test/support/extra-service.js';
import { fieldNames, PAGES } from './defra.js';

export const FORM_SERVICE = 'bench-antrag';
export const GROUP_SERVICE = 'bench-gruppe';
/** The tenant the bench applies in, and the authority its services route to (ARS prefix 01). */
export const TENANT = 'sh';
const AUTHORITY = 'land-sh';
const REGION = '010020000000';

export const stepId = (page: number) => `seite${page}`;

/** The answers of page p as the applicant's form posts them (pointer /seiteN/<field> -> seiteN.<field>). */
export function answersOf(page: number): Record<string, string> {
  return Object.fromEntries(fieldNames(page).map((name, i) => [`${stepId(page)}.${name}`, `Angabe ${page}.${i + 1} mit etwas Text`]));
}

/**
 * A copy of the project root with the bench's services (unless `own` is false); `extra` more copies
 * of the form service, each offered by every tenant.
 */
export async function benchRoot(opts: { groupRows: number; extra?: number; own?: boolean }): Promise<TempRoot> {
  const temp = copyProjectRoot('efa-bench-root-');
  try {
    if (opts.own !== false) await addFormService(temp.root, FORM_SERVICE, '99999999999101', [TENANT]);
    if (opts.own !== false) await addExtraService(temp.root, { id: GROUP_SERVICE, leikaKey: '99999999999102', tenants: [TENANT], routes: { '01': AUTHORITY }, minItems: 1, maxItems: Math.max(1, opts.groupRows) });
    const everyTenant = readdirSync(join(temp.root, 'tenants')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    for (let i = 1; i <= (opts.extra ?? 0); i++) await addFormService(temp.root, `bench-dienst-${String(i).padStart(2, '0')}`, `99999999998${String(i).padStart(3, '0')}`, everyTenant);
    return temp;
  } catch (err) {
    temp.remove();
    throw err;
  }
}

async function addFormService(root: string, id: string, leikaKey: string, tenants: string[]): Promise<void> {
  const dir = join(root, 'services', id);
  mkdirSync(dir, { recursive: true });
  const json = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  const pages = Array.from({ length: PAGES }, (_v, i) => i + 1);
  json(join(dir, 'service.json'), { $schema: '../../schemas/service.schema.json', id, leikaKey, version: '1.0.0', title: { de: 'Antrag mit 30 Angaben (Bench)', en: 'Application with 30 answers (bench)' }, leadLand: tenants[0] });
  json(join(dir, 'schema.json'), {
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${id}/1.0.0/schema.json`,
    title: 'BenchAntrag', type: 'object', additionalProperties: false, required: pages.map(stepId),
    properties: Object.fromEntries(pages.map((p) => [stepId(p), {
      title: `Seite ${p}`, type: 'object', additionalProperties: false, required: fieldNames(p),
      properties: Object.fromEntries(fieldNames(p).map((name, i) => [name, { title: `Angabe ${p}.${i + 1}`, type: 'string', minLength: 1, maxLength: 100 }])),
    }])),
  });
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
  writeFileSync(join(dir, 'logic.ts'), LOGIC);
  const data = Object.fromEntries(pages.map((p) => [stepId(p), Object.fromEntries(fieldNames(p).map((name, i) => [name, `Angabe ${p}.${i + 1}`]))]));
  json(join(dir, 'examples.json'), { $schema: '../../schemas/examples.schema.json', examples: [{ id: 'vollstaendig', title: { de: 'Alle Angaben', en: 'Every answer' }, data }] });
  json(join(root, 'forms', `${id}.form.json`), {
    $schema: '../schemas/form.schema.json', service: id,
    steps: pages.map((p) => ({ id: stepId(p), title: { de: `Seite ${p}`, en: `Page ${p}` }, fields: fieldNames(p).map((name, i) => ({ pointer: `/${stepId(p)}/${name}`, kind: 'text', label: { de: `Angabe ${p}.${i + 1}`, en: `Answer ${p}.${i + 1}` } })) })),
  });
  for (const tenant of tenants) {
    const file = join(root, 'tenants', `${tenant}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, unknown> };
    doc.services[id] = {};
    json(file, doc);
  }
  json(join(root, 'routing', `${id}.json`), { $schema: '../schemas/routing.schema.json', responsibilities: [{ leikaKey, arsPrefix: '01', authorityId: AUTHORITY }] });
}

// One place for every application: the bench measures the engine, not the routing of addresses.
const LOGIC = `import type { ServiceLogic } from '../../src/services/contract.js';
import type { BenchAntrag } from './types.gen.js';

export const logic: ServiceLogic<BenchAntrag> = {
  messages: {},
  rules() {
    return [];
  },
  derive(data) {
    return { seiten: Object.keys(data).length };
  },
  fee() {
    return { cents: 0, currency: 'EUR' };
  },
  region() {
    return '${REGION}';
  },
};

export default logic;
`;
