import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { DeliverySettings } from '../config/env.js';

export const QUEUE_NAME = 'deliveries';

/** Job states in which a job will still run: anything else means the outbox entry needs a new job. */
const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Redis connection options from REDIS_URL. Workers block on Redis and must retry forever
 * (BullMQ requires maxRetriesPerRequest: null); producers fail fast while disconnected (no offline
 * queue), so a submit never waits for a Redis that is down: the outbox and the relay cover that case.
 */
export function redisConnection(redisUrl: string, role: 'producer' | 'worker'): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // No retry limit for either role: BullMQ caches its connection set-up, and a set-up command
    // that failed on a limit would leave the producer broken for good after a short outage.
    maxRetriesPerRequest: null,
    ...(role === 'producer' ? { enableOfflineQueue: false, connectTimeout: 2_000 } : {}),
    // Reconnect with a capped backoff for as long as the process lives.
    retryStrategy: (times: number) => Math.min(200 * times, 5_000),
  };
}

/**
 * Jobs only name the submission: the payload stays in PostgreSQL (encrypted), Redis never holds it.
 * The job id is the submission id, so adding the same submission twice adds one job.
 * Retries of a delivery are scheduled by the worker (delayed job), not by BullMQ's attempts; those
 * are only for infrastructure errors (database gone) in the processor itself.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/** The producer side: the API and the relay add jobs here. */
export class DeliveryQueue {
  readonly queue: Queue;

  constructor(redisUrl: string, settings: Pick<DeliverySettings, 'queuePrefix'>) {
    this.queue = new Queue(QUEUE_NAME, { connection: redisConnection(redisUrl, 'producer'), prefix: settings.queuePrefix });
    // Without a listener an unreachable Redis would be an unhandled 'error' event; the relay retries.
    this.queue.on('error', () => undefined);
  }

  /**
   * Makes sure a live job exists for the submission: a job that completed or failed while its
   * outbox entry still exists (redelivery, a lost update) is removed and added again.
   */
  async ensure(submissionId: string): Promise<'added' | 'live'> {
    const job = await this.queue.getJob(submissionId);
    if (job) {
      const state = await job.getState();
      if (LIVE_STATES.has(state)) return 'live';
      await job.remove().catch(() => undefined);
    }
    await this.queue.add('deliver', { submissionId }, { ...JOB_OPTIONS, jobId: submissionId });
    return 'added';
  }

  /**
   * True once after Redis lost its data (restarted without persistence, flushed) or on a new
   * Redis: a marker key is set if missing. The relay then rechecks every outbox entry at once
   * instead of waiting for the recheck interval.
   */
  async dataLost(): Promise<boolean> {
    const client = await this.queue.getBackend().client;
    const key = `${this.queue.opts.prefix ?? 'bull'}:${QUEUE_NAME}:efa-relay-marker`;
    if ((await client.get(key)) !== null) return false;
    // Not atomic: two relays may both find it missing and both recheck, which is harmless.
    await client.set(key, new Date().toISOString());
    return true;
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
