import { CrossReferenceError, type DeclarationError } from '../core/errors.js';
import type { LocalText } from '../core/local-text.js';

/** What the portal names need of a tenant's declaration. */
interface PortalDeclaration {
  portalName: LocalText;
  portals?: Record<string, LocalText>;
  services: Record<string, { portal?: string }>;
}

/**
 * The portal a service appears under in this Land: a Land may run more than one (Nordrhein-Westfalen
 * offers business services under the Wirtschafts-Service-Portal.NRW, the rest under its citizen
 * portal), so a service may name one of the tenant's `portals`; otherwise it is `portalName`.
 */
export function portalNameOf(tenant: PortalDeclaration, serviceId?: string): LocalText {
  const family = serviceId === undefined ? undefined : tenant.services[serviceId]?.portal;
  return (family !== undefined ? tenant.portals?.[family] : undefined) ?? tenant.portalName;
}

/** Every offer naming a portal the tenant does not declare; listed together, as efa check reports them. */
export function checkPortals(file: string, tenant: PortalDeclaration): DeclarationError[] {
  const declared = Object.keys(tenant.portals ?? {});
  return Object.entries(tenant.services).flatMap(([serviceId, offer]) => offer.portal === undefined || declared.includes(offer.portal) ? [] : [
    new CrossReferenceError('EFA_XREF_PORTAL', file, `/services/${serviceId}/portal`, `no portal "${offer.portal}" under /portals: declare it there with its name in each language, or remove the reference (portals: ${declared.join(', ') || 'none'})`),
  ]);
}

/** The portals' names with their JSON paths, for the language check. */
export function portalTexts(tenant: PortalDeclaration): Array<[string, LocalText]> {
  return Object.entries(tenant.portals ?? {}).map(([key, name]): [string, LocalText] => [`/portals/${key}`, name]);
}
