/**
 * `npm run bench`: the applicant's hot path, startup, delivery and memory, each next to its limit
 * measured in the same run, printed as one table of figures and ratios (docs/performance.md).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench
 *   npm run bench -- --duration 2 --rounds 1          (shorter)
 *   npm run bench -- --only render,post,defra         (sections: render post submit walk defra memory startup delivery)
 *   npm run bench -- --write-baseline                 (ratios -> bench/baseline.json, with date and machine)
 *   npm run bench -- --compare [--tolerance 25]       (exit 1 if a ratio fell by more than the tolerance, in %)
 *   npm run bench -- --profile                        (also a CPU profile of efa serve under the step-with-draft load)
 *   npm run bench -- --only memory --serve-env NODE_OPTIONS=--max-old-space-size=192   (settings of the measured efa serve)
 *
 * Every ratio is "higher is better" (the runtime's throughput over the limit's, or the limit's time
 * or CPU over the runtime's), so one tolerance reads the same way for all of them. The runtime runs
 * compiled (dist/; built first when stale) against a database created for the run and dropped
 * afterwards; the load comes from other processes (autocannon, bench/lib/applicants.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { generateSigningKeyPair } from '../src/crypto/keys.js';
import type { Database } from '../src/storage/db.js';
import { DraftStore } from '../src/submissions/drafts.js';
import { Browser } from '../test/support/browser.js';
import { example } from '../test/support/extra-service.js';
import { DEFRA_VERSION, fieldNames, installDefra, PAGES } from './lib/defra.js';
import { answersOf, benchRoot, FORM_SERVICE, GROUP_SERVICE, stepId, TENANT } from './lib/root.js';
import { summariseOwnTotal, summariseProfile } from './lib/profile.js';

const SECTIONS = ['render', 'post', 'submit', 'walk', 'defra', 'memory', 'startup', 'delivery'] as const;
type Section = (typeof SECTIONS)[number];
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' }, connections: { type: 'string' }, rounds: { type: 'string' }, rows: { type: 'string' }, many: { type: 'string' },
    'startup-runs': { type: 'string' }, 'delivery-n': { type: 'string' }, only: { type: 'string' }, tolerance: { type: 'string' },
    'serve-env': { type: 'string', multiple: true },
    'write-baseline': { type: 'boolean' }, compare: { type: 'boolean' }, profile: { type: 'boolean' }, baseline: { type: 'string' },
  },
});
function num(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, not "${value}"`);
  return n;
}
const DURATION = num(flags.duration, 5, 0.5, 120, 'duration');
const CONNECTIONS = num(flags.connections, 20, 1, 500, 'connections');
const ROUNDS = num(flags.rounds, 2, 1, 10, 'rounds');
const ROWS = num(flags.rows, 500, 1, 5000, 'rows');
const MANY = num(flags.many, 50, 1, 200, 'many');
const STARTUP_RUNS = num(flags['startup-runs'], 3, 1, 20, 'startup-runs');
const DELIVERY_N = num(flags['delivery-n'], 300, 5, 100_000, 'delivery-n');
const TOLERANCE = num(flags.tolerance, 25, 0, 100, 'tolerance') / 100;
const BASELINE_FILE = flags.baseline ?? join('bench', 'baseline.json');
const only = flags.only ? flags.only.split(',').map((s) => s.trim()) : [...SECTIONS];
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
const wants = (s: Section) => only.includes(s);
/** Extra environment of the measured efa serve (--serve-env K=V, repeatable): try a setting's effect. */
const SERVE_ENV = Object.fromEntries((flags['serve-env'] ?? []).map((kv) => {
  const at = kv.indexOf('=');
  if (at < 1) throw new Error(`--serve-env must be KEY=VALUE, not "${kv}"`);
  return [kv.slice(0, at), kv.slice(at + 1)];
}));
const ROOT = process.cwd();
const NODE = process.execPath;

// ---- the table --------------------------------------------------------------------------------
interface Row { section: string; what: string; figure: string; ratio?: { key: string; value: number; of: string; target?: number } }
const rows: Row[] = [];
const notes: string[] = [];
function row(section: string, what: string, figure: string, ratio?: Row['ratio']): void {
  rows.push({ section, what, figure, ...(ratio && Number.isFinite(ratio.value) ? { ratio } : {}) });
  console.error(`bench: ${section}: ${what}: ${figure}${ratio ? ` (${ratio.key} ${ratio.value.toFixed(3)})` : ''}`);
}

// ---- processes ----------------------------------------------------------------------------------
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown> | unknown> = [];

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

