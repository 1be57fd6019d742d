import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { DeclarationError } from '../core/errors.js';
import { describeAjvError, displayPath, errorPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import type { LocalText, LogicContext } from './contract.js';
import { defaults, type LoadedService } from './registry.js';
import { newLogicContext } from './context.js';

/** A sample application of a service: what previews show and tests may submit. */
export interface ServiceExample {
  id: string;
  title: LocalText;
  data: Record<string, unknown>;
}

export const EXAMPLES_FILE = 'examples.json';

/**
 * Loads services/<id>/examples.json and checks every example against the service's schema and
 * rules, so a preview never shows data the real form would refuse. Rules run with the service's
 * default parameters and `today`; examples should use past dates so they do not age out.
 */
export function loadExamples(service: LoadedService, formatsDir: string, today: string): ServiceExample[] {
  const file = join(service.dir, EXAMPLES_FILE);
  const shown = displayPath(file);
  if (!existsSync(file)) throw new DeclarationError(shown, '', `service "${service.definition.id}" has no sample data: add ${EXAMPLES_FILE} (see docs/services.md)`);
  const { examples } = validateDeclaration<{ examples: ServiceExample[] }>(file, readJsonFile(file), join(formatsDir, 'examples.schema.json'));
  const seen = new Set<string>();
  const ctx: LogicContext = newLogicContext(defaults(service.definition.parameters ?? {}), service.definition.leadLand, today);
  examples.forEach((example, i) => {
    if (seen.has(example.id)) throw new DeclarationError(shown, `/examples/${i}/id`, `example id "${example.id}" is used twice`);
    seen.add(example.id);
    if (!service.validate(example.data)) {
      const error = (service.validate.errors ?? [])[0] as ErrorObject;
      throw new DeclarationError(shown, `/examples/${i}/data${errorPath(error)}`, `${describeAjvError(error)} (services/${service.definition.id}/schema.json)`);
    }
    const issue = service.logic.rules(example.data, ctx)[0];
    if (issue) throw new DeclarationError(shown, `/examples/${i}/data${issue.pointer}`, `breaks the service's rule ${issue.code}`);
  });
  return examples;
}
