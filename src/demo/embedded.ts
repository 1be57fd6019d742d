import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/env.js';
import type { Runtime } from '../runtime.js';
import { demoFitConnectClients, demoPullClients, ensureDemoFitConnectSecret, loadDemoAuthorities, type PullCredentials } from './authorities.js';
import { Inbox } from './receivers/inbox.js';
import { startMailCatcher, type MailCatcher } from './mail-server.js';
import { buildReceiverServer } from './receivers/server.js';
import { DEMO_PAYMENT, PaymentSimulator } from './payment-provider.js';
import { DEMO_SAML_ENV, demoSamlIdp } from './saml-idp.js';
import { DEMO_IDP_CERT, DEMO_IDP_KEY, DEMO_SP_CERT, DEMO_SP_KEY } from './saml-keys.js';

/**
 * What `npm start` adds in development, loaded by src/cli/start.ts through a dynamic import only
 * (production code never imports src/demo/, and the image leaves it out): the local authority
 * receiver with the demo authorities' private keys from routing/demo-private/ and the FIT-Connect
 * client secrets of the demo directory, and API clients for the demo's pull authorities.
 */

/** Before the runtime delivers: the demo's FIT-Connect client needs its secret (see ensureDemoFitConnectSecret). */
export function prepareDemo(): void {
  ensureDemoFitConnectSecret();
  // A tenant whose SAML account service is the local IdP signs with the published demo SP key.
  process.env[DEMO_SAML_ENV.spKey] ||= DEMO_SP_KEY;
  process.env[DEMO_SAML_ENV.spCert] ||= DEMO_SP_CERT;
  // A tenant whose payment provider is the local simulator authenticates with the demo secret.
  process.env[DEMO_PAYMENT.secretEnv] ||= DEMO_PAYMENT.secret;
}

/** The local authority receiver of the demo, showing what arrived. */
export async function startDemoReceiver(cfg: Config, port: number, rt: Runtime, mail?: MailCatcher): Promise<FastifyInstance> {
  const runtimeUrl = `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${cfg.port}`;
  const authorities = loadDemoAuthorities(cfg.root, new Map([...rt.routing.authorities].map(([id, a]) => [id, a.name])));
  const clients = demoFitConnectClients(rt.routing.directory.values());
  const app = await buildReceiverServer({ authorities, inbox: new Inbox(), senderKeys: async () => [rt.secrets.sender.publicJwk], clients, runtimeUrl, ...(mail ? { mailbox: mail.messages } : {}) });
  // The local SAML IdP standing in for BundID (docs/basisdienste.md), beside the receiver.
  const receiverUrl = process.env.EFA_DEMO_RECEIVER_URL ?? `http://127.0.0.1:${port}`;
  await app.register(demoSamlIdp(receiverUrl, { key: DEMO_IDP_KEY, cert: DEMO_IDP_CERT }, DEMO_SP_CERT), { prefix: '/saml-idp' });
  // The local payment provider (XBezahldienste API and a payment page, docs/payment.md).
  const payments = new PaymentSimulator([{ originatorId: DEMO_PAYMENT.originatorId, endPointId: DEMO_PAYMENT.endPointId, secret: DEMO_PAYMENT.secret }], () => `${receiverUrl}/bezahldienst`);
  await app.register(payments.plugin, { prefix: '/bezahldienst' });
  await app.listen({ host: cfg.host, port });
  return app;
}

/**
 * Without a configured mail relay, `npm start` runs a local SMTP server (EFA_DEMO_SMTP_PORT, default
 * 2525) that keeps what it gets in memory; the receiver shows it at /mail.
 */
export async function startDemoMail(cfg: Config): Promise<{ catcher: MailCatcher; mail: NonNullable<Config['mail']> }> {
  const catcher = await startMailCatcher({ host: cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host, port: Number(process.env.EFA_DEMO_SMTP_PORT ?? 2525) });
  return { catcher, mail: { smtpUrl: catcher.url, from: 'Serviceportal (Demo) <noreply@localhost>' } };
}

/** The demo's pull authorities get API clients, so the pull API can be tried at once. */
export function addDemoPullClients(cfg: Config, rt: Runtime): PullCredentials[] {
  const { clients, credentials } = demoPullClients(cfg.dataDir, rt.routing.directory.values());
  for (const client of clients) if (!rt.apiClients.has(client.id)) rt.apiClients.set(client.id, client);
  return credentials;
}

/** What `npm start` prints about them. */
export function pullCredentialLines(url: string, rt: Runtime, credentials: PullCredentials[]): string[] {
  if (credentials.length === 0) return [];
  return [
    `  authority pull API:    ${url}/_efa/api/v1/submissions (docs/transports/pull.md)`,
    ...credentials.flatMap((c) => [
      `    ${rt.routing.authorities.get(c.authorityId)?.name ?? c.authorityId}: client_id ${c.clientId}, client_secret ${c.clientSecret}`,
      `      token: curl -s -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials ${url}/_efa/oauth/token`,
    ]),
  ];
}

/** The local OpenID provider's client for the demo; tenants/<land>.json names the secret's variable. */
export const DEMO_OIDC = { port: 3002, clientId: 'efa-demo', secretEnv: 'EFA_DEMO_OIDC_SECRET', secret: 'efa-demo-oidc-secret-development-only' } as const;

/**
 * The local OpenID provider (src/demo/oidc-provider.ts) beside the receiver, with every tenant's
 * callback registered: a tenant whose `accounts` names it (docs/basisdienste.md) logs in there.
 */
export async function startDemoOpenIdProvider(cfg: Config, url: string, rt: Runtime): Promise<{ issuer: string; close(): Promise<void> }> {
  const { startLocalOpenIdProvider } = await import('./oidc-provider.js');
  const op = await startLocalOpenIdProvider({ port: Number(process.env.EFA_DEMO_OIDC_PORT ?? DEMO_OIDC.port), host: cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host });
  const tenants = [...rt.tenants.keys()];
  await op.register({
    clientId: DEMO_OIDC.clientId, clientSecret: DEMO_OIDC.secret,
    redirectUris: tenants.map((id) => `${url}/${id}/anmeldung/rueckkehr`), postLogoutRedirectUris: tenants.map((id) => `${url}/${id}/anmeldung/abgemeldet`),
  });
  return op;
}
