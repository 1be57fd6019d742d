import type { Config } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { buildApp } from '../http/app.js';
import { createRuntime, startRetention } from '../runtime.js';

/**
 * The demo parts (src/demo/: local receiver, demo keys and pull clients) exist in a checkout, not
 * in the image; production code never imports them, only this development start, and only here.
 */
async function loadDemo(cfg: Config) {
  if (cfg.production) {
    if (cfg.receiverPort > 0) throw new ConfigError('the demo receiver holds published demo keys and must not run with NODE_ENV=production (set EFA_RECEIVER_PORT=0)');
    return undefined;
  }
  // eslint-disable-next-line no-restricted-syntax -- the one development entry into src/demo/ (see docs/architecture.md)
  return import('../demo/embedded.js').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new ConfigError('efa start runs the demo (src/demo/), which this installation leaves out: run `efa serve`, or set NODE_ENV=production and EFA_RECEIVER_PORT=0');
  });
}

function demoReceiverUrl(cfg: Config): string {
  return process.env.EFA_DEMO_RECEIVER_URL ?? `http://127.0.0.1:${cfg.receiverPort}`;
}

/** `npm start`: API, delivery and the demo receiver in one process. */
export async function startEmbedded(config: Config): Promise<void> {
  let cfg = config;
  const demo = await loadDemo(cfg);
  const receiverUrl = demo && cfg.receiverPort > 0 ? demoReceiverUrl(cfg) : undefined;
  // Before the environment is taken: the demo puts its secrets (FIT-Connect, SAML SP keys) there.
  if (receiverUrl) demo?.prepareDemo();
  // No mail relay configured: the demo's local SMTP server catches the notices (receiver page /mail).
  const demoMail = receiverUrl && !cfg.mail ? await demo?.startDemoMail(cfg) : undefined;
  if (demoMail) cfg = { ...cfg, mail: demoMail.mail };
  const env = { ...process.env, ...(receiverUrl ? { EFA_DEMO_RECEIVER_URL: receiverUrl } : {}), ...(demo ? { [demo.DEMO_OIDC.secretEnv]: process.env[demo.DEMO_OIDC.secretEnv] ?? demo.DEMO_OIDC.secret } : {}) };
  const rt = await createRuntime(cfg, env, { inProcessDelivery: true });
  startRetention(rt);
  const receiver = receiverUrl ? await demo?.startDemoReceiver(cfg, cfg.receiverPort, rt, demoMail?.catcher) : undefined;
  const pullCredentials = demo?.addDemoPullClients(cfg, rt) ?? [];
  const app = await buildApp(rt, { logger: { level: cfg.logLevel }, receiverUrl });
  await app.listen({ host: cfg.host, port: cfg.port });
  const url = `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${cfg.port}`;
  const openIdProvider = receiverUrl ? await demo?.startDemoOpenIdProvider(cfg, url, rt) : undefined;
  console.log(`\nefa-runtime is running (${rt.db.kind === 'pglite' ? `embedded PostgreSQL in ${cfg.dataDir}` : 'PostgreSQL'}, in-process delivery)`);
  console.log(`  Länder and services:   ${url}/`);
  for (const tenant of rt.tenants.values()) console.log(`  ${tenant.id.toUpperCase()}: ${url}/${tenant.id}/${Object.keys(tenant.services)[0] ?? ''}`);
  if (receiverUrl) console.log(`  authority receiver:    ${receiverUrl}/`);
  if (receiverUrl) console.log(`  payment provider:      ${receiverUrl}/bezahldienst/ (XBezahldienste simulator, docs/payment.md)`);
  if (demoMail) console.log(`  e-mail notices (local SMTP ${demoMail.catcher.url}): ${receiverUrl ?? ''}/mail`);
  if (openIdProvider) console.log(`  OpenID provider (test persons): ${openIdProvider.issuer}/ (docs/basisdienste.md)`);
  for (const line of demo?.pullCredentialLines(url, rt, pullCredentials) ?? []) console.log(line);
  if (rt.devCredentials) {
    console.log(`  operator APIs:         ${url}/_efa/admin/deliveries, ${url}/_efa/admin/routing, ${url}/_efa/metrics (docs/operations.md)`);
    console.log(`    client_id ${rt.devCredentials.clientId}, client_secret ${rt.devCredentials.clientSecret} (development only, kept in ${cfg.dataDir}/dev-credentials.json)`);
  }
  shutdownOn(async () => {
    await app.close();
    await receiver?.close();
    await demoMail?.catcher.close();
    await openIdProvider?.close();
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
