import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestStack } from './support/runtime.js';
import type { TempRoot } from './support/extra-service.js';
import { FIGURES_SERVICE, FIGURES_TENANT, figuresStack } from './support/figures.js';

/**
 * The open figures are public and anonymous: whatever many clients ask, the counters are read once
 * per filter while a read is kept (only past months are published, as in production), and a
 * hostile filter is refused before any read.
 */
describe('open figures under load from anonymous clients', () => {
  let stack: TestStack;
  let temp: TempRoot;
  let reads = 0;
  before(async () => {
    ({ stack, temp } = await figuresStack({ EFA_FIGURES_CURRENT_MONTH: 'false' }));
    await stack.rt.db.query(`INSERT INTO figure_counts (month, tenant, service_id, kind, key, shard, n) VALUES ('2026-01-01', $1, $2, 'started', '', 0, 40), ('2026-01-01', $1, $2, 'submitted', '', 0, 30)`, [FIGURES_TENANT, FIGURES_SERVICE]);
    const db = stack.rt.db;
    const query = db.query.bind(db);
    db.query = ((text: string, ...rest: unknown[]) => {
      if (/FROM figure_counts/.test(text) && /GROUP BY/.test(text)) reads++;
      return (query as (t: string, ...r: unknown[]) => unknown)(text, ...rest);
    }) as typeof db.query;
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  test('many requests for the whole figures (JSON, CSV, the page) read the counters once per filter', async () => {
    const urls = [`${stack.url}/_efa/figures.json`, `${stack.url}/_efa/figures.csv`];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(urls[i % 2] as string)));
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
    const json = (await answers[0]?.json()) as { cells: Array<{ month: string; started: number }> };
    assert.deepEqual(json.cells.map((c) => [c.month, c.started]), [['2026-01', 40]]);
    for (let i = 0; i < 10; i++) assert.equal((await fetch(urls[0] as string)).status, 200);
    assert.equal(reads, 1, 'one read of the counters served all 40 requests');

    const page = await fetch(`${stack.url}/${FIGURES_TENANT}/statistik?month=2026-01`);
    assert.equal(page.status, 200);
    assert.equal((await fetch(`${stack.url}/${FIGURES_TENANT}/statistik?month=2026-01`)).status, 200);
    assert.equal(reads, 2, 'another filter is read once too');

    assert.equal((await fetch(`${stack.url}/_efa/figures.json?month=2026-1%27--`)).status, 400);
    assert.equal((await fetch(`${stack.url}/_efa/figures.json?land=${'x'.repeat(65)}`)).status, 400);
    assert.equal(reads, 2, 'a malformed filter reads nothing');
  });

  test('a read filtered by a Land or service, made up or not, is a range of an index, never every counter row', async () => {
    // The table of a test is small, so the planner would scan it anyway: forbid that to see whether a range exists.
    const plan = await stack.rt.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT kind, sum(n) FROM figure_counts WHERE tenant = 'zz' AND service_id = 'erfunden' GROUP BY kind`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /figure_counts_by_land_service/, plan);
  });
});
