import { AccountConfigError } from './errors.js';
import { DEFAULT_ATTRIBUTE_OIDS, type AttributeKey, type AttributeOids } from './saml-vocabulary.js';
import type { AdapterContext } from './types.js';

/**
 * A tenant's SAML 2.0 account service (BundID or one modelled on it), as tenants/<land>.json
 * declares it under `accounts`. Keys and certificates of this runtime come from the environment
 * (PEM; `\n` may stand for line breaks); the IdP's certificate is public and sits in the file.
 */
export interface SamlConfig {
  adapter: 'saml';
  /** This runtime's entity ID at the IdP (one per tenant; BundID registers it with the SP metadata). */
  entityId: string;
  idp: {
    entityId: string;
    /** SingleSignOnService location; `${NAME}` takes a part from the environment. */
    ssoUrl: string;
    /** SingleLogoutService location, when the IdP offers single logout. */
    sloUrl?: string;
    /** The IdP's signing certificate(s), PEM or bare base64; more than one during a key rollover. */
    cert: string | string[];
  };
  /** How the AuthnRequest travels: HTTP-Redirect (default) or HTTP-POST. */
  binding?: 'redirect' | 'post';
  /** Environment variables with this runtime's signing key and certificate (PEM). */
  signingKeyEnv: string;
  signingCertEnv: string;
  /** Environment variables with the key and certificate for encrypted assertions, when used. */
  decryptionKeyEnv?: string;
  decryptionCertEnv?: string;
  /** Other OIDs than BundID's for some attributes. */
  attributes?: Partial<AttributeOids>;
  /** Attributes requested as required (`RequiredAttribute="true"`). */
  requiredAttributes?: AttributeKey[];
  /** Shown by BundID before returning (AKDB DisplayInformation). */
  displayName?: string;
  onlineServiceId?: string;
  /** Refuse Responses without their own signature (default true; the assertion is always signed). */
  wantResponseSigned?: boolean;
  /** Clock difference tolerated against the IdP, in ms (default 30 s). */
  clockSkewMs?: number;
}

/** The configuration with secrets read and defaults applied. */
export interface SamlSettings {
  tenantId: string;
  config: SamlConfig;
  oids: AttributeOids;
  signingKey: string;
  signingCert: string;
  decryptionKey?: string;
  decryptionCert?: string;
  idpCerts: string[];
}

function fail(tenantId: string, what: string): never {
  throw new AccountConfigError(`tenant ${tenantId}: accounts (saml): ${what}`);
}

function url(tenantId: string, value: unknown, name: string): void {
  if (typeof value !== 'string' || !URL.canParse(value.replace(/\$\{[A-Z][A-Z0-9_]*\}/g, 'https://placeholder.invalid'))) fail(tenantId, `${name} must be an absolute URL`);
}

/**
 * The IdP's URLs may name an environment variable, `${NAME}`: the same tenant file then serves
 * BundID's test and production stages, and `npm start` points at the local IdP.
 */
function expand(value: string, context: AdapterContext): string {
  const expanded = value.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_all, name: string) => context.secret(name));
  if (!URL.canParse(expanded)) fail(context.tenantId, `${value} is not an absolute URL once expanded`);
  return expanded;
}

/** Environment PEMs often arrive on one line with literal `\n`. */
export function pem(value: string, label: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const text = value.replace(/\\n/g, '\n').trim();
  if (text.startsWith('-----BEGIN')) return `${text}\n`;
  const body = text.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n').trim();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function checkShape(tenantId: string, c: Record<string, unknown>): SamlConfig {
  if (typeof c['entityId'] !== 'string' || c['entityId'] === '') fail(tenantId, 'entityId is missing');
  const idp = c['idp'] as Record<string, unknown> | undefined;
  if (!idp || typeof idp !== 'object') fail(tenantId, 'idp (entityId, ssoUrl, cert) is missing');
  if (typeof idp['entityId'] !== 'string' || idp['entityId'] === '') fail(tenantId, 'idp.entityId is missing');
  url(tenantId, idp['ssoUrl'], 'idp.ssoUrl');
  if (idp['sloUrl'] !== undefined) url(tenantId, idp['sloUrl'], 'idp.sloUrl');
  const certs = idp['cert'];
  if (!(typeof certs === 'string' || (Array.isArray(certs) && certs.length > 0 && certs.every((x) => typeof x === 'string')))) fail(tenantId, 'idp.cert must be a certificate or a list of them');
  if (c['binding'] !== undefined && c['binding'] !== 'redirect' && c['binding'] !== 'post') fail(tenantId, 'binding must be "redirect" or "post"');
  for (const name of ['signingKeyEnv', 'signingCertEnv']) if (typeof c[name] !== 'string') fail(tenantId, `${name} (the name of an environment variable) is missing`);
  if ((c['decryptionKeyEnv'] === undefined) !== (c['decryptionCertEnv'] === undefined)) fail(tenantId, 'decryptionKeyEnv and decryptionCertEnv go together');
  const required = c['requiredAttributes'];
  if (required !== undefined && !(Array.isArray(required) && required.every((k) => typeof k === 'string' && k in DEFAULT_ATTRIBUTE_OIDS))) {
    fail(tenantId, `requiredAttributes may name only ${Object.keys(DEFAULT_ATTRIBUTE_OIDS).join(', ')}`);
  }
  return c as unknown as SamlConfig;
}

export function readSamlSettings(context: AdapterContext): SamlSettings {
  const config = checkShape(context.tenantId, context.config);
  const certs = Array.isArray(config.idp.cert) ? config.idp.cert : [config.idp.cert];
  const idp = { ...config.idp, ssoUrl: expand(config.idp.ssoUrl, context), ...(config.idp.sloUrl ? { sloUrl: expand(config.idp.sloUrl, context) } : {}) };
  return {
    tenantId: context.tenantId,
    config: { ...config, idp },
    oids: { ...DEFAULT_ATTRIBUTE_OIDS, ...config.attributes },
    signingKey: pem(context.secret(config.signingKeyEnv), 'PRIVATE KEY'),
    signingCert: pem(context.secret(config.signingCertEnv), 'CERTIFICATE'),
    ...(config.decryptionKeyEnv && config.decryptionCertEnv ? {
      decryptionKey: pem(context.secret(config.decryptionKeyEnv), 'PRIVATE KEY'),
      decryptionCert: pem(context.secret(config.decryptionCertEnv), 'CERTIFICATE'),
    } : {}),
    idpCerts: certs.map((cert) => pem(cert, 'CERTIFICATE')),
  };
}
