/**
 * What the applicant sees of the responsible place (src/tenants/place.ts): the check page names
 * the municipality whose rules apply, and a service restricted to its portal's Land sends a place
 * in another Land to that Land's portal instead of the check page.
 */
import type { PlaceIndex } from '../../places/places.js';
import type { LoadedService } from '../../services/registry.js';
import { t } from '../../forms/text.js';
import { portalHref, rulesPlace, type RulesPlace } from '../../tenants/place.js';
import type { Tenant } from '../../tenants/registry.js';
import type { FormStep } from '../../forms/definition.js';
import type { Lang } from '../../forms/text.js';

/** What these views need of a page's environment (./view.ts PageEnv has it). */
interface PlaceEnv {
  tenant: Tenant;
  lang: Lang;
  /** '' when the host selected the tenant, '/<id>' when its path did. */
  base: string;
}

interface PlacePageView {
  template: string;
  title: string;
  context: Record<string, unknown>;
  status: number;
}

/** "Köln, Stadt (Nordrhein-Westfalen)": the municipality by its ARS, with its Land when that is not the portal's. */
export function placeName(env: PlaceEnv, places: PlaceIndex | undefined, place: RulesPlace): string | undefined {
  if (!place.ars) return undefined;
  const name = places?.municipalities.get(place.ars)?.name ?? place.ars;
  return place.land === env.tenant.land || !place.tenant ? name : `${name} (${t(place.tenant.name, env.lang)})`;
}

/** The check page's line "Es gelten die Regeln von …", once the answers tell the place. */
export function rulesPlaceFact(env: PlaceEnv, places: PlaceIndex | undefined, service: LoadedService, data: Record<string, unknown>): { label: string; value: string } | undefined {
  const value = placeName(env, places, rulesPlace(env.tenant, service, data));
  return value === undefined ? undefined : { label: env.tenant.ui[env.lang].rulesPlace, value };
}

/** The place, when the service takes only places in the portal's Land and this one lies elsewhere. */
export function placeElsewhere(tenant: Tenant, service: LoadedService, data: Record<string, unknown>): RulesPlace | undefined {
  const place = rulesPlace(tenant, service, data);
  return place.elsewhere ? place : undefined;
}

/**
 * The page instead of the check page for a place in another Land: which Land, why, and a link to
 * that Land's portal (by path where tenants are served by path, else by its host). 409: the
 * answers are fine, this portal cannot take them.
 */
export function elsewhereView(env: PlaceEnv, places: PlaceIndex | undefined, place: RulesPlace, serviceId: string, steps: readonly FormStep[]): PlacePageView {
  const ui = env.tenant.ui[env.lang];
  const land = place.tenant ? t(place.tenant.name, env.lang) : place.land;
  const fill = (text: string) => text.replaceAll('{land}', land).replaceAll('{portalLand}', t(env.tenant.name, env.lang))
    .replaceAll('{place}', places?.municipalities.get(place.ars ?? '')?.name ?? place.ars ?? '');
  return {
    template: 'elsewhere', title: fill(ui.elsewhereTitle), status: 409,
    context: { message: fill(ui.elsewhere), portalHref: portalHref(place, serviceId, env.base !== ''), portalLabel: fill(ui.elsewhereLink), backHref: changeHref(env, serviceId, steps), backLabel: ui.elsewhereChange },
  };
}

/** "Change the place": the step that asks for an address (most likely the place), else the last one; back to the check page after. */
function changeHref(env: PlaceEnv, serviceId: string, steps: readonly FormStep[]): string {
  const step = steps.find((s) => s.fields.some((f) => f.kind.name === 'address')) ?? steps[steps.length - 1];
  return `${env.base}/${serviceId}/${step?.id ?? ''}?zurueck=pruefen`;
}
