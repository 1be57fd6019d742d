import { DOMParser } from '@xmldom/xmldom';
import { SAML, SamlStatusError, ValidateInResponseTo, generateServiceProviderMetadata, type CacheProvider, type Profile, type SamlConfig as NodeSamlConfig } from '@node-saml/node-saml';
import { AccountConfigError, LoginError, LoginLevelError } from './errors.js';
import { readSamlSettings, type SamlSettings } from './saml-config.js';
import { firstUse } from './saml-replay.js';
import { accountAttributes, akdbExtension, pseudonymOf, storkLevelFor, trustLevelOfStork } from './saml-vocabulary.js';
import type { AuthAdapter, AuthAdapterFactory, CallbackRequest, LoginRequest, LoginResult, TrustLevel } from './types.js';
import type { Queryable } from '../storage/db.js';

/**
 * SAML 2.0 Web Browser SSO towards BundID (or an account service modelled on it), with
 * @node-saml/node-saml: a signed AuthnRequest over HTTP-Redirect or HTTP-POST asking for at least
 * the service's STORK-QAA level (`Comparison="minimum"`) and for attributes by OID (AKDB
 * extension); the Response must come over HTTP-POST with a signed, optionally encrypted
 * assertion, addressed to this tenant (audience), to this callback (recipient, destination), in
 * answer to this browser's request (InResponseTo), unexpired, and used once (replay table in
 * PostgreSQL). Configuration: `SamlConfig` in saml-config.ts; vocabulary: saml-vocabulary.ts.
 */

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** How long a browser may take at the IdP before its request is no longer answered. */
const REQUEST_LIFETIME_MS = 30 * 60_000;

/** A cache holding exactly the request IDs of this browser's login, so InResponseTo is bound to it. */
function requestCache(known?: { id: string; issuedAt: string }): CacheProvider & { saved?: { id: string; issuedAt: string } } {
  const entries = new Map<string, string>(known ? [[known.id, known.issuedAt]] : []);
  const cache: CacheProvider & { saved?: { id: string; issuedAt: string } } = {
    async saveAsync(key, value) {
      entries.set(key, value);
      cache.saved = { id: key, issuedAt: value };
      return { value, createdAt: Date.now() };
    },
    async getAsync(key) { return entries.get(key) ?? null; },
    async removeAsync(key) {
      const value = key === null ? null : entries.get(key) ?? null;
      if (key !== null) entries.delete(key);
      return value;
    },
  };
  return cache;
}

function nodeSaml(s: SamlSettings, callbackUrl: string, level: TrustLevel, cache: CacheProvider): SAML {
  const c = s.config;
  const options: NodeSamlConfig = {
    issuer: c.entityId, callbackUrl, entryPoint: c.idp.ssoUrl, idpIssuer: c.idp.entityId, idpCert: s.idpCerts, audience: c.entityId,
    privateKey: s.signingKey, publicCert: s.signingCert, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256',
    ...(s.decryptionKey ? { decryptionPvk: s.decryptionKey } : {}),
    identifierFormat: PERSISTENT, allowCreate: true,
    authnContext: [storkLevelFor(level)], racComparison: 'minimum',
    samlAuthnRequestExtensions: akdbExtension(s.oids, c.requiredAttributes ?? [], c.displayName ? { organization: c.displayName, onlineServiceId: c.onlineServiceId } : undefined),
    validateInResponseTo: ValidateInResponseTo.always, requestIdExpirationPeriodMs: REQUEST_LIFETIME_MS, cacheProvider: cache,
    wantAssertionsSigned: true, wantAuthnResponseSigned: c.wantResponseSigned ?? true,
    acceptedClockSkewMs: c.clockSkewMs ?? 30_000,
    // The HTTP-POST binding carries the request base64-encoded but not deflated (bindings §3.5.4).
    ...(c.binding === 'post' ? { authnRequestBinding: 'HTTP-POST', skipRequestCompression: true } : {}),
    ...(c.idp.sloUrl ? { logoutUrl: c.idp.sloUrl } : {}),
  };
  return new SAML(options);
}

async function begin(s: SamlSettings, request: LoginRequest) {
  const cache = requestCache();
  const saml = nodeSaml(s, request.callbackUrl, request.trustLevel, cache);
  const post = s.config.binding === 'post';
  const redirectUrl = post ? s.config.idp.ssoUrl : await saml.getAuthorizeUrlAsync('', undefined, {});
  const form = post ? { action: s.config.idp.ssoUrl, fields: stringFields(await saml.getAuthorizeMessageAsync('')) } : undefined;
  if (!cache.saved) throw new AccountConfigError(`tenant ${s.tenantId}: the SAML library kept no request ID`);
  const pending = { requestId: cache.saved.id, issuedAt: cache.saved.issuedAt, callbackUrl: request.callbackUrl, trustLevel: request.trustLevel };
  return { redirectUrl, ...(form ? { form } : {}), pending };
}

