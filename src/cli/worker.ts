import Fastify, { type FastifyInstance } from 'fastify';
import type { Worker } from 'bullmq';
import type { Config } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { OutboxRelay, handOver } from '../delivery/relay.js';
import { startDeliveryWorker } from '../delivery/worker.js';
import { requireScope } from '../http/api-auth.js';
import { httpTimeouts } from '../http/timeouts.js';
import { createRuntime, deliveryDeps, leaseMs, redisTimeouts, retryPolicy, startDecisionPoller, startJobRunner, startRetention, type Runtime } from '../runtime.js';
import { shutdownOn } from './start.js';

/**
 * The worker's own small HTTP endpoint: health for the orchestrator, metrics for Prometheus
 * (bearer token with scope metrics:read from the API's token endpoint, as on the API).
 */
async function startWorkerEndpoint(rt: Runtime, worker: Worker, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...httpTimeouts(rt.config.ops) });
  const auth = { tokenKeys: rt.secrets.tokenKeys, clients: () => rt.apiClients };
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_req, reply) => {
    const ok = worker.isRunning() && (await rt.db.query('SELECT 1').then(() => true, () => false));
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable' });
  });
  app.get('/metrics', { preHandler: requireScope(auth, 'metrics:read') }, async (_req, reply) => {
    const { contentType, body } = await rt.metrics.text();
    return reply.type(contentType).send(body);
  });
  await app.listen({ host: rt.config.host, port });
  return app;
}

/**
 * `efa worker`: delivers from the BullMQ queue and relays outbox entries into it. Run as many as
 * needed; each takes `concurrency` deliveries at once. SIGTERM lets running deliveries finish
 * (their jobs stay locked until then) and returns nothing half-done: an unfinished job goes back
 * to the queue when its lock runs out.
 */
export async function startWorker(cfg: Config): Promise<void> {
  if (!cfg.redisUrl) throw new ConfigError('efa worker needs REDIS_URL (the delivery queue); without Redis, `efa serve` and `efa start` deliver in-process');
  if (!cfg.databaseUrl) throw new ConfigError('efa worker needs DATABASE_URL: the embedded PGlite database belongs to one process (`efa start`)');
  const rt = await createRuntime(cfg, process.env, { inProcessDelivery: false, role: 'worker' });
  const log = (msg: string) => console.error(`efa worker: ${msg}`);
  const worker = startDeliveryWorker(deliveryDeps(rt), { redisUrl: cfg.redisUrl, settings: cfg.delivery, policy: retryPolicy(cfg), leaseMs: leaseMs(cfg), onError: (err) => rt.metrics.error('worker', err), redisTimeouts: redisTimeouts(cfg) });
  const relay = OutboxRelay.fromSettings(rt.db, rt.queue as NonNullable<Runtime['queue']>, cfg.delivery, (err) => rt.metrics.error('relay', err));
  relay.start();
  // A redelivery the queue does not take now (Redis down) is still in the outbox: the relay enqueues it.
  startJobRunner(rt, (id) => handOver(rt.db, rt.queue as NonNullable<Runtime['queue']>, id).catch((err: unknown) => rt.metrics.error('dispatch', err)));
  startRetention(rt);
  startDecisionPoller(rt, (err) => rt.metrics.error('decisions', err));
  const endpoint = cfg.delivery.workerPort > 0 ? await startWorkerEndpoint(rt, worker, cfg.delivery.workerPort) : undefined;
  await worker.waitUntilReady();
  console.log(`efa worker: delivering (concurrency ${cfg.delivery.concurrency}, up to ${cfg.delivery.maxAttempts} attempts, queue prefix "${cfg.delivery.queuePrefix}")${endpoint ? `; metrics and health on port ${cfg.delivery.workerPort}` : ''}`);
  shutdownOn(async () => {
    log('stopping: finishing running deliveries');
    await worker.close();
    await relay.stop();
    await rt.decisions?.stop();
    await endpoint?.close();
    await rt.close();
  });
}
