import { join, resolve } from 'node:path';
import type { Config } from './config/env.js';
import { loadSecrets, type Secrets } from './config/secrets.js';
import { loadForms, type LoadedForm } from './forms/definition.js';
import { loadRouting, type RoutingData } from './routing/load.js';
import { PlaceIndex } from './places/places.js';
import { startRoutingStore, type RoutingStore } from './routing/store.js';
import { messageFormatsOf } from './messages/index.js';
import type { ServiceFormats } from './core/formats.js';
import { loadServices, type LoadedService } from './services/registry.js';
import { loadTenants, type Tenant } from './tenants/registry.js';
import { databaseTimeouts, openDatabase, type Database } from './storage/db.js';
import { DraftStore } from './submissions/drafts.js';
import { AccountServices } from './accounts/accounts.js';
import { AttachmentStore } from './attachments/store.js';
import type { Scanner } from './attachments/scanner.js';
import { scannerFor } from './attachments/scanners/index.js';
import { ConfigError } from './core/errors.js';
import { InProcessDelivery } from './delivery/in-process.js';
import type { DeliveryDeps } from './delivery/deliver.js';
import type { RetryPolicy } from './delivery/outbox.js';
import type { DeliveryQueue, RedisTimeouts } from './delivery/queue.js';
import { handOver } from './delivery/relay.js';
import { JobRunner } from './delivery/jobs.js';
import { RetentionSchedule, retentionPolicy } from './storage/retention.js';
import { DecisionPoller } from './delivery/decisions.js';
import { openBreakers, type AuthorityLimits } from './delivery/limits.js';
import { Metrics } from './metrics/registry.js';
import { t } from './forms/text.js';
import { configureOutbound } from './transports/http.js';
import { mailerFor, type Mailer } from './mail/mailer.js';
import { PACKAGE_ROOT } from './core/paths.js';
import { Payments } from './payment/payments.js';
import { PaymentConfigError } from './payment/errors.js';
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

/** The services' message mappings as routing checks entries against them (`efa routing import`). */
export async function messageFormatsIn(root: string): Promise<ServiceFormats> {
  return messageFormatsOf(await loadServices(resolve(root), FORMATS_DIR)).formats;
}

export interface Runtime extends Declarations {
  config: Config;
  secrets: Secrets;
  db: Database;
  drafts: DraftStore;
  /** Applicants' login: each tenant's account service adapter and the sessions (docs/basisdienste.md). */
  accounts: AccountServices;
  /** Fee payments: each tenant's payment provider and the payments table (docs/payment.md). */
  payments: Payments;
  /** Uploaded files: streamed in, scanned, kept with the draft, sealed for the authority at submit. */
  attachments: AttachmentStore;
  scanner: Scanner;
  delivery?: InProcessDelivery;
  /** Reads authorities' later decisions (FIT-Connect accept/reject) where this process delivers. */
  decisions?: DecisionPoller;
  /** The delivery queue's producer side (with REDIS_URL, outside the embedded mode). */
  queue?: DeliveryQueue;
  metrics: Metrics;
  /** Hands a stored submission to delivery at once; if that fails the outbox relay picks it up. */
  dispatch(submissionId: string): void;
  /** Routing versions in PostgreSQL: imports, reloads, and picking up other processes' changes. */
  routingStore?: RoutingStore;
  /** Runs operator jobs (redeliver-failed) in this process: embedded delivery and `efa worker`. */
  jobs?: JobRunner;
  /** The scheduled retention purge (`efa worker` and the embedded process). */
  retention?: RetentionSchedule;
  /** Clients of the admin and authority APIs (EFA_API_CLIENTS, plus a generated operator in development). */
  apiClients: Map<string, ApiClient>;
  /** The generated development operator's credentials (never in production). */
  devCredentials?: DevCredentials;
  /** E-mail notices to applicants (EFA_SMTP_URL); undefined: mail is off and no page offers it. */
  mailer?: Mailer;
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
    limits: authorityLimits(rt.config),
    onAttempt: (event) => rt.metrics.attempt(event),
    onDeferred: (reason) => rt.metrics.deferred.inc({ reason }),
  };
}

export function authorityLimits(config: Config): AuthorityLimits {
  const d = config.delivery;
  return {
    concurrency: d.authorityConcurrency, breakerMinVolume: d.breakerMinVolume, breakerFailureRate: d.breakerFailurePercent / 100,
    breakerWindowMs: d.breakerWindowMs, breakerCooldownMs: d.breakerCooldownMs, breakerTrials: d.breakerTrials,
  };
}

/** The follow-up of deliveries whose authority decides later; started by every process that delivers. */
export function startDecisionPoller(rt: Runtime, onError: (err: unknown) => void): DecisionPoller {
  const { delivery } = rt.config;
  const poller = new DecisionPoller(deliveryDeps(rt), { pollMs: delivery.decisionPollMs, retryMaxMs: delivery.decisionRetryMaxMs, maxDays: delivery.decisionMaxDays, leaseMs: leaseMs(rt.config) }, onError,
    (event) => rt.metrics.decisions.inc(event));
  rt.decisions = poller;
  rt.metrics.setBreakerSource(() => openBreakers(rt.db));
  poller.start();
  return poller;
}

