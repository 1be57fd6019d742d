import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import { loadConfig } from '../src/config/env.js';
import { redisConnection } from '../src/delivery/queue.js';
import { createRuntime } from '../src/runtime.js';
import { openDatabase } from '../src/storage/db.js';
import { freshPostgres } from './support/database.js';
import { freePort, sleep, waitUntil } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

/** A TCP server that accepts connections and never says a word: a peer that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Sends `head` and then one more byte sequence every `everyMs` until the server closes the socket
 * or `maxChunks` were sent. Returns whether the server closed it, after how long, and what it said.
 */
async function trickle(url: string, head: string, chunk: string, everyMs: number, maxChunks: number): Promise<{ closedByServer: boolean; afterMs: number; answer: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  let answer = '';
  let closed = false;
  socket.on('data', (d) => { answer += d.toString('latin1'); });
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => { closed = true; resolve(Date.now()); }));
  socket.write(head);
  for (let i = 0; i < maxChunks && !closed; i++) {
    await sleep(everyMs);
    if (!closed) socket.write(chunk);
  }
  const closedByServer = closed;
  socket.destroy();
  return { closedByServer, afterMs: (await closedAt) - started, answer };
}

describe('timeouts: a slow client, a slow or silent PostgreSQL, Redis, all configurable', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ database: 'pglite', env: { EFA_HTTP_HEADERS_TIMEOUT_MS: '1000', EFA_HTTP_REQUEST_TIMEOUT_MS: '2000' } });
  });
  after(async () => stack.close());

  test('slow-loris: headers sent a line every 200 ms are cut after the headers timeout (1 s here), not after minutes', async () => {
    // 150 lines at 200 ms would take 30 s: the server must close the socket long before that.
    const result = await trickle(stack.url, 'GET /_efa/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: y\r\n', 200, 150);
    assert.equal(result.closedByServer, true, 'the server closed the half-sent request');
    assert.ok(result.afterMs >= 1000, `not before the configured timeout (closed after ${result.afterMs} ms)`);
    assert.doesNotMatch(result.answer, /HTTP\/1\.1 200/, 'the half-sent request was never answered as if complete');
    // A normal request on the same server is unaffected.
    const live = await fetch(`${stack.url}/_efa/health/live`);
    assert.equal(live.status, 200);
  });

  test('a body sent a byte at a time is cut after the request timeout (2 s here)', async () => {
    const head = 'POST /_efa/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n';
    const result = await trickle(stack.url, head, 'a', 200, 150);
    assert.equal(result.closedByServer, true, 'the server closed the request whose body never finished');
    assert.ok(result.afterMs >= 2000, `not before the configured timeout (closed after ${result.afterMs} ms)`);
  });

  test('configuration: the defaults, and a headers timeout above the request timeout is refused', () => {
    const ops = loadConfig({}).ops;
    assert.equal(ops.dbStatementTimeoutMs, 30_000);
    assert.equal(ops.dbConnectTimeoutMs, 5_000);
    assert.equal(ops.httpHeadersTimeoutMs, 10_000);
    assert.equal(ops.httpRequestTimeoutMs, 30_000);
    assert.equal(ops.httpKeepAliveTimeoutMs, 72_000);
    assert.equal(ops.redisConnectTimeoutMs, 5_000);
    assert.equal(loadConfig({ EFA_DB_STATEMENT_TIMEOUT_MS: '1234' }).ops.dbStatementTimeoutMs, 1234);
    assert.throws(() => loadConfig({ EFA_HTTP_HEADERS_TIMEOUT_MS: '40000', EFA_HTTP_REQUEST_TIMEOUT_MS: '30000' }), (e: unknown) => e instanceof ConfigError && /EFA_HTTP_HEADERS_TIMEOUT_MS \(40000\) must not be above/.test(e.message));
    assert.throws(() => loadConfig({ EFA_REDIS_CONNECT_TIMEOUT_MS: 'soon' }), /EFA_REDIS_CONNECT_TIMEOUT_MS="soon" is not a whole number/);
  });

  test('Redis: the connect timeout applies to producers and workers, the command timeout only to producers', () => {
    const producer = redisConnection('redis://127.0.0.1:6379', 'producer', { connectMs: 1234, commandMs: 4321 }) as { connectTimeout?: number; commandTimeout?: number; enableOfflineQueue?: boolean };
    assert.equal(producer.connectTimeout, 1234);
    assert.equal(producer.commandTimeout, 4321);
    assert.equal(producer.enableOfflineQueue, false);
    const worker = redisConnection('redis://127.0.0.1:6379', 'worker', { connectMs: 1234, commandMs: 4321 }) as { connectTimeout?: number; commandTimeout?: number };
    assert.equal(worker.connectTimeout, 1234);
    assert.equal(worker.commandTimeout, undefined, 'a worker blocks on Redis by design');
  });

  test('PostgreSQL: a statement over the statement timeout is cancelled; the pool goes on working', async () => {
    const pg = await freshPostgres();
    const errors: string[] = [];
    const db = await openDatabase({ databaseUrl: pg.url, dataDir: '/nonexistent', timeouts: { statementMs: 300, connectMs: 2_000, idleInTransactionMs: 0 }, onError: (where) => errors.push(where) });
    try {
      await assert.rejects(db.query('SELECT pg_sleep(5)'), (err: { code?: string }) => err.code === '57014', 'cancelled by statement_timeout (SQLSTATE 57014)');
      await assert.rejects(db.transaction(async (tx) => tx.query('SELECT pg_sleep(5)')), (err: { code?: string }) => err.code === '57014');
      assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }]);

      // An idle pooled connection killed by the server is counted, and the next query reconnects.
      await db.query('SELECT 1');
      const admin = await openDatabase({ databaseUrl: pg.url, dataDir: '/nonexistent' });
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      await admin.close();
      await waitUntil(() => errors.includes('db_idle_client'), 10_000, 'the lost idle connection is reported');
      assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
      await pg.drop();
    }
  });

  test('PostgreSQL: a connection killed inside a transaction fails that transaction only; the pool never hands the broken client out again', async () => {
    const pg = await freshPostgres();
    const errors: string[] = [];
    // One pooled connection: whatever the next query runs on is what the pool handed out.
    const db = await openDatabase({ databaseUrl: pg.url, dataDir: '/nonexistent', poolSize: 1, onError: (where) => errors.push(where) });
    const admin = await openDatabase({ databaseUrl: pg.url, dataDir: '/nonexistent' });
    try {
      await db.query('CREATE TABLE kept (n int)');
      let killed = 0;
      await assert.rejects(db.transaction(async (tx) => {
        await tx.query('INSERT INTO kept VALUES (1)');
        killed = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
        await admin.query('SELECT pg_terminate_backend($1)', [killed]);
        await tx.query('INSERT INTO kept VALUES (2)');
      }));
      assert.ok(errors.includes('db_rollback'), `the failed ROLLBACK is reported (${errors.join(', ')})`);
      const next = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      assert.notEqual(next.rows[0]?.pid, killed, 'a fresh connection, not the killed one');
      await db.transaction(async (tx) => tx.query('INSERT INTO kept VALUES (3)'));
      assert.deepEqual((await db.query<{ n: number }>('SELECT n FROM kept')).rows, [{ n: 3 }], 'nothing of the killed transaction stayed');
    } finally {
      await admin.close();
      await db.close();
      await pg.drop();
    }
  });

  test('PostgreSQL: a server that accepts and never answers fails the start after the connect timeout', async () => {
    const silent = await silentServer();
    try {
      const opening = openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${silent.port}/none`, dataDir: '/nonexistent', timeouts: { statementMs: 0, connectMs: 300, idleInTransactionMs: 0 } });
      const guard = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
      const outcome = await Promise.race([opening.then(() => 'opened', (err: Error) => err.message), guard]);
      assert.match(outcome, /timeout/i, 'the connect timeout ended the attempt');
    } finally {
      await silent.close();
    }
  });

  test('Redis down: scraping metrics still answers, counts efa_errors_total{where="queue_depth"} and a failed hand-over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'efa-ops-'));
    const env = { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: `redis://127.0.0.1:${await freePort()}`, EFA_RECEIVER_PORT: '0', EFA_REDIS_CONNECT_TIMEOUT_MS: '200', EFA_REDIS_COMMAND_TIMEOUT_MS: '300', LOG_LEVEL: 'silent', EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:9' };
    const rt = await createRuntime(loadConfig(env), env, { inProcessDelivery: false });
    try {
      const sample = (text: string, where: string) => Number(new RegExp(`^efa_errors_total\\{[^}]*where="${where}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const first = (await rt.metrics.text()).body;
      assert.equal(sample(first, 'queue_depth'), 1, 'the failed depth read is counted');
      assert.doesNotMatch(first, /^efa_queue_depth\{/m, 'no made-up depth while Redis is down');
      assert.equal(sample((await rt.metrics.text()).body, 'queue_depth'), 2, 'every failed scrape counts');

      rt.dispatch('00000000-0000-4000-8000-000000000001');
      await waitUntil(async () => sample((await rt.metrics.text()).body, 'dispatch') === 1, 10_000, 'the failed hand-over is counted');
    } finally {
      await rt.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
