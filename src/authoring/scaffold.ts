/**
 * `efa new service`: writes a small, working service into a project root, the files a lead Land
 * then edits (docs/authoring.md). Every file is planned in memory first and written only when none
 * of them exists yet, so a refused or failed scaffold leaves nothing behind and never overwrites.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { EfaError } from '../core/errors.js';
import { generateTypes, TYPES_FILE } from '../services/types-gen.js';

/** Bad input to the scaffold: each case has its own stable code (see SCAFFOLD_CODES). */
export class ScaffoldError extends EfaError {
  constructor(code: ScaffoldCode, message: string) {
    super(code, message, 400);
  }
}

export const SCAFFOLD_CODES = {
  idInvalid: 'EFA_SCAFFOLD_ID_INVALID',
  exists: 'EFA_SCAFFOLD_EXISTS',
  leikaInvalid: 'EFA_SCAFFOLD_LEIKA_INVALID',
  leikaTaken: 'EFA_SCAFFOLD_LEIKA_TAKEN',
  leadUnknown: 'EFA_SCAFFOLD_LEAD_UNKNOWN',
  rootInvalid: 'EFA_SCAFFOLD_ROOT_INVALID',
  inputInvalid: 'EFA_SCAFFOLD_INPUT_INVALID',
} as const;
export type ScaffoldCode = (typeof SCAFFOLD_CODES)[keyof typeof SCAFFOLD_CODES];

export interface ScaffoldOptions {
  /** Project root holding services/, forms/, tenants/, routing/. */
  root: string;
  /** Service id: folder name and URL segment. */
  id: string;
  /** 14-digit LeiKa key; without it a placeholder starting with 00 (no LeiKa key does) is written. */
  leikaKey?: string;
  /** Tenant id of the lead Land; default: the first tenant of the root. */
  leadLand?: string;
  title?: { de: string; en?: string };
  /** A data schema (JSON Schema 2020-12, an object) instead of the default one, e.g. from a FIM import. */
  schema?: object;
  /** A form (forms/<id>.form.json content) matching `schema`; required with `schema`. */
  form?: object;
}

export interface ScaffoldResult {
  id: string;
  leikaKey: string;
  /** True when no LeiKa key was given and a placeholder stands in service.json and routing. */
  leikaPlaceholder: boolean;
  leadLand: string;
  /** Written files, relative to the root, in the order written. */
  files: string[];
  /** What the author must still do before `efa check` passes (only with a given schema). */
  warnings: string[];
  nextSteps: string[];
}

const ID = /^[a-z][a-z0-9-]{1,62}$/;
const LEIKA = /^[0-9]{14}$/;
const VERSION = '1.0.0';

