import type { DeliveryDeps } from './deliver.js';
import { claimNext, defaultRetryPolicy, processClaimed, type RetryPolicy } from './outbox.js';

/**
 * The embedded delivery loop: polls the outbox in the same process. Used when no REDIS_URL is set;
 * `kick()` after a submit makes delivery immediate instead of waiting for the next poll.
 */
export class InProcessDelivery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;

  constructor(
    private readonly deps: DeliveryDeps,
    /** Told about failures of the loop itself (database gone), never about applicant data. */
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly policy: RetryPolicy = defaultRetryPolicy,
    private readonly pollMs = 1000,
    private readonly leaseMs = 60_000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Resolves when the outbox has nothing due (tests and graceful shutdown use it). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await this.runOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.again ? 0 : this.pollMs);
        this.again = false;
      });
    }, ms);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
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
