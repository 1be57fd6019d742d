import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/env.js';
import { buildApp } from '../../src/http/app.js';
import { Inbox } from '../../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../../src/demo/receivers/server.js';
import type { ReceiverOptions } from '../../src/demo/receivers/types.js';
import { demoFitConnectClients, demoPullClients, ensureDemoFitConnectSecret, loadDemoAuthorities, type PullCredentials } from '../../src/demo/authorities.js';
import { createRuntime, deliveryDeps, type Runtime } from '../../src/runtime.js';
import type { DeliveryDeps } from '../../src/delivery/deliver.js';
import type { RoutingData } from '../../src/routing/load.js';
import { freshPostgres } from './database.js';

export interface TestStack {
  url: string;
  rt: Runtime;
  app: FastifyInstance;
  inbox: Inbox;
  receiverUrl: string;
  /** API clients (scope submissions:pull) of the demo directory's pull authorities. */
  pullCredentials: PullCredentials[];
  close(): Promise<void>;
}

/**
 * The whole runtime as `npm start` runs it, on ephemeral ports: the real HTTP app, the database
 * (fresh PostgreSQL database, or PGlite in a temp dir), in-process delivery and the local receiver
 * holding the demo authorities' private keys, with API clients for the pull authorities.
 */
export async function startStack(opts: { database: 'postgres' | 'pglite'; env?: Record<string, string>; fitConnectMetadataVersions?: string[] }): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'efa-test-'));
  const pgdb = opts.database === 'postgres' ? await freshPostgres() : undefined;
  const inbox = new Inbox();
  // Every demo authority, as npm start has them (from the test's own root, EFA_ROOT, when it has
  // one: a test may add authorities with their keys there); the receiver learns the directory's
  // FIT-Connect clients once the runtime has loaded it (the map is read per token request).
  const authorities = loadDemoAuthorities(opts.env?.EFA_ROOT ?? '.');
  const fitConnectClients = new Map<string, string>();
  const trusted: { key?: import('jose').JWK } = {};
  const receiverOptions: ReceiverOptions = { authorities, inbox, senderKeys: async () => (trusted.key ? [trusted.key] : []), clients: fitConnectClients, ...(opts.fitConnectMetadataVersions ? { fitConnectMetadataVersions: opts.fitConnectMetadataVersions } : {}) };
  const receiver = await buildReceiverServer(receiverOptions);
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;

  const env: Record<string, string | undefined> = { DATA_DIR: dataDir, EFA_RECEIVER_PORT: '0', EFA_RATE_LIMIT: '100000', LOG_LEVEL: 'silent', ...(pgdb ? { DATABASE_URL: pgdb.url } : { DATABASE_URL: '' }), ...opts.env };
  const config = loadConfig(env);
  ensureDemoFitConnectSecret();
  const rt = await createRuntime(config, { ...env, EFA_DEMO_RECEIVER_URL: receiverUrl }, { inProcessDelivery: true });
  trusted.key = rt.secrets.sender.publicJwk;
  for (const [id, secret] of demoFitConnectClients(rt.routing.directory.values())) fitConnectClients.set(id, secret);
  const { clients: pullClients, credentials: pullCredentials } = demoPullClients(dataDir, rt.routing.directory.values());
  for (const client of pullClients) rt.apiClients.set(client.id, client);
  const app = await buildApp(rt);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // The receiver's "answer" button sends to this runtime's return paths.
  receiverOptions.runtimeUrl = url;
  return {
    url, rt, app, inbox, receiverUrl, pullCredentials,
    async close() {
      await app.close();
      await rt.close();
      await receiver.close();
      await pgdb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The runtime's delivery dependencies with every directory address unreachable: each attempt then
 * ends in a retryable error, so a test can drive retries and dead letters by hand.
 */
export function unreachableDeliveryDeps(rt: Runtime): DeliveryDeps {
  const routing: RoutingData = { ...rt.routing, directory: new Map([...rt.routing.directory].map(([k, e]) => [k, { ...e, address: 'http://127.0.0.1:9/unreachable' }])) };
  return { ...deliveryDeps(rt), routing: () => routing, timeoutMs: () => 2_000 };
}

/** Waits, with a deadline, for the local receiver to hold the submission. */
export async function delivered(stack: TestStack, id: string): Promise<ReturnType<TestStack['inbox']['get']>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await stack.rt.delivery?.drain();
    const received = stack.inbox.get(id);
    if (received || Date.now() > deadline) return received;
    await new Promise((r) => setTimeout(r, 50));
  }
}
