/**
 * Issue #3's acceptance: production delivery with `efa worker` child processes, real Redis (each
 * test under its own random EFA_QUEUE_PREFIX) and real PostgreSQL (a fresh database per test).
 *
 * The API runs in this process as `efa serve` does with REDIS_URL (createRuntime without in-process
 * delivery + buildApp): it stores submission and outbox entry in one transaction and then adds the
 * BullMQ job best effort. The demo receiver (the authorities' side, with their private keys and an
 * Inbox that deduplicates by message id but counts raw arrivals) also runs here, behind a fault
 * proxy: EFA_DEMO_RECEIVER_URL points at the proxy. Every test sends at least one application over
 * HTTP through all form steps (applyOverHttp or the steps inline); bulk submissions are stored with
 * storeSubmission, exactly as the submit route stores them, and handed to rt.dispatch like the
 * route does (or deliberately not, where the relay has to find them).
 *
 * Timings are short so the file stays fast: job locks of 1 s, relay every 200 ms, short transport
 * timeouts (the outbox lease is the slowest transport timeout + 5 s).
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { activity, person, step } from './support/answers.js';
import { applyOverHttp } from './support/apply.js';
import { Browser } from './support/browser.js';
import { freePort, redisKeyCount, sleep, startDeliveryStack, waitUntil, type DeliveryStack } from './support/delivery-stack.js';

const KIEL = { strasse: 'Holstenstraße', plz: '24103', ort: 'Kiel' };

/** Short timings for every test: a dead worker's jobs move on after ~1-2 s, the relay runs 5 times a second. */
const FAST = {
  EFA_QUEUE_LOCK_MS: '1000',
  EFA_RELAY_INTERVAL_MS: '200',
  EFA_DELIVERY_TIMEOUT_MS: '2000',
  EFA_DELIVERY_BACKOFF_MS: '100',
  EFA_DELIVERY_BACKOFF_MAX_MS: '1000',
};

/** A fresh stack for one test, always torn down (workers killed, Redis keys deleted, database dropped). */
async function withStack(t: TestContext, opts: Parameters<typeof startDeliveryStack>[0], fn: (stack: DeliveryStack) => Promise<void>): Promise<void> {
  const stack = await startDeliveryStack(opts);
  let passed = false;
  try {
    await fn(stack);
    passed = true;
  } finally {
    if (!passed) for (const w of stack.workers) t.diagnostic(`${w.name} (pid ${w.pid}) printed:\n${w.output().slice(-4_000)}`);
    await stack.close();
  }
  const left = await redisKeyCount(process.env.REDIS_URL as string, stack.prefix);
  assert.equal(left, 0, `Redis keys under ${stack.prefix}: left behind`);
  t.diagnostic(`queue prefix ${stack.prefix}: keys deleted`);
}

interface AttemptRow { submission_id: string; attempt: number; outcome: string; error: string | null }

async function attemptsOf(stack: DeliveryStack, ids: string[]): Promise<Map<string, AttemptRow[]>> {
  const { rows } = await stack.rt.db.query<AttemptRow>('SELECT submission_id, attempt, outcome, error FROM delivery_attempts WHERE submission_id = ANY($1::uuid[]) ORDER BY id', [ids]);
  const by = new Map<string, AttemptRow[]>(ids.map((id) => [id, []]));
  for (const r of rows) by.get(r.submission_id)?.push(r);
  return by;
}

/** Each id's effect exactly once at the authority: in the Inbox once, as the submission it is. */
function assertEachOnceInEffect(stack: DeliveryStack, ids: string[]): void {
  for (const id of ids) {
    const received = stack.inbox.get(id);
    assert.ok(received, `${id} reached the authority`);
    assert.equal(received.messageId, id);
    assert.equal(received.authorityId, 'gewerbeamt-kiel');
  }
  assert.equal(stack.inbox.size, ids.length, 'the authority has exactly these submissions, each once');
}

async function deliveredAll(stack: DeliveryStack, ids: string[]): Promise<boolean> {
  return (await stack.countStatus(ids, 'delivered')) === ids.length;
}

