import { join, resolve } from 'node:path';
import type { Config } from './config/env.js';
import { loadSecrets, type Secrets } from './config/secrets.js';
import { loadForms, type LoadedForm } from './forms/definition.js';
import { loadRouting, type RoutingData } from './routing/load.js';
import { PlaceIndex } from './routing/places.js';
import { startRoutingStore, type RoutingStore } from './routing/store.js';
import { loadServices, type LoadedService } from './services/registry.js';
import { loadTenants, type Tenant } from './tenants/registry.js';
import { openDatabase, type Database } from './storage/db.js';
import { DraftStore } from './submissions/drafts.js';
import { InProcessDelivery } from './delivery/in-process.js';
import type { DeliveryDeps } from './delivery/deliver.js';
import type { RetryPolicy } from './delivery/outbox.js';
import type { DeliveryQueue } from './delivery/queue.js';
import { handOver } from './delivery/relay.js';
import { Metrics } from './metrics/registry.js';
import { t } from './forms/text.js';
import { PACKAGE_ROOT } from './core/paths.js';
import { devOperatorClient, loadApiClients, type ApiClient, type DevCredentials } from './auth/clients.js';

/** The folder with the JSON Schemas of our own formats (services, forms, tenants, routing). */
export const FORMATS_DIR = join(PACKAGE_ROOT, 'schemas');

export interface Declarations {
  services: Map<string, LoadedService>;
  forms: Map<string, LoadedForm>;
  tenants: Map<string, Tenant>;
  routing: RoutingData;
  places: PlaceIndex;
}

/** Loads and checks every declarative file; the first mistake stops with file, JSON path and problem. */
export async function loadDeclarations(root: string, env: Record<string, string | undefined>): Promise<Declarations> {
  const abs = resolve(root);
  const services = await loadServices(abs, FORMATS_DIR);
  const forms = loadForms(abs, FORMATS_DIR, services);
  const tenants = await loadTenants(abs, FORMATS_DIR, services, forms);
  const routing = loadRouting(abs, FORMATS_DIR, env);
  const places = PlaceIndex.load(abs);
  return { services, forms, tenants, routing, places };
}

export interface Runtime extends Declarations {
  config: Config;
  secrets: Secrets;
  db: Database;
  drafts: DraftStore;
  delivery?: InProcessDelivery;
  /** The delivery queue's producer side (with REDIS_URL, outside the embedded mode). */
  queue?: DeliveryQueue;
  metrics: Metrics;
  /** Hands a stored submission to delivery at once; if that fails the outbox relay picks it up. */
  dispatch(submissionId: string): void;
  /** Routing versions in PostgreSQL: imports, reloads, and picking up other processes' changes. */
  routingStore?: RoutingStore;
  /** Clients of the admin and authority APIs (EFA_API_CLIENTS, plus a generated operator in development). */
  apiClients: Map<string, ApiClient>;
  /** The generated development operator's credentials (never in production). */
  devCredentials?: DevCredentials;
  close(): Promise<void>;
}

/** Everything one delivery attempt needs, read through rt so a routing reload takes effect at once. */
export function deliveryDeps(rt: Runtime): DeliveryDeps {
  return {
    db: rt.db,
    routing: () => rt.routing,
    sender: rt.secrets.sender,
    timeoutMs: (transport) => rt.config.transportTimeoutsMs[transport] ?? rt.config.deliveryTimeoutMs,
    serviceTitle: (id) => t(rt.services.get(id)?.definition.title, 'de'),
    onAttempt: (event) => rt.metrics.attempt(event),
  };
}

export function retryPolicy(config: Config): RetryPolicy {
  return { maxAttempts: config.delivery.maxAttempts, baseDelayMs: config.delivery.backoffMs, maxDelayMs: config.delivery.backoffMaxMs };
}

/** The outbox lease: the slowest transport's timeout plus room for the database work around it. */
export function leaseMs(config: Config): number {
  return Math.max(config.deliveryTimeoutMs, ...Object.values(config.transportTimeoutsMs)) + 5_000;
}

