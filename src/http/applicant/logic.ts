/**
 * What the service's logic sees of one applicant on a page: the parameters in force for their
 * region and day, and the environment conditions read (parameters, derive()).
 */
import type { ConditionEnv } from '../../forms/conditions.js';
import type { StepContext } from '../../forms/validate.js';
import type { PlaceIndex } from '../../places/places.js';
import { newLogicContext } from '../../services/context.js';
import type { LogicContext } from '../../services/contract.js';
import type { LoadedService } from '../../services/registry.js';
import { resolveParameters } from '../../tenants/parameters.js';
import type { Tenant } from '../../tenants/registry.js';
import type { PageEnv } from './view.js';

/**
 * The logic context for one applicant: the parameters in force for their region (the service
 * logic's region() once the answers tell it; the Land's values before) on `today`.
 */
export function logicContext(tenant: Tenant, service: LoadedService, today: string, data?: Record<string, unknown>): LogicContext {
  const id = service.definition.id;
  const table = tenant.parameterTables.get(id);
  const params = table ? resolveParameters(table, data ? regionOf(service, data) : undefined, today) : (tenant.parameters.get(id) ?? {});
  return newLogicContext(params, tenant.id, today);
}

/** region() on answers that may be incomplete: unknown until it yields a 12-digit ARS. */
function regionOf(service: LoadedService, data: Record<string, unknown>): string | undefined {
  try {
    const ars = service.logic.region(data);
    return typeof ars === 'string' && /^[0-9]{12}$/.test(ars) ? ars : undefined;
  } catch {
    return undefined;
  }
}

/** What conditions read besides the answers: the parameters in force and derive() (while it can compute). */
export function conditionEnv(service: LoadedService, logic: LogicContext): ConditionEnv {
  return {
    params: logic.params,
    derive(answers) {
      try {
        return (service.logic.derive(answers, logic) ?? {}) as Record<string, unknown>;
      } catch {
        return {};
      }
    },
  };
}

export function stepContext(env: PageEnv, places: PlaceIndex, service: LoadedService, today: string, data?: Record<string, unknown>): StepContext {
  const logic = logicContext(env.tenant, service, today, data);
  return { places, lang: env.lang, logic, ruleTexts: env.tenant.ruleTexts.get(service.definition.id), conditions: conditionEnv(service, logic) };
}
