import * as client from 'openid-client';
import { AccountConfigError, LoginError } from './errors.js';
import type { AccountAddress, AccountAttributes, AdapterContext, AuthAdapter, AuthAdapterFactory, TrustLevel } from './types.js';
import { TRUST_LEVELS } from './types.js';

/** A tenant's OpenID Connect account service, as tenants/<land>.json declares it. */
export interface OidcConfig {
  adapter: 'oidc';
  issuer: string;
  clientId: string;
  /** Name of the environment variable holding the client secret (absent: a public client with PKCE only). */
  clientSecretEnv?: string;
  /** The `acr` value the account service uses for each level; eIDAS URIs when absent. */
  acr?: Partial<Record<TrustLevel, string>>;
  scope?: string;
}

/** eIDAS level URIs, which most brokers (Keycloak eGov plugins, Land accounts) use as `acr`. */
export const EIDAS_ACR: Record<TrustLevel, string> = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
};

function readConfig(context: AdapterContext): OidcConfig {
  const { config, tenantId } = context;
  const issuer = config['issuer'];
  const clientId = config['clientId'];
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) throw new AccountConfigError(`tenant ${tenantId}: accounts.issuer must be a URL`);
  if (typeof clientId !== 'string' || clientId === '') throw new AccountConfigError(`tenant ${tenantId}: accounts.clientId is missing`);
  return config as unknown as OidcConfig;
}

function acrTable(config: OidcConfig): Record<TrustLevel, string> {
  return { ...EIDAS_ACR, ...config.acr };
}

/** The levels at or above `needed`, as `acr_values` in order of preference (lowest first). */
function acrValuesFor(needed: TrustLevel, table: Record<TrustLevel, string>): string {
  return TRUST_LEVELS.slice(TRUST_LEVELS.indexOf(needed)).map((level) => table[level]).join(' ');
}

function levelOf(acr: unknown, table: Record<TrustLevel, string>): TrustLevel {
  const level = TRUST_LEVELS.find((candidate) => table[candidate] === acr);
  if (!level) throw new LoginError(`the account service answered with an unknown acr "${String(acr)}"`);
  return level;
}

/** "Musterstraße 12a" → street and house number; a street without a number stays whole. */
export function splitStreet(streetAddress: string): Pick<AccountAddress, 'street' | 'houseNumber'> {
  const match = /^(.*?)\s+(\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$/.exec(streetAddress.trim());
  return match ? { street: match[1], houseNumber: match[2] } : { street: streetAddress.trim() };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Standard OIDC claims (OpenID Connect Core §5.1) into the account's attributes. */
export function attributesOf(claims: Record<string, unknown>): AccountAttributes {
  const address = (claims['address'] ?? {}) as Record<string, unknown>;
  const street = text(address['street_address']);
  const mapped: AccountAddress = {
    ...(street ? splitStreet(street) : {}),
    postalCode: text(address['postal_code']),
    city: text(address['locality']),
    country: text(address['country']),
  };
  return {
    givenName: text(claims['given_name']),
    familyName: text(claims['family_name']),
    birthDate: text(claims['birthdate']),
    email: text(claims['email']),
    address: Object.values(mapped).some((value) => value !== undefined) ? mapped : undefined,
  };
}

async function discover(context: AdapterContext, config: OidcConfig): Promise<client.Configuration> {
  const secret = config.clientSecretEnv ? context.secret(config.clientSecretEnv) : undefined;
  const auth = secret ? client.ClientSecretPost(secret) : client.None();
  const options = context.allowInsecure ? { execute: [client.allowInsecureRequests] } : undefined;
  try {
    return await client.discovery(new URL(config.issuer), config.clientId, undefined, auth, options);
  } catch (cause) {
    throw new AccountConfigError(`tenant ${context.tenantId}: OpenID discovery at ${config.issuer} failed: ${(cause as Error).message}`);
  }
}

function pendingString(pending: Record<string, unknown>, key: string): string {
  const value = pending[key];
  if (typeof value !== 'string') throw new LoginError(`no login in progress (missing ${key})`);
  return value;
}

/** OpenID Connect: authorization code flow with PKCE, state and nonce; the level from `acr`. */
export const oidc: AuthAdapterFactory = async (context) => {
  const config = readConfig(context);
  const table = acrTable(config);
  let discovered: Promise<client.Configuration> | undefined;
  // Discovery waits for the first login, so a runtime starts while its account service is down.
  const server = (): Promise<client.Configuration> => {
    discovered ??= discover(context, config).catch((error: unknown) => { discovered = undefined; throw error; });
    return discovered;
  };
  const adapter: AuthAdapter = {
    name: 'oidc',
    async begin(request) {
      const configuration = await server();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(configuration, {
        redirect_uri: request.callbackUrl,
        scope: config.scope ?? 'openid profile email address',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        acr_values: acrValuesFor(request.trustLevel, table),
        ...(request.language ? { ui_locales: request.language } : {}),
      });
      return { redirectUrl: url.href, pending: { verifier, state, nonce, callbackUrl: request.callbackUrl } };
    },
    async complete(callback) {
      const configuration = await server();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(configuration, new URL(callback.url), {
          pkceCodeVerifier: pendingString(callback.pending, 'verifier'),
          expectedState: pendingString(callback.pending, 'state'),
          expectedNonce: pendingString(callback.pending, 'nonce'),
          idTokenExpected: true,
        }, { redirect_uri: pendingString(callback.pending, 'callbackUrl') });
      } catch (cause) {
        if (cause instanceof LoginError) throw cause;
        throw new LoginError(`the OpenID login was refused: ${(cause as Error).message}`, { cause });
      }
      const idClaims = tokens.claims();
      if (!idClaims) throw new LoginError('the account service sent no ID token');
      const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub)
        .catch((cause: unknown) => { throw new LoginError(`userinfo failed: ${(cause as Error).message}`, { cause }); });
      return {
        subject: idClaims.sub,
        trustLevel: levelOf(idClaims.acr, table),
        attributes: attributesOf({ ...userinfo, ...idClaims }),
        idpSessionRef: tokens.id_token ? { idToken: tokens.id_token } : undefined,
      };
    },
    async logout(session) {
      const configuration = await server();
      if (!configuration.serverMetadata().end_session_endpoint) return undefined;
      const idToken = session.idpSessionRef?.['idToken'];
      return client.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: session.postLogoutUrl,
        ...(idToken ? { id_token_hint: idToken } : { client_id: config.clientId }),
      }).href;
    },
  };
  return adapter;
};
