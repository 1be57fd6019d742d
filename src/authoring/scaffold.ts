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
import type { CodeLists } from '../codelists/genericode.js';
import type { FimCheck } from './fim/index.js';
import { customLogic } from './logic-template.js';
import { samplesFor } from './samples.js';
import { DEFAULT_EXAMPLE, DEFAULT_LOGIC, defaultForm, defaultSchema, logicTest, serviceJson } from './scaffold-templates.js';

export { ADDRESS_SCHEMA } from './scaffold-templates.js';

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
  /** The day examples.json states its examples are checked on (YYYY-MM-DD); default: today in Europe/Berlin. */
  today?: string;
  /** More files to write with the others (relative to the root), e.g. the import notes and the code lists a FIM export ships. */
  files?: Array<{ path: string; content: string }>;
  /** Checks for logic.ts rules() (FIM rules the form cannot show as conditions). */
  checks?: FimCheck[];
  /** The code lists the schema's x-codelist references resolve to (the project's and those in `files`), for the sample data. */
  codeLists?: CodeLists;
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
  const types = await typesOf(schema, id);
  planned.set(join(serviceDir, TYPES_FILE), types);
  const typeName = rootTypeName(types, schema);
  const addresses = opts.schema ? addressPointers(form) : ['/antragsteller/anschrift'];
  const fallbackArs = `${landOf(root, leadLand)}0000000000`;
  planned.set(join(serviceDir, 'logic.ts'), opts.schema ? customLogic(typeName, { addresses, fallbackArs, checks: opts.checks ?? [] }) : DEFAULT_LOGIC.replaceAll('__TYPE__', typeName));
  const warnings: string[] = [];
  const examples = opts.schema
    ? samplesFor(schema, form, opts.checks ?? [], { root: schema, warnings, ...(opts.codeLists ? { codeLists: opts.codeLists } : {}) })
    : [{ id: 'beispiel', title: { de: 'Beispielantrag', en: 'Sample application' }, data: DEFAULT_EXAMPLE }];
  // The day and the tenant stated, so a rule about the day or the place checks the sample the same way every time.
  planned.set(join(serviceDir, 'examples.json'), json({ $schema: '../../schemas/examples.schema.json', today: opts.today ?? berlinToday(), tenant: leadLand, examples }));
  warnings.forEach((w, i) => { warnings[i] = `services/${id}/examples.json: ${w}`; });
  if (opts.schema && addresses.length === 0) warnings.push(`services/${id}/logic.ts: region(): the form has no address field, so it returns the lead Land as a whole (${fallbackArs}); return the 12-digit ARS that decides responsibility`);
  planned.set(join('forms', `${id}.form.json`), json(form));
  planned.set(join('routing', `${id}.json`), json({ $schema: '../schemas/routing.schema.json', responsibilities: [] }));
  planned.set(join('test', `service-${id}-logic.test.ts`), logicTest(id, typeName, !opts.schema));
  for (const f of opts.files ?? []) planned.set(f.path, f.content);

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

function berlinToday(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
}

function titleFromId(id: string): string {
  return id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

async function typesOf(schema: Record<string, unknown>, id: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'efa-scaffold-'));
  try {
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema));
    return await generateTypes(dir, id);
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

/** The address fields of the form (their pointers, in form order), whose ARS decides responsibility. */
function addressPointers(form: Record<string, unknown>): string[] {
  const steps = Array.isArray(form.steps) ? (form.steps as Array<{ fields?: Array<{ kind?: string; pointer?: string }> }>) : [];
  return steps.flatMap((step) => (step.fields ?? []).filter((f) => f.kind === 'address' && f.pointer).map((f) => f.pointer as string));
}

/** The lead Land's two-digit key (tenants/<land>.json "land"), for a region() that has no address to go by. */
function landOf(root: string, leadLand: string): string {
  try {
    const land = (JSON.parse(readFileSync(join(root, 'tenants', `${leadLand}.json`), 'utf8')) as { land?: unknown }).land;
    return typeof land === 'string' && /^[0-9]{2}$/.test(land) ? land : '01';
  } catch {
    return '01';
  }
}