export function retryPolicy(config: Config): RetryPolicy {
  return { maxAttempts: config.delivery.maxAttempts, baseDelayMs: config.delivery.backoffMs, maxDelayMs: config.delivery.backoffMaxMs };
}

export function redisTimeouts(config: Config): RedisTimeouts {
  return { connectMs: config.ops.redisConnectTimeoutMs, commandMs: config.ops.redisCommandTimeoutMs };
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
  const onError = (err: unknown) => rt.metrics.error('delivery_loop', err);
  if (inProcess) {
    const delivery = new InProcessDelivery(deliveryDeps(rt), onError, retryPolicy(rt.config), 1000, leaseMs(rt.config));
    rt.delivery = delivery;
    rt.dispatch = () => delivery.kick();
    rt.metrics.setDepthSource(() => outboxDepth(rt.db));
    delivery.start();
    startJobRunner(rt, (id) => rt.dispatch(id));
    startDecisionPoller(rt, onError);
    return;
  }
  if (!rt.config.redisUrl) return;
  // BullMQ (with ioredis) is the largest library we load: only processes that use the queue pay for it.
  const { DeliveryQueue } = await import('./delivery/queue.js');
  const queue = new DeliveryQueue(rt.config.redisUrl, rt.config.delivery, { timeouts: redisTimeouts(rt.config), onError: (where, err) => rt.metrics.error(where, err) });
  rt.queue = queue;
  rt.dispatch = (submissionId) => {
    // Redis down: the outbox relay enqueues the entry later; the applicant's answer never waits.
    handOver(rt.db, queue, submissionId).catch((err: unknown) => rt.metrics.error('dispatch', err));
  };
  rt.metrics.setDepthSource(async () => ({ ...(await queue.counts()), outbox: Number((await rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0]?.n ?? 0) }));
}

/** Operator jobs in this process; `dispatch` hands a redelivered submission to delivery. */
export function startJobRunner(rt: Runtime, dispatch: (id: string) => void | Promise<void>): JobRunner {
  const runner = new JobRunner(rt.db, { batch: 100, leaseMs: 60_000, pollMs: 2_000, dispatch }, (err) => rt.metrics.error('operator_job', err));
  runner.start();
  rt.jobs = runner;
  return runner;
}

/** The retention purge on its schedule; what it removed is counted in efa_purged_total{kind}. */
export function startRetention(rt: Runtime): RetentionSchedule {
  const schedule = new RetentionSchedule(rt.db, retentionPolicy(rt.config.ops), rt.config.ops.retentionIntervalMs, (outcome) => {
    for (const [kind, n] of Object.entries(outcome.purged)) if (n > 0) rt.metrics.purged.inc({ kind }, n);
  }, (err) => rt.metrics.error('retention', err));
  schedule.start();
  rt.retention = schedule;
  return schedule;
}

/** API clients from EFA_API_CLIENTS; outside production a generated operator joins them. */
function loadClients(config: Config): { clients: Map<string, ApiClient>; devCredentials?: DevCredentials } {
  const clients = config.apiClientsFile ? loadApiClients(resolve(config.apiClientsFile), FORMATS_DIR) : new Map<string, ApiClient>();
  if (config.production) return { clients };
  const dev = devOperatorClient(config.dataDir);
  if (!clients.has(dev.client.id)) clients.set(dev.client.id, dev.client);
  return { clients, devCredentials: dev.credentials };
}

/** Whether any form declares a file field (also inside a group: any field definition at any depth). */
function hasFileFields(forms: Map<string, LoadedForm>): boolean {
  const walk = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(walk);
    if (node === null || typeof node !== 'object') return false;
    const n = node as Record<string, unknown>;
    return n.kind === 'file' || Object.values(n).some((v) => v !== null && typeof v === 'object' && walk(v));
  };
  return [...forms.values()].some((f) => f.steps.some((s) => s.fields.some((field) => walk(field.def))));
}

/**
 * Production refuses to start with file fields and no virus scanner, unless EFA_UPLOAD_SCAN=off says
 * so on purpose: an unscanned upload would reach an authority's network unnoticed otherwise.
 */
export function checkScanner(config: Config, forms: Map<string, LoadedForm>): void {
  if (config.production && !config.uploads.clamav && !config.uploads.scanDisabled && hasFileFields(forms)) {
    throw new ConfigError('a form has file fields but no virus scanner is configured: set EFA_CLAMAV=host:port (clamd), or EFA_UPLOAD_SCAN=off to run without scanning on purpose');
  }
}

/**
 * Each tenant's account service, its adapter built now so that a wrong configuration or an unset
 * secret stops the start (the adapter contacts its IdP only at the first login). Plain-HTTP
 * issuers (the local stand-ins) are allowed outside production only.
 */