function stringFields(message: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(message).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

function pendingOf(callback: CallbackRequest): { requestId: string; issuedAt: string; callbackUrl: string; trustLevel: TrustLevel } {
  const p = callback.pending;
  for (const key of ['requestId', 'issuedAt', 'callbackUrl', 'trustLevel']) {
    if (typeof p[key] !== 'string') throw new LoginError(`no SAML login in progress for this browser (missing ${key})`);
  }
  return p as { requestId: string; issuedAt: string; callbackUrl: string; trustLevel: TrustLevel };
}

/** node-saml's refusals in words a log can hold (never the assertion or its attributes). */
function refusal(cause: unknown): LoginError {
  if (cause instanceof SamlStatusError) {
    if (cause.xmlStatus.includes('NoAuthnContext')) return new LoginLevelError('the account service could not log the person in at the requested trust level (NoAuthnContext)', { cause });
    return new LoginError(`the account service refused the login: ${cause.message}`, { cause });
  }
  return new LoginError(`the SAML response was refused: ${(cause as Error).message}`, { cause });
}

interface CheckedAssertion {
  id: string;
  expiresAt: Date;
  classRef: string;
}

function element(doc: Document, name: string): Element | undefined {
  return doc.getElementsByTagNameNS(ASSERTION_NS, name)[0] ?? undefined;
}

/** What node-saml leaves to its caller: recipient and destination, the level, the ID for the replay table. */
function checkAssertion(profile: Profile, responseXml: string, callbackUrl: string): CheckedAssertion {
  const doc = new DOMParser().parseFromString(profile.getAssertionXml?.() ?? '', 'text/xml');
  const assertion = doc.documentElement;
  const confirmation = element(doc, 'SubjectConfirmationData');
  if (!assertion || !confirmation) throw new LoginError('the assertion has no subject confirmation');
  if (confirmation.getAttribute('Recipient') !== callbackUrl) throw new LoginError('the assertion is addressed to another recipient');
  const response = new DOMParser().parseFromString(responseXml, 'text/xml').documentElement;
  const destination = response?.getAttribute('Destination');
  if (destination && destination !== callbackUrl) throw new LoginError('the response is addressed to another destination');
  const until = element(doc, 'Conditions')?.getAttribute('NotOnOrAfter') || confirmation.getAttribute('NotOnOrAfter');
  const id = assertion.getAttribute('ID');
  if (!id || !until || Number.isNaN(Date.parse(until))) throw new LoginError('the assertion has no ID or no expiry');
  return { id, expiresAt: new Date(until), classRef: element(doc, 'AuthnContextClassRef')?.textContent ?? '' };
}

async function complete(s: SamlSettings, db: Queryable, callback: CallbackRequest): Promise<LoginResult> {
  const pending = pendingOf(callback);
  if (callback.method !== 'POST' || typeof callback.body?.['SAMLResponse'] !== 'string') throw new LoginError('the SAML response must be posted (HTTP-POST binding)');
  const saml = nodeSaml(s, pending.callbackUrl, pending.trustLevel, requestCache({ id: pending.requestId, issuedAt: pending.issuedAt }));
  const responseXml = Buffer.from(callback.body['SAMLResponse'], 'base64').toString('utf8');
  let profile: Profile | null;
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: callback.body['SAMLResponse'] }));
  } catch (cause) { throw refusal(cause); }
  if (!profile) throw new LoginError('the SAML response carries no assertion');
  const checked = checkAssertion(profile, responseXml, pending.callbackUrl);
  const trustLevel = trustLevelOfStork(checked.classRef);
  if (!trustLevel) throw new LoginError(`the assertion names no eIDAS trust level ("${checked.classRef}")`);
  if (!(await firstUse(db, s.tenantId, checked.id, checked.expiresAt))) throw new LoginError('the SAML assertion was used before (replay)');
  const byOid = (profile['attributes'] ?? {}) as Record<string, unknown>;
  return {
    subject: pseudonymOf(byOid, s.oids) ?? profile.nameID,
    trustLevel,
    attributes: accountAttributes(byOid, s.oids),
    idpSessionRef: { nameId: profile.nameID, nameIdFormat: profile.nameIDFormat, ...(profile.sessionIndex ? { sessionIndex: profile.sessionIndex } : {}) },
  };
}

/** The SP metadata the IdP registers: entity ID, ACS (HTTP-POST), signing and encryption certificates. */
export function spMetadata(s: SamlSettings, acsUrl: string, logoutUrl?: string): string {
  return generateServiceProviderMetadata({
    issuer: s.config.entityId, callbackUrl: acsUrl, ...(logoutUrl ? { logoutCallbackUrl: logoutUrl } : {}),
    identifierFormat: PERSISTENT, wantAssertionsSigned: true,
    publicCerts: s.signingCert,
    ...(s.decryptionKey && s.decryptionCert ? { decryptionPvk: s.decryptionKey, decryptionCert: s.decryptionCert } : {}),
    privateKey: s.signingKey, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256', signMetadata: true,
  });
}

export const saml: AuthAdapterFactory = async (context) => {
  const settings = readSamlSettings(context);
  const { db } = context;
  if (!db) throw new AccountConfigError(`tenant ${context.tenantId}: the SAML adapter needs the database (replay protection)`);
  const adapter: AuthAdapter = {
    name: 'saml',
    begin: (request) => begin(settings, request),
    complete: (callback) => complete(settings, db, callback),
    async logout(session) {
      const nameId = session.idpSessionRef?.['nameId'];
      if (!settings.config.idp.sloUrl || !nameId) return undefined;
      const user: Profile = { issuer: settings.config.idp.entityId, nameID: nameId, nameIDFormat: session.idpSessionRef?.['nameIdFormat'] ?? PERSISTENT, sessionIndex: session.idpSessionRef?.['sessionIndex'] };
      // RelayState: where the browser returns when the IdP answers at the registered logout URL.
      return nodeSaml(settings, session.postLogoutUrl, 'low', requestCache()).getLogoutUrlAsync(user, session.postLogoutUrl, {});
    },
    metadata: async ({ callbackUrl, logoutUrl }) => spMetadata(settings, callbackUrl, logoutUrl),
  };
  return adapter;
};
