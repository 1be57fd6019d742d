import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run bench` with every benchmark run for about a second, so none of them rots: each prints
 * its figures and ratios, and the regression guard (--compare against bench/baseline.json's
 * format) reports a ratio that fell. No figure is asserted: the machine is shared and busy.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every ratio the table carries; the peer's two may instead say it could not be measured here. */
// (--many 1: the startup bench runs its one-service copy only, to keep this test short.)
const RATIOS = ['render.start', 'render.step', 'render.group', 'post.step', 'submit', 'memory.rss', 'delivery.cpu',
  'startup.serve.one', 'startup.worker.one', 'startup.start.one'];
const PEER_RATIOS = ['defra.page', 'defra.post'];

describe('npm run bench, about a second per benchmark', () => {
  let dir: string;
  let baselineFile: string;
  let out = '';
  let code: number | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'efa-bench-smoke-'));
    baselineFile = join(dir, 'baseline.json');
    // An earlier baseline in which the step page was far faster than anything this run can reach,
    // and the step POST far slower: --compare must name the first as fallen and only it.
    writeFileSync(baselineFile, JSON.stringify({ date: '2026-01-01T00:00:00.000Z', machine: { nproc: 2, cpu: 'x', node: 'v0', loadAverage: [0, 0, 0] }, settings: {}, ratios: { 'render.step': 1000, 'post.step': 0.0001 } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--duration', '1', '--rounds', '1', '--rows', '20', '--many', '1', '--startup-runs', '1', '--delivery-n', '20',
      '--compare', '--write-baseline', '--baseline', baselineFile], { env: { ...process.env, DATABASE_URL, REDIS_URL }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (process.env.EFA_TEST_VERBOSE === '1') process.stderr.write(d); });
    code = await new Promise((resolve) => child.once('exit', resolve));
  }, { timeout: 300_000 });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const tableRows = () => out.split('\n').filter((l) => /^\| (render|post|submit|walk|defra|memory|startup|delivery) \|/.test(l));

  test('prints one table with a figure for every benchmark and no failed load', () => {
    assert.match(out, /cores \(.*\), node v\d+/, out);
    for (const section of ['render', 'post', 'submit', 'walk', 'defra', 'memory', 'startup', 'delivery']) {
      const rows = tableRows().filter((l) => l.startsWith(`| ${section} |`));
      assert.ok(rows.length > 0, `no row for ${section}:\n${out}`);
      for (const r of rows) assert.match(r.split(' | ')[2] ?? '', /\d/, `a row of ${section} without a figure: ${r}`);
    }
    assert.doesNotMatch(out, /FAILED/, out);
    assert.match(out, /\d+(\.\d+)? applications\/s; page p50 [\d.]+ ms, p99 [\d.]+ ms/);
  });

  test('prints every ratio as a number (the peer may say instead that it could not be measured here)', () => {
    for (const key of RATIOS) assert.match(out, new RegExp(`${key.replace('.', '\\.')} = \\d+\\.\\d{3} `), `no ratio ${key}:\n${out}`);
    const peerMeasured = PEER_RATIOS.every((key) => new RegExp(`${key.replace('.', '\\.')} = \\d+\\.\\d{3} `).test(out));
    assert.ok(peerMeasured || /\| defra \| .* \| NOT MEASURED: /.test(out), `the DEFRA rows neither have ratios nor say why not:\n${out}`);
  });

  test('--compare names the ratio that fell by more than the tolerance, and only it, and exits non-zero', () => {
    assert.match(out, /render\.step: 1000\.000 → [\d.]+ \(-\d+ %\) FELL/);
    assert.doesNotMatch(out, /post\.step: .* FELL/);
    assert.match(out, /compare: 1 ratio\(s\) fell by more than 25 %: render\.step/);
    assert.equal(code, 1);
  });

  test('--write-baseline then keeps this run\'s ratios with the date and the machine', () => {
    const written = JSON.parse(readFileSync(baselineFile, 'utf8')) as { date: string; machine: { nproc: number; cpu: string; node: string }; ratios: Record<string, number> };
    assert.ok(Date.now() - Date.parse(written.date) < 15 * 60_000, written.date);
    assert.equal(written.machine.node, process.version);
    assert.ok(written.machine.nproc >= 1 && written.machine.cpu.length > 0);
    for (const key of RATIOS) assert.equal(typeof written.ratios[key], 'number', key);
    assert.notEqual(written.ratios['render.step'], 1000);
  });
});