async function accountServices(declarations: Declarations, db: Database, env: Record<string, string | undefined>, production: boolean, sealKey: string): Promise<AccountServices> {
  const configs = new Map([...declarations.tenants.values()].flatMap((tenant) => (tenant.accounts ? [[tenant.id, tenant.accounts] as const] : [])));
  const accounts = new AccountServices(db, configs, env, !production, sealKey);
  try {
    for (const tenant of configs.keys()) await accounts.adapterFor(tenant);
  } catch (err) {
    await db.close();
    throw err;
  }
  return accounts;
}

/**
 * Each tenant's payment provider. In production its settings and secret are checked now, so a
 * wrong configuration stops the start.
 */
function paymentProviders(declarations: Declarations, db: Database, env: Record<string, string | undefined>, production: boolean): Payments {
  const configs = new Map([...declarations.tenants.values()].flatMap((tenant) => (tenant.payment ? [[tenant.id, tenant.payment] as const] : [])));
  const raw = env.EFA_PAYMENT_TIMEOUT_MINUTES;
  const timeout = raw === undefined || raw === '' ? 30 : Number(raw);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 1440) throw new ConfigError('EFA_PAYMENT_TIMEOUT_MINUTES must be a whole number of minutes, 1..1440');
  const payments = new Payments(db, configs, env, !production, timeout);
  // Outside production a Land whose provider is not reachable from here (its ${NAME} or secret
  // unset, as in tests on other declarations) only cannot take payments: its pages say so.
  if (!production) return payments;
  for (const [tenant, config] of configs) {
    // The demo's provider (on the demo receiver, which never runs in production) is demo data, like
    // routing's ${EFA_DEMO_RECEIVER_URL} addresses: it cannot take payments here and need not.
    if (String(config.baseUrl).includes('${EFA_DEMO_RECEIVER_URL}')) continue;
    try {
      payments.adapterFor(tenant);
    } catch (err) {
      if (err instanceof PaymentConfigError) throw new ConfigError(`tenants/${tenant}.json /payment: ${err.message}`);
      throw err;
    }
    if (!env[String(config.secretEnv)]) throw new ConfigError(`tenants/${tenant}.json /payment: the secret variable ${String(config.secretEnv)} is not set`);
  }
  return payments;
}

export async function createRuntime(config: Config, env: Record<string, string | undefined>, opts: { inProcessDelivery: boolean; role?: 'api' | 'worker' | 'embedded' }): Promise<Runtime> {
  configureOutbound({ allowPrivateTargets: config.guard.allowPrivateTargets, maxBodyBytes: config.guard.outboundMaxBodyBytes });
  const declarations = await loadDeclarations(config.root, env);
  // Workers never take uploads: only the processes that serve applicants need the scanner.
  if (opts.role !== 'worker') checkScanner(config, declarations.forms);
  const secrets = await loadSecrets(config);
  const metrics = new Metrics(opts.role ?? (opts.inProcessDelivery ? 'embedded' : 'api'));
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: databaseTimeouts(config.ops), onError: (where, err) => metrics.error(where, err) });
  const scanner = scannerFor(config.uploads);
  // Draft files are encrypted like drafts: the first draft key encrypts, every listed key decrypts.
  const attachments = new AttachmentStore(db, secrets.draftKeys, scanner, config.uploads.maxBytes);
  // A draft's save commits its files in the same transaction (re-wrapped under the current key).
  const drafts = new DraftStore(db, secrets.draftKeys, config.draftTtlDays, attachments, config.draftEmptyTtlHours);
  const { clients: apiClients, devCredentials } = loadClients(config);
  const accounts = await accountServices(declarations, db, env, config.production, secrets.draftKeys[0] as string);
  let payments: Payments;
  try {
    payments = paymentProviders(declarations, db, env, config.production);
  } catch (err) {
    await db.close();
    throw err;
  }
  const rt: Runtime = {
    ...declarations, config, secrets, db, drafts, accounts, payments, attachments, scanner, apiClients, devCredentials,
    metrics,
    mailer: mailerFor(config.mail),
    dispatch: () => undefined,
    async close() {
      rt.mailer?.close();
      await rt.retention?.stop();
      await rt.jobs?.stop();
      await rt.delivery?.stop();
      await rt.decisions?.stop();
      await rt.queue?.close();
      await rt.routingStore?.stop();
      await db.close();
    },
  };
  // The newest routing version from the database replaces the seed files' data, and later ones follow.
  try {
    rt.routingStore = await startRoutingStore({ db, root: resolve(config.root), formatsDir: FORMATS_DIR, env, databaseUrl: config.databaseUrl, messageFormats: messageFormatsOf(rt.services).formats, current: () => rt.routing, install: (routing) => { rt.routing = routing; }, onError: (where, err) => metrics.error(where, err) });
  } catch (err) {
    await db.close();
    throw err;
  }
  await startDispatch(rt, opts.inProcessDelivery);
  return rt;
}