async function describeStatuses(stack: DeliveryStack, ids: string[]): Promise<string> {
  const counts = new Map<string, number>();
  for (const s of (await stack.statuses(ids)).values()) counts.set(s, (counts.get(s) ?? 0) + 1);
  return `statuses: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}; inbox ${stack.inbox.size}`;
}

/** The value of one Prometheus sample whose labels include all of `labels` (0 if absent). */
function sample(metrics: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

describe('production delivery: efa worker processes, BullMQ on Redis, PostgreSQL outbox', { concurrency: false }, () => {
  test('(a) a worker killed with SIGKILL mid-delivery: every submission ends delivered, each exactly once in effect at the authority', async (t) => {
    await withStack(t, { env: FAST }, async (stack) => {
      // Answers are held 1.5 s after the receiver processed the message: at the kill, deliveries
      // have arrived whose receipts the dead worker never saw.
      stack.authority.delayMs = 1_500;
      const first = await stack.startWorker('worker-A', { EFA_WORKER_CONCURRENCY: '4' });
      // One application over HTTP (the submit route dispatches it), 19 stored and dispatched alike.
      const viaHttp = await applyOverHttp(stack.url, 'sh', KIEL);
      const ids = [viaHttp.id, ...(await stack.storeMany(19, { dispatch: true }))];

      await stack.authority.until(() => stack.inbox.size >= 2 && stack.authority.held.size >= 1, 20_000, 'first arrivals with receipts in flight');
      const inFlight = [...stack.authority.held];
      first.kill('SIGKILL');
      const exit = await first.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const deliveredAtKill = await stack.countStatus(ids, 'delivered');
      assert.ok(deliveredAtKill < ids.length, `killed in the middle (${deliveredAtKill} of ${ids.length} delivered at the kill)`);
      assert.ok(inFlight.length > 0);
      t.diagnostic(`SIGKILL after ${stack.inbox.size} arrivals; ${deliveredAtKill} recorded delivered; ${inFlight.length} processed by the authority but unacknowledged`);

      stack.authority.delayMs = 200;
      await stack.startWorker('worker-B', { EFA_WORKER_CONCURRENCY: '4' });
      // Well before the relay's 30 s recheck: the killed worker's jobs must be handed on (stalled
      // jobs), each deferred until its outbox lease (2 s timeout + 5 s) has run out.
      await waitUntil(() => deliveredAll(stack, ids), 20_000, 'every submission delivered after the kill', () => describeStatuses(stack, ids));

      assertEachOnceInEffect(stack, ids);
      const arrivals = ids.map((id) => stack.inbox.arrivalsOf(id));
      const resent = ids.filter((id) => stack.inbox.arrivalsOf(id) > 1);
      t.diagnostic(`raw arrivals at the receiver: ${arrivals.reduce((a, b) => a + b, 0)} for ${ids.length} submissions; sent again after the kill: ${resent.length}`);
      // The unacknowledged ones had to be sent again (at least once delivery) and were deduplicated.
      for (const id of inFlight) assert.equal(stack.inbox.arrivalsOf(id), 2, `${id}: arrived before the kill, sent again by the second worker`);
      for (const id of ids) assert.ok(stack.inbox.arrivalsOf(id) <= 2, `${id} arrived ${stack.inbox.arrivalsOf(id)} times`);

      // The runtime's own record: exactly one successful attempt per submission, outbox empty.
      for (const [id, attempts] of await attemptsOf(stack, ids)) {
        assert.equal(attempts.filter((a) => a.outcome === 'delivered').length, 1, `${id}: one delivered attempt`);
      }
      const outbox = await stack.rt.db.query('SELECT 1 FROM outbox');
      assert.equal(outbox.rows.length, 0, 'outbox empty');
      const status = await viaHttp.browser.get(`/sh/status/${viaHttp.id}`);
      assert.match(status.html, /data-status="delivered"/);
    });
  });

  test('(b) Redis unreachable while applications are accepted: confirmations come at once, and all are delivered after Redis returns', async (t) => {
    await withStack(t, { env: FAST, redisProxy: true }, async (stack) => {
      const proxy = stack.redisProxy;
      assert.ok(proxy);
      const worker = await stack.startWorker('worker', { EFA_WORKER_CONCURRENCY: '4' });
      await proxy.close();

      // Over HTTP through every step; the final submit's time is reported.
      const b = new Browser(stack.url);
      await b.get('/sh/gewerbeanmeldung');
      await b.get((await b.submit({}, '/start')).location as string);
      await step(b, person);
      await step(b, { 'betrieb.name': 'Kiosk am Markt', 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
      await step(b, { 'betrieb.anschrift.strasse': KIEL.strasse, 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': KIEL.plz, 'betrieb.anschrift.ort': KIEL.ort });
      await step(b, activity());
      const t0 = performance.now();
      const done = await b.submit({}, '/absenden');
      const submitMs = performance.now() - t0;
      assert.equal(done.status, 303, 'the applicant is sent to the confirmation');
      // That it answered at all, with the outbox entry not enqueued (below), shows the submit does not
      // wait for Redis; its time is reported, not asserted (timings belong in bench/, not in tests).
      const confirmation = await b.get(done.location as string);
      assert.equal(confirmation.status, 200);
      assert.match(confirmation.html, /class="efa-reference">/);
      const viaHttp = (done.location as string).split('/').pop() as string;
      const ids = [viaHttp, ...(await stack.storeMany(4, { dispatch: true }))];
      t.diagnostic(`submit without Redis: ${Math.round(submitMs)} ms`);

      // Nothing reached Redis: the outbox says so, and nothing is delivered while it is away.
      await sleep(1_500);
      const { rows } = await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox WHERE submission_id = ANY($1::uuid[]) AND enqueued_at IS NULL', [ids]);
      assert.equal(Number(rows[0]?.n), ids.length, 'every outbox entry still waits for the queue');
      assert.equal(await stack.countStatus(ids, 'submitted'), ids.length);
      assert.equal(stack.inbox.size, 0);

      await proxy.open();
      await waitUntil(() => deliveredAll(stack, ids), 20_000, 'every submission delivered after Redis returned', () => describeStatuses(stack, ids));
      assertEachOnceInEffect(stack, ids);
      for (const id of ids) assert.equal(stack.inbox.arrivalsOf(id), 1, `${id} sent once`);
      assert.ok(worker.running, 'the worker survived the outage');
      assert.match((await b.get(`/sh/status/${viaHttp}`)).html, /data-status="delivered"/);
    });
  });

  test('(c) a receiver answering 500, then timing out: retries, dead letter with the last error, then a redelivery through the admin API succeeds', async (t) => {
    const env = { ...FAST, EFA_DELIVERY_MAX_ATTEMPTS: '3', EFA_DELIVERY_TIMEOUT_MS: '1000' };
    await withStack(t, { env }, async (stack) => {
      await stack.startWorker('worker', { EFA_WORKER_CONCURRENCY: '2' });
      stack.authority.plan('500');
      stack.authority.mode = 'hang';
      const submitted = await applyOverHttp(stack.url, 'sh', KIEL);
      const { id } = submitted;
      await waitUntil(async () => (await stack.statuses([id])).get(id) === 'failed', 20_000, 'dead letter', () => describeStatuses(stack, [id]));
      assert.deepEqual(stack.authority.deliveries().map((r) => r.mode), ['500', 'hang', 'hang'], 'three attempts reached the authority\'s address');
      assert.equal(stack.inbox.size, 0);

      const call = async (method: string, path: string, token: string) => fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      const reader = await stack.operatorToken('deliveries:read');
      const list = await call('GET', '/_efa/admin/deliveries?status=failed', reader);
      assert.equal(list.status, 200);
      const dead = (await list.json()) as { items: { id: string; reference: string; status: string; lastError: string | null; attempts: number }[]; total: number };
      const item = dead.items.find((i) => i.id === id);
      assert.ok(item, 'listed as a dead letter');
      assert.equal(dead.total, 1);
      assert.equal(item.reference, submitted.reference);
      assert.equal(item.status, 'failed');
      assert.equal(item.attempts, 3);
      assert.match(item.lastError ?? '', /no answer from http:\/\/127\.0\.0\.1:\d+\/webhook\/gewerbeamt-kiel within 1000 ms/);

      const detail = (await (await call('GET', `/_efa/admin/deliveries/${id}`, reader)).json()) as { status: string; attempts: { attempt: number; transport: string; outcome: string; error: string | null; receipt: unknown; startedAt: string; finishedAt: string }[] };
      assert.equal(detail.status, 'failed');
      assert.deepEqual(detail.attempts.map((a) => [a.attempt, a.transport, a.outcome]), [[1, 'webhook', 'retry'], [2, 'webhook', 'retry'], [3, 'webhook', 'failed']]);
      assert.match(detail.attempts[0]?.error ?? '', /answered 500: fault proxy: injected 500/);
      assert.match(detail.attempts[1]?.error ?? '', /within 1000 ms/);
      assert.match(detail.attempts[2]?.error ?? '', /within 1000 ms/);
      for (const a of detail.attempts) {
        assert.equal(a.receipt, null);
        assert.ok(Date.parse(a.finishedAt) >= Date.parse(a.startedAt));
      }
      const timedOut = detail.attempts.slice(1).map((a) => Date.parse(a.finishedAt) - Date.parse(a.startedAt));
      for (const ms of timedOut) assert.ok(ms >= 900 && ms < 5_000, `a timed-out attempt took ${ms} ms (timeout 1000 ms)`);
      t.diagnostic(`attempts: ${detail.attempts.map((a) => `${a.attempt} ${a.outcome} (${a.error})`).join('; ')}`);

      const applicantPage = await submitted.browser.get(`/sh/status/${id}`);
      assert.match(applicantPage.html, /data-status="failed"/, 'the applicant sees that delivery failed');

      // The authority is back; the operator redelivers (reading is not enough for that).
      stack.authority.mode = 'pass';
      assert.equal((await call('POST', `/_efa/admin/deliveries/${id}/redeliver`, reader)).status, 403);
      const writer = await stack.operatorToken('deliveries:read deliveries:write');
      const t0 = Date.now();
      const redeliver = await call('POST', `/_efa/admin/deliveries/${id}/redeliver`, writer);
      assert.equal(redeliver.status, 202, await redeliver.clone().text());
      await waitUntil(async () => (await stack.statuses([id])).get(id) === 'delivered', 10_000, 'delivered after the redelivery', () => describeStatuses(stack, [id]));
      t.diagnostic(`delivered ${Date.now() - t0} ms after the redelivery request`);
      assertEachOnceInEffect(stack, [id]);
      assert.equal(stack.inbox.arrivalsOf(id), 1, 'received once');

      const after = (await (await call('GET', `/_efa/admin/deliveries/${id}`, reader)).json()) as { status: string; lastError: string | null; attempts: { outcome: string; receipt: { verified?: boolean } | null }[] };
      assert.equal(after.status, 'delivered');
      assert.equal(after.lastError, null);
      assert.deepEqual(after.attempts.map((a) => a.outcome), ['retry', 'retry', 'failed', 'delivered']);
      assert.equal(after.attempts[3]?.receipt?.verified, true, 'the authority\'s signed receipt verified');
      assert.equal((await call('GET', '/_efa/admin/deliveries?status=failed', reader).then((r) => r.json()) as { total: number }).total, 0, 'no dead letters left');
      assert.match((await submitted.browser.get(`/sh/status/${id}`)).html, /data-status="delivered"/);
    });
  });

  test('(d) two workers at once, several deliveries each: no message is delivered twice, and both did work', async (t) => {
    await withStack(t, { env: FAST }, async (stack) => {
      const [portA, portB] = [await freePort(), await freePort()];
      const [workerA, workerB] = await Promise.all([
        stack.startWorker('worker-A', { EFA_WORKER_CONCURRENCY: '3', EFA_WORKER_PORT: String(portA) }),
        stack.startWorker('worker-B', { EFA_WORKER_CONCURRENCY: '3', EFA_WORKER_PORT: String(portB) }),
      ]);
      // Each delivery takes ~100 ms at the authority, so one worker alone cannot take them all.
      stack.authority.delayMs = 100;
      const viaHttp = await applyOverHttp(stack.url, 'sh', KIEL);
      // 15 handed to the queue as the submit route does, and each handed over a second time (as a
      // relay pass racing the submit would); 14 left in the outbox alone, for both workers' relays
      // to race over. The job id is the submission id, so each must end up as one job.
      const dispatched = await stack.storeMany(15, { dispatch: true });
      for (const id of [viaHttp.id, ...dispatched]) stack.rt.dispatch(id);
      const ids = [viaHttp.id, ...dispatched, ...(await stack.storeMany(14, { dispatch: false }))];
      const t0 = Date.now();
      await waitUntil(() => deliveredAll(stack, ids), 30_000, 'every submission delivered', () => describeStatuses(stack, ids));
      t.diagnostic(`all delivered ${Date.now() - t0} ms after the last was stored`);
      // Until the queue has nothing left to run: a stray second job would still be sending.
      const queue = stack.rt.queue?.queue;
      assert.ok(queue);
      const counts = async () => queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed');
      await waitUntil(async () => { const c = await counts(); return ['waiting', 'delayed', 'active', 'prioritized'].every((k) => !c[k]); }, 15_000, 'queue drained', async () => JSON.stringify(await counts()));

      assertEachOnceInEffect(stack, ids);
      // Without kills nothing has a reason to be sent twice: one arrival and one attempt each.
      for (const id of ids) assert.equal(stack.inbox.arrivalsOf(id), 1, `${id} arrived ${stack.inbox.arrivalsOf(id)} times`);
      for (const [id, attempts] of await attemptsOf(stack, ids)) assert.deepEqual(attempts.map((a) => a.outcome), ['delivered'], `${id}: one attempt`);
      assert.equal(stack.authority.deliveries().length, ids.length, 'the authority\'s address saw one request per submission');
      assert.deepEqual(await counts(), { waiting: 0, delayed: 0, active: 0, prioritized: 0, completed: ids.length, failed: 0 }, 'one job per submission (job id = submission id), however often it was handed over');

      // Who did the work: each process's own Prometheus counter (worker endpoint, metrics:read token).
      const token = await stack.operatorToken('metrics:read');
      const delivered = async (port: number) => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        return sample(await res.text(), 'efa_deliveries_total', { role: 'worker', transport: 'webhook', outcome: 'delivered' });
      };
      const [byA, byB] = [await delivered(portA), await delivered(portB)];
      t.diagnostic(`deliveries by worker A: ${byA}, by worker B: ${byB}`);
      assert.equal(byA + byB, ids.length, 'the two workers\' counts add up to the submissions');
      assert.ok(byA > 0 && byB > 0, `both workers delivered (A ${byA}, B ${byB})`);
      assert.ok(workerA.running && workerB.running);
    });
  });

  test('(d) lease: a worker that stalls (SIGSTOP) past its job lock keeps its outbox lease: the other worker takes the job but does not send it again', async (t) => {
    // Lease = slowest transport timeout (60 s) + 5 s = 65 s; the BullMQ job lock is 1 s. The lease
    // and the first worker's transport timeout are long against everything this test waits for
    // (starting the second worker, its taking the stalled job over, the first finishing after
    // SIGCONT), so a slow machine cannot let the lease run out or the frozen attempt time out.
    // Nothing here waits for the lease to end: the deferred job is promoted once the first worker
    // has settled the delivery.
    await withStack(t, { env: { ...FAST, EFA_DELIVERY_TIMEOUT_MS: '60000' } }, async (stack) => {
      const first = await stack.startWorker('worker-A', { EFA_WORKER_CONCURRENCY: '1' });
      stack.authority.delayMs = 1_000;
      const submitted = await applyOverHttp(stack.url, 'sh', KIEL);
      const { id } = submitted;
      await stack.authority.until(() => stack.authority.held.has(id), 20_000, 'the delivery in flight');
      // Frozen with the request sent: no lock renewals, so BullMQ will call the job stalled.
      first.kill('SIGSTOP');
      const job = async () => stack.rt.queue?.queue.getJob(id);
      const state = async () => (await job())?.getState();
      try {
        await stack.startWorker('worker-B', { EFA_WORKER_CONCURRENCY: '1' });
        // B takes the stalled job over: it must find the lease held and put the job back as delayed.
        await waitUntil(async () => stack.inbox.arrivalsOf(id) > 1 || ['delayed', 'completed'].includes((await state()) ?? ''), 45_000, 'the second worker taking the stalled job over', async () => `job state ${await state()}`);
        assert.equal(stack.inbox.arrivalsOf(id), 1, 'not sent again while the first worker may still be sending');
        assert.equal(await state(), 'delayed', 'deferred until the lease runs out');
        // What holds it back is the lease, still held by the first worker's claim.
        const { rows: [entry] } = await stack.rt.db.query<{ until: Date; held: boolean }>('SELECT locked_until AS until, locked_until > now() AS held FROM outbox WHERE submission_id = $1', [id]);
        assert.ok(entry?.held, `the outbox lease is still held (${JSON.stringify(entry)})`);
      } finally {
        first.kill('SIGCONT');
      }
      // The lease still runs, so only the first worker can settle it.
      await waitUntil(async () => (await stack.statuses([id])).get(id) === 'delivered', 45_000, 'the first worker finishing its delivery');
      // The deferred job, run now instead of after the lease: it must find nothing left to do.
      await (await job())?.promote();
      await waitUntil(async () => (await state()) === 'completed', 30_000, 'the deferred job finishing', async () => `job state ${await state()}`);
      const attempts = (await attemptsOf(stack, [id])).get(id) ?? [];
      assert.deepEqual(attempts.map((a) => a.outcome), ['delivered'], `one attempt, by the first worker: ${JSON.stringify(attempts)}`);
      assert.equal(stack.inbox.arrivalsOf(id), 1, 'one arrival in all');
      assertEachOnceInEffect(stack, [id]);
      assert.ok(first.running, 'the first worker lives on');
    });
  });

  test('graceful shutdown: SIGTERM during a slow delivery lets it finish and record it, then the worker exits 0', async (t) => {
    await withStack(t, { env: { ...FAST, EFA_DELIVERY_TIMEOUT_MS: '5000' } }, async (stack) => {
      const worker = await stack.startWorker('worker');
      stack.authority.delayMs = 2_000;
      const submitted = await applyOverHttp(stack.url, 'sh', KIEL);
      await stack.authority.until(() => stack.authority.held.has(submitted.id), 10_000, 'the delivery in flight');
      const t0 = Date.now();
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      const tookMs = Date.now() - t0;
      t.diagnostic(`worker exited ${exit.code} ${tookMs} ms after SIGTERM`);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit 0 after SIGTERM:\n${worker.output()}`);

      // Nobody else is running: what is recorded now, the stopping worker recorded.
      const attempts = (await attemptsOf(stack, [submitted.id])).get(submitted.id) ?? [];
      assert.deepEqual(attempts.map((a) => a.outcome), ['delivered'], 'the running attempt finished and was recorded');
      assert.equal((await stack.statuses([submitted.id])).get(submitted.id), 'delivered');
      assert.equal((await stack.rt.db.query('SELECT 1 FROM outbox')).rows.length, 0, 'outbox settled');
      const job = await stack.rt.queue?.queue.getJob(submitted.id);
      assert.equal(await job?.getState(), 'completed', 'the job was completed, not left to stall');
      assert.equal(stack.inbox.arrivalsOf(submitted.id), 1);
      assert.ok(tookMs >= 1_000, `it waited for the held answer (${tookMs} ms)`);
      assert.match(worker.output(), /stopping: finishing running deliveries/);
    });
  });
});
