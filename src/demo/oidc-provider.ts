import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * The local OpenID provider that stands in for a Land's account service (or a broker such as
 * Keycloak) in development and tests: real OpenID Connect over HTTP (discovery, authorization
 * code with PKCE, ID token with `acr`, userinfo, RP-initiated logout) from npm `oidc-provider`.
 * Its login page lists the test persons; choosing one logs in at that person's trust level.
 */

/** eIDAS levels as `acr` (what src/accounts/oidc.ts expects by default). */
const ACR = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
} as const;

export interface TestPerson {
  id: string;
  /** What the login page says of the way this person logs in. */
  method: string;
  level: keyof typeof ACR;
  claims: Record<string, unknown>;
}

const address = { street_address: 'Holstenstraße 12a', postal_code: '24103', locality: 'Kiel', country: 'DE' };

/** Test persons, one per trust level (fictitious data). */
export const TEST_PERSONS: readonly TestPerson[] = [
  { id: 'basis', method: 'Benutzername und Passwort', level: 'low', claims: { given_name: 'Bernd', family_name: 'Basis', birthdate: '1980-02-01', email: 'bernd.basis@example.org', address } },
  { id: 'elster', method: 'ELSTER-Zertifikat', level: 'substantial', claims: { given_name: 'Erika', family_name: 'Mustermann', birthdate: '1964-08-12', email: 'erika.mustermann@example.org', address } },
  { id: 'eid', method: 'Online-Ausweis (eID)', level: 'high', claims: { given_name: 'Max', family_name: 'Mustermann', birthdate: '1970-01-01', email: 'max.mustermann@example.org', address: { ...address, street_address: 'Rathausplatz 1' } } },
];

export interface OidcClientRegistration {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface LocalOpenIdProvider {
  issuer: string;
  /** (Re)registers the runtime as the one client: its callback URLs are known once it listens. */
  register(client: OidcClientRegistration): Promise<void>;
  close(): Promise<void>;
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

function loginPage(uid: string): string {
  const buttons = TEST_PERSONS.map((p) => `<li><form method="post" action="/interaction/${uid}/login"><input type="hidden" name="person" value="${p.id}"><button type="submit">${p.claims['given_name']} ${p.claims['family_name']} – ${p.method} (${p.level})</button></form></li>`).join('');
  return page('Nutzerkonto (Test) – Anmelden', `<p>Test-Anmeldung: wählen Sie eine Testperson.</p><ul>${buttons}</ul>`);
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function buildProvider(issuer: string, client: OidcClientRegistration, jwk: Record<string, unknown>): Promise<Provider> {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: client.redirectUris, post_logout_redirect_uris: client.postLogoutRedirectUris,
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    acrValues: Object.values(ACR),
    claims: { openid: ['sub'], profile: ['given_name', 'family_name', 'birthdate'], email: ['email'], address: ['address'] },
    findAccount: (_ctx: unknown, id: string) => {
      const person = TEST_PERSONS.find((p) => p.id === id);
      return person && { accountId: person.id, claims: () => ({ sub: person.id, ...person.claims }) };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // The portal is the provider's own client: what it asks for is granted without a consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid profile email address');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = page('Nutzerkonto (Test) – Abmelden', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Abmelden</button>`);
        },
      },
    },
  });
  return provider;
}

async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid));
    return;
  }
  const chosen = (await formBody(req)).get('person');
  const person = TEST_PERSONS.find((p) => p.id === chosen);
  if (!person) {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Unbekannte Testperson', `<p><a href="/interaction/${details.uid}">Zurück</a></p>`));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: person.id, acr: ACR[person.level] } }, { mergeWithLastSubmission: false });
}

/** Starts the provider on `port` (0: any free port) at 127.0.0.1. */
export async function startLocalOpenIdProvider(opts: { port: number; host?: string }): Promise<LocalOpenIdProvider> {
  const host = opts.host ?? '127.0.0.1';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'local-op' };
  let provider: Provider | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (!provider) {
      res.writeHead(503).end('no client registered yet');
      return;
    }
    const current = provider;
    if (req.url?.startsWith('/interaction/')) {
      interaction(current, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${(err as Error).message}`);
      });
      return;
    }
    (handler as (req: IncomingMessage, res: ServerResponse) => void)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async register(client) {
      provider = await buildProvider(issuer, client, jwk);
      handler = provider.callback();
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