/** Kiel: a place the demo routing data and the postal code index both know. */
const SAMPLE_ADDRESS = { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' };

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

export async function scaffoldService(opts: ScaffoldOptions): Promise<ScaffoldResult> {
  const root = resolve(opts.root);
  const { id } = opts;
  if (!ID.test(id)) throw new ScaffoldError(SCAFFOLD_CODES.idInvalid, `service id "${id}" must be a slug: 2-63 of a-z 0-9 -, starting with a letter (it becomes the folder name and the URL, e.g. hundesteuer)`);
  if (!existsSync(join(root, 'services'))) throw new ScaffoldError(SCAFFOLD_CODES.rootInvalid, `${root} has no services/ folder: run in the project root or give --root (or EFA_ROOT)`);
  if (opts.leikaKey !== undefined && !LEIKA.test(opts.leikaKey)) throw new ScaffoldError(SCAFFOLD_CODES.leikaInvalid, `LeiKa key "${opts.leikaKey}" must be exactly 14 digits (the Leistungsschlüssel of the federal service catalogue, e.g. 99050012104000)`);
  if ((opts.schema === undefined) !== (opts.form === undefined)) throw new ScaffoldError(SCAFFOLD_CODES.inputInvalid, 'a schema and a form come together: the form\'s pointers name the schema\'s fields');
  const leikaKey = opts.leikaKey ?? placeholderLeika(id);
  const taken = serviceWithLeika(root, leikaKey);
  if (taken) throw new ScaffoldError(SCAFFOLD_CODES.leikaTaken, `LeiKa key ${leikaKey} belongs to services/${taken} already: responsibility and directory entries are by LeiKa key, so two services cannot share one`);
  const leadLand = leadLandOf(root, opts.leadLand);
  const title = { de: opts.title?.de ?? titleFromId(id), en: opts.title?.en ?? opts.title?.de ?? titleFromId(id) };

  const schema = (opts.schema ?? defaultSchema(id, title.de)) as Record<string, unknown>;
  if (schema.type !== 'object') throw new ScaffoldError(SCAFFOLD_CODES.inputInvalid, 'the data schema must describe an object ("type": "object")');
  const form = opts.form ? { ...(opts.form as Record<string, unknown>), service: id } : defaultForm(id);

  const serviceDir = join('services', id);
  const planned = new Map<string, string>();
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  planned.set(join(serviceDir, 'service.json'), json(serviceJson(id, leikaKey, leadLand, title, schema)));
  planned.set(join(serviceDir, 'schema.json'), json(schema));
  const types = await typesOf(schema);
  planned.set(join(serviceDir, TYPES_FILE), types);
  const typeName = rootTypeName(types, schema);
  const regionPointer = opts.schema ? addressPointer(form) : '/antragsteller/anschrift';
  planned.set(join(serviceDir, 'logic.ts'), opts.schema ? customLogic(typeName, regionPointer) : DEFAULT_LOGIC.replaceAll('__TYPE__', typeName));
  const warnings: string[] = [];
  planned.set(join(serviceDir, 'examples.json'), json({ $schema: '../../schemas/examples.schema.json', examples: [{ id: 'beispiel', title: { de: 'Beispielantrag', en: 'Sample application' }, data: opts.schema ? sampleOf(schema, schema, warnings, '') : DEFAULT_EXAMPLE }] }));
  warnings.forEach((w, i) => { warnings[i] = `services/${id}/examples.json: ${w}`; });
  if (opts.schema && !regionPointer) warnings.push(`services/${id}/logic.ts: region(): the form has no address field; return the 12-digit ARS that decides responsibility`);
  planned.set(join('forms', `${id}.form.json`), json(form));
  planned.set(join('routing', `${id}.json`), json({ $schema: '../schemas/routing.schema.json', responsibilities: [] }));
  planned.set(join('test', `service-${id}-logic.test.ts`), logicTest(id, typeName, leadLand, !opts.schema));

  const existing = [serviceDir, ...planned.keys()].filter((file) => existsSync(join(root, file)) && !(file.startsWith(`${serviceDir}/`) && existsSync(join(root, serviceDir))));
  if (existing.length > 0) throw new ScaffoldError(SCAFFOLD_CODES.exists, `service "${id}" exists already (${existing.join(', ')}): nothing was written; choose another id or edit the existing files`);

  const written: string[] = [];
  try {
    for (const [file, content] of planned) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), content, { flag: 'wx' });
      written.push(file);
    }
  } catch (err) {
    for (const file of written) rmSync(join(root, file), { force: true });
    rmSync(join(root, serviceDir), { recursive: true, force: true });
    throw err;
  }
  return { id, leikaKey, leikaPlaceholder: opts.leikaKey === undefined, leadLand, files: written, warnings, nextSteps: nextSteps(id, leikaKey, opts.leikaKey === undefined) };
}

/** What `efa new service` prints after the file list. */
export function describeResult(r: ScaffoldResult, root: string): string {
  const lines = [`created service "${r.id}" (LeiKa ${r.leikaKey}${r.leikaPlaceholder ? ', a placeholder' : ''}, lead Land ${r.leadLand}) in ${shownRoot(root)}:`];
  for (const file of r.files) lines.push(`  ${file}`);
  if (r.warnings.length > 0) lines.push('', 'still to do before efa check passes:', ...r.warnings.map((w) => `  - ${w}`));
  lines.push('', 'next steps (docs/authoring.md):', ...r.nextSteps.map((s, i) => `  ${i + 1}. ${s}`));
  return lines.join('\n');
}

function shownRoot(root: string): string {
  const rel = relative(process.cwd(), resolve(root));
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(root) : rel;
}

function nextSteps(id: string, leikaKey: string, placeholder: boolean): string[] {
  return [
    ...(placeholder ? [`put the service's real LeiKa key into services/${id}/service.json and routing/${id}.json (${leikaKey} is a placeholder)`] : []),
    `edit services/${id}/schema.json (the data) and forms/${id}.form.json (the steps), then npx efa gen-types`,
    `edit the rules in services/${id}/logic.ts, the sample data in services/${id}/examples.json and test/service-${id}-logic.test.ts`,
    'npx efa check, and look at every page: npx efa preview --list, or http://127.0.0.1:3000/_efa/preview/ under npm start',
    `offer it in a Land: add "${id}": {} under "services" in tenants/<land>.json (no Land offers it yet)`,
    `route it: add a responsibility { "leikaKey": "${leikaKey}", "arsPrefix": "01", "authorityId": "…" } to routing/${id}.json, with a directory entry for that authority`,
    `npm start and apply at http://127.0.0.1:3000/<land>/${id}`,
  ];
}

