import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { DeclarationError, DeclarationErrors } from '../core/errors.js';
import { describeAjvError, displayPath, errorPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import type { LocalText, LogicContext } from './contract.js';
import { defaults, type LoadedService } from './registry.js';
import { newLogicContext } from './context.js';

/** A sample application of a service: what previews show and tests may submit. */
export interface ServiceExample {
  id: string;
  title: LocalText;
  data: Record<string, unknown>;
  /** The day its rules are checked on (YYYY-MM-DD), when the file or the example states one. */
  today?: string;
  /** The tenant (portal) it is checked under, when the file or the example states one. */
  tenant?: string;
}

export const EXAMPLES_FILE = 'examples.json';

/**
 * The logic context for an example: the given tenant's view (the parameters of the example's
 * place, src/tenants/place.ts) on `today`; undefined when there is no such tenant. Without it,
 * the service's defaults.
 */
export type ExampleContext = (tenant: string, data: Record<string, unknown>, today: string) => LogicContext | undefined;

interface ExamplesFile {
  today?: string;
  tenant?: string;
  examples: ServiceExample[];
}

/**
 * Loads services/<id>/examples.json and checks every example against the service's schema and
 * rules, so a preview never shows data the real form would refuse. Rules run on the `today` the
 * example or the file states (else the given one, the real date for efa check) under the tenant
 * it states (else the lead Land), with that tenant's parameters for the example's place when
 * `contextFor` is given (efa check), else the service's defaults.
 */
export function loadExamples(service: LoadedService, formatsDir: string, today: string, contextFor?: ExampleContext): ServiceExample[] {
  const file = join(service.dir, EXAMPLES_FILE);
  const shown = displayPath(file);
  if (!existsSync(file)) throw new DeclarationError(shown, '', `service "${service.definition.id}" has no sample data: add ${EXAMPLES_FILE} (see docs/services.md)`);
  const doc = validateDeclaration<ExamplesFile>(file, readJsonFile(file), join(formatsDir, 'examples.schema.json'));
  const seen = new Set<string>();
  // Every problem of the file at once (an author fixes them in one go), then none of it is used.
  const problems: DeclarationError[] = [];
  const loaded = doc.examples.map((example, i) => {
    if (seen.has(example.id)) problems.push(new DeclarationError(shown, `/examples/${i}/id`, `example id "${example.id}" is used twice`));
    seen.add(example.id);
    if (!service.validate(example.data)) {
      // A oneOf over constants reports its branches one by one: each problem is listed once.
      const said = new Set<string>();
      for (const error of ((service.validate.errors ?? []) as ErrorObject[]).filter((e) => e.keyword !== 'if')) {
        const problem = new DeclarationError(shown, `/examples/${i}/data${errorPath(error)}`, `${describeAjvError(error)} (services/${service.definition.id}/schema.json)`);
        if (!said.has(problem.message)) problems.push(problem);
        said.add(problem.message);
      }
      return undefined;
    }
    const day = example.today ?? doc.today ?? today;
    const tenant = example.tenant ?? doc.tenant ?? service.definition.leadLand;
    const ctx = contextFor ? contextFor(tenant, example.data, day) : newLogicContext(defaults(service.definition.parameters ?? {}), tenant, day);
    if (!ctx) {
      problems.push(new DeclarationError(shown, example.tenant ? `/examples/${i}/tenant` : '/tenant', `no tenant "${tenant}" under tenants/: name the tenant (portal) the examples are checked under, e.g. the lead Land "${service.definition.leadLand}"`));
      return undefined;
    }
    for (const issue of service.logic.rules(example.data, ctx)) {
      problems.push(new DeclarationError(shown, `/examples/${i}/data${issue.pointer}`, `breaks the service's rule ${issue.code} ("${typeof issue.message === 'string' ? issue.message : issue.message.de}"), checked ${checkedUnder(day, example.today ?? doc.today, tenant, ctx.place)}`));
    }
    // The example must reach an authority: a region() that throws would only fail at submission (and in the preview).
    try {
      service.logic.region(example.data);
    } catch (err) {
      problems.push(new DeclarationError(shown, `/examples/${i}/data`, `region() of services/${service.definition.id}/logic.ts fails for this example: ${err instanceof Error ? err.message : String(err)}`));
    }
    return { ...example, today: example.today ?? doc.today, tenant: example.tenant ?? doc.tenant };
  });
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new DeclarationErrors(problems);
  return loaded as ServiceExample[];
}

/** "on 2026-12-01 (today: state "today" in examples.json to fix it) under tenant sh for the place 053150000000". */
function checkedUnder(day: string, stated: string | undefined, tenant: string, place: string | undefined): string {
  const when = stated ? `on ${day} (the "today" of examples.json)` : `on ${day} (the real date: state "today" in examples.json, or per example, to check on a fixed day)`;
  return `${when} under tenant ${tenant}${place ? ` for the place ${place}` : ''}`;
}
