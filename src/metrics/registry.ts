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
  readonly deferred: Counter<'reason'>;
  readonly decisions: Counter<'transport' | 'decision'>;
  private depthSource: DepthSource | undefined;
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
    this.deferred = new Counter({ name: 'efa_deliveries_deferred_total', help: 'Claims put off because the authority\'s circuit breaker was open or its concurrency limit reached', labelNames: ['reason'], registers: [this.registry] });
    this.decisions = new Counter({ name: 'efa_decisions_total', help: 'Authority decisions (accepted, rejected) read after the hand-over', labelNames: ['transport', 'decision'], registers: [this.registry] });
    const breakers = () => this.breakerSource?.();
    new Gauge({
      name: 'efa_breaker_open', help: 'Authorities whose delivery circuit breaker is open (1 each), shared by all workers', labelNames: ['authority'], registers: [this.registry],
      async collect() {
        this.reset();
        for (const b of (await breakers()?.catch(() => undefined)) ?? []) this.set({ authority: b.authorityId }, 1);
      },
    });
    new Gauge({
      name: 'efa_breakers_open', help: 'How many authorities have an open delivery circuit breaker', registers: [this.registry],
      async collect() {
        const list = await breakers()?.catch(() => undefined);
        this.set(list?.length ?? 0);
      },
    });
    const depth = () => this.depthSource?.();
    new Gauge({
      name: 'efa_queue_depth', help: 'Deliveries not yet done, by state (outbox and queue)', labelNames: ['state'], registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await depth()?.catch(() => undefined);
        for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
      },
    });
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

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
