/**
 * `efa check`: every declaration loaded as at startup, but each problem collected instead of
 * stopping at the first, plus what only matters to authors (examples, generated types, the places
 * index, routing entries for services that are not here). Startup keeps failing fast through
 * loadDeclarations with the same messages; this reports all of them at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { displayPath, readJsonFile } from './core/declarations.js';
import { CrossReferenceError, DeclarationError, EfaError } from './core/errors.js';
import { DeclarationProblems } from './core/problems.js';
import { loadForms, visibleSteps, type LoadedForm } from './forms/definition.js';
import { conditionEnv, logicContext } from './http/applicant/logic.js';
import { berlinToday } from './http/preview.js';
import { compileRouting } from './routing/compile.js';
import type { LocatedDocument } from './routing/document.js';
import { readSeed } from './routing/load.js';
import { PlaceIndex, PLACES_INDEX_FILE } from './places/places.js';
import { formatLocation, RoutingDataError, type Location, type Problem } from './routing/problems.js';
import { EXAMPLES_FILE, loadExamples, type ExampleContext, type ServiceExample } from './services/examples.js';
import { loadServices, type LoadedService } from './services/registry.js';
import { loadTenants, type Tenant } from './tenants/registry.js';
import { FORMATS_DIR } from './runtime.js';
import { messageFormatsOf } from './messages/index.js';
import type { ServiceFormats } from './core/formats.js';

export interface CheckReport {
  problems: DeclarationError[];
  /** What was checked, for the success line. */
  counts: { services: number; forms: number; tenants: number; authorities: number; responsibilities: number; directory: number };
  /** Notes that are no problem (e.g. types not compared without the development dependency). */
  notes: string[];
}

export async function checkProject(root: string, env: Record<string, string | undefined>): Promise<CheckReport> {
  const abs = resolve(root);
  const problems = new DeclarationProblems();
  const notes: string[] = [];
  const services = await loadServices(abs, FORMATS_DIR, problems);
  const forms = loadForms(abs, FORMATS_DIR, services, problems);
  const tenants = (await problems.attemptAsync(() => loadTenants(abs, FORMATS_DIR, services, forms, problems))) ?? new Map<string, Tenant>();
  const messages = messageFormatsOf(services);
  messages.errors.forEach((err) => problems.add(err));
  const routing = checkRouting(abs, env, services, messages.formats, problems);
  if (routing) notes.push(...unroutedOffers(routing.seed, services, tenants));
  problems.attempt(() => {
    if (!PlaceIndex.indexIsCurrent(abs)) throw new DeclarationError(displayPath(join(abs, 'routing', 'reference', PLACES_INDEX_FILE)), '', `is not made from the current CSVs: run npm run gen:places`, 'EFA_PLACES_INDEX_OUTDATED');
    PlaceIndex.load(abs);
  });
  const today = berlinToday();
  for (const service of services.values()) {
    // Each example is checked under its tenant (the file's, else the lead Land), for its place.
    const contextFor: ExampleContext = (id, data, day) => { const tenant = tenants.get(id); return tenant && logicContext(tenant, service, day, data); };
    const examples = problems.attempt(() => loadExamples(service, FORMATS_DIR, today, contextFor));
    if (examples) checkExampleCoverage(service, examples, tenants, forms.get(service.definition.id), today, problems);
  }
  await checkTypes(services, problems, notes);
  return {
    problems: problems.list,
    notes,
    counts: {
      services: services.size, forms: forms.size, tenants: tenants.size,
      authorities: routing?.authorities ?? 0, responsibilities: routing?.responsibilities ?? 0, directory: routing?.directory ?? 0,
    },
  };
}

/**
 * The preview's --all shows every step of every offered service with the first example whose
 * answers show it (src/http/preview.ts): a step behind a condition that no example meets can be
 * neither previewed nor reviewed. Checked per tenant, whose parameters the conditions may read.
 */
function checkExampleCoverage(service: LoadedService, examples: ServiceExample[], tenants: Map<string, Tenant>, form: LoadedForm | undefined, today: string, problems: DeclarationProblems): void {
  const id = service.definition.id;
  if (!form) return;
  const offering = [...tenants.values()].filter((t) => id in t.services && t.forms.has(id));
  form.steps.forEach((step, s) => {
    if (!step.showIf) return;
    const unshown = offering.filter((tenant) => !examples.some((e) => {
      const steps = visibleSteps(tenant.forms.get(id) as LoadedForm, e.data, conditionEnv(service, logicContext(tenant, service, today, e.data)));
      return steps.some((v) => v.id === step.id);
    }));
    if (unshown.length === 0) return;
    const where = unshown.length === offering.length ? '' : ` for tenant${unshown.length === 1 ? '' : 's'} ${unshown.map((t) => t.id).join(', ')}`;
    const params = step.showIf.vars.some((v) => v.startsWith('params.')) ? '; it reads parameters, so a tenant\'s values may keep it hidden: use an example in a region whose values show it' : '';
    problems.add(new CrossReferenceError('EFA_XREF_EXAMPLE', displayPath(join(service.dir, EXAMPLES_FILE)), '/examples',
      `no example shows the conditional step "${step.id}"${where} (its condition: forms/${id}.form.json /steps/${s}/showIf reads ${step.showIf.vars.join(', ')}): add an example whose answers meet the condition, so efa preview --all and reviewers can see the step${params} (examples: ${examples.map((e) => e.id).join(', ') || 'none'})`));
  });
}

