/**
 * Zuständigkeitsfinder lookups on the nationwide dataset with 50 services, next to baselines
 * measured in the same run: a plain Map.get of precomputed "leikaKey|ars" keys (the floor any
 * lookup pays) and the string-keyed index this one replaced.
 *
 *   npm run bench:routing            (node --expose-gc, so the heap figures are after collection)
 *   npm run bench:routing -- 20      (services; default 50)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { compileRouting } from '../src/routing/compile.js';
import { locatedDocument } from '../src/routing/document.js';
import { endpointFor, type RoutingData } from '../src/routing/load.js';
import { generateNationwide, serviceKeys } from '../src/demo/nationwide.js';
import { ResponsibilityIndex } from '../src/routing/responsibility.js';
import type { ResponsibilityRule } from '../src/routing/types.js';
import { parse } from 'csv-parse/sync';

const SERVICES = Number(process.argv[2] ?? 50);
const QUERIES = 1 << 20;
const ROUNDS = 5;
const MIN_ROUND_MS = 400;

const gc = (globalThis as { gc?: () => void }).gc;
function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Deterministic, so two runs ask the same questions. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** Best of ROUNDS rounds of at least MIN_ROUND_MS each, in lookups per second. */
function measure(lookup: (i: number) => number): number {
  let best = 0;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < QUERIES; i++) sink += lookup(i);
      n += QUERIES;
      elapsed = performance.now() - start;
    } while (elapsed < MIN_ROUND_MS);
    best = Math.max(best, (n / elapsed) * 1000);
  }
  if (sink === 42) console.log('');
  return best;
}

/** The index before this change: one string key per (service or "*", prefix length 12..2). */
class StringKeyIndex {
  private readonly byKey = new Map<string, string>();
  constructor(rules: ResponsibilityRule[]) {
    for (const r of rules) this.byKey.set(`${r.leikaKey}|${r.arsPrefix}`, r.authorityId);
  }
  resolve(leikaKey: string, ars: string): string | undefined {
    for (let len = Math.min(ars.length, 12); len >= 2; len--) {
      const prefix = ars.slice(0, len);
      const hit = this.byKey.get(`${leikaKey}|${prefix}`) ?? this.byKey.get(`*|${prefix}`);
      if (hit) return hit;
    }
    return undefined;
  }
}

const referenceFile = 'routing/reference/gemeindeverzeichnis.csv';
const services = serviceKeys(SERVICES);
const { document } = generateNationwide({ referenceFile, routingDir: 'routing', services, minPopulation: 2000 });
const municipalities = (parse(readFileSync(referenceFile), { columns: true, bom: true }) as Array<Record<string, string>>)
  .filter((r) => r.satzart === '60').map((r) => `${r.land}${r.rb}${r.kreis}${r.vb}${r.gemeinde}`);

