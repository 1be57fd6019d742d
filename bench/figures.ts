/**
 * What the open figures' counters cost PostgreSQL (docs/figures.md, docs/performance.md): the same
 * statements with and without their count, alternating, 20 connections at once, in a database
 * created for the run and dropped afterwards.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/figures.ts [--n 2000] [--rounds 4]
 *
 * - opening a draft: the INSERT alone, and with the "started" count in the same statement (a CTE);
 * - a submit's transaction, reduced to its last INSERT: alone, and with the "submitted" and duration
 *   counts in front of it as a CTE, as src/submissions/submit.ts does.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../src/storage/db.js';
import { countRowsOf, submittedCountSql } from '../src/storage/figure-counts.js';
import { freshPostgres } from '../test/support/database.js';

const { values: flags } = parseArgs({ options: { n: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(flags.n ?? 2000);
const ROUNDS = Number(flags.rounds ?? 4);
const CONNECTIONS = 20;

const fresh = await freshPostgres();
const dataDir = mkdtempSync(join(tmpdir(), 'efa-bench-figures-'));
const db = await openDatabase({ databaseUrl: fresh.url, dataDir });
const pool = new pg.Pool({ connectionString: fresh.url, max: CONNECTIONS });
const blob = Buffer.alloc(200);
const DRAFT = `INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, 'sh', 'x', '1', $2, now() + interval '1 hour')`;
const PLAIN_CREATE = `${DRAFT} RETURNING expires_at`;
const COUNTED_CREATE = `WITH d AS (${DRAFT} RETURNING tenant, service_id, created_at, expires_at), c AS (${countRowsOf('d', 'started', 'created_at')}) SELECT expires_at FROM d`;

/** Per second, `N` operations over CONNECTIONS connections at once. */
async function rate(op: (c: pg.PoolClient) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    for (let i = 0; i < N / CONNECTIONS; i++) {
      const c = await pool.connect();
      try {
        await op(c);
      } finally {
        c.release();
      }
    }
  }));
  return N / ((performance.now() - t) / 1000);
}

async function submit(c: pg.PoolClient, counted: boolean): Promise<void> {
  await c.query('BEGIN');
  if (!counted) await c.query({ text: 'INSERT INTO probe_outbox (id) VALUES ($1)', values: [randomUUID()], name: 'plain' });
  else {
    const k = submittedCountSql({ tenant: 'sh', serviceId: 'x', submittedAt: new Date().toISOString(), draftCreatedAt: new Date(Date.now() - 300_000) }, 2);
    await c.query({ text: `WITH counted AS (${k.sql}) INSERT INTO probe_outbox (id) VALUES ($1)`, values: [randomUUID(), ...k.params], name: `counted_${k.name}` });
  }
  await c.query('COMMIT');
}

try {
  await pool.query('CREATE TABLE probe_outbox (id uuid PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())');
  const runs: Record<string, number[]> = { 'open a draft': [], 'open a draft, counted': [], 'submit transaction': [], 'submit transaction, counted': [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs['open a draft']?.push(await rate((c) => c.query(PLAIN_CREATE, [randomUUID(), blob])));
    runs['open a draft, counted']?.push(await rate((c) => c.query(COUNTED_CREATE, [randomUUID(), blob])));
    runs['submit transaction']?.push(await rate((c) => submit(c, false)));
    runs['submit transaction, counted']?.push(await rate((c) => submit(c, true)));
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  for (const [what, values] of Object.entries(runs)) console.log(`${what}: ${median(values).toFixed(0)}/s (${values.map((v) => v.toFixed(0)).join(', ')})`);
  const ratio = (a: string, b: string) => (median(runs[b] ?? []) / median(runs[a] ?? [])).toFixed(2);
  console.log(`counted / plain: open a draft ${ratio('open a draft', 'open a draft, counted')}, submit transaction ${ratio('submit transaction', 'submit transaction, counted')}`);
} finally {
  await pool.end();
  await db.close();
  await fresh.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
