import { DelayedError, Worker, type Job } from 'bullmq';
import type { DeliverySettings } from '../config/env.js';
import type { DeliveryDeps } from './deliver.js';
import { claimOne, processClaimed, type RetryPolicy, type Settled } from './outbox.js';
import { QUEUE_NAME, redisConnection, type RedisTimeouts } from './queue.js';

export interface WorkerOptions {
  redisUrl: string;
  settings: DeliverySettings;
  policy: RetryPolicy;
  /** The outbox lease: longer than the slowest transport's timeout, so a live attempt is never doubled. */
  leaseMs: number;
  onError: (err: unknown) => void;
  /** Connect timeout towards Redis (EFA_REDIS_CONNECT_TIMEOUT_MS). */
  redisTimeouts?: RedisTimeouts;
}

export type JobResult = Settled | { outcome: 'not-pending' };

/**
 * One delivery job: lease the outbox entry, attempt, settle. The lease in PostgreSQL, not the
 * BullMQ lock, is what keeps two workers from sending the same submission at once: after a worker
 * is killed, BullMQ hands its job to another worker, which waits until the dead one's lease ran
 * out. Retries become delayed jobs with the backoff the outbox computed.
 */
export async function processDeliveryJob(deps: DeliveryDeps, opts: Pick<WorkerOptions, 'policy' | 'leaseMs'>, job: Job, token: string | undefined): Promise<JobResult> {
  const submissionId = String(job.id);
  const claim = await claimOne(deps.db, submissionId, opts.leaseMs, deps.limits);
  if (!claim) return { outcome: 'not-pending' };
  if ('held' in claim) {
    await job.moveToDelayed(Math.max(claim.held.getTime(), Date.now()) + 250, token);
    throw new DelayedError();
  }
  if ('deferred' in claim) {
    // The authority's breaker is open or its attempts are all running: the job waits in Redis
    // instead of in a worker slot, and it costs no attempt.
    deps.onDeferred?.(claim.reason);
    await job.moveToDelayed(Math.max(claim.deferred.getTime(), Date.now()), token);
    throw new DelayedError();
  }
  const settled = await processClaimed(deps, opts.policy, submissionId, claim);
  if (settled.outcome === 'retry') {
    // A little after the outbox's due time, so the job does not wake up a moment too early.
    await job.moveToDelayed(Date.now() + settled.delayMs + 100, token);
    throw new DelayedError();
  }
  return settled;
}

/** Starts a BullMQ worker on the deliveries queue. */
export function startDeliveryWorker(deps: DeliveryDeps, opts: WorkerOptions): Worker {
  const worker = new Worker(QUEUE_NAME, (job, token) => processDeliveryJob(deps, opts, job, token), {
    connection: redisConnection(opts.redisUrl, 'worker', opts.redisTimeouts),
    prefix: opts.settings.queuePrefix,
    concurrency: opts.settings.concurrency,
    lockDuration: opts.settings.lockMs,
    stalledInterval: opts.settings.lockMs,
    // A job whose worker died is handed on, however often: the outbox lease prevents doubling.
    maxStalledCount: 1_000,
    autorun: true,
  });
  worker.on('error', opts.onError);
  return worker;
}