// Heap before and after building what a process holds: the checked dataset and its index.
const before = heapMb();
const built = performance.now();
let compiled: ReturnType<typeof compileRouting> | undefined = compileRouting(locatedDocument(document, 'bench'), { env: { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' } });
const buildMs = performance.now() - built;
const routing: RoutingData = compiled.routing;
compiled = undefined;
const rules = document.responsibilities;
const after = heapMb();
const indexStart = performance.now();
const indexOnly = new ResponsibilityIndex(rules);
const indexMs = performance.now() - indexStart;

// Queries: a random municipality and one of the services, or (1 in 51) a service the data does not name.
const random = prng(20261124);
const leika: string[] = [];
const ars: string[] = [];
for (let i = 0; i < QUERIES; i++) {
  const s = Math.floor(random() * (services.length + 1));
  leika.push(s === services.length ? '99999999999999' : (services[s] as string));
  ars.push(municipalities[Math.floor(random() * municipalities.length)] as string);
}
// The baseline: every asked (service, municipality) answered in advance in one flat Map, the
// alternative design to walking prefixes. Its heap cost is measured too.
const keys = leika.map((l, i) => `${l}|${ars[i]}`);
const flatBefore = heapMb();
const answers = new Map<string, string>();
keys.forEach((k, i) => answers.set(k, indexOnly.resolve(leika[i] as string, ars[i] as string) ?? ''));
const flatAfter = heapMb();
const authorityIds = [...routing.authorities.keys()];
const smallKeys = Array.from({ length: QUERIES }, (_, i) => authorityIds[i % authorityIds.length] as string);
const old = new StringKeyIndex(rules);
for (let i = 0; i < 10_000; i++) if (old.resolve(leika[i] as string, ars[i] as string) !== (answers.get(keys[i] as string) || undefined)) throw new Error(`indexes disagree on ${keys[i]}`);
const unresolved = keys.filter((k) => answers.get(k) === '').length;

const baseline = measure((i) => (answers.get(keys[i] as string) as string).length);
const small = measure((i) => (routing.authorities.get(smallKeys[i] as string) as { name: string }).name.length);
const index = measure((i) => (routing.responsibility.resolve(leika[i] as string, ars[i] as string) as string).length);
const full = measure((i) => {
  const id = routing.responsibility.resolve(leika[i] as string, ars[i] as string) as string;
  return (endpointFor(routing, id, leika[i] as string) as { address: string }).address.length;
});
const previous = measure((i) => (old.resolve(leika[i] as string, ars[i] as string) as string).length);

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const m = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;
const ratio = (x: number) => `${(x / baseline).toFixed(2)}x baseline`;
console.log(`routing bench — ${availableParallelism()} cores (nproc), ${cpu}, node ${process.version}${gc ? '' : ' (run with --expose-gc for exact heap figures)'}`);
console.log(`dataset: ${document.authorities.length} authorities, ${rules.length} responsibilities (${SERVICES} services), ${routing.directory.size} directory entries; ${municipalities.length} municipalities queried, ${unresolved} of ${QUERIES} queries unresolved`);
console.log(`build (validate + index): ${buildMs.toFixed(0)} ms, of which the responsibility index ${indexMs.toFixed(0)} ms`);
console.log(`heap used: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after building (+${(after - before).toFixed(1)} MB)`);
console.log(`baseline Map.get, precomputed keys:  ${m(baseline)}  (flat Map of the ${answers.size} distinct asked pairs; +${(flatAfter - flatBefore).toFixed(1)} MB heap)`);
console.log(`Map.get on a small map (${authorityIds.length} ids):  ${m(small)}  (${ratio(small)}; no cache misses)`);
console.log(`resolve(leikaKey, ars):              ${m(index)}  (${ratio(index)})`);
console.log(`resolve + directory endpoint:        ${m(full)}  (${ratio(full)})`);
console.log(`previous string-keyed index:         ${m(previous)}  (${ratio(previous)})`);

// ---------------------------------------------------------------------------------------------
// Storage and reload: what a one-row change writes compared with storing the whole dataset, and
// how long the event loop stalls while a version is compiled, inline or in a worker thread.
// Embedded database (PGlite, which runs on the event loop itself: its reads count in both cases).
//
//   npm run bench:routing -- 50 5    (lookups with 50 services, storage with 5)
// ---------------------------------------------------------------------------------------------
const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { openDatabase } = await import('../src/storage/db.js');
const { RoutingStore } = await import('../src/routing/store.js');
const { replaceTables } = await import('../src/routing/document.js');
const { compileAnywhere } = await import('../src/routing/compile-thread.js');
const { compileSeed } = await import('../src/routing/load.js');
const { FORMATS_DIR } = await import('../src/runtime.js');

const STORE_SERVICES = Number(process.argv[3] ?? 5);
const env = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const storeDoc = generateNationwide({ referenceFile, routingDir: 'routing', services: serviceKeys(STORE_SERVICES), minPopulation: 2000 }).document;
const dataDir = mkdtempSync(join(tmpdir(), 'efa-bench-routing-'));
const db = await openDatabase({ dataDir });
let inForce: RoutingData = routing;
const store = new RoutingStore({ db, root: '.', formatsDir: FORMATS_DIR, env, pollMs: 0, current: () => inForce, install: (r) => { inForce = r; }, workerRows: Infinity, log: () => undefined });
const tableBytes = async () => Number((await db.query<{ n: string }>("SELECT pg_total_relation_size('routing_rows')::text AS n")).rows[0]?.n);

const bytes0 = await tableBytes();
let t = performance.now();
const whole = await store.write((base) => replaceTables(base, locatedDocument(storeDoc, 'bench')), { by: 'bench' });
const wholeMs = performance.now() - t;
const bytes1 = await tableBytes();
const rule = storeDoc.responsibilities[Math.floor(storeDoc.responsibilities.length / 2)] as ResponsibilityRule;
const otherAuthority = storeDoc.responsibilities.find((r) => r.authorityId !== rule.authorityId)?.authorityId as string;
const oneDoc = { ...storeDoc, responsibilities: storeDoc.responsibilities.map((r) => (r === rule ? { ...r, authorityId: otherAuthority } : r)) };
t = performance.now();
const one = await store.write((base) => replaceTables(base, locatedDocument(oneDoc, 'bench')), { by: 'bench' });
const oneMs = performance.now() - t;
const bytes2 = await tableBytes();

/** The event loop's longest stall while `run` runs: the largest gap between ticks of a 1 ms interval. */
async function stall(run: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let max = 0;
  const tick = () => { const now = performance.now(); max = Math.max(max, now - last); last = now; };
  const timer = setInterval(tick, 1);
  await run();
  // One more tick, so a stall at the very end is counted too.
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(timer);
  tick();
  return max;
}
const idle = await stall(() => new Promise((r) => setTimeout(r, 500)));
const inline = await stall(() => store.reload());
(store as unknown as { opts: { workerRows: number } }).opts.workerRows = 0;
const worker = await stall(() => store.reload());
// The demo seed: what every embedded start compiles, inline versus in a worker (start included).
const seedDoc = compileSeed('.', FORMATS_DIR, env).document;
t = performance.now();
for (let i = 0; i < 5; i++) await compileAnywhere(locatedDocument(seedDoc, 'seed'), { env }, Infinity);
const seedInline = (performance.now() - t) / 5;
t = performance.now();
for (let i = 0; i < 5; i++) await compileAnywhere(locatedDocument(seedDoc, 'seed'), { env }, 0);
const seedWorker = (performance.now() - t) / 5;
await db.close();
rmSync(dataDir, { recursive: true, force: true });

const rows = (whole.stored?.rowsWritten ?? 0);
const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`\nstorage (PGlite), ${storeDoc.responsibilities.length} responsibilities (${STORE_SERVICES} services), ${rows} rows in all:`);
console.log(`whole dataset as a new version:      ${rows} rows, +${kb(bytes1 - bytes0)} table, ${wholeMs.toFixed(0)} ms`);
console.log(`one-row change as a new version:     ${one.stored?.rowsWritten} rows, +${kb(bytes2 - bytes1)} table, ${oneMs.toFixed(0)} ms  (rows ${((one.stored?.rowsWritten ?? 0) / rows).toExponential(1)}x, time ${(oneMs / wholeMs).toFixed(2)}x the whole dataset; the time includes validating the whole new version)`);
console.log(`event loop, longest stall: idle ${idle.toFixed(1)} ms (baseline); reload compiled inline ${inline.toFixed(0)} ms (${(inline / idle).toFixed(0)}x baseline), in a worker ${worker.toFixed(0)} ms (${(worker / idle).toFixed(0)}x baseline, ${(worker / inline).toFixed(2)}x inline; the PGlite read of the version stays on the loop)`);
console.log(`demo seed (${seedDoc.responsibilities.length + seedDoc.authorities.length + seedDoc.directory.length} rows) compiled inline ${seedInline.toFixed(1)} ms, in a worker ${seedWorker.toFixed(0)} ms (${(seedWorker / seedInline).toFixed(0)}x, starting the worker from the TypeScript sources through tsx; less from dist/): small data stays inline`);
