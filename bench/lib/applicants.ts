/**
 * The load generator for what autocannon cannot do (every applicant has their own cookies, CSRF
 * token and draft), run as its own process: argv[2] is JSON { mode, origin, tenant, service,
 * connections, seconds | count }; prints one JSON line.
 *   walk:   `connections` applicants at once, each walking every step (start page, start, three
 *           steps, check page, submit, confirmation) and starting again, for `seconds`.
 *   submit: `count` applicants walked to the check page first (untimed), then all submitted,
 *           `connections` at once (timed).
 */
import { Browser } from '../../test/support/browser.js';
import { PAGES } from './defra.js';
import { answersOf } from './root.js';

interface Options { mode: 'walk' | 'submit'; origin: string; tenant: string; service: string; connections: number; seconds?: number; count?: number }
const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const latencies: number[] = [];

async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  latencies.push(performance.now() - t0);
  return out;
}

/** Posts the page's form and expects to be sent on (303); loads where to. */
async function onward(b: Browser, res: { status: number; location?: string }, what: string): Promise<string> {
  if (res.status !== 303 || !res.location) throw new Error(`${what} answered ${res.status}`);
  const page = await timed(() => b.get(res.location as string));
  if (page.status !== 200) throw new Error(`${res.location} answered ${page.status}`);
  return res.location;
}

/** A fresh applicant from the start page to the check page. */
async function toCheckPage(): Promise<Browser> {
  const b = new Browser(opts.origin);
  const start = await timed(() => b.get(`/${opts.tenant}/${opts.service}`));
  if (start.status !== 200) throw new Error(`the start page answered ${start.status}`);
  await onward(b, await timed(() => b.submit({}, '/start')), 'start');
  for (let page = 1; page <= PAGES; page++) await onward(b, await timed(() => b.submit(answersOf(page))), `step ${page}`);
  if (!b.lastUrl.endsWith('/pruefen')) throw new Error(`after the last step: ${b.lastUrl}, not the check page`);
  return b;
}

async function submit(b: Browser): Promise<void> {
  const res = await timed(() => b.submit({}, '/absenden'));
  if (res.status !== 303 || !res.location?.includes('/bestaetigung/')) throw new Error(`submit answered ${res.status}`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<Record<string, number>> {
  if (opts.mode === 'walk') {
    const until = performance.now() + (opts.seconds ?? 5) * 1000;
    let applications = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: opts.connections }, async () => {
      while (performance.now() < until) {
        const b = await toCheckPage();
        await onward(b, await timed(() => b.submit({}, '/absenden')), 'submit');
        applications++;
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    return { applications, seconds, perSecond: applications / seconds, pages: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
  const ready: Browser[] = [];
  const count = opts.count ?? 100;
  let next = 0;
  await Promise.all(Array.from({ length: opts.connections }, async () => {
    while (next++ < count) ready.push(await toCheckPage());
  }));
  latencies.length = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.connections }, async () => {
    for (let b = ready.pop(); b; b = ready.pop()) await submit(b);
  }));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return { submits: count, seconds, perSecond: count / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

try {
  process.stdout.write(`${JSON.stringify(await main())}\n`);
} catch (err) {
  process.stderr.write(`applicants: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