/** "00" + 12 digits of the id's hash: the same id gets the same key, and no LeiKa key starts with 00. */
function placeholderLeika(id: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(id).digest('hex').slice(0, 16)}`) % 10n ** 12n;
  return `00${digits.toString().padStart(12, '0')}`;
}

function serviceWithLeika(root: string, leikaKey: string): string | undefined {
  const dir = join(root, 'services');
  for (const other of readdirSync(dir).sort()) {
    const file = join(dir, other, 'service.json');
    if (!existsSync(file)) continue;
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as { leikaKey?: unknown }).leikaKey === leikaKey) return other;
    } catch {
      // A broken service.json is efa check's to report, not the scaffold's.
    }
  }
  return undefined;
}

function leadLandOf(root: string, wanted: string | undefined): string {
  const dir = join(root, 'tenants');
  const tenants = existsSync(dir) ? readdirSync(dir).filter((f) => /^[a-z]{2}\.json$/.test(f)).map((f) => f.slice(0, 2)).sort() : [];
  if (wanted !== undefined) {
    if (!tenants.includes(wanted)) throw new ScaffoldError(SCAFFOLD_CODES.leadUnknown, `lead Land "${wanted}" is not a tenant of this root (tenants/${wanted}.json is missing; known: ${tenants.join(', ') || 'none'})`);
    return wanted;
  }
  const first = tenants[0];
  if (!first) throw new ScaffoldError(SCAFFOLD_CODES.leadUnknown, 'this root has no tenants/<land>.json: give the lead Land with --lead');
  return first;
}

function titleFromId(id: string): string {
  return id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

async function typesOf(schema: Record<string, unknown>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'efa-scaffold-'));
  try {
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema));
    return await generateTypes(dir);
  } catch (err) {
    throw new ScaffoldError(SCAFFOLD_CODES.inputInvalid, `no types can be generated from the schema: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The generated type of the whole application: json-schema-to-typescript names it after the
 * schema's title, in its own way; it is the interface holding exactly the top-level properties.
 */
