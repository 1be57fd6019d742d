import { Poller } from '../core/poller.js';
import type { DeliverySettings } from '../config/env.js';
import type { Database } from '../storage/db.js';
import type { DeliveryQueue } from './queue.js';

/**
 * Hands one submission to the queue now (submit, redelivery) and marks its outbox entry, so the
 * relay leaves it alone. ensure(), not a plain add: BullMQ silently ignores a job id that exists,
 * also a finished job's (a dead letter's job is kept as completed), so after a redelivery a plain
 * add would add nothing while the entry is marked as enqueued.
 */
export async function handOver(db: Database, queue: DeliveryQueue, submissionId: string): Promise<void> {
  await queue.ensure(submissionId);
  await db.query('UPDATE outbox SET enqueued_at = now() WHERE submission_id = $1', [submissionId]);
}

/**
 * Moves outbox entries into the queue. The outbox (PostgreSQL) is the source of truth: an entry
 * whose job never reached Redis (Redis was down at submit) or whose job was lost (Redis restarted
 * without persistence, a job failed for infrastructure reasons) gets a job again. Every worker
 * runs one; running several is harmless because a job id is the submission id.
 */
export class OutboxRelay {
  /** The relay `efa worker` runs: EFA_RELAY_INTERVAL_MS and EFA_RELAY_RECHECK_MS. */
  static fromSettings(db: Database, queue: DeliveryQueue, settings: Pick<DeliverySettings, 'relayIntervalMs' | 'relayRecheckMs'>, onError: (err: unknown) => void): OutboxRelay {
    return new OutboxRelay(db, queue, settings.relayIntervalMs, settings.relayRecheckMs, onError);
  }

  private readonly poller: Poller;
  /** Set when Redis was found without its data: entries handed over before then are all rechecked. */
  private lostAt: Date | undefined;

  constructor(
    private readonly db: Database,
    private readonly queue: DeliveryQueue,
    intervalMs: number,
    /** An entry handed over longer ago than this is checked again for a live job. */
    private readonly recheckMs: number,
    onError: (err: unknown) => void,
    private readonly batch = 500,
  ) {
    // A full batch: more entries wait, go on at once.
    this.poller = new Poller({ intervalMs, tick: async () => ((await this.runOnce()) === batch ? 'more' : 'idle'), onError });
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** One pass; returns how many entries were handed to the queue or confirmed there. */
  async runOnce(): Promise<number> {
    if (await this.queue.dataLost()) this.lostAt = new Date();
    const { rows } = await this.db.query<{ submission_id: string }>(
      `SELECT submission_id FROM outbox
        WHERE enqueued_at IS NULL OR enqueued_at < GREATEST(now() - make_interval(secs => $1), $3::timestamptz)
        ORDER BY created_at LIMIT $2`,
      [this.recheckMs / 1000, this.batch, this.lostAt?.toISOString() ?? null],
    );
    if (rows.length < this.batch) this.lostAt = undefined;
    const handed: string[] = [];
    for (const { submission_id: id } of rows) {
      // Redis down: stop this pass, keep enqueued_at as it is, try again next time.
      await this.queue.ensure(id);
      handed.push(id);
    }
    if (handed.length > 0) await this.db.query('UPDATE outbox SET enqueued_at = now() WHERE submission_id = ANY($1::uuid[])', [handed]);
    return handed.length;
  }
}