interface Proc { child: ChildProcess; output: () => string; stop: () => Promise<void> }
function start(name: string, args: string[], env: Record<string, string>, cwd = ROOT): Proc {
  const child = spawn(NODE, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  child.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { children.delete(child); resolve(); }));
  return {
    child,
    output: () => `${name}: ${out}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function waitReady(proc: Proc, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`exited before it was ready:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch { /* not yet listening */ }
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a child to its end and returns its stdout; throws with its output if it failed. */
async function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(NODE, args, { cwd: ROOT, env: { ...(process.env as Record<string, string>), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-20_000); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => { children.delete(child); resolve(c); }));
  if (code !== 0) throw new Error(`${args.slice(0, 3).join(' ')} exited ${code}:\n${err.slice(-3000)}\n${out.slice(-3000)}`);
  return out;
}

const CLK_TCK = 100;
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}
/** RSS from /proc and the JavaScript heap from the process itself (bench/lib/probe.mjs, SIGUSR2). */
async function memoryOf(proc: Proc, probeFile: string): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number }> {
  rmSync(probeFile, { force: true });
  proc.child.kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (!existsSync(probeFile)) {
    if (Date.now() > deadline) throw new Error(`no memory report:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 20));
  const m = JSON.parse(readFileSync(probeFile, 'utf8')) as NodeJS.MemoryUsage;
  const mb = (b: number) => b / 2 ** 20;
  return { rss: rssMb(proc.child.pid as number), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external + m.arrayBuffers) };
}

// ---- load ---------------------------------------------------------------------------------------
interface Load { rps: number; p50: number; p99: number; bytes: number; bad: string; cpuMs?: number }
/**
 * The serving process of each origin: its CPU per request is read from /proc around each load. It
 * moves far less with the machine's load than req/s does (PostgreSQL's and Redis's CPU not included).
 */
const serverPids = new Map<string, number>();
function cpuTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
interface Target { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; expect: '2xx' | '3xx' }
async function cannon(target: Target, seconds = DURATION, connections = CONNECTIONS): Promise<Load> {
  const pid = serverPids.get(new URL(target.url).origin);
  const ticksBefore = cpuTicks(pid);
  const out = await run(['bench/lib/cannon.mjs', JSON.stringify({ url: target.url, method: target.method ?? 'GET', headers: target.headers ?? {}, body: target.body, connections, duration: seconds })]);
  const r = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number> & { requests: { average: number; total: number }; latency: { p50: number; p99: number }; throughput: { average: number } };
  const total = r.requests.total;
  const good = r[target.expect] ?? 0;
  const errors = r.errors ?? 0;
  const bad = total === 0 ? 'no answer' : good < total || errors > 0 ? `${total - good} of ${total} not ${target.expect}${errors ? `, ${errors} errors` : ''}` : '';
  const ticksAfter = cpuTicks(pid);
  // /proc counts in clock ticks of 10 ms (USER_HZ 100 on Linux).
  const cpuMs = ticksBefore !== undefined && ticksAfter !== undefined && total > 0 ? ((ticksAfter - ticksBefore) * 10) / total : undefined;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bytes: total ? r.throughput.average / r.requests.average : 0, bad, ...(cpuMs === undefined ? {} : { cpuMs }) };
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
/** Rounds of the same targets, interleaved (so drift in the machine's load hits both alike); medians. */
async function rounds(targets: Target[]): Promise<Load[]> {
  const per: Load[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) for (const [i, t] of targets.entries()) per[i]?.push(await cannon(t));
  return per.map((list) => {
    const cpu = list.flatMap((l) => (l.cpuMs === undefined ? [] : [l.cpuMs]));
    return { rps: median(list.map((l) => l.rps)), p50: median(list.map((l) => l.p50)), p99: median(list.map((l) => l.p99)), bytes: list[0]?.bytes ?? 0, bad: list.map((l) => l.bad).filter(Boolean).join('; '), ...(cpu.length > 0 ? { cpuMs: median(cpu) } : {}) };
  });
}
const rate = (l: Load) => `${l.rps.toFixed(0)} req/s, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, ${(l.bytes / 1024).toFixed(1)} KB per answer with headers${l.cpuMs === undefined ? '' : `, ${l.cpuMs.toFixed(2)} ms CPU of the server per request`}${l.bad ? ` — FAILED: ${l.bad}` : ''}`;
const okRatio = (a: Load, b: Load) => (a.bad || b.bad ? Number.NaN : a.rps / b.rps);

// ---- the applicant's pages ------------------------------------------------------------------------
interface Setup { stepCookie: string; stepBody: string; groupCookie: string; draftId: string; submissionId: string }
const formUrl = (page?: string) => `/${TENANT}/${FORM_SERVICE}${page ? `/${page}` : ''}`;

function draftIdOf(b: Browser, service: string): string {
  const raw = decodeURIComponent(b.cookie(`efa_draft_${service}`) ?? '');
  const id = raw.slice(0, raw.lastIndexOf('.'));
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`no draft cookie for ${service}`);
  return id;
}
async function expectStatus(res: Promise<{ status: number; location?: string }>, status: number, what: string): Promise<string> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what} answered ${r.status}, not ${status}`);
  return r.location ?? '';
}

/**
 * Untimed, against an efa serve that captures what it renders: the start page, a step with a small
 * stored draft, the group step with ROWS rows, and one submitted application (the bare submit's
 * template); the captured contexts go to `capturesFile` for the bare server.
 */
async function prepare(origin: string, captureFile: string, capturesFile: string, dbUrl: string, secret: string): Promise<Setup> {
  const captures: Record<string, { name: string; context: unknown; html: string }> = {};
  const capture = async (key: string, b: Browser, path: string) => {
    rmSync(captureFile, { force: true });
    const page = await b.get(path);
    if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
    captures[key] = { ...(JSON.parse(readFileSync(captureFile, 'utf8')) as { name: string; context: unknown }), html: page.html };
    return page.html;
  };
  const b = new Browser(origin);
  await capture('start', b, formUrl());
  await b.get(await expectStatus(b.submit({}, '/start'), 303, 'start'));
  await expectStatus(b.submit(answersOf(1)), 303, 'step 1');
  const stepHtml = await capture('step', b, formUrl(stepId(1)));
  if (!stepHtml.includes(Object.values(answersOf(1))[0] as string)) throw new Error('the step page does not show the stored answers');
  const csrf = /name="_csrf" value="([^"]*)"/.exec(stepHtml)?.[1] ?? '';
  const stepBody = new URLSearchParams({ _csrf: csrf, ...answersOf(1) }).toString();

  // The group: its first step through the pages, then ROWS rows stored as the runtime stores them.
  const g = new Browser(origin);
  await g.get(`/${TENANT}/${GROUP_SERVICE}`);
  const first = await expectStatus(g.submit({}, '/start'), 303, 'group start');
  await g.get(first);
  const holder = example(1).halter as { name: string; anschrift: Record<string, string> };
  await expectStatus(g.submit({ 'halter.name': holder.name, ...Object.fromEntries(['strasse', 'hausnummer', 'plz', 'ort'].map((k) => [`halter.anschrift.${k}`, holder.anschrift[k] as string])) }), 303, 'group holder step');
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  try {
    const drafts = new DraftStore({ query: (sql: string, params?: unknown[]) => pool.query(sql, params) } as unknown as Database, [secret], 30);
    const draft = await drafts.find(draftIdOf(g, GROUP_SERVICE), TENANT, GROUP_SERVICE);
    if (!draft) throw new Error('the group draft is missing');
    draft.data = example(ROWS);
    draft.currentStep = 'tiere';
    await drafts.save(draft);
    const groupHtml = await capture('group', g, `/${TENANT}/${GROUP_SERVICE}/tiere`);
    if (!groupHtml.includes(`Tier ${ROWS}<`)) throw new Error(`the group step does not show ${ROWS} rows`);

    // One whole application, submitted: the row the bare submit inserts again.
    const s = new Browser(origin);
    await s.get(formUrl());
    await s.get(await expectStatus(s.submit({}, '/start'), 303, 'start'));
    for (let p = 1; p <= PAGES; p++) await s.get(await expectStatus(s.submit(answersOf(p)), 303, `step ${p}`));
    const done = await expectStatus(s.submit({}, '/absenden'), 303, 'submit');
    const submissionId = done.split('/').pop() as string;
    const draftId = draftIdOf(b, FORM_SERVICE);
    await pool.query('CREATE TABLE bench_drafts (LIKE drafts INCLUDING ALL); CREATE TABLE bench_submissions (LIKE submissions INCLUDING ALL); CREATE TABLE bench_outbox (LIKE outbox INCLUDING ALL)');
    await pool.query('INSERT INTO bench_drafts SELECT * FROM drafts WHERE id = $1', [draftId]);
    writeFileSync(capturesFile, JSON.stringify(captures));
    return { stepCookie: b.cookieHeader(), stepBody, groupCookie: g.cookieHeader(), draftId, submissionId };
  } finally {
    await pool.end();
  }
}

