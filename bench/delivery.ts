/**
 * Deliveries per second through the whole production path, next to a bare BullMQ baseline
 * measured in the same run against the same Redis:
 *
 *   full path:  N submissions stored with storeSubmission (payload encrypted for the authority,
 *               submission + outbox in one transaction; not timed) → rt.dispatch (BullMQ job,
 *               enqueued_at) → startDeliveryWorker (lease, attempt, settle) → webhook transport over
 *               real HTTP → demo receiver (signature check, RSA-OAEP decrypt, hash, signed receipt)
 *               → receipt verified → attempt recorded → outbox settled. Timed from the first add
 *               until the outbox is empty (polled every 10 ms); then every submission is checked:
 *               status delivered, one verified receipt, one arrival at the receiver.
 *   baseline:   the same number of queue.add calls with the same job options, and BullMQ Workers
 *               with a no-op processor at the same concurrency (same connection settings); batches
 *               of N repeated for at least a second, because one batch takes only tens of ms.
 *   in-process: (for comparison) the embedded no-Redis loop (InProcessDelivery), which delivers one
 *               submission at a time per process.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench:delivery
 *   npm run bench:delivery -- --n 1000 --concurrency 20 --rounds 5
 *   npm run bench:delivery -- --workers 2      (2 child `efa worker` processes instead of an in-process Worker)
 *
 * Flags (or environment): --n (BENCH_N, 500), --concurrency (BENCH_CONCURRENCY, 10), --workers
 * (BENCH_WORKERS, 0 = the worker runs in this process), --rounds (BENCH_ROUNDS, 3), --warmup
 * (BENCH_WARMUP, 100), --skip-in-process (BENCH_SKIP_IN_PROCESS=1).
 * A fresh database is created on DATABASE_URL's server and dropped afterwards; Redis keys live under
 * a random EFA_QUEUE_PREFIX and are deleted afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { importJWK, type JWK } from 'jose';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/config/env.js';
import { decryptWith, encryptFor } from '../src/crypto/jwe.js';
import { generateSigningKeyPair } from '../src/crypto/keys.js';
import { signEd25519, signJson, verifyEd25519, verifyJson } from '../src/crypto/jws.js';
import type { DeliveryDeps } from '../src/delivery/deliver.js';
import { InProcessDelivery } from '../src/delivery/in-process.js';
import { JOB_OPTIONS, redisConnection } from '../src/delivery/queue.js';
import { startDeliveryWorker } from '../src/delivery/worker.js';
import { Inbox } from '../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../src/demo/receivers/server.js';
import { ensureDemoFitConnectSecret, loadDemoAuthorities, DEMO_FIT_CONNECT_SECRET_ENV } from '../src/demo/authorities.js';
import { createRuntime, deliveryDeps, leaseMs, retryPolicy, type Runtime } from '../src/runtime.js';
import type { Database, Queryable } from '../src/storage/db.js';
import { resolveResponsible, storeSubmission } from '../src/submissions/submit.js';
import { newLogicContext } from '../src/services/context.js';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string' },
    concurrency: { type: 'string' },
    workers: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    'skip-in-process': { type: 'boolean' },
  },
});

function setting(flag: string | undefined, env: string, fallback: number, min: number, max: number): number {
  const raw = flag ?? process.env[env] ?? String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${env} / --${env.slice(6).toLowerCase()} must be a whole number ${min}..${max}, not "${raw}"`);
  return n;
}

const N = setting(flags.n, 'BENCH_N', 500, 1, 100_000);
const CONCURRENCY = setting(flags.concurrency, 'BENCH_CONCURRENCY', 10, 1, 1000);
const WORKERS = setting(flags.workers, 'BENCH_WORKERS', 0, 0, 64);
const ROUNDS = setting(flags.rounds, 'BENCH_ROUNDS', 3, 1, 100);
const WARMUP = setting(flags.warmup, 'BENCH_WARMUP', 100, 0, 100_000);
const IN_PROCESS = !(flags['skip-in-process'] || ['1', 'true', 'yes'].includes(process.env.BENCH_SKIP_IN_PROCESS ?? ''));
const POLL_MS = 10;
const BASELINE_MIN_MS = 1_000;

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
if (!DATABASE_URL || !REDIS_URL) {
  console.error('bench/delivery needs a real PostgreSQL and Redis: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench:delivery');
  process.exit(1);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

// ---------------------------------------------------------------------------------------------
// CPU accounting: jiffies of this process, the child workers, PostgreSQL and Redis (from /proc).

const CLK_TCK = 100;
type CpuGroup = 'bench' | 'workers' | 'postgres' | 'redis' | 'machine';

function processTicks(pid: string): { comm: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function cpuSnapshot(children: ChildProcess[]): Record<CpuGroup, number> {
  const out: Record<CpuGroup, number> = { bench: 0, workers: 0, postgres: 0, redis: 0, machine: 0 };
  const childPids = new Set(children.map((c) => String(c.pid)));
  for (const pid of readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p))) {
    const p = processTicks(pid);
    if (!p) continue;
    if (pid === String(process.pid)) out.bench += p.ticks;
    else if (childPids.has(pid)) out.workers += p.ticks;
    else if (p.comm.startsWith('postgres')) out.postgres += p.ticks;
    else if (p.comm.startsWith('redis-server')) out.redis += p.ticks;
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  out.machine = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  return out;
}

/** CPU milliseconds per delivery, by group, between two snapshots. */
function cpuPer(before: Record<CpuGroup, number>, after: Record<CpuGroup, number>, n: number): Record<CpuGroup, number> {
  const per = {} as Record<CpuGroup, number>;
  for (const k of Object.keys(before) as CpuGroup[]) per[k] = ((after[k] - before[k]) * (1000 / CLK_TCK)) / n;
  return per;
}

