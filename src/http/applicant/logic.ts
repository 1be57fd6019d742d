/**
 * What the service's logic sees of one applicant on a page: the parameters in force for their
 * region and day, and the environment conditions read (parameters, derive()).
 */
import type { ConditionEnv } from '../../forms/conditions.js';
import type { StepContext } from '../../forms/validate.js';
import type { PlaceIndex } from '../../places/places.js';
import type { LogicContext } from '../../services/contract.js';
import type { LoadedService } from '../../services/registry.js';
import { placeLogicContext } from '../../tenants/place.js';
import type { Tenant } from '../../tenants/registry.js';
import type { PageEnv } from './view.js';

/**
 * The logic context for one applicant: the parameters of the responsible place (its Land's,
 * whichever portal is used; the portal's Land's values before the answers tell the place) on
 * `today` (src/tenants/place.ts).
 */
export function logicContext(tenant: Tenant, service: LoadedService, today: string, data?: Record<string, unknown>): LogicContext {
  return placeLogicContext(tenant, service, today, data);
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
    fee(answers) {
      try {
        const fee = service.logic.fee(answers, logic);
        return Number.isSafeInteger(fee.cents) ? fee : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export function stepContext(env: PageEnv, places: PlaceIndex, service: LoadedService, today: string, data?: Record<string, unknown>): StepContext {
  const logic = logicContext(env.tenant, service, today, data);
  return { places, lang: env.lang, today, logic, ruleTexts: env.tenant.ruleTexts.get(service.definition.id), conditions: conditionEnv(service, logic) };
}
