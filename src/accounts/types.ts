import type { Queryable } from '../storage/db.js';

/**
 * The contract between the applicant pages and a login adapter (OpenID Connect, SAML 2.0, …).
 * An adapter speaks one protocol to one tenant's account service; the pages never see the
 * protocol. One file per adapter, registered in `registry.ts`.
 */

/** eIDAS levels of assurance; STORK-QAA 2/3/4 map to low/substantial/high (QAA-1 is below low). */
export type TrustLevel = 'low' | 'substantial' | 'high';

export const TRUST_LEVELS: readonly TrustLevel[] = ['low', 'substantial', 'high'];

/** The levels a login at `reached` covers: its own and those below. */
export function levelsUpTo(reached: TrustLevel): TrustLevel[] {
  return TRUST_LEVELS.slice(0, TRUST_LEVELS.indexOf(reached) + 1);
}

/** True when `reached` is at least `needed`. */
export function trustAtLeast(reached: TrustLevel, needed: TrustLevel): boolean {
  return TRUST_LEVELS.indexOf(reached) >= TRUST_LEVELS.indexOf(needed);
}

/** What the account service knows of a person, in one shape whatever the protocol called it. */
export interface AccountAddress {
  street?: string;
  houseNumber?: string;
  postalCode?: string;
  city?: string;
  /** ISO 3166-1 alpha-2, when the account service gives it. */
  country?: string;
}

export interface AccountAttributes {
  givenName?: string;
  familyName?: string;
  /** ISO date, YYYY-MM-DD. */
  birthDate?: string;
  address?: AccountAddress;
  email?: string;
}

/** A tenant's account service, as tenants/<land>.json declares it (secrets by environment name). */
export interface AccountServiceConfig {
  /** The adapter's name in the registry: 'oidc', 'saml', … */
  adapter: string;
  /** The adapter's own settings (issuer, client id, IdP metadata, …), validated by the adapter. */
  [setting: string]: unknown;
}

/** Where the login starts: the tenant and service it is for, the level the service needs. */
export interface LoginRequest {
  tenantId: string;
  serviceId: string;
  /** The minimum level the service declares; the adapter asks the IdP for at least this. */
  trustLevel: TrustLevel;
  /** Absolute URL of this runtime's callback for the adapter (GET or POST). */
  callbackUrl: string;
  /** Relative URL to return the applicant to after the login. */
  returnTo: string;
  /** Preferred UI language ('de', 'en'); adapters may pass it on (ui_locales). */
  language?: string;
}

/**
 * What `begin` hands back: where to send the browser, and the state the runtime must keep
 * (server side, bound to the browser) until the callback arrives. For SAML's HTTP-POST binding
 * `form` carries the auto-submitting form fields instead of a redirect.
 */
export interface LoginStart {
  redirectUrl: string;
  form?: { action: string; fields: Record<string, string> };
  /** Opaque, JSON-serialisable; given back unchanged to `complete` (PKCE verifier, nonce, request id, …). */
  pending: Record<string, unknown>;
}

/** The callback as it reached the runtime (query for GET, form body for POST). */
export interface CallbackRequest {
  /** The full URL the browser called, with its query. */
  url: string;
  method: 'GET' | 'POST';
  body?: Record<string, string>;
  /** What `begin` returned as `pending` for this browser. */
  pending: Record<string, unknown>;
}

/** A successful login: who, at which level, with what the account service said of them. */
export interface LoginResult {
  /** Stable, pseudonymous identifier of the account at this account service (e.g. the `sub` or NameID). */
  subject: string;
  trustLevel: TrustLevel;
  attributes: AccountAttributes;
  /** What a later IdP logout needs (id_token for OIDC, NameID + SessionIndex for SAML). */
  idpSessionRef?: Record<string, string>;
}

/** The logged-in session as a logout sees it. */
export interface AccountSessionRef {
  tenantId: string;
  subject: string;
  idpSessionRef?: Record<string, string>;
  /** Absolute URL the IdP should send the browser back to after its logout. */
  postLogoutUrl: string;
}

/** A login adapter bound to one tenant's account service configuration. */
export interface AuthAdapter {
  readonly name: string;
  begin(request: LoginRequest): Promise<LoginStart>;
  /** Throws a LoginError when the answer is invalid, tampered, expired, replayed or refused. */
  complete(callback: CallbackRequest): Promise<LoginResult>;
  /** The IdP's logout URL (RP-initiated/single logout) or undefined when it has none. */
  logout(session: AccountSessionRef): Promise<string | undefined>;
  /**
   * SP metadata (SAML) served per tenant, naming this runtime's callback (the assertion consumer)
   * and logout URLs as the routes build them; absent for protocols without it.
   */
  metadata?(urls: { callbackUrl: string; logoutUrl?: string }): Promise<string>;
}

/** What a factory receives: the tenant's configuration and where secrets come from. */
export interface AdapterContext {
  tenantId: string;
  config: AccountServiceConfig;
  /** The runtime's database: SAML remembers used assertion IDs there (replay protection across replicas). */
  db?: Queryable;
  /** Reads a secret from the environment by the name the tenant file gives; throws when unset. */
  secret(envName: string): string;
  /**
   * Allows plain-HTTP issuers and loopback addresses: only for the local stand-ins in
   * development and tests.
   */
  allowInsecure?: boolean;
}

export type AuthAdapterFactory = (context: AdapterContext) => Promise<AuthAdapter>;
