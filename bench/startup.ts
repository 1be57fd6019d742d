/**
 * Time to ready of the runtime's processes, next to a bare Fastify process started the same way in
 * the same run (the floor: node itself, loading Fastify, listening):
 *
 *   baseline:  `node -e` that imports fastify, listens on 127.0.0.1 and answers GET /ready.
 *   serve:     `efa serve` (NODE_ENV=production, PostgreSQL, REDIS_URL) until /_efa/health/ready answers 200.
 *   worker:    `efa worker` until its /health/ready answers 200 (it also prints "delivering").
 *   embedded:  `efa start` with a fresh DATA_DIR every run (its PGlite database copied from the
 *              template in node_modules/.cache/efa, which the untimed first run or `npm run build`
 *              made) until /_efa/health/ready answers 200; and the same with an empty template cache
 *              every run (PGlite created and migrated, the template made: the very first start of
 *              `npm ci && npm start` on a machine).
 *
 * Every process is spawned with the node running this script, timed from spawn until its health
 * URL answers (polled every 10 ms), then stopped with SIGTERM. Each kind runs once untimed first
 * (migrations, file cache), then --runs times, interleaved. CPU is the process's user+system time at
 * ready (from /proc): on a busy machine it moves less than the wall time. The runtime runs compiled
 * (dist/, `npm run build` first); --tsx adds the same
 * processes through the tsx loader (what `npm start` ran before the build existed) for comparison.
 * The compiled processes run as the image runs them, through bin/efa.js, which turns on Node's
 * compile cache (22.1+): the untimed first run fills it.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench:startup
 *   npm run bench:startup -- --runs 3 --tsx
 *   npm run bench:startup -- --root /tmp/copy --skip-cold   (other declarations; without the no-template start)
 *
 * A fresh database is created on DATABASE_URL's server and dropped afterwards; Redis keys live under
 * a random EFA_QUEUE_PREFIX and are deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { generateSigningKeyPair } from '../src/crypto/keys.js';

const { values: flags } = parseArgs({ options: { runs: { type: 'string' }, tsx: { type: 'boolean' }, only: { type: 'string' }, root: { type: 'string' }, 'skip-cold': { type: 'boolean' } } });
// --root: the declarations' folder (EFA_ROOT) of every efa process, e.g. a copy with generated services (npm run bench).
const EFA_ROOT: Record<string, string> = flags.root ? { EFA_ROOT: flags.root } : {};
const RUNS = Number(flags.runs ?? process.env.BENCH_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error(`--runs must be a whole number 1..50, not "${flags.runs}"`);
const POLL_MS = 10;
const READY_TIMEOUT_MS = 60_000;
const ROOT = process.cwd();
const CLK_TCK = 100;

const databaseBase = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseBase || !redisUrl) throw new Error('DATABASE_URL and REDIS_URL must be set (e.g. postgres://postgres@127.0.0.1:5432/test and redis://127.0.0.1:6379)');
// bin/efa.js runs dist/ only while no file under src/ is newer than the build: make sure it will.
const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
if (!existsSync(join(ROOT, 'dist/BUILT')) || newest(join(ROOT, 'src')) > statSync(join(ROOT, 'dist/BUILT')).mtimeMs) throw new Error('dist/ is missing or older than src/: run npm run build first (this measures the compiled runtime)');

interface Kind {
  name: string;
  args: (ports: Ports) => string[];
  env: (ports: Ports) => Record<string, string>;
  ready: (ports: Ports) => string;
}
interface Ports { api: number; other: number; dataDir: string }
interface Sample { ms: number; cpuMs?: number }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** user+system CPU of a running process, from /proc (Linux); undefined elsewhere. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function timeOne(kind: Kind): Promise<Sample> {
  const ports: Ports = { api: await freePort(), other: await freePort(), dataDir: mkdtempSync(join(tmpdir(), 'efa-bench-startup-')) };
  const started = performance.now();
  const child = spawn(process.execPath, kind.args(ports), { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...kind.env(ports) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => { exitedEarly = true; });
  try {
    for (;;) {
      if (exitedEarly) throw new Error(`${kind.name} exited before it was ready:\n${stderr}`);
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${kind.name} not ready within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
      if (await answers(kind.ready(ports))) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const ms = performance.now() - started;
    return { ms, cpuMs: cpuMsOf(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    rmSync(ports.dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const dbName = `efa_bench_startup_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(databaseBase as string);
  dbUrl.pathname = `/${dbName}`;
  const queuePrefix = `efa-bench-${randomBytes(4).toString('hex')}`;
  const production = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    ...EFA_ROOT,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: redisUrl as string,
    EFA_QUEUE_PREFIX: queuePrefix,
    EFA_SECRET: randomBytes(32).toString('hex'),
    EFA_SIGNING_KEY: JSON.stringify((await generateSigningKeyPair()).privateJwk),
    EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:9',
    EFA_ROUTING_POLL_MS: '0',
    // The shipped services have file fields; production refuses them without a scanner unless told.
    EFA_UPLOAD_SCAN: 'off',
    LOG_LEVEL: 'warn',
  };
  const baselineCode = "import('fastify').then(async ({ default: F }) => { const a = F(); a.get('/ready', async () => ({ ok: true })); await a.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }); })";
  // Compiled: the command as the image and `npx efa` run it (bin/efa.js: dist/, Node's compile cache).
  const efa = (tsx: boolean, cmd: string) => (tsx ? ['--import', 'tsx', 'src/cli/main.ts', cmd] : ['bin/efa.js', cmd]);
  const kinds: Kind[] = [{ name: 'baseline: bare Fastify (node -e)', args: () => ['-e', baselineCode], env: (p) => ({ PORT: String(p.api) }), ready: (p) => `http://127.0.0.1:${p.api}/ready` }];
  for (const tsx of flags.tsx ? [false, true] : [false]) {
    const tag = tsx ? ' (tsx)' : '';
    kinds.push(
      { name: `efa serve${tag}`, args: () => efa(tsx, 'serve'), env: (p) => ({ ...production, PORT: String(p.api), DATA_DIR: p.dataDir }), ready: (p) => `http://127.0.0.1:${p.api}/_efa/health/ready` },
      { name: `efa worker${tag}`, args: () => efa(tsx, 'worker'), env: (p) => ({ ...production, EFA_WORKER_PORT: String(p.api), DATA_DIR: p.dataDir }), ready: (p) => `http://127.0.0.1:${p.api}/health/ready` },
      { name: `efa start, first start${tag}`, args: () => efa(tsx, 'start'), env: (p) => ({ ...EFA_ROOT, PORT: String(p.api), EFA_RECEIVER_PORT: String(p.other), DATA_DIR: p.dataDir, LOG_LEVEL: 'warn' }), ready: (p) => `http://127.0.0.1:${p.api}/_efa/health/ready` },
      // The same without a PGlite template (an empty template cache every run): what the very first
      // start on a machine pays before `npm run build` or an earlier start made one.
      { name: `efa start, first start, no template${tag}`, args: () => efa(tsx, 'start'), env: (p) => ({ ...EFA_ROOT, PORT: String(p.api), EFA_RECEIVER_PORT: String(p.other), DATA_DIR: p.dataDir, EFA_PGLITE_TEMPLATE_DIR: join(p.dataDir, 'template-cache'), LOG_LEVEL: 'warn' }), ready: (p) => `http://127.0.0.1:${p.api}/_efa/health/ready` },
    );
  }
  const wanted = flags['skip-cold'] ? kinds.filter((k) => !k.name.includes('no template')) : kinds;
  const selected = flags.only ? wanted.filter((k) => k.name.startsWith('baseline') || (flags.only as string).split(',').some((o) => k.name.includes(o))) : wanted;

  const samples = new Map<string, Sample[]>(selected.map((k) => [k.name, []]));
  try {
    for (const kind of selected) await timeOne(kind);
    for (let run = 0; run < RUNS; run++) {
      for (const kind of selected) {
        const sample = await timeOne(kind);
        samples.get(kind.name)?.push(sample);
        console.error(`run ${run + 1}: ${kind.name}: ready in ${sample.ms.toFixed(0)} ms, CPU ${sample.cpuMs?.toFixed(0) ?? '?'} ms`);
      }
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    const redis = new Redis(redisUrl as string);
    const keys = await redis.keys(`${queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }

  const base = median((samples.get(selected[0]?.name ?? '') ?? []).map((s) => s.ms));
  console.log(`node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), ${RUNS} runs each, ${new Date().toISOString().slice(0, 10)}`);
  console.log('what | ready, median ms | min–max ms | CPU at ready, median ms | vs. baseline');
  for (const [name, list] of samples) {
    const ms = list.map((s) => s.ms);
    const cpu = list.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
    console.log(`${name} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} | ${cpu.length ? median(cpu).toFixed(0) : '?'} | ${(median(ms) / base).toFixed(2)}×`);
  }
}

await main();
