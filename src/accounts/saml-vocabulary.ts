import { splitStreet } from './oidc.js';
import type { AccountAttributes, TrustLevel } from './types.js';

/**
 * What BundID (and the SAML account services modelled on it) call things: the STORK-QAA levels
 * named in `RequestedAuthnContext` and `AuthnContextClassRef`, the AKDB request extension that asks
 * for attributes by OID, and the OIDs of the attributes the runtime can prefill from. Shared by the
 * adapter (saml.ts) and the local IdP stand-in (src/demo/saml-idp.ts), so both speak the same words.
 */

export const STORK_LEVELS = ['STORK-QAA-Level-1', 'STORK-QAA-Level-2', 'STORK-QAA-Level-3', 'STORK-QAA-Level-4'] as const;
export type StorkLevel = (typeof STORK_LEVELS)[number];

/** eIDAS low/substantial/high are STORK-QAA 2/3/4 (Level-1 is below every eIDAS level). */
const STORK_OF: Record<TrustLevel, StorkLevel> = { low: 'STORK-QAA-Level-2', substantial: 'STORK-QAA-Level-3', high: 'STORK-QAA-Level-4' };

export function storkLevelFor(level: TrustLevel): StorkLevel {
  return STORK_OF[level];
}

/** The eIDAS level an `AuthnContextClassRef` names, or undefined for Level-1 and unknown values. */
export function trustLevelOfStork(classRef: string): TrustLevel | undefined {
  const found = (Object.entries(STORK_OF) as [TrustLevel, StorkLevel][]).find(([, stork]) => stork === classRef.trim());
  return found?.[0];
}

/** Every STORK level from `level` up: what `Comparison="minimum"` lets the IdP answer with. */
export function storkLevelsFrom(classRef: string): StorkLevel[] {
  const at = STORK_LEVELS.indexOf(classRef as StorkLevel);
  return at < 0 ? [] : STORK_LEVELS.slice(at);
}

/** The AKDB extension BundID reads in `samlp:Extensions` (its "Version 2" request). */
export const AKDB_NS = 'https://www.akdb.de/request/2018/09';
export const AKDB_CLASSIC_UI_NS = 'https://www.akdb.de/request/2018/09/classic-ui/v1';

/**
 * The attributes the runtime maps into `AccountAttributes`, by the OIDs BundID uses (X.500/LDAP
 * names where one exists, the Austrian PVP arc 1.2.40.0.10.2.1.1 BundID took over for the date of
 * birth). A tenant may name other OIDs (`attributes` in its account service configuration).
 */
export const DEFAULT_ATTRIBUTE_OIDS = {
  givenName: 'urn:oid:2.5.4.42',
  familyName: 'urn:oid:2.5.4.4',
  birthDate: 'urn:oid:1.2.40.0.10.2.1.1.55',
  street: 'urn:oid:2.5.4.16',
  postalCode: 'urn:oid:2.5.4.17',
  city: 'urn:oid:2.5.4.7',
  country: 'urn:oid:1.2.40.0.10.2.1.1.225577',
  email: 'urn:oid:0.9.2342.19200300.100.1.3',
  /** BundID's persistent, per-service pseudonym of the person (bPK2); the subject when present. */
  pseudonym: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
} as const;

export type AttributeKey = keyof typeof DEFAULT_ATTRIBUTE_OIDS;
export type AttributeOids = Record<AttributeKey, string>;

/** One `akdb:RequestedAttribute` each, in node-saml's xmlbuilder object form. */
export function akdbExtension(oids: AttributeOids, required: readonly AttributeKey[], display?: { organization: string; onlineServiceId?: string }): Record<string, unknown> {
  const requested = (Object.keys(oids) as AttributeKey[]).map((key) => ({
    '@Name': oids[key],
    '@RequiredAttribute': required.includes(key) ? 'true' : 'false',
  }));
  return {
    'akdb:AuthenticationRequest': {
      '@xmlns:akdb': AKDB_NS,
      '@Version': '2',
      'akdb:RequestedAttributes': { 'akdb:RequestedAttribute': requested },
      ...(display ? { 'akdb:DisplayInformation': displayInformation(display) } : {}),
    },
  };
}

function displayInformation(display: { organization: string; onlineServiceId?: string }): Record<string, unknown> {
  return {
    'classic-ui:Version': {
      '@xmlns:classic-ui': AKDB_CLASSIC_UI_NS,
      'classic-ui:OrganizationDisplayName': display.organization,
      ...(display.onlineServiceId ? { 'classic-ui:OnlineServiceId': display.onlineServiceId } : {}),
    },
  };
}

/** First value of an attribute as node-saml hands it over (a string, an array, or an xml2js node). */
function text(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof first === 'string') return first.trim() || undefined;
  if (first && typeof first === 'object' && typeof (first as { _?: unknown })._ === 'string') return ((first as { _: string })._).trim() || undefined;
  return undefined;
}

/** The assertion's attributes (by OID) as the protocol-neutral `AccountAttributes`. */
export function accountAttributes(byOid: Record<string, unknown>, oids: AttributeOids): AccountAttributes {
  const get = (key: AttributeKey): string | undefined => text(byOid[oids[key]]);
  const street = get('street');
  const address = {
    ...(street ? splitStreet(street) : {}), postalCode: get('postalCode'), city: get('city'), country: get('country'),
  };
  const present = Object.fromEntries(Object.entries(address).filter(([, v]) => v !== undefined));
  const attributes: AccountAttributes = {
    givenName: get('givenName'), familyName: get('familyName'), birthDate: isoDate(get('birthDate')), email: get('email'),
    ...(Object.keys(present).length > 0 ? { address: present } : {}),
  };
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as AccountAttributes;
}

export function pseudonymOf(byOid: Record<string, unknown>, oids: AttributeOids): string | undefined {
  return text(byOid[oids.pseudonym]);
}

/** BundID sends dates as YYYY-MM-DD; some brokers send DD.MM.YYYY. Anything else is dropped. */
function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const german = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(value);
  return german ? `${german[3]}-${german[2]}-${german[1]}` : undefined;
}
