/**
 * The responsible place decides the rules, the portal is only the door: once a service's region()
 * names the place (a 12-digit ARS), its parameters come from the place's Land's tenant (that
 * Land's local values by longest ARS prefix, then its Land values), or the service's defaults
 * when no tenant of that Land offers the service. The portal's Land chooses look, texts and which
 * services are offered, and its values apply only while the place is not known yet.
 */
import type { LogicContext } from '../services/contract.js';
import { newLogicContext } from '../services/context.js';
import { defaults, type LoadedService } from '../services/registry.js';
import { regionOf as serviceRegion } from '../services/region.js';
import { resolveParameters, type ParameterTable } from './parameters.js';
import type { Tenant } from './registry.js';

export interface RulesPlace {
  /** 12-digit ARS of the responsible place; undefined until the answers tell it. */
  ars?: string;
  /** 2-digit code of the Land whose rules apply. */
  land: string;
  /** That Land's tenant, when this deployment has one. */
  tenant?: Tenant;
  /**
   * The service takes only places in the portal's Land (service.json "places": "portal-land")
   * and this one lies in another Land: the applicant must apply through that Land's portal.
   */
  elsewhere: boolean;
}

/** region() on answers that may be incomplete: unknown until it yields a 12-digit ARS (services/region.ts). */
export function regionOf(service: LoadedService, data: Record<string, unknown> | undefined): string | undefined {
  return data ? serviceRegion(service, data) : undefined;
}

/** Where the rules for these answers come from, seen from the portal `portal`. */
export function rulesPlace(portal: Tenant, service: LoadedService, data?: Record<string, unknown>): RulesPlace {
  const ars = regionOf(service, data);
  if (!ars) return { land: portal.land, tenant: portal, elsewhere: false };
  const land = ars.slice(0, 2);
  const tenant = land === portal.land ? portal : portal.lands.get(land);
  return { ars, land, tenant, elsewhere: land !== portal.land && service.definition.places === 'portal-land' };
}

/** The parameter table that applies to a place: its Land's tenant's, else the service's defaults. */
function tableFor(place: RulesPlace, service: LoadedService): ParameterTable {
  const own = place.tenant?.parameterTables.get(service.definition.id);
  return own ?? { land: defaults(service.definition.parameters ?? {}), local: [] };
}

/**
 * The logic context for one applicant of portal `portal`: the parameters of the responsible place
 * on `today`, and on any other day the logic asks for (`ctx.param(name, { on })`).
 */
export function placeLogicContext(portal: Tenant, service: LoadedService, today: string, data?: Record<string, unknown>): LogicContext {
  const place = rulesPlace(portal, service, data);
  const table = tableFor(place, service);
  const at = (date: string) => resolveParameters(table, place.ars, date);
  return newLogicContext(at(today), portal.id, today, { on: at, land: place.land, place: place.ars });
}

/**
 * The start page of the service (or the home page, when it is not offered there) on the portal
 * of the place's Land: by host in production, by path (`/<id>`) where tenants are served by path.
 */
export function portalHref(place: RulesPlace, serviceId: string, byPath: boolean): string | undefined {
  const other = place.tenant;
  if (!other) return undefined;
  const page = other.forms.has(serviceId) ? `/${serviceId}` : '/';
  if (byPath) return `/${other.id}${page === '/' ? '' : page}`;
  const host = other.hosts[0];
  return host ? `https://${host}${page}` : undefined;
}
