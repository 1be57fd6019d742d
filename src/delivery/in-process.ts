import { Poller } from '../core/poller.js';
import type { DeliveryDeps } from './deliver.js';
import { claimNext, defaultRetryPolicy, processClaimed, type RetryPolicy } from './outbox.js';

/**
 * The embedded delivery loop: polls the outbox in the same process. Used when no REDIS_URL is set;
 * `kick()` after a submit makes delivery immediate instead of waiting for the next poll.
 */
export class InProcessDelivery {
  private readonly poller: Poller;

  constructor(
    private readonly deps: DeliveryDeps,
    /** Told about failures of the loop itself (database gone), never about applicant data. */
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly policy: RetryPolicy = defaultRetryPolicy,
    pollMs = 1000,
    private readonly leaseMs = 60_000,
  ) {
    this.poller = new Poller({ intervalMs: pollMs, tick: () => this.runOnce(), onError });
  }

  start(): void {
    this.poller.start();
  }

  kick(): void {
    this.poller.kick();
  }

  /** Resolves when the outbox has nothing due (tests and graceful shutdown use it). */
  async drain(): Promise<void> {
    // A tick kicked by a submit may start while this pass runs and claim the entry this pass would
    // have taken: then this pass finds nothing, and only waiting for that tick sees it delivered.
    do {
      await this.poller.settled();
      await this.runOnce();
    } while (this.poller.busy);
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  private async runOnce(): Promise<void> {
    for (;;) {
      if (this.poller.stopping) return;
      const claimed = await claimNext(this.deps.db, this.leaseMs).catch((err: unknown) => {
        this.onError(err);
        return undefined;
      });
      if (!claimed) return;
      // A failure here leaves the lease to run out, so the entry is retried later, not lost.
      await processClaimed(this.deps, this.policy, claimed.submissionId, claimed).catch(this.onError);
    }
  }
}