async function defraSession(origin: string): Promise<{ cookie: string; body: string; bytes: number }> {
  const b = new Browser(origin);
  const page = await b.get('/bench/seite-1');
  if (page.status !== 200) throw new Error(`the DEFRA engine's first page answered ${page.status}`);
  const crumb = /name="crumb" value="([^"]*)"/.exec(page.html)?.[1];
  if (!crumb) throw new Error('no crumb (CSRF token) on the DEFRA page');
  const body = new URLSearchParams({ crumb, ...Object.fromEntries(fieldNames(1).map((n, i) => [n, `Angabe 1.${i + 1} mit etwas Text`])) }).toString();
  const post = await b.post('/bench/seite-1', body);
  if (post.status !== 303) throw new Error(`the DEFRA engine's step post answered ${post.status}`);
  return { cookie: b.cookieHeader(), body, bytes: page.html.length };
}

async function pages(env: Record<string, string>, db: { url: string }): Promise<void> {
  const temp = await benchRoot({ groupRows: ROWS });
  cleanups.push(() => temp.remove());
  const work = mkdtempSync(join(tmpdir(), 'efa-bench-run-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const probe = ['--import', './bench/lib/probe.mjs'];
  const serveEnv = (port: number, extra: Record<string, string> = {}) => ({ ...env, EFA_ROOT: temp.root, PORT: String(port), DATA_DIR: work, ...extra });

  // Untimed: a serve that captures what it renders, for the bare server.
  const capPort = await freePort();
  const cap = start('efa serve (capture)', [...probe, 'bin/efa.js', 'serve'], serveEnv(capPort, { BENCH_CAPTURE_FILE: join(work, 'capture.json') }));
  let setup: Setup;
  try {
    await waitReady(cap, `http://127.0.0.1:${capPort}/_efa/health/ready`);
    setup = await prepare(`http://127.0.0.1:${capPort}`, join(work, 'capture.json'), join(work, 'captures.json'), db.url, env.EFA_SECRET as string);
  } finally {
    await cap.stop();
  }

  const efaPort = await freePort();
  const barePort = await freePort();
  const efa = start('efa serve', [...probe, 'bin/efa.js', 'serve'], serveEnv(efaPort, { ...SERVE_ENV, BENCH_PROBE_FILE: join(work, 'efa-memory.json') }));
  if (Object.keys(SERVE_ENV).length > 0) notes.push(`efa serve ran with ${Object.entries(SERVE_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  cleanups.push(() => efa.stop());
  const bare = start('bare server', [...probe, 'bench/lib/bare-server.mjs'], {
    PORT: String(barePort), EFA_ROOT: temp.root, BENCH_CAPTURES: join(work, 'captures.json'), DATABASE_URL: db.url,
    BENCH_DRAFT_ID: setup.draftId, BENCH_SUBMISSION_ID: setup.submissionId, BENCH_PROBE_FILE: join(work, 'bare-memory.json'), NODE_ENV: 'production',
  });
  cleanups.push(() => bare.stop());
  const E = `http://127.0.0.1:${efaPort}`;
  const B = `http://127.0.0.1:${barePort}`;
  if (efa.child.pid !== undefined) serverPids.set(E, efa.child.pid);
  if (bare.child.pid !== undefined) serverPids.set(B, bare.child.pid);
  await Promise.all([waitReady(efa, `${E}/_efa/health/ready`), waitReady(bare, `${B}/render/start`)]);
  await checkSameRender(B, join(work, 'captures.json'));
  const idle = { efa: await memoryOf(efa, join(work, 'efa-memory.json')), bare: await memoryOf(bare, join(work, 'bare-memory.json')) };

  const stepGet: Target = { url: `${E}${formUrl(stepId(1))}`, headers: { cookie: setup.stepCookie }, expect: '2xx' };
  let stepLoad: Load | undefined;
  if (wants('render')) {
    const [start1, bareStart, step, bareStep, constant, group, bareGroup] = await rounds([
      { url: `${E}${formUrl()}`, expect: '2xx' }, { url: `${B}/render/start`, expect: '2xx' },
      stepGet, { url: `${B}/render/step`, expect: '2xx' }, { url: `${B}/const/step`, expect: '2xx' },
      { url: `${E}/${TENANT}/${GROUP_SERVICE}/tiere`, headers: { cookie: setup.groupCookie }, expect: '2xx' }, { url: `${B}/render/group`, expect: '2xx' },
    ]) as [Load, Load, Load, Load, Load, Load, Load];
    stepLoad = step;
    row('render', 'bare Fastify: the step page as a constant (the limit for serving bytes)', rate(constant));
    row('render', 'bare Fastify: start page, rendered per request', rate(bareStart));
    row('render', 'efa: start page, no draft', rate(start1), { key: 'render.start', value: okRatio(start1, bareStart), of: 'of the bare render' });
    row('render', 'bare Fastify: step page, rendered per request', rate(bareStep));
    row('render', 'efa: first step with a stored draft (10 answers)', rate(step), { key: 'render.step', value: okRatio(step, bareStep), of: 'of the bare render', target: 0.4 });
    row('render', `bare Fastify: group step with ${ROWS} rows, rendered per request`, `${rate(bareGroup)}; ${(1000 / bareGroup.rps).toFixed(1)} ms per page`);
    row('render', `efa: group step with ${ROWS} rows (stored draft)`, `${rate(group)}; ${(1000 / group.rps).toFixed(1)} ms of the server per page (target < 50 ms at 500 rows)`, { key: 'render.group', value: okRatio(group, bareGroup), of: 'of the bare render' });
  }
  const stepPost: Target = { url: `${E}${formUrl(stepId(1))}`, method: 'POST', headers: { cookie: setup.stepCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: setup.stepBody, expect: '3xx' };
  let postLoad: Load | undefined;
  if (wants('post')) {
    const [post, update] = await rounds([stepPost, { url: `${B}/update`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: setup.stepBody, expect: '3xx' }]) as [Load, Load];
    postLoad = post;
    row('post', 'bare Fastify: one UPDATE of the same draft bytes in PostgreSQL', rate(update));
    row('post', 'efa: step POST (validate, encrypt, save the draft)', rate(post), { key: 'post.step', value: okRatio(post, update), of: 'of the bare UPDATE', target: 0.5 });
  }
  if (wants('submit')) {
    const count = Math.max(20, Math.round(DURATION * 60));
    const efaSubmits: number[] = [];
    const bareTx: Load[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = JSON.parse(await run(['--import', 'tsx', 'bench/lib/applicants.ts', JSON.stringify({ mode: 'submit', origin: E, tenant: TENANT, service: FORM_SERVICE, connections: CONNECTIONS, count })])) as { perSecond: number; p50: number; p99: number };
      efaSubmits.push(r.perSecond);
      bareTx.push(await cannon({ url: `${B}/submit`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=x', expect: '3xx' }));
    }
    const tx = { rps: median(bareTx.map((l) => l.rps)), bad: bareTx.map((l) => l.bad).filter(Boolean).join('; ') };
    row('submit', 'bare Fastify: one transaction of the same two INSERTs (submission, outbox)', `${tx.rps.toFixed(0)} tx/s${tx.bad ? ` — FAILED: ${tx.bad}` : ''}`);
    row('submit', `efa: submit (validate, derive, resolve, encrypt, store submission and outbox; ${count} drafts)`, `${median(efaSubmits).toFixed(0)} submits/s`, { key: 'submit', value: tx.bad ? Number.NaN : median(efaSubmits) / tx.rps, of: 'of the bare transaction', target: 0.4 });
  }
  if (wants('walk')) {
    const r = JSON.parse(await run(['--import', 'tsx', 'bench/lib/applicants.ts', JSON.stringify({ mode: 'walk', origin: E, tenant: TENANT, service: FORM_SERVICE, connections: CONNECTIONS, seconds: DURATION })])) as { perSecond: number; applications: number; pages: number; seconds: number; p50: number; p99: number };
    row('walk', `efa: whole applications, ${CONNECTIONS} applicants at once (start, ${PAGES} steps, check, submit: ${r.pages / Math.max(1, r.applications)} requests each)`,
      `${r.perSecond.toFixed(1)} applications/s; page p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
  }
  if (wants('defra')) await defra(stepLoad ?? (wants('render') ? undefined : (await rounds([stepGet]))[0]), postLoad ?? (await rounds([stepPost]))[0]);
  if (wants('memory')) {
    // Sustained load on both, the same number of requests: the start page (efa) and its bare render.
    await cannon({ url: `${E}${formUrl()}`, expect: '2xx' }, DURATION * 2);
    await cannon({ url: `${B}/render/start`, expect: '2xx' }, DURATION * 2);
    const after = { efa: await memoryOf(efa, join(work, 'efa-memory.json')), bare: await memoryOf(bare, join(work, 'bare-memory.json')) };
    // What RSS holds beyond V8's heap and its external buffers: code, native allocations, freed but kept by malloc.
    const mem = (m: typeof after.efa) => `RSS ${m.rss.toFixed(0)} MB (heap ${m.heapUsed.toFixed(0)} used of ${m.heapTotal.toFixed(0)}, external+buffers ${m.external.toFixed(0)}, the rest ${(m.rss - m.heapTotal - m.external).toFixed(0)})`;
    row('memory', 'bare Fastify server: idle → after all the load above', `${mem(idle.bare)} → ${mem(after.bare)}`);
    row('memory', 'efa serve: idle → after all the load above', `${mem(idle.efa)} → ${mem(after.efa)}`, { key: 'memory.rss', value: after.bare.rss / after.efa.rss, of: "the bare server's RSS over efa's", target: 0.5 });
  }
  if (flags.profile) {
    if (wants('render') || !wants('post')) await profile(serveEnv, stepGet, 'the step-with-draft load', join(work, 'profile-step'));
    if (wants('post')) await profile(serveEnv, stepPost, 'the step POST load', join(work, 'profile-post'));
  }
}

/**
 * The bare render must produce the page the runtime served (but for its CSRF token): otherwise the
 * render ratios compare different work. A difference is reported in the table, not hidden.
 */
async function checkSameRender(bare: string, capturesFile: string): Promise<void> {
  const captures = JSON.parse(readFileSync(capturesFile, 'utf8')) as Record<string, { html: string }>;
  const token = /name="_csrf" value="[^"]*"/g;
  for (const [key, { html }] of Object.entries(captures)) {
    const own = await (await fetch(`${bare}/render/${key}`)).text();
    if (own.replace(token, '') !== html.replace(token, '')) notes.push(`note: the bare render of "${key}" differs from the page efa served (${own.length} vs ${html.length} characters): its ratio compares different work`);
  }
}

/** The peer, in its own process from the scratch folder: its first page and its step post. */
async function defra(efaStep: Load | undefined, efaPost: Load | undefined): Promise<void> {
  let dir: string;
  try {
    dir = installDefra();
  } catch (err) {
    row('defra', `DEFRA forms engine ${DEFRA_VERSION}`, `NOT MEASURED: could not be installed here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return;
  }
  const port = await freePort();
  const server = start('DEFRA engine', ['server.mjs'], { NODE_ENV: 'production', PORT: String(port), LOG_ENABLED: 'false', SESSION_COOKIE_PASSWORD: randomBytes(32).toString('hex') }, dir);
  cleanups.push(() => server.stop());
  const D = `http://127.0.0.1:${port}`;
  try {
    await waitReady(server, `${D}/health`);
    const session = await defraSession(D);
    const [page, post] = await rounds([
      { url: `${D}/bench/seite-1`, headers: { cookie: session.cookie }, expect: '2xx' },
      { url: `${D}/bench/seite-1`, method: 'POST', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: session.body, expect: '3xx' },
    ]) as [Load, Load];
    row('defra', `DEFRA forms engine ${DEFRA_VERSION} (hapi, nunjucks cached, sessions in memory): first page`, rate(page), efaStep ? { key: 'defra.page', value: okRatio(efaStep, page), of: "efa's step with a draft over DEFRA's first page", target: 30 } : undefined);
    row('defra', 'DEFRA forms engine: step POST into its in-memory session', rate(post), efaPost ? { key: 'defra.post', value: okRatio(efaPost, post), of: "efa's step POST (PostgreSQL) over DEFRA's", target: 2 } : undefined);
  } catch (err) {
    row('defra', `DEFRA forms engine ${DEFRA_VERSION}`, `NOT MEASURED: it did not start or serve the form here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  } finally {
    await server.stop();
  }
}

/** A CPU profile of efa serve under one load (the step with a draft, the step POST); the top functions by self and total time. */
async function profile(serveEnv: (port: number, extra?: Record<string, string>) => Record<string, string>, target: Target, what: string, dir: string): Promise<void> {
  const port = await freePort();
  const serve = start('efa serve (profiled)', ['--cpu-prof', '--cpu-prof-dir', dir, 'bin/efa.js', 'serve'], serveEnv(port));
  await waitReady(serve, `http://127.0.0.1:${port}/_efa/health/ready`);
  const load = await cannon({ ...target, url: target.url.replace(/:\d+\//, `:${port}/`) }, Math.max(DURATION * 2, 4));
  await serve.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('efa serve wrote no CPU profile');
  notes.push(`CPU profile of efa serve under ${what} (${load.rps.toFixed(0)} req/s while profiled), top functions by self time:`);
  const json = readFileSync(join(dir, file), 'utf8');
  for (const line of summariseProfile(json, 20, ROOT)) notes.push(`  ${line}`);
  notes.push('The runtime\'s own functions by total time (self and what they call):');
  for (const line of summariseOwnTotal(json, 25, ROOT, '/dist/src/')) notes.push(`  ${line}`);
  // Kept for a closer look (Chrome DevTools, speedscope): the run's work folder is removed.
  const kept = join(tmpdir(), `efa-bench-${dir.split('-').pop()}.cpuprofile`);
  writeFileSync(kept, json);
  notes.push(`The profile: ${kept}`);
}

/** NODE_OPTIONS as the image sets it (an `ENV NODE_OPTIONS=…` line of the Dockerfile), if it does. */
function imageNodeOptions(): { NODE_OPTIONS?: string } {
  const value = /^ENV NODE_OPTIONS="?([^"\n]+)"?$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  return value ? { NODE_OPTIONS: value } : {};
}

// ---- startup and delivery (their own benches, run as child processes) ------------------------------
async function startup(): Promise<void> {
  for (const n of new Set([1, MANY])) {
    const temp = await benchRoot({ groupRows: 1, extra: n, own: false });
    try {
      const out = await run(['--import', 'tsx', 'bench/startup.ts', '--runs', String(STARTUP_RUNS), '--root', temp.root, '--skip-cold']);
      const lines = out.split('\n').filter((l) => l.includes(' | '));
      const median = (name: string) => Number(lines.find((l) => l.startsWith(`${name} |`))?.split(' | ')[1]);
      const base = median('baseline: bare Fastify (node -e)');
      for (const [name, key] of [['efa serve', 'serve'], ['efa worker', 'worker'], ['efa start, first start', 'start']] as const) {
        const ms = median(name);
        row('startup', `${name}, ${n} generated service${n === 1 ? '' : 's'} × every tenant (bare Fastify ${base.toFixed(0)} ms)`, `ready in ${ms.toFixed(0)} ms (median of ${STARTUP_RUNS})`, { key: `startup.${key}.${n === 1 ? 'one' : 'many'}`, value: base / ms, of: "bare Fastify's time to ready over efa's" });
      }
    } finally {
      temp.remove();
    }
  }
}

async function delivery(env: Record<string, string>): Promise<void> {
  const out = await run(['--import', 'tsx', 'bench/delivery.ts', '--workers', '1', '--n', String(DELIVERY_N), '--rounds', '1', '--warmup', String(Math.min(50, DELIVERY_N)), '--skip-in-process']);
  const efaCpu = Number(/worker processes ([\d.]+)/.exec(out)?.[1]);
  if (!Number.isFinite(efaCpu)) throw new Error(`bench/delivery.ts printed no worker CPU:\n${out}`);

  // The bare job: one HTTP POST of about a delivery's size per job, to a sink that answers at once.
  const BYTES = 3000;
  const sink = createHttpServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => sink.close(r)));
  const prefix = `efa-bench-${randomBytes(4).toString('hex')}`;
  const queueName = 'bare-delivery';
  const worker = start('bare job', ['bench/lib/bare-job.mjs'], { REDIS_URL: env.REDIS_URL as string, BENCH_PREFIX: prefix, BENCH_QUEUE: queueName, BENCH_SINK: `http://127.0.0.1:${(sink.address() as { port: number }).port}/`, BENCH_BYTES: String(BYTES), BENCH_CONCURRENCY: '10' });
  cleanups.push(() => worker.stop());
  const redis = new Redis(env.REDIS_URL as string, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: redis, prefix });
  cleanups.push(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
  });
  const deadline = Date.now() + 30_000;
  while (!worker.output().includes('bare-job: ready')) {
    if (Date.now() > deadline || worker.child.exitCode !== null) throw new Error(worker.output());
    await new Promise((r) => setTimeout(r, 20));
  }
  const batch = async (n: number) => {
    const before = (await queue.getJobCounts('completed')).completed ?? 0;
    await queue.addBulk(Array.from({ length: n }, (_v, i) => ({ name: 'deliver', data: { i }, opts: { removeOnComplete: false } })));
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} bare jobs failed`);
      if ((counts.completed ?? 0) - before >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await batch(Math.min(50, DELIVERY_N));
  const cpu0 = cpuMs(worker.child.pid as number);
  await batch(DELIVERY_N);
  const bareCpu = (cpuMs(worker.child.pid as number) - cpu0) / DELIVERY_N;
  row('delivery', `bare BullMQ job making one HTTP POST of ${(BYTES / 1000).toFixed(0)} KB (concurrency 10)`, `${bareCpu.toFixed(2)} CPU ms per job (${DELIVERY_N} jobs)`);
  row('delivery', 'efa worker: one delivery (lease, webhook signed, receipt verified, outbox settled; receiver not counted)', `${efaCpu.toFixed(2)} CPU ms per delivery (bench/delivery.ts, ${DELIVERY_N})`, { key: 'delivery.cpu', value: bareCpu / efaCpu, of: "the bare job's CPU over efa worker's", target: 1 / 3 });
}

// ---- baseline and report ----------------------------------------------------------------------------
interface Baseline { date: string; machine: { nproc: number; cpu: string; node: string; loadAverage: number[] }; settings: Record<string, number>; ratios: Record<string, number> }
function machine(): Baseline['machine'] {
  return { nproc: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAverage: loadavg().map((l) => Number(l.toFixed(2))) };
}

function report(loadBefore: number[]): number {
  const m = machine();
  console.log(`efa-runtime bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${m.nproc} cores (${m.cpu}), node ${m.node}, autocannon ${autocannonVersion()}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAverage.join(' ')}`);
  console.log(`settings: ${DURATION} s per measurement, ${CONNECTIONS} connections, ${ROUNDS} round(s) (median), ${ROWS} rows, startup ${STARTUP_RUNS} runs with 1 and ${MANY} services, ${DELIVERY_N} deliveries`);
  console.log('');
  console.log('| section | what | figure | ratio | target |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.ratio ? `${r.ratio.key} = ${r.ratio.value.toFixed(3)} (${r.ratio.of})` : '';
    const target = r.ratio?.target !== undefined ? `≥ ${Number(r.ratio.target.toFixed(2))} ${r.ratio.value >= r.ratio.target ? 'met' : `MISSED (${(r.ratio.value / r.ratio.target * 100).toFixed(0)} % of it)`}` : '';
    console.log(`| ${r.section} | ${r.what} | ${r.figure} | ${ratio} | ${target} |`);
  }
  for (const n of notes) console.log(n);
  const ratios = Object.fromEntries(rows.flatMap((r) => (r.ratio ? [[r.ratio.key, Number(r.ratio.value.toFixed(4))]] : [])));
  let code = rows.some((r) => r.figure.includes('FAILED')) ? 1 : 0;
  // Compared with the baseline as it was, then replaced by this run's (both flags: check and accept).
  if (flags.compare) code = Math.max(code, compare(ratios));
  if (flags['write-baseline']) {
    const baseline: Baseline = { date: new Date().toISOString(), machine: m, settings: { duration: DURATION, connections: CONNECTIONS, rounds: ROUNDS, rows: ROWS }, ratios };
    writeFileSync(BASELINE_FILE, `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`baseline written to ${BASELINE_FILE} (${Object.keys(ratios).length} ratios)`);
  }
  return code;
}

function compare(ratios: Record<string, number>): number {
  if (!existsSync(BASELINE_FILE)) {
    console.log(`compare: no ${BASELINE_FILE}; write one with --write-baseline`);
    return 1;
  }
  const base = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Baseline;
  console.log(`compare with ${BASELINE_FILE} of ${base.date} (${base.machine.nproc} cores, ${base.machine.cpu}, node ${base.machine.node}), tolerance ${(TOLERANCE * 100).toFixed(0)} %:`);
  const fell: string[] = [];
  for (const [key, was] of Object.entries(base.ratios)) {
    const now = ratios[key];
    if (now === undefined) {
      console.log(`  ${key}: not measured in this run`);
      continue;
    }
    const change = now / was - 1;
    const bad = now < was * (1 - TOLERANCE);
    if (bad) fell.push(key);
    console.log(`  ${key}: ${was.toFixed(3)} → ${now.toFixed(3)} (${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %)${bad ? ' FELL' : ''}`);
  }
  console.log(fell.length ? `compare: ${fell.length} ratio(s) fell by more than ${(TOLERANCE * 100).toFixed(0)} %: ${fell.join(', ')}` : 'compare: no ratio fell by more than the tolerance');
  return fell.length ? 1 : 0;
}

function autocannonVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
}

// ---- main ---------------------------------------------------------------------------------------------
function ensureBuild(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  const stamp = join(ROOT, 'dist/BUILT');
  if (existsSync(stamp) && newest(join(ROOT, 'src')) <= statSync(stamp).mtimeMs) return;
  console.error('bench: dist/ is missing or older than src/: npm run build');
  const res = spawnSync(NODE, ['--import', 'tsx', 'scripts/build.ts'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error('npm run build failed');
}

async function main(): Promise<number> {
  const databaseBase = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseBase || !redisUrl) throw new Error('DATABASE_URL and REDIS_URL must be set (e.g. postgres://postgres@127.0.0.1:5432/test and redis://127.0.0.1:6379)');
  const loadBefore = loadavg();
  ensureBuild();
  const pageSections = (['render', 'post', 'submit', 'walk', 'defra', 'memory'] as const).some(wants);
  if (pageSections) {
    const dbName = `efa_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseBase });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    });
    const dbUrl = new URL(databaseBase);
    dbUrl.pathname = `/${dbName}`;
    const queuePrefix = `efa-bench-${randomBytes(4).toString('hex')}`;
    cleanups.push(async () => {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    // As the image runs it (production, PostgreSQL, Redis); no worker, so submissions stay queued.
    const env = {
      NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, EFA_QUEUE_PREFIX: queuePrefix,
      EFA_SECRET: randomBytes(32).toString('hex'), EFA_SIGNING_KEY: JSON.stringify((await generateSigningKeyPair()).privateJwk),
      EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:9', EFA_ROUTING_POLL_MS: '0', EFA_UPLOAD_SCAN: 'off', LOG_LEVEL: 'warn',
      // The rate limit protects a deployment from one client; the bench is one client on purpose.
      EFA_RATE_LIMIT: '1000000',
      // Tenants by path (/sh/…) rather than by Host, so the load generators need no Host header.
      EFA_PATH_TENANTS: 'true',
      // The image's heap limit (Dockerfile), so memory is measured as deployed; --serve-env overrides it.
      ...imageNodeOptions(),
    };
    await pages(env, { url: dbUrl.toString() });
    for (const c of cleanups.splice(0).reverse()) await c();
  }
  if (wants('startup')) await startup();
  if (wants('delivery')) await delivery({ REDIS_URL: redisUrl });
  return report(loadBefore);
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  for (const child of children) child.kill('SIGKILL');
}
process.exit(code);
