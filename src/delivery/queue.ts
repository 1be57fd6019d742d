import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { DeliverySettings } from '../config/env.js';
import { RedisTimeoutError } from '../core/errors.js';
import type { ErrorSink } from '../storage/db.js';

export const QUEUE_NAME = 'deliveries';

/** Job states in which a job will still run: anything else means the outbox entry needs a new job. */
const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Redis connection options from REDIS_URL. Workers block on Redis and must retry forever
 * (BullMQ requires maxRetriesPerRequest: null); producers fail fast while disconnected (no offline
 * queue), so a submit never waits for a Redis that is down: the outbox and the relay cover that case.
 */
export interface RedisTimeouts {
  /** Connecting (TCP and TLS) fails after this long and is retried with backoff. */
  connectMs: number;
  /** A producer's command fails after this long; workers block on Redis by design and have none. */
  commandMs: number;
}

export const DEFAULT_REDIS_TIMEOUTS: RedisTimeouts = { connectMs: 5_000, commandMs: 5_000 };

export function redisConnection(redisUrl: string, role: 'producer' | 'worker', timeouts: RedisTimeouts = DEFAULT_REDIS_TIMEOUTS): ConnectionOptions {
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
    connectTimeout: timeouts.connectMs,
    ...(role === 'producer' ? { enableOfflineQueue: false, commandTimeout: timeouts.commandMs } : {}),
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

// Kept in core/errors so the API's rate limit can raise it without loading BullMQ.
export { RedisTimeoutError };

/** The producer side: the API and the relay add jobs here. */
export class DeliveryQueue {
  readonly queue: Queue;

  constructor(redisUrl: string, settings: Pick<DeliverySettings, 'queuePrefix'>, private readonly opts: { timeouts?: RedisTimeouts; onError?: ErrorSink } = {}) {
    this.queue = new Queue(QUEUE_NAME, { connection: redisConnection(redisUrl, 'producer', opts.timeouts), prefix: settings.queuePrefix });
    // Without a listener an unreachable Redis would be an unhandled 'error' event; the relay retries.
    this.queue.on('error', (err) => this.report('queue_connection', err));
  }

  private report(where: string, err: unknown): void {
    if (this.opts.onError) this.opts.onError(where, err);
    else console.error(`efa: ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }

  /**
   * Makes sure a live job exists for the submission: a job that completed or failed while its
   * outbox entry still exists (redelivery, a lost update) is removed and added again.
   */
  async ensure(submissionId: string): Promise<'added' | 'live'> {
    return this.withDeadline(this.ensureJob(submissionId), 'enqueue');
  }

  private async ensureJob(submissionId: string): Promise<'added' | 'live'> {
    const job = await this.queue.getJob(submissionId);
    if (job) {
      const state = await job.getState();
      if (LIVE_STATES.has(state)) return 'live';
      // A job that cannot be removed (locked by a worker) is reported; the add below is then a no-op
      // and the relay checks the entry again later.
      await job.remove().catch((err: unknown) => this.report('queue_job_remove', err));
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
    return this.withDeadline(this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized'), 'queue depth');
  }

  /**
   * BullMQ waits for the connection to be ready before it sends a command, however long Redis is
   * down, so without a deadline a scrape or a hand-over would hang for the whole outage.
   */
  private async withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
    const ms = (this.opts.timeouts ?? DEFAULT_REDIS_TIMEOUTS).commandMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(what, ms)), ms);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      // An abandoned command settles when Redis is back (a job id is added once); race() has
      // subscribed to it, so its late failure is no unhandled rejection.
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
