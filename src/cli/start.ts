import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { buildApp } from '../http/app.js';
import { Inbox } from '../demo/receivers/inbox.js';
import { buildReceiverServer } from '../demo/receivers/server.js';
import { demoFitConnectClients, demoPullClients, ensureDemoFitConnectSecret, loadDemoAuthorities, type PullCredentials } from '../demo/authorities.js';
import { createRuntime, startRetention, type Runtime } from '../runtime.js';

/**
 * The local authority receiver of the demo: it holds the demo authorities' private keys from
 * routing/demo-private/ and the FIT-Connect client secrets of the demo directory, and shows what
 * arrived. Never in production.
 */
async function startDemoReceiver(cfg: Config, port: number, rt: Runtime): Promise<FastifyInstance> {
  if (cfg.production) throw new ConfigError('the demo receiver holds published demo keys and must not run with NODE_ENV=production (set EFA_RECEIVER_PORT=0)');
  const authorities = loadDemoAuthorities(cfg.root, new Map([...rt.routing.authorities].map(([id, a]) => [id, a.name])));
  const clients = demoFitConnectClients(rt.routing.directory.values());
  const app = await buildReceiverServer({ authorities, inbox: new Inbox(), senderKeys: async () => [rt.secrets.sender.publicJwk], clients });
  await app.listen({ host: cfg.host, port });
  return app;
}

/** Development: the demo's pull authorities get API clients, so the pull API can be tried at once. */
function addDemoPullClients(cfg: Config, rt: Runtime): PullCredentials[] {
  if (cfg.production) return [];
  const { clients, credentials } = demoPullClients(cfg.dataDir, rt.routing.directory.values());
  for (const client of clients) if (!rt.apiClients.has(client.id)) rt.apiClients.set(client.id, client);
  return credentials;
}

function printPullCredentials(url: string, rt: Runtime, credentials: PullCredentials[]): void {
  if (credentials.length === 0) return;
  console.log(`  authority pull API:    ${url}/_efa/api/v1/submissions (docs/transports/pull.md)`);
  for (const c of credentials) {
    console.log(`    ${rt.routing.authorities.get(c.authorityId)?.name ?? c.authorityId}: client_id ${c.clientId}, client_secret ${c.clientSecret}`);
    console.log(`      token: curl -s -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials ${url}/_efa/oauth/token`);
  }
}

function demoReceiverUrl(cfg: Config): string {
  return process.env.EFA_DEMO_RECEIVER_URL ?? `http://127.0.0.1:${cfg.receiverPort}`;
}

/** `npm start`: API, delivery and the demo receiver in one process. */
export async function startEmbedded(cfg: Config): Promise<void> {
  const receiverUrl = cfg.receiverPort > 0 ? demoReceiverUrl(cfg) : undefined;
  const env = { ...process.env, ...(receiverUrl ? { EFA_DEMO_RECEIVER_URL: receiverUrl } : {}) };
  if (receiverUrl && !cfg.production) ensureDemoFitConnectSecret();
  const rt = await createRuntime(cfg, env, { inProcessDelivery: true });
  startRetention(rt);
  const receiver = cfg.receiverPort > 0 ? await startDemoReceiver(cfg, cfg.receiverPort, rt) : undefined;
  const pullCredentials = addDemoPullClients(cfg, rt);
  const app = await buildApp(rt, { logger: { level: cfg.logLevel }, receiverUrl });
  await app.listen({ host: cfg.host, port: cfg.port });
  const url = `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${cfg.port}`;
  console.log(`\nefa-runtime is running (${rt.db.kind === 'pglite' ? `embedded PostgreSQL in ${cfg.dataDir}` : 'PostgreSQL'}, in-process delivery)`);
  console.log(`  Länder and services:   ${url}/`);
  for (const tenant of rt.tenants.values()) console.log(`  ${tenant.id.toUpperCase()}: ${url}/${tenant.id}/${Object.keys(tenant.services)[0] ?? ''}`);
  if (receiverUrl) console.log(`  authority receiver:    ${receiverUrl}/`);
  printPullCredentials(url, rt, pullCredentials);
  if (rt.devCredentials) {
    console.log(`  operator APIs:         ${url}/_efa/admin/deliveries, ${url}/_efa/admin/routing, ${url}/_efa/metrics (docs/operations.md)`);
    console.log(`    client_id ${rt.devCredentials.clientId}, client_secret ${rt.devCredentials.clientSecret} (development only, kept in ${cfg.dataDir}/dev-credentials.json)`);
  }
  shutdownOn(async () => {
    await app.close();
    await receiver?.close();
    await rt.close();
  });
}

/** `efa serve`: the stateless API; delivers in-process only when there is no Redis to hand off to. */
export async function startServe(cfg: Config): Promise<void> {
  const rt = await createRuntime(cfg, process.env, { inProcessDelivery: !cfg.redisUrl });
  // Without Redis this process is the embedded delivery too, and nobody else purges.
  if (!cfg.redisUrl) startRetention(rt);
  const app = await buildApp(rt, { logger: { level: cfg.logLevel } });
  await app.listen({ host: cfg.host, port: cfg.port });
  shutdownOn(async () => {
    await app.close();
    await rt.close();
  });
}

/** Finish in-flight requests and deliveries, then exit; a second signal exits at once. */
export function shutdownOn(close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) process.exit(1);
      closing = true;
      close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}