/** Counts of not yet delivered submissions in the outbox: queue depth without Redis. */
async function outboxDepth(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ due: string; later: string; leased: string }>(
    `SELECT count(*) FILTER (WHERE available_at <= now() AND (locked_until IS NULL OR locked_until < now()))::text AS due,
            count(*) FILTER (WHERE available_at > now())::text AS later,
            count(*) FILTER (WHERE locked_until >= now())::text AS leased FROM outbox`,
  );
  const r = rows[0];
  return { waiting: Number(r?.due ?? 0), delayed: Number(r?.later ?? 0), active: Number(r?.leased ?? 0) };
}

/**
 * Embedded mode delivers in this process; with REDIS_URL the API only enqueues (the workers
 * deliver). Enqueueing is best effort and never delays the applicant's answer.
 */
async function startDispatch(rt: Runtime, inProcess: boolean): Promise<void> {
  const onError = (err: unknown) => console.error(`efa: delivery loop: ${err instanceof Error ? err.message : String(err)}`);
  if (inProcess) {
    const delivery = new InProcessDelivery(deliveryDeps(rt), onError, retryPolicy(rt.config), 1000, leaseMs(rt.config));
    rt.delivery = delivery;
    rt.dispatch = () => delivery.kick();
    rt.metrics.setDepthSource(() => outboxDepth(rt.db));
    delivery.start();
    return;
  }
  if (!rt.config.redisUrl) return;
  // BullMQ (with ioredis) is the largest library we load: only processes that use the queue pay for it.
  const { DeliveryQueue } = await import('./delivery/queue.js');
  const queue = new DeliveryQueue(rt.config.redisUrl, rt.config.delivery);
  rt.queue = queue;
  rt.dispatch = (submissionId) => {
    handOver(rt.db, queue, submissionId).catch(() => undefined);
  };
  rt.metrics.setDepthSource(async () => ({ ...(await queue.counts()), outbox: Number((await rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0]?.n ?? 0) }));
}

/** API clients from EFA_API_CLIENTS; outside production a generated operator joins them. */
function loadClients(config: Config): { clients: Map<string, ApiClient>; devCredentials?: DevCredentials } {
  const clients = config.apiClientsFile ? loadApiClients(resolve(config.apiClientsFile), FORMATS_DIR) : new Map<string, ApiClient>();
  if (config.production) return { clients };
  const dev = devOperatorClient(config.dataDir);
  if (!clients.has(dev.client.id)) clients.set(dev.client.id, dev.client);
  return { clients, devCredentials: dev.credentials };
}

export async function createRuntime(config: Config, env: Record<string, string | undefined>, opts: { inProcessDelivery: boolean; role?: 'api' | 'worker' | 'embedded' }): Promise<Runtime> {
  const declarations = await loadDeclarations(config.root, env);
  const secrets = await loadSecrets(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const drafts = new DraftStore(db, secrets.secret, config.draftTtlDays);
  const { clients: apiClients, devCredentials } = loadClients(config);
  const rt: Runtime = {
    ...declarations, config, secrets, db, drafts, apiClients, devCredentials,
    metrics: new Metrics(opts.role ?? (opts.inProcessDelivery ? 'embedded' : 'api')),
    dispatch: () => undefined,
    async close() {
      await rt.delivery?.stop();
      await rt.queue?.close();
      await rt.routingStore?.stop();
      await db.close();
    },
  };
  // The newest routing version from the database replaces the seed files' data, and later ones follow.
  try {
    rt.routingStore = await startRoutingStore({ db, root: resolve(config.root), formatsDir: FORMATS_DIR, env, databaseUrl: config.databaseUrl, current: () => rt.routing, install: (routing) => { rt.routing = routing; } });
  } catch (err) {
    await db.close();
    throw err;
  }
  await startDispatch(rt, opts.inProcessDelivery);
  return rt;
}
