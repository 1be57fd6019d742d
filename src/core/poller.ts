/**
 * The loop behind every background poller (outbox delivery without Redis, the outbox relay,
 * operator jobs, decision follow-ups): one tick at a time, the next one `intervalMs` after the last
 * ended, or at once when the last found more work than it took or `kick()` asked meanwhile.
 *
 * A tick that throws is reported to `onError` (the callers count it in efa_errors_total and log it)
 * and the loop goes on at the usual interval: a database or Redis outage must not end delivery.
 * `stop()` resolves only after a running tick finished, so a shutdown never closes the database
 * under it.
 */
export type TickOutcome = 'more' | 'idle';

export interface PollerOptions {
  /** Wait between the end of one tick and the start of the next, when there was nothing more to do. */
  intervalMs: number;
  /** One pass. 'more': it stopped with work left (a full batch), so the next follows at once. */
  tick(): Promise<TickOutcome | void>;
  onError(err: unknown): void;
}

export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private again = false;

  constructor(private readonly opts: PollerOptions) {}

  /** True from stop() until the next start(): a long tick checks it between items to end early. */
  get stopping(): boolean {
    return this.stopRequested;
  }
  private stopRequested = false;

  start(): void {
    this.started = true;
    this.stopRequested = false;
    this.schedule(0);
  }

  /** New work was just created in this process: tick now (or right after the running tick). */
  kick(): void {
    if (!this.started || this.stopRequested) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** True while a tick runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no tick runs (after the one running now, if any). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = Promise.resolve()
        .then(() => this.opts.tick())
        .then((outcome) => outcome === 'more', (err: unknown) => {
          this.opts.onError(err);
          return false;
        })
        .then((more) => {
          this.running = undefined;
          const next = more || this.again ? 0 : this.opts.intervalMs;
          this.again = false;
          if (this.started) this.schedule(next);
        });
    }, ms);
    // A poller alone never keeps the process alive: shutdown is stop(), not waiting for it.
    this.timer.unref();
  }
}
