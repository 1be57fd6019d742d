// The same-run limits: a bare Fastify server (no plugins but the form body parser) that renders the
// runtime's own templates (dist/src/forms/render.js, the same Handlebars setup) with the context
// the runtime rendered (captured by probe.mjs), serves a constant page, does one UPDATE of the
// bytes a step post stores, and the two INSERTs a submit stores, in one transaction.
// Environment: PORT, EFA_ROOT, BENCH_CAPTURES (JSON file), DATABASE_URL, BENCH_DRAFT_ID, BENCH_SUBMISSION_ID.
/* global console */
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import pg from 'pg';
import { createRenderer } from '../../dist/src/forms/render.js';

const captures = JSON.parse(readFileSync(process.env.BENCH_CAPTURES, 'utf8'));
const renderer = createRenderer(process.env.EFA_ROOT);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
await app.register(formbody);

const html = (reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
app.get('/render/:page', async (req, reply) => {
  const capture = captures[req.params.page];
  if (!capture) return reply.code(404).send();
  return html(reply).send(renderer.page(capture.name, capture.context));
});
app.get('/const/:page', async (req, reply) => {
  const page = captures[req.params.page]?.html;
  if (!page) return reply.code(404).send();
  return html(reply).send(page);
});

// The draft's stored bytes (a copy of the runtime's row in a table of the same shape).
const draft = (await pool.query('SELECT data_enc, current_step FROM bench_drafts WHERE id = $1', [process.env.BENCH_DRAFT_ID])).rows[0];
app.post('/update', async (_req, reply) => {
  await pool.query('UPDATE bench_drafts SET data_enc = $2, current_step = $3, updated_at = now() WHERE id = $1', [process.env.BENCH_DRAFT_ID, draft.data_enc, draft.current_step]);
  return reply.redirect('/render/step', 303);
});

// A stored submission and its outbox row, inserted again under a new id (every column, same bytes).
const submission = (await pool.query('SELECT * FROM submissions WHERE id = $1', [process.env.BENCH_SUBMISSION_ID])).rows[0];
const outbox = (await pool.query('SELECT * FROM outbox WHERE submission_id = $1', [process.env.BENCH_SUBMISSION_ID])).rows[0];
const insert = (table, row) => {
  const columns = Object.keys(row);
  return { sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_c, i) => `$${i + 1}`).join(', ')})`, columns };
};
const json = (v) => (v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v) && !Array.isArray(v) ? JSON.stringify(v) : v);
const subInsert = insert('bench_submissions', submission);
const outInsert = outbox ? insert('bench_outbox', outbox) : undefined;
app.post('/submit', async (_req, reply) => {
  const id = randomUUID();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(subInsert.sql, subInsert.columns.map((c) => (c === 'id' ? id : c === 'reference' ? randomBytes(8).toString('hex') : json(submission[c]))));
    if (outInsert) await client.query(outInsert.sql, outInsert.columns.map((c) => (c === 'submission_id' ? id : json(outbox[c]))));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
  return reply.redirect(`/render/start?${id}`, 303);
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => { void app.close().then(() => pool.end()).then(() => process.exit(0)); });
console.log('bare: listening');
