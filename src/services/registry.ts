import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { CrossReferenceError, DeclarationError } from '../core/errors.js';
import type { DeclarationProblems } from '../core/problems.js';
import { displayPath, newAjv, readJsonFile, validateDeclaration } from '../core/declarations.js';
import { RUNNING_COMPILED, compiledPath } from '../core/paths.js';
import { compileSchema } from '../core/schema-cache.js';
import { checkSchemaPatterns } from '../core/patterns.js';
import type { LocalText, ServiceLogic } from './contract.js';
import { loadCodeLists, resolveSchemaCodeLists, type CodeList, type CodeLists } from '../codelists/genericode.js';

export interface ParameterSpec {
  title: LocalText;
  default: unknown;
  [keyword: string]: unknown;
}

export interface ServiceDefinition {
  id: string;
  leikaKey: string;
  version: string;
  title: LocalText;
  description?: LocalText;
  /** The start page's "before you start": who can apply, what to have ready, how long it takes (de and en). */
  beforeStart?: { eligibility?: { de: string; en: string }; needs?: Array<{ de: string; en: string }>; duration?: { de: string; en: string } };
  leadLand: string;
  payloadSchemaUri?: string;
  parameters?: Record<string, ParameterSpec>;
  /** Names (and titles) of what derive() returns: conditions and "display" may use them. */
  derived?: Record<string, { title: LocalText; type?: string }>;
  /** What the check and confirmation pages show of the logic (fee, derived amounts, facts), in order. */
  display?: DisplayItem[];
  /** What happens after submitting, in order, with timescales (confirmation page and PDF receipt). */
  nextSteps?: LocalText[];
  /**
   * Which places the service takes: "anywhere" (the default: the rules of the place's Land apply)
   * or "portal-land" (only places in the Land of the portal it is applied for through).
   */
  places?: 'anywhere' | 'portal-land';
  /** Login with a user account and once-only prefill (docs/basisdienste.md); absent: off. */
  login?: ServiceLogin;
  /** Paying the fee online (docs/payment.md); absent: inactive. */
  payment?: { policy: 'inactive' | 'optional' | 'before-submit' | 'after-decision'; description?: LocalText };
  /** Where the applicant can be told that an answer is waiting (docs/postfach.md). */
  contact?: { email?: string };
}

export type LoginMode = 'required' | 'optional' | 'off';

export interface ServiceLogin {
  mode: LoginMode;
  trustLevel?: 'low' | 'substantial' | 'high';
  prefill?: PrefillRule[];
}

/** One answer taken from the account: the attribute, where it goes, whether it stays editable. */
export interface PrefillRule {
  pointer: string;
  attribute: string;
  editable?: boolean;
}

export interface DisplayItem {
  /** "fee" or "derived.<name>". */
  value: string;
  label: { de: string; en: string };
  hint?: { de: string; en: string };
  format?: 'money' | 'number' | 'yesno' | 'text';
  /** A yes/no fact said in the service's words instead of "Yes"/"No". */
  says?: { true: { de: string; en: string }; false: { de: string; en: string } };
  pages?: Array<'check' | 'confirmation'>;
}

export interface LoadedService {
  definition: ServiceDefinition;
  /** The data schema (JSON Schema 2020-12). */
  schema: Record<string, unknown>;
  /** Validates a complete submission. */
  validate: ValidateFunction;
  /** Validates one Land's parameter values (defaults filled in beforehand). */
  validateParameters: ValidateFunction;
  logic: ServiceLogic<unknown>;
  dir: string;
  schemaUri: string;
  /** The code lists its schema references ("x-codelist"), by URN. */
  codeLists: Map<string, CodeList>;
}

/**
 * The ajv that validates applicant data: formats on, all errors, so every field gets its message.
 * Service authors write these schemas (and the parameter bounds), so each is checked against the
 * meta-schema first.
 */
export const dataAjv = newAjv({ checkSchemas: true });

/** With `problems` (efa check) a broken service is reported and left out; without, the first problem throws. */
export async function loadServices(root: string, formatsDir: string, problems?: DeclarationProblems): Promise<Map<string, LoadedService>> {
  const dir = join(root, 'services');
  const services = new Map<string, LoadedService>();
  if (!existsSync(dir)) throw new DeclarationError(displayPath(dir), '', 'the services folder is missing');
  const lists = loadCodeLists(root);
  for (const id of readdirSync(dir).sort()) {
    const serviceDir = join(dir, id);
    if (!existsSync(join(serviceDir, 'service.json'))) continue;
    const service = problems ? await problems.attemptAsync(() => loadService(serviceDir, id, formatsDir, lists)) : await loadService(serviceDir, id, formatsDir, lists);
    if (service) services.set(id, service);
    else problems?.broken.add(id);
  }
  return services;
}

