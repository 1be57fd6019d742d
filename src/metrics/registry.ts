import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counts of outbox or queue entries by state, read when Prometheus scrapes (never cached). */
export type DepthSource = () => Promise<Record<string, number>>;

/** Authorities whose circuit breaker is open, read from the shared state when Prometheus scrapes. */
export type BreakerSource = () => Promise<Array<{ authorityId: string }>>;

/**
 * The Prometheus metrics of one process (API or worker). Labels carry tenant, service, transport
 * and outcome only: never a reference, an authority-internal id or applicant data.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly submissions: Counter<'tenant' | 'service'>;
  readonly deliveries: Counter<'transport' | 'outcome'>;
  readonly deliverySeconds: Histogram<'transport'>;
  /** Errors the process survives (a lost idle connection, Redis down while counting the queue). */
  readonly errors: Counter<'where'>;
  /** Rows the retention purge removed (drafts, attempts, routing versions) or emptied (payloads). */
  readonly purged: Counter<'kind'>;
  private readonly depth: Gauge<'state'>;
  private depthSource: DepthSource | undefined;
  private readonly lastLogged = new Map<string, number>();
  readonly deferred: Counter<'reason'>;
  readonly decisions: Counter<'transport' | 'decision'>;
  private breakerSource: BreakerSource | undefined;

  constructor(role: 'api' | 'worker' | 'embedded') {
    this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry, prefix: 'efa_process_' });
    this.submissions = new Counter({ name: 'efa_submissions_total', help: 'Submissions accepted from applicants', labelNames: ['tenant', 'service'], registers: [this.registry] });
    this.deliveries = new Counter({ name: 'efa_deliveries_total', help: 'Delivery attempts by transport and outcome (delivered, retry, failed, superseded)', labelNames: ['transport', 'outcome'], registers: [this.registry] });
    this.deliverySeconds = new Histogram({
      name: 'efa_delivery_duration_seconds', help: 'Duration of one delivery attempt, receipt included', labelNames: ['transport'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry],
    });
    this.errors = new Counter({ name: 'efa_errors_total', help: 'Errors handled without failing a request or delivery, by where they happened', labelNames: ['where'], registers: [this.registry] });
    this.purged = new Counter({ name: 'efa_purged_total', help: 'Rows removed (or payloads emptied) by the retention purge, by kind', labelNames: ['kind'], registers: [this.registry] });
    this.depth = new Gauge({ name: 'efa_queue_depth', help: 'Deliveries not yet done, by state (outbox and queue)', labelNames: ['state'], registers: [this.registry] });
    const onError = (where: string, err: unknown) => this.error(where, err);
    this.deferred = new Counter({ name: 'efa_deliveries_deferred_total', help: 'Claims put off because the authority\'s circuit breaker was open or its concurrency limit reached', labelNames: ['reason'], registers: [this.registry] });
    this.decisions = new Counter({ name: 'efa_decisions_total', help: 'Authority decisions (accepted, rejected) read after the hand-over', labelNames: ['transport', 'decision'], registers: [this.registry] });
    const breakers = () => this.breakerSource?.();
    new Gauge({
      name: 'efa_breaker_open', help: 'Authorities whose delivery circuit breaker is open (1 each), shared by all workers', labelNames: ['authority'], registers: [this.registry],
      async collect() {
        this.reset();
        for (const b of (await breakers()?.catch((err: unknown) => { onError('breakers', err); return undefined; })) ?? []) this.set({ authority: b.authorityId }, 1);
      },
    });
    new Gauge({
      name: 'efa_breakers_open', help: 'How many authorities have an open delivery circuit breaker', registers: [this.registry],
      async collect() {
        const list = await breakers()?.catch((err: unknown) => { onError('breakers', err); return undefined; });
        this.set(list?.length ?? 0);
      },
    });
  }

  /**
   * Counts an error that the process survives and logs it, at most once a minute per place, so an
   * outage that repeats the same error every second does not flood the log. Messages of pg, ioredis
   * and BullMQ errors name hosts and states, never applicant data.
   */
  error(where: string, err: unknown): void {
    this.errors.inc({ where });
    const now = Date.now();
    if (now - (this.lastLogged.get(where) ?? -Infinity) < 60_000) return;
    this.lastLogged.set(where, now);
    console.error(`efa: ${where}: ${err instanceof Error ? err.message : String(err)} (counted in efa_errors_total)`);
  }

  /** Where queue depth comes from: the BullMQ queue with Redis, the outbox without. */
  setDepthSource(source: DepthSource): void {
    this.depthSource = source;
  }

  /** Where open breakers come from (the database); processes that deliver set it. */
  setBreakerSource(source: BreakerSource): void {
    this.breakerSource = source;
  }

  attempt(event: { transport: string; outcome: 'delivered' | 'retry' | 'failed' | 'superseded'; seconds: number }): void {
    this.deliveries.inc({ transport: event.transport, outcome: event.outcome });
    this.deliverySeconds.observe({ transport: event.transport }, event.seconds);
  }

  /**
   * Read before the registry serialises, so a failed read is already in efa_errors_total of the
   * same scrape. Redis or the database down: the scrape still answers, without a made-up depth.
   */
  private async readDepth(): Promise<void> {
    this.depth.reset();
    if (!this.depthSource) return;
    try {
      for (const [state, n] of Object.entries(await this.depthSource())) this.depth.set({ state }, n);
    } catch (err) {
      this.error('queue_depth', err);
    }
  }

  async text(): Promise<{ contentType: string; body: string }> {
    await this.readDepth();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
