import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { t } from './forms/text.js';
import { devOperatorClient, loadApiClients, type ApiClient, type DevCredentials } from './auth/clients.js';

/** The folder with the JSON Schemas of our own formats (services, forms, tenants, routing). */
export const FORMATS_DIR = fileURLToPath(new URL('../schemas', import.meta.url));

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
  const tenants = await loadTenants(abs, FORMATS_DIR, services);
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
  /** Routing versions in PostgreSQL: imports, reloads, and picking up other processes' changes. */
  routingStore?: RoutingStore;
  /** Clients of the admin and authority APIs (EFA_API_CLIENTS, plus a generated operator in development). */
  apiClients: Map<string, ApiClient>;
  /** The generated development operator's credentials (never in production). */
  devCredentials?: DevCredentials;
  close(): Promise<void>;
}

/** API clients from EFA_API_CLIENTS; outside production a generated operator joins them. */
function loadClients(config: Config): { clients: Map<string, ApiClient>; devCredentials?: DevCredentials } {
  const clients = config.apiClientsFile ? loadApiClients(resolve(config.apiClientsFile), FORMATS_DIR) : new Map<string, ApiClient>();
  if (config.production) return { clients };
  const dev = devOperatorClient(config.dataDir);
  if (!clients.has(dev.client.id)) clients.set(dev.client.id, dev.client);
  return { clients, devCredentials: dev.credentials };
}

export async function createRuntime(config: Config, env: Record<string, string | undefined>, opts: { inProcessDelivery: boolean }): Promise<Runtime> {
  const declarations = await loadDeclarations(config.root, env);
  const secrets = await loadSecrets(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const drafts = new DraftStore(db, secrets.secret, config.draftTtlDays);
  const { clients: apiClients, devCredentials } = loadClients(config);
  const rt: Runtime = {
    ...declarations, config, secrets, db, drafts, apiClients, devCredentials,
    async close() {
      await rt.delivery?.stop();
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
  if (opts.inProcessDelivery) {
    // The routing data is read through rt on every attempt: a reload takes effect without restart.
    rt.delivery = new InProcessDelivery({ db, routing: () => rt.routing, sender: secrets.sender, timeoutMs: config.deliveryTimeoutMs, serviceTitle: (id) => t(declarations.services.get(id)?.definition.title, 'de') }, (err) => console.error(`efa: delivery loop: ${err instanceof Error ? err.message : String(err)}`));
    rt.delivery.start();
  }
  return rt;
}
