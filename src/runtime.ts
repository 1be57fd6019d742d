import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config/env.js';
import { loadSecrets, type Secrets } from './config/secrets.js';
import { loadForms, type LoadedForm } from './forms/definition.js';
import { loadRouting, type RoutingData } from './routing/load.js';
import { PlaceIndex } from './routing/places.js';
import { loadServices, type LoadedService } from './services/registry.js';
import { loadTenants, type Tenant } from './tenants/registry.js';
import { openDatabase, type Database } from './storage/db.js';
import { DraftStore } from './submissions/drafts.js';
import { InProcessDelivery } from './delivery/in-process.js';
import { t } from './forms/text.js';

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
  close(): Promise<void>;
}

export async function createRuntime(config: Config, env: Record<string, string | undefined>, opts: { inProcessDelivery: boolean }): Promise<Runtime> {
  const declarations = await loadDeclarations(config.root, env);
  const secrets = await loadSecrets(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const drafts = new DraftStore(db, secrets.secret, config.draftTtlDays);
  const delivery = opts.inProcessDelivery
    ? new InProcessDelivery({ db, routing: declarations.routing, sender: secrets.sender, timeoutMs: config.deliveryTimeoutMs, serviceTitle: (id) => t(declarations.services.get(id)?.definition.title, 'de') }, (err) => console.error(`efa: delivery loop: ${err instanceof Error ? err.message : String(err)}`))
    : undefined;
  delivery?.start();
  return {
    ...declarations, config, secrets, db, drafts, delivery,
    async close() {
      await delivery?.stop();
      await db.close();
    },
  };
}