function rootTypeName(types: string, schema: Record<string, unknown>): string {
  const top = Object.keys((schema.properties ?? {}) as object).sort().join(',');
  for (const m of types.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const names = [...(m[2] ?? '').matchAll(/^ {2}(?:"([^"]+)"|(\w+))\??:/gm)].map((p) => p[1] ?? p[2]).sort().join(',');
    if (names === top && m[1]) return m[1];
  }
  throw new ScaffoldError(SCAFFOLD_CODES.inputInvalid, 'the generated types have no interface for the whole schema (give it a "title" and "properties")');
}

function serviceJson(id: string, leikaKey: string, leadLand: string, title: { de: string; en: string }, schema: Record<string, unknown>): Record<string, unknown> {
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

function defaultSchema(id: string, title: string): Record<string, unknown> {
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

function defaultForm(id: string): Record<string, unknown> {
  return {
    $schema: '../schemas/form.schema.json', service: id,
    intro: { de: 'Sie brauchen etwa 5 Minuten. Ihre Angaben werden zwischengespeichert; Sie können später weitermachen.', en: 'This takes about 5 minutes. Your answers are saved; you can continue later.' },
    steps: [
      {
        id: 'person', title: { de: 'Angaben zur Person', en: 'About you' },
        fields: [
          { pointer: '/antragsteller/vorname', kind: 'text', autocomplete: 'given-name', width: 20, label: { de: 'Vorname', en: 'First name' } },
          { pointer: '/antragsteller/familienname', kind: 'text', autocomplete: 'family-name', width: 20, label: { de: 'Familienname', en: 'Last name' } },
          { pointer: '/antragsteller/geburtsdatum', kind: 'date', label: { de: 'Geburtsdatum', en: 'Date of birth' }, hint: { de: 'Zum Beispiel 27 3 1985', en: 'For example 27 3 1985' } },
          { pointer: '/antragsteller/email', kind: 'email', autocomplete: 'email', width: 30, label: { de: 'E-Mail-Adresse (freiwillig)', en: 'Email address (optional)' } },
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

const DEFAULT_EXAMPLE = {
  antragsteller: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1985-05-12', email: 'erika@example.org', anschrift: SAMPLE_ADDRESS },
  anliegen: { beschreibung: 'Ich beantrage die Leistung für meinen Haushalt in Kiel.' },
};

const DEFAULT_LOGIC = `import type { Issue, LocalText, ServiceLogic } from '../../src/services/contract.js';
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

const VALUE_AT = `/** The value at a JSON Pointer, for fields whose place the generated types do not fix. */
function valueAt(data: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), data);
}

`;

function customLogic(typeName: string, regionPointer: string | undefined): string {
  const region = regionPointer
    ? `    const ars = valueAt(data, '${regionPointer}/ars');
    if (typeof ars !== 'string') throw new Error('the address at ${regionPointer} has no ARS');
    return ars;`
    : `    // TODO: return the 12-digit ARS (Amtlicher Regionalschlüssel) that decides responsibility,
    // e.g. from an address field (kind "address" fills /…/ars).
    throw new Error('region() is not written yet');`;
  return `import type { Issue, ServiceLogic } from '../../src/services/contract.js';
import type { ${typeName} } from './types.gen.js';

/** The parameters a Land may set: declare each in service.json "parameters" (bounds, default) and here. */
export type Parameters = Record<string, never>;

/** What derive() returns: declare each in service.json "derived" and here. */
export type Derived = Record<string, never>;

${regionPointer ? VALUE_AT : ''}/**
 * Service logic imports only types from the engine; whatever it calls comes with ctx
 * (ctx.today, ctx.dates, ctx.params): docs/services.md.
 */
export const logic: ServiceLogic<${typeName}, Parameters, Derived> = {
  rules(_data, _ctx) {
    const issues: Issue[] = [];
    // Cross-field rules go here: push { pointer, code, message } for each answered field that breaks one.
    return issues;
  },
  derive() {
    return {};
  },
  fee() {
    return { cents: 0, currency: 'EUR' };
  },
  region(${regionPointer ? 'data' : '_data'}) {
${region}
  },
};

export default logic;
`;
}

function logicTest(id: string, typeName: string, leadLand: string, defaults: boolean): string {
  const ruleTests = defaults
    ? `
  test('a date of birth in the future is refused at its field; a past one is not', () => {
    const data = structuredClone(example);
    assert.deepEqual(logic.rules(data, ctx), []);
    data.antragsteller.geburtsdatum = '2026-12-03';
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

/** Rules compare with ctx.today, never the clock: a fixed day keeps the test stable. */
const ctx = newLogicContext<Parameters>({}, '${leadLand}', '2026-12-02');
const examples = JSON.parse(readFileSync(new URL('../services/${id}/examples.json', import.meta.url), 'utf8')) as { examples: Array<{ data: ${typeName} }> };
const example = examples.examples[0]!.data;

describe('${id}: rules and responsibility', () => {${ruleTests}});
`;
}

/** The first address field of the form (its pointer), whose ARS decides responsibility. */
function addressPointer(form: Record<string, unknown>): string | undefined {
  const steps = Array.isArray(form.steps) ? (form.steps as Array<{ fields?: Array<{ kind?: string; pointer?: string }> }>) : [];
  for (const step of steps) for (const field of step.fields ?? []) if (field.kind === 'address' && field.pointer) return field.pointer;
  return undefined;
}

/**
 * A best-effort sample value for a schema (a given one, e.g. from FIM): `efa check` runs every
 * example against the schema and the rules, so what cannot be guessed is named in `warnings`.
 */
function sampleOf(node: unknown, root: Record<string, unknown>, warnings: string[], path: string, depth = 0): unknown {
  if (!node || typeof node !== 'object' || depth > 20) return undefined;
  let s = node as Record<string, unknown>;
  if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
    const target = s.$ref.slice(2).split('/').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), root);
    s = { ...(target as Record<string, unknown>), ...s, $ref: undefined };
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const choice = (s.oneOf ?? s.anyOf) as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(choice) && choice[0]) return sampleOf(choice[0], root, warnings, path, depth + 1);
  const props = (s.properties ?? {}) as Record<string, unknown>;
  if (s.type === 'object' || s.properties) {
    if (['strasse', 'hausnummer', 'plz', 'ort', 'ars'].every((k) => k in props)) return { ...SAMPLE_ADDRESS };
    const required = new Set((s.required as string[] | undefined) ?? []);
    const out: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(props)) if (required.has(name)) out[name] = sampleOf(sub, root, warnings, `${path}/${name}`, depth + 1);
    return out;
  }
  if (s.type === 'array') {
    const n = typeof s.minItems === 'number' ? s.minItems : 0;
    return Array.from({ length: n }, (_v, i) => sampleOf(s.items, root, warnings, `${path}/${i}`, depth + 1));
  }
  if (s.type === 'boolean') return false;
  if (s.type === 'integer' || s.type === 'number') return typeof s.minimum === 'number' ? s.minimum : 1;
  if (s.type === 'string') {
    if (s.format === 'date') return '2000-01-01';
    if (s.format === 'email') return 'erika@example.org';
    if (typeof s.pattern === 'string') {
      warnings.push(`/examples/0/data${path}: give a sample value matching ${s.pattern}`);
      return '';
    }
    const min = typeof s.minLength === 'number' ? s.minLength : 1;
    return 'Beispiel'.padEnd(min, 'x').slice(0, typeof s.maxLength === 'number' ? Math.max(min, s.maxLength) : undefined);
  }
  return undefined;
}