/** Counts of the compiled seed, or undefined when it has problems (all of them reported). */
function checkRouting(root: string, env: Record<string, string | undefined>, services: Map<string, LoadedService>, messageFormats: ServiceFormats, problems: DeclarationProblems): { seed: LocatedDocument; authorities: number; responsibilities: number; directory: number } | undefined {
  let seed: LocatedDocument;
  try {
    seed = readSeed(root, FORMATS_DIR);
  } catch (err) {
    if (!(err instanceof RoutingDataError)) throw err;
    err.problems.forEach((p) => problems.add(routingProblem(p)));
    return undefined;
  }
  checkRoutedServices(root, seed, services, problems);
  try {
    const { routing } = compileRouting(seed, { env, routingDir: join(root, 'routing'), messageFormats });
    return { seed, authorities: routing.authorities.size, responsibilities: routing.responsibility.size, directory: routing.directory.size };
  } catch (err) {
    if (!(err instanceof RoutingDataError)) throw err;
    err.problems.forEach((p) => problems.add(routingProblem(p)));
    return undefined;
  }
}

/**
 * A warning, not a problem: a Land that offers a service no responsibility covers anywhere in it
 * tells every applicant that no authority is connected yet. Partial cover is normal (the
 * municipalities join one by one), and the routing in force may come from the database instead.
 */
function unroutedOffers(seed: LocatedDocument, services: Map<string, LoadedService>, tenants: Map<string, Tenant>): string[] {
  const notes: string[] = [];
  for (const tenant of tenants.values()) {
    for (const id of Object.keys(tenant.services)) {
      const key = services.get(id)?.definition.leikaKey;
      if (!key) continue;
      const covered = seed.responsibilities.rows.some((r) => (r.leikaKey === key || r.leikaKey === '*') && r.arsPrefix.startsWith(tenant.land));
      if (!covered) notes.push(`warning: tenants/${tenant.id}.json: /services/${id}: no responsibility in routing/*.json covers Land ${tenant.land} for ${id} (${key}): every applicant there will be told that no authority is connected yet`);
    }
  }
  return notes;
}

/** A routing problem as a declaration problem; a CSV location (line, column) goes into the message. */
function routingProblem(p: Problem): DeclarationError {
  const where = p.line !== undefined ? ` (${formatLocation(p).slice(p.source.length + 2)})` : '';
  return new DeclarationError(p.source, p.path ?? '', `${p.message}${where}`, 'EFA_ROUTING_INVALID');
}

/**
 * A responsibility or directory entry for a LeiKa key that no service here has is never used:
 * most likely a typo in the key (the routing data of the deployment names only its own services).
 */
function checkRoutedServices(root: string, seed: LocatedDocument, services: Map<string, LoadedService>, problems: DeclarationProblems): void {
  const keys = new Map<string, string>([...services.values()].map((s) => [s.definition.leikaKey, s.definition.id]));
  // A service that failed to load still has its key: its routing is not wrong because of that.
  for (const id of problems.broken) {
    const file = join(root, 'services', id, 'service.json');
    const key = existsSync(file) ? (() => { try { return (readJsonFile(file) as { leikaKey?: unknown }).leikaKey; } catch { return undefined; } })() : undefined;
    if (typeof key === 'string') keys.set(key, id);
  }
  const known = `known: ${[...keys].map(([key, id]) => `${key} (${id})`).join(', ') || 'none'}`;
  const unknown = (key: string, at: Location, what: string) => {
    if (key === '*' || keys.has(key)) return;
    problems.add(new CrossReferenceError('EFA_XREF_SERVICE', at.source, at.path ?? '', `no service under services/ has the LeiKa key "${key}", so this ${what} is never used: fix the key (services/<id>/service.json "leikaKey") or remove the entry (${known})`));
  };
  seed.responsibilities.rows.forEach((r, i) => unknown(r.leikaKey, seed.responsibilities.locate(i, 'leikaKey'), 'responsibility'));
  seed.directory.rows.forEach((e, i) => unknown(e.serviceKey, seed.directory.locate(i, 'serviceKey'), 'directory entry'));
}

/** Generating types needs json-schema-to-typescript, a development tool the production image leaves out. */
async function checkTypes(services: Map<string, LoadedService>, problems: DeclarationProblems, notes: string[]): Promise<void> {
  const typesGen = await import('./services/types-gen.js').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    notes.push('generated types not compared (json-schema-to-typescript is a development dependency and not installed)');
    return undefined;
  });
  if (!typesGen) return;
  for (const service of services.values()) {
    const file = join(service.dir, typesGen.TYPES_FILE);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current !== (await typesGen.generateTypes(service.dir))) {
      problems.add(new DeclarationError(displayPath(file), '', 'is not generated from the current schema.json: run npm run gen:types', 'EFA_TYPES_OUTDATED'));
    }
  }
}

/** One line per problem: code, file, JSON path, what is wrong and how to fix it. */
export function formatProblems(problems: readonly EfaError[]): string {
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.code} ${p.message}`).join('\n')}`;
}