// ---------------------------------------------------------------------------------------------
// Counting the worker side's database statements (in-process worker and no-Redis loop only).

const statements = { n: 0 };
function counting(db: Database): Database {
  const wrap = (q: Queryable): Queryable => ({
    query<R>(sql: string, params?: unknown[]) {
      statements.n++;
      return q.query<R>(sql, params);
    },
  });
  return {
    kind: db.kind,
    ...wrap(db),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      statements.n += 2; // BEGIN, COMMIT
      return db.transaction((tx) => fn(wrap(tx)));
    },
    close: () => db.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up: database, Redis prefix, receiver, runtime, worker(s).

const dbName = `efa_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const prefix = `efa-bench-${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'efa-bench-'));
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error(`bench: cleanup: ${err instanceof Error ? err.message : String(err)}`));
}

async function startChildWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--concurrency', String(CONCURRENCY)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`efa worker did not start within 60 s:\n${output}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('efa worker: delivering')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`efa worker exited with ${code}:\n${output}`));
    });
  });
  // Later complaints of a worker (a failed delivery loop) are shown, not swallowed.
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker ${child.pid}] ${d.toString()}`));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

async function main(): Promise<void> {
  await adminQuery(`CREATE DATABASE ${dbName}`);
  cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const dbUrl = new URL(DATABASE_URL as string);
  dbUrl.pathname = `/${dbName}`;

  const redis = new Redis(REDIS_URL as string, { maxRetriesPerRequest: 1 });
  cleanups.push(async () => {
    let deleted = 0;
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
    const left = (await redis.keys(`${prefix}:*`)).length;
    if (left > 0) console.error(`bench: ${left} Redis keys under ${prefix}: left`);
    else if (deleted === 0) console.error('bench: no Redis keys to delete (unexpected)');
    await redis.quit();
  });

  // The sender's key is fixed here so that child workers sign with the key the receiver trusts.
  const signing = await generateSigningKeyPair();
  ensureDemoFitConnectSecret();
  const baseEnv: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: REDIS_URL as string,
    EFA_QUEUE_PREFIX: prefix,
    EFA_SECRET: randomBytes(32).toString('base64url'),
    EFA_SIGNING_KEY: JSON.stringify(signing.privateJwk),
    EFA_WORKER_CONCURRENCY: String(CONCURRENCY),
    EFA_RECEIVER_PORT: '0',
    EFA_WORKER_PORT: '0',
    // The relay's first pass runs at worker start (outbox empty); later passes would hand the
    // not yet timed submissions of a round to the queue, so they are pushed past the run.
    EFA_RELAY_INTERVAL_MS: '600000',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    [DEMO_FIT_CONNECT_SECRET_ENV]: process.env[DEMO_FIT_CONNECT_SECRET_ENV] as string,
  };

  // The authority side: the demo receiver with the demo authorities' private keys.
  const inbox = new Inbox();
  const authorities = loadDemoAuthorities('.');
  const receiver = await buildReceiverServer({ authorities, inbox, senderKeys: async () => [signing.publicJwk] });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => receiver.close());
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;

  const config = loadConfig(baseEnv);
  const rt: Runtime = await createRuntime(config, { ...baseEnv, EFA_DEMO_RECEIVER_URL: receiverUrl }, { inProcessDelivery: false, role: 'worker' });
  cleanups.push(() => rt.close());
  await rt.queue?.queue.waitUntilReady();

  // One application for Kiel (webhook), stored N times per round as the applicant route stores it.
  const found = rt.services.get('gewerbeanmeldung');
  if (!found) throw new Error('service gewerbeanmeldung missing');
  const service = found;
  const data = {
    inhaber: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1985-05-12', staatsangehoerigkeit: '000', email: 'erika@example.org' },
    betrieb: { name: 'Bäckerei Mustermann', rechtsform: 'einzelunternehmen', anzeigegrund: 'neuerrichtung', anschrift: { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' } },
    taetigkeit: { beschreibung: 'Einzelhandel mit Backwaren und Konditoreiwaren', wirtschaftszweig: '47240', betriebsart: 'handel', beginn: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), nebenerwerb: false, beschaeftigte: 2 },
  };
  const logicCtx = newLogicContext(rt.tenants.get('sh')?.parameters.get('gewerbeanmeldung') ?? {}, 'sh', new Date().toISOString().slice(0, 10));
  const responsible = resolveResponsible(rt.routing, service, data);
  if (responsible.endpoint.transport !== 'webhook') throw new Error(`expected Kiel's webhook, got ${responsible.endpoint.transport}`);
  const authority = authorities.get(responsible.authority.id);
  if (!authority) throw new Error(`no demo private key for ${responsible.authority.id}`);

  async function storeMany(n: number): Promise<{ ids: string[]; ms: number }> {
    const ids: string[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(10, n) }, async () => {
      while (next < n) {
        next++;
        ids.push((await storeSubmission(rt.db, { tenant: 'sh', service, data, logicCtx, responsible })).id);
      }
    }));
    return { ids, ms: performance.now() - t0 };
  }

  const outboxCount = async () => Number((await rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0]?.n ?? 0);
  async function waitOutboxEmpty(n: number): Promise<void> {
    const deadline = Date.now() + 120_000 + n * 100;
    while ((await outboxCount()) > 0) {
      if (Date.now() > deadline) throw new Error(`outbox not empty after ${Math.round((Date.now() - deadline + 120_000 + n * 100) / 1000)} s: ${await outboxCount()} left`);
      await sleep(POLL_MS);
    }
  }

  /** Every stored submission delivered once, with a verified receipt and one arrival at the receiver. */
  async function check(ids: string[]): Promise<{ attemptP50: number; attemptP95: number; retries: number }> {
    const { rows } = await rt.db.query<{ delivered: string; verified: string; attempts: string }>(
      `SELECT (SELECT count(*) FROM submissions WHERE id = ANY($1::uuid[]) AND status = 'delivered')::text AS delivered,
              (SELECT count(*) FROM delivery_attempts WHERE submission_id = ANY($1::uuid[]) AND outcome = 'delivered' AND (receipt->>'verified')::boolean)::text AS verified,
              (SELECT count(*) FROM delivery_attempts WHERE submission_id = ANY($1::uuid[]))::text AS attempts`, [ids]);
    const r = rows[0];
    if (Number(r?.delivered) !== ids.length || Number(r?.verified) !== ids.length) throw new Error(`of ${ids.length}: ${r?.delivered} delivered, ${r?.verified} verified receipts`);
    const missing = ids.filter((id) => inbox.arrivalsOf(id) !== 1);
    if (missing.length > 0) throw new Error(`${missing.length} submissions did not arrive exactly once at the receiver (e.g. ${missing[0]}: ${inbox.arrivalsOf(missing[0] as string)})`);
    const d = await rt.db.query<{ p50: number; p95: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
         FROM (SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM delivery_attempts WHERE submission_id = ANY($1::uuid[])) t`, [ids]);
    return { attemptP50: Number(d.rows[0]?.p50), attemptP95: Number(d.rows[0]?.p95), retries: Number(r?.attempts) - ids.length };
  }

  // The full path's worker: in this process (counting its statements), or child `efa worker`s.
  const deps: DeliveryDeps = { ...deliveryDeps(rt), db: counting(rt.db) };
  const onError = (err: unknown) => console.error(`bench: worker: ${err instanceof Error ? err.message : String(err)}`);
  let worker: Worker | undefined;
  if (WORKERS === 0) {
    worker = startDeliveryWorker(deps, { redisUrl: REDIS_URL as string, settings: config.delivery, policy: retryPolicy(config), leaseMs: leaseMs(config), onError });
    cleanups.push(() => (worker as Worker).close());
    await worker.waitUntilReady();
  } else {
    const childEnv = { ...(process.env as Record<string, string>), ...baseEnv, EFA_DEMO_RECEIVER_URL: receiverUrl };
    cleanups.push(async () => Promise.all(children.map(stopChild)));
    await Promise.all(Array.from({ length: WORKERS }, () => startChildWorker(childEnv)));
  }

  // The baseline: a bare queue and Workers with a no-op processor, same options and concurrency.
  const baseQueue = new Queue('bench-baseline', { connection: redisConnection(REDIS_URL as string, 'producer'), prefix });
  cleanups.push(() => baseQueue.close());
  await baseQueue.waitUntilReady();
  let baseDone = 0;
  let baseWaiter: { target: number; resolve: () => void } | undefined;
  const baseWorkers = Array.from({ length: Math.max(1, WORKERS) }, () => {
    const w = new Worker('bench-baseline', async () => ({ outcome: 'delivered' }), {
      connection: redisConnection(REDIS_URL as string, 'worker'), prefix, concurrency: CONCURRENCY,
      lockDuration: config.delivery.lockMs, stalledInterval: config.delivery.lockMs, maxStalledCount: 1_000,
    });
    w.on('completed', () => {
      baseDone++;
      if (baseWaiter && baseDone >= baseWaiter.target) baseWaiter.resolve();
    });
    w.on('error', onError);
    return w;
  });
  cleanups.push(async () => Promise.all(baseWorkers.map((w) => w.close())));
  await Promise.all(baseWorkers.map((w) => w.waitUntilReady()));

  /**
   * Batches of n (add n, wait until all n are done), repeated until BASELINE_MIN_MS have passed:
   * one batch of 500 takes well under 100 ms, too short to time alone. Returns jobs per second.
   */
  async function baselineRound(n: number): Promise<{ rate: number; batches: number }> {
    let total = 0;
    let batches = 0;
    while (total < BASELINE_MIN_MS || batches === 0) {
      total += await baselineBatch(n);
      batches++;
    }
    return { rate: ((n * batches) / total) * 1000, batches };
  }

  async function baselineBatch(n: number): Promise<number> {
    const done = new Promise<void>((resolve) => {
      baseWaiter = { target: baseDone + n, resolve };
    });
    const t0 = performance.now();
    const adds: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      adds.push(baseQueue.add('deliver', { submissionId: id }, { ...JOB_OPTIONS, jobId: id }));
    }
    await Promise.all(adds);
    await done;
    return performance.now() - t0;
  }

  interface FullResult { storeMs: number; ms: number; statements: number; cpu: Record<CpuGroup, number>; attemptP50: number; attemptP95: number; retries: number }
  async function fullRound(n: number): Promise<FullResult> {
    const { ids, ms: storeMs } = await storeMany(n);
    const before = cpuSnapshot(children);
    statements.n = 0;
    const t0 = performance.now();
    for (const id of ids) rt.dispatch(id);
    await waitOutboxEmpty(n);
    const ms = performance.now() - t0;
    const cpu = cpuPer(before, cpuSnapshot(children), n);
    const counted = statements.n;
    return { storeMs, ms, statements: counted / n, cpu, ...(await check(ids)) };
  }

  async function inProcessRound(n: number): Promise<{ ms: number; statements: number }> {
    const { ids } = await storeMany(n);
    const loop = new InProcessDelivery(deps, onError, retryPolicy(config), 1000, leaseMs(config));
    statements.n = 0;
    const t0 = performance.now();
    loop.start();
    await waitOutboxEmpty(n);
    const ms = performance.now() - t0;
    await loop.stop();
    const counted = statements.n;
    await check(ids);
    return { ms, statements: counted / n };
  }

  // Versions and the machine.
  const pgVersion = (await rt.db.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const workerMode = WORKERS === 0 ? 'one BullMQ Worker in the bench process (startDeliveryWorker + deliveryDeps)' : `${WORKERS} child \`efa worker\` process(es)`;
  console.log(`delivery bench — ${availableParallelism()} cores (nproc), ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, PostgreSQL ${pgVersion}, Redis ${redisVersion}; load average before: ${load}`);
  console.log(`settings: N=${N} per round, ${ROUNDS} round(s) after a warm-up of ${WARMUP}; concurrency ${CONCURRENCY} per worker; worker: ${workerMode}; receiver in the bench process`);
  console.log(`path: storeSubmission → dispatch (BullMQ add) → worker → webhook over HTTP → receiver (${authority.id}, RSA ${Buffer.from(String(authority.decryptionKey.n), 'base64url').length * 8} bit) → signed receipt verified → outbox settled`);

  if (WARMUP > 0) {
    await baselineRound(WARMUP);
    await fullRound(WARMUP);
    if (IN_PROCESS) await inProcessRound(Math.min(WARMUP, 20));
  }

  const fulls: number[] = [];
  const bases: number[] = [];
  const inprocs: number[] = [];
  const rate = (n: number, ms: number) => (n / ms) * 1000;
  for (let round = 1; round <= ROUNDS; round++) {
    const base = await baselineRound(N);
    const full = await fullRound(N);
    const inproc = IN_PROCESS ? await inProcessRound(N) : undefined;
    const f = rate(N, full.ms);
    const b = base.rate;
    fulls.push(f);
    bases.push(b);
    if (inproc) inprocs.push(rate(N, inproc.ms));
    const c = full.cpu;
    console.log(`round ${round}: full ${f.toFixed(0)}/s (${full.ms.toFixed(0)} ms) · baseline ${b.toFixed(0)}/s (${base.batches} batches of ${N}) · ratio ${(f / b).toFixed(3)}`
      + (inproc ? ` · in-process, no Redis ${rate(N, inproc.ms).toFixed(0)}/s` : ''));
    console.log(`  full path: one attempt p50 ${full.attemptP50.toFixed(1)} ms, p95 ${full.attemptP95.toFixed(1)} ms; retries ${full.retries}; stored ${N} first at ${rate(N, full.storeMs).toFixed(0)}/s (not timed)`
      + (WORKERS === 0 ? `; worker statements per delivery ${full.statements.toFixed(2)}${inproc ? ` (no-Redis loop ${inproc.statements.toFixed(2)})` : ''}` : ''));
    console.log(`  CPU ms per delivery: ${WORKERS === 0 ? 'bench process (worker + receiver)' : `bench process (receiver) ${c.bench.toFixed(2)}, worker processes`} ${(WORKERS === 0 ? c.bench : c.workers).toFixed(2)}, postgres ${c.postgres.toFixed(2)}, redis ${c.redis.toFixed(2)}, anything else ${Math.max(0, c.machine - c.bench - c.workers - c.postgres - c.redis).toFixed(2)}; whole machine ${c.machine.toFixed(2)} (${((c.machine * f) / 1000 / availableParallelism() * 100).toFixed(0)}% of ${availableParallelism()} cores busy)`);
    if (c.machine - c.bench - c.workers - c.postgres - c.redis > 0.15 * c.machine) console.log('  note: other processes used more than 15% of the CPU during this round; its figures are disturbed');
    if (WORKERS > 0) {
      const runtimeSide = c.workers + c.postgres + c.redis;
      console.log(`  runtime side without the receiver (worker processes + postgres + redis): ${runtimeSide.toFixed(2)} CPU ms per delivery, i.e. at most ${(1000 / runtimeSide).toFixed(0)}/s per busy core`);
    }
  }
  const mf = median(fulls);
  const mb = median(bases);
  console.log(`median of ${ROUNDS}: full ${mf.toFixed(0)} deliveries/s, baseline ${mb.toFixed(0)} jobs/s, ratio ${(mf / mb).toFixed(3)} (full / baseline)${inprocs.length ? `; in-process (no Redis, one at a time) ${median(inprocs).toFixed(0)}/s` : ''}`);

  // What the receiver and the worker spend on cryptography per delivery, one at a time on one core.
  const sample = (await rt.db.query<{ payload_jwe: string }>('SELECT payload_jwe FROM submissions LIMIT 1')).rows[0]?.payload_jwe as string;
  const signingKey = rt.secrets.sender.signingKey;
  const receipt = await signJson(authority.signingKey, { messageId: 'x', sha512: 'y', receivedAt: new Date().toISOString(), duplicate: false }, 'receipt+jwt');
  const verification = responsible.endpoint.verificationKey as JWK;
  const body = 'x'.repeat(sample.length + 600);
  const signature = await signEd25519(signingKey, body);
  const micro = async (what: string, times: number, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 5; i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < times; i++) await fn();
    return `${what} ${((performance.now() - t0) / times).toFixed(3)} ms`;
  };
  console.log(`crypto, one at a time: ${[
    await micro('RSA-OAEP-256 decrypt (receiver, JWK import included)', 100, () => decryptWith(authority.decryptionKey, sample)),
    await micro('of which the JWK import', 100, () => importJWK({ ...authority.decryptionKey, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256')),
    await micro('encrypt (submit)', 200, () => encryptFor(responsible.endpoint.encryptionKey, 'x'.repeat(1500), 'application/json')),
    await micro('Ed25519 sign (webhook)', 500, () => signEd25519(signingKey, body)),
    await micro('verify (receiver)', 500, () => verifyEd25519(signing.publicJwk, body, signature)),
    await micro('receipt sign (receiver)', 500, () => signJson(authority.signingKey, { messageId: 'x' }, 'receipt+jwt')),
    await micro('receipt verify (worker)', 500, () => verifyJson(verification, receipt)),
  ].join('; ')}`);
}

try {
  await main();
} catch (err) {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
// Handles pg, ioredis or undici may keep open must not keep the process alive after the report.
process.exit(process.exitCode ?? 0);