async function loadService(dir: string, id: string, formatsDir: string, lists: CodeLists): Promise<LoadedService> {
  const file = join(dir, 'service.json');
  const definition = validateDeclaration<ServiceDefinition>(file, readJsonFile(file), join(formatsDir, 'service.schema.json'));
  if (definition.id !== id) throw new DeclarationError(displayPath(file), '/id', `must equal the folder name "${id}"`);
  (definition.display ?? []).forEach((item, i) => {
    const name = item.value.startsWith('derived.') ? item.value.slice('derived.'.length) : undefined;
    if (name !== undefined && !definition.derived?.[name]) throw new CrossReferenceError('EFA_XREF_DERIVED', displayPath(file), `/display/${i}/value`, `"${item.value}" is not a derived value of this service: declare "${name}" under "derived" (and return it from derive() in logic.ts), or fix the name (declared: ${Object.keys(definition.derived ?? {}).join(', ') || 'none'})`);
  });

  const schemaFile = join(dir, 'schema.json');
  const schema = readJsonFile(schemaFile) as Record<string, unknown>;
  const codeLists = resolveSchemaCodeLists(displayPath(schemaFile), schema, lists);
  checkSchemaPatterns(displayPath(schemaFile), schema);
  let validate: ValidateFunction;
  try {
    validate = dataAjv.getSchema(String(schema.$id)) ?? compileSchema(dataAjv, schema);
  } catch (err) {
    throw new DeclarationError(displayPath(schemaFile), '', `not a usable JSON Schema: ${(err as Error).message}`);
  }
  if (schema.type !== 'object') throw new DeclarationError(displayPath(schemaFile), '/type', 'the data schema must describe an object');
  const email = definition.contact?.email;
  if (email !== undefined && stringAt(schema, email) === undefined) throw new CrossReferenceError('EFA_XREF_POINTER', displayPath(file), '/contact/email', `"${email}" is no string answer of the data schema (a property of type string, outside any list)`);

  const validateParameters = compileParameters(file, definition.parameters ?? {});
  const logic = await importLogic(dir);
  return { definition, schema, validate, validateParameters, logic, dir, codeLists, schemaUri: definition.payloadSchemaUri ?? String(schema.$id ?? `urn:efa:${id}:${definition.version}`) };
}

function compileParameters(file: string, parameters: Record<string, ParameterSpec>): ValidateFunction {
  checkSchemaPatterns(displayPath(file), parameters, '/parameters');
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(parameters)) {
    const { title: _title, default: _default, ...keywords } = spec;
    properties[name] = keywords;
  }
  try {
    const validate = compileSchema(dataAjv, { type: 'object', additionalProperties: false, required: Object.keys(parameters), properties });
    for (const [name, spec] of Object.entries(parameters)) {
      if (!validate({ ...defaults(parameters), [name]: spec.default })) throw new DeclarationError(displayPath(file), `/parameters/${name}/default`, 'the default violates the parameter\'s own bounds');
    }
    return validate;
  } catch (err) {
    if (err instanceof DeclarationError) throw err;
    throw new DeclarationError(displayPath(file), '/parameters', `not a usable JSON Schema: ${(err as Error).message}`);
  }
}

export function defaults(parameters: Record<string, ParameterSpec>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).map(([name, spec]) => [name, spec.default]));
}

async function importLogic(dir: string): Promise<ServiceLogic<unknown>> {
  const file = logicFile(dir);
  if (!file) throw new DeclarationError(displayPath(join(dir, 'logic.ts')), '', 'the service logic file is missing');
  refuseImportsOutside(dir);
  let mod: { logic?: unknown; default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { logic?: unknown; default?: unknown };
  } catch (err) {
    const hint = file.endsWith('.ts') && RUNNING_COMPILED ? ' (the compiled build runs without a TypeScript loader: run npm run build)' : '';
    throw new DeclarationError(displayPath(file), '', `cannot load the service logic: ${(err as Error).message}${hint}`);
  }
  const logic = (mod.logic ?? mod.default) as Partial<ServiceLogic<unknown>> | undefined;
  for (const fn of ['rules', 'derive', 'fee', 'region'] as const) {
    if (typeof logic?.[fn] !== 'function') throw new DeclarationError(displayPath(file), '', `must export "logic" with a function "${fn}"`);
  }
  return logic as ServiceLogic<unknown>;
}

/** Static `import … from '…'`, `import '…'` and `export … from '…'`, except `import type` / `export type`. */
const RUNTIME_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;

/**
 * Service logic may import types from the engine but nothing at run time outside its own folder:
 * a copied or separately kept service folder (another EFA_ROOT) would not find it, and the failure
 * would only show as a missing module. The engine hands logic what it needs through `ctx`.
 */
function refuseImportsOutside(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!/\.(ts|js|mjs)$/.test(name) || name.endsWith('.d.ts')) continue;
    const file = join(dir, name);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(RUNTIME_IMPORT)) {
      if (!specifier?.startsWith('.')) continue;
      const target = relative(dir, resolve(dirname(file), specifier));
      if (target.startsWith('..')) {
        throw new DeclarationError(displayPath(file), '', `imports "${specifier}" at run time, outside the service's folder: service logic imports only types from the engine (import type …) and gets helpers such as ctx.dates from its context`);
      }
    }
  }
}

/**
 * The compiled build runs the logic that `npm run build` put under dist/services/ unless logic.ts
 * changed since; otherwise logic.ts (through tsx, or Node's own type stripping) or a plain logic.js.
 */
function logicFile(dir: string): string | undefined {
  const source = join(dir, 'logic.ts');
  const compiled = RUNNING_COMPILED ? compiledPath(source) : undefined;
  if (compiled && existsSync(compiled) && (!existsSync(source) || statSync(source).mtimeMs <= statSync(compiled).mtimeMs)) return compiled;
  return [source, join(dir, 'logic.js')].find((f) => existsSync(f));
}

/** The schema of the string property at `pointer` (through properties and local $refs only), if there is one. */
function stringAt(schema: Record<string, unknown>, pointer: string): Record<string, unknown> | undefined {
  const resolve = (node: unknown): Record<string, unknown> | undefined => {
    let current = node as Record<string, unknown> | undefined;
    for (let hops = 0; current && typeof current.$ref === 'string' && hops < 10; hops++) {
      const ref = current.$ref as string;
      current = ref.startsWith('#/') ? ref.slice(2).split('/').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], schema) as Record<string, unknown> | undefined : undefined;
    }
    return current;
  };
  let node = resolve(schema);
  for (const key of pointer.split('/').slice(1)) node = resolve((node?.properties as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')]);
  return node?.type === 'string' ? node : undefined;
}
