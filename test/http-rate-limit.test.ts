/**
 * Who a client is (its address, as the peer or a configured proxy says) and how often it may ask:
 * a forged X-Forwarded-For no longer buys a fresh rate-limit bucket nor a false address in the
 * logs, the counters are shared by API replicas through Redis, and probes are never limited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config, type GuardSettings } from '../src/config/env.js';
import { buildApp } from '../src/http/app.js';
import type { Runtime } from '../src/runtime.js';
import { deleteRedisKeys, redisKeyCount } from './support/delivery-stack.js';
import { startStack, type TestStack } from './support/runtime.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface RunningApp {
  url: string;
  app: FastifyInstance;
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>;
}

describe('rate limit and client address', () => {
  let stack: TestStack;
  let page: string;
  const apps: FastifyInstance[] = [];
  const prefixes: string[] = [];

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    page = `/${[...stack.rt.tenants.keys()][0]}/`;
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const prefix of prefixes) await deleteRedisKeys(REDIS_URL, prefix);
    await stack.close();
  });

  /** Another API replica on the same runtime, with its own settings and a log that the test reads. */
  async function replica(settings: Partial<Config>, guard: Partial<GuardSettings> = {}): Promise<RunningApp> {
    const logs: Array<Record<string, unknown>> = [];
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>); done(); } });
    const config = { ...stack.rt.config, ...settings, guard: { ...stack.rt.config.guard, ...guard } };
    const app = await buildApp({ ...stack.rt, config } as Runtime, { logger: { level: 'info', stream } });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app, logs };
  }

  async function status(base: string, path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<number> {
    const res = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) }, redirect: 'manual' });
    await res.arrayBuffer();
    return res.status;
  }

  const remoteAddresses = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l.msg === 'incoming request').map((l) => (l.req as { remoteAddress?: string }).remoteAddress);

  test('from an untrusted peer, a rotated X-Forwarded-For does not reset the limit, and the logs record the real address', async () => {
    const { url, logs } = await replica({ rateLimitPerMinute: 5 }, { trustProxy: false });
    const answers: number[] = [];
    for (let i = 1; i <= 8; i++) answers.push(await status(url, page, { 'x-forwarded-for': `203.0.113.${i}` }));
    assert.deepEqual(answers, [200, 200, 200, 200, 200, 429, 429, 429]);
    const seen = remoteAddresses(logs);
    assert.equal(seen.length, 8);
    assert.ok(seen.every((a) => a === '127.0.0.1'), `logged addresses: ${seen.join(', ')}`);
  });

  test('the token endpoint: 40 failed requests with a rotated X-Forwarded-For are limited from the 31st', async () => {
    const { url } = await replica({ rateLimitPerMinute: 1000 }, { trustProxy: false });
    const answers: number[] = [];
    for (let i = 1; i <= 40; i++) {
      answers.push(await status(url, '/_efa/oauth/token', { 'x-forwarded-for': `198.51.100.${i}` }, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('nobody:wrong').toString('base64')}` }, body: 'grant_type=client_credentials',
      }));
    }
    assert.deepEqual(answers.slice(0, 30), Array(30).fill(401));
    assert.deepEqual(answers.slice(30), Array(10).fill(429));
  });

  test('behind a trusted proxy (by address), the forwarded client counts and is logged', async () => {
    const { url, logs } = await replica({ rateLimitPerMinute: 3 }, { trustProxy: ['127.0.0.1/32'] });
    const rotated: number[] = [];
    for (let i = 1; i <= 5; i++) rotated.push(await status(url, page, { 'x-forwarded-for': `192.0.2.${i}` }));
    assert.deepEqual(rotated, [200, 200, 200, 200, 200], 'five clients, one request each');
    const same: number[] = [];
    for (let i = 1; i <= 5; i++) same.push(await status(url, page, { 'x-forwarded-for': '192.0.2.200' }));
    assert.deepEqual(same, [200, 200, 200, 429, 429], 'one client, limited');
    assert.deepEqual(remoteAddresses(logs).slice(0, 5), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
  });

  test('with a hop count, only the entry the trusted proxy added counts: what the client wrote in front is ignored', async () => {
    const { url, logs } = await replica({ rateLimitPerMinute: 3 }, { trustProxy: 1 });
    const answers: number[] = [];
    for (let i = 1; i <= 5; i++) answers.push(await status(url, page, { 'x-forwarded-for': `10.9.9.${i}, 192.0.2.77` }));
    assert.deepEqual(answers, [200, 200, 200, 429, 429]);
    assert.ok(remoteAddresses(logs).every((a) => a === '192.0.2.77'));
  });

  test('two API replicas on one Redis prefix share the counters', async () => {
    const prefix = `efa-test-rl-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    const shared = { rateLimitPerMinute: 6, redisUrl: REDIS_URL, delivery: { ...stack.rt.config.delivery, queuePrefix: prefix } };
    const a = await replica(shared);
    const b = await replica(shared);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push(await status(i % 2 === 0 ? a.url : b.url, page));
    assert.deepEqual(answers, Array(6).fill(200), 'six requests in all, three per replica');
    assert.equal(await status(a.url, page), 429, 'the seventh, on A, counts B\'s too');
    assert.equal(await status(b.url, page), 429, 'and B counts A\'s');
    assert.ok(await redisKeyCount(REDIS_URL, prefix) >= 1, 'the counter lives in Redis under the installation\'s prefix');

    // Another prefix is another installation: its counters start at zero.
    const otherPrefix = `efa-test-rl-${randomBytes(4).toString('hex')}`;
    prefixes.push(otherPrefix);
    const other = await replica({ ...shared, delivery: { ...shared.delivery, queuePrefix: otherPrefix } });
    assert.equal(await status(other.url, page), 200);
  });

  test('a Redis that accepts connections and never answers: the start gives up after EFA_REDIS_CONNECT_TIMEOUT_MS, and pages are served', async () => {
    const silent = await silentServer();
    try {
      const redisUrl = `redis://127.0.0.1:${silent.port}`;
      // The command timeout is far off, so only the connect timeout can end the start.
      const ops = { ...stack.rt.config.ops, redisConnectTimeoutMs: 300, redisCommandTimeoutMs: 600_000 };
      const guard = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
      const started = await Promise.race([replica({ rateLimitPerMinute: 5, redisUrl, ops }), guard]);
      assert.notEqual(started, 'hung', 'the API started');
      const { url, logs } = started as RunningApp;
      const warning = logs.find((l) => l.msg === 'rate limit: Redis not reachable at start; retrying in the background');
      assert.equal(warning?.code, 'EFA_REDIS_TIMEOUT');
      assert.match(String(warning?.err), /\(connect\) within 300 ms/);
      assert.equal(await status(url, page), 200, 'the limit is not enforced while Redis does not answer; the applicant is served');
    } finally {
      await silent.close();
    }
  });

  test('health and metrics are never rate limited', async () => {
    const { url } = await replica({ rateLimitPerMinute: 2 });
    for (const path of ['/_efa/health/live', '/_efa/health/ready', '/_efa/metrics']) {
      const answers: number[] = [];
      for (let i = 0; i < 6; i++) answers.push(await status(url, path));
      assert.ok(!answers.includes(429), `${path}: ${answers.join(', ')}`);
    }
    assert.deepEqual([await status(url, page), await status(url, page), await status(url, page)], [200, 200, 429], 'pages still are');
  });
});

/** A TCP server that accepts connections and never says a word: a Redis that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
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

describe('EFA_TRUST_PROXY and the other abuse settings', () => {
  test('parsed or refused with a message naming the variable', () => {
    assert.equal(loadConfig({}).guard.trustProxy, false, 'no proxy is trusted by default');
    assert.equal(loadConfig({ NODE_ENV: 'production', EFA_SECRET: 'x'.repeat(40), EFA_SIGNING_KEY: '{}' }).guard.trustProxy, false, 'nor in production');
    assert.equal(loadConfig({ EFA_TRUST_PROXY: '2' }).guard.trustProxy, 2);
    assert.deepEqual(loadConfig({ EFA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8,loopback' }).guard.trustProxy, ['10.0.0.0/8', '127.0.0.1', 'fd00::/8', 'loopback']);
    assert.throws(() => loadConfig({ EFA_TRUST_PROXY: 'true' }), /EFA_TRUST_PROXY=true would trust any X-Forwarded-For/);
    assert.throws(() => loadConfig({ EFA_TRUST_PROXY: '10.0.0.0/33' }), /EFA_TRUST_PROXY: "10.0.0.0\/33" is not an IP address or CIDR range/);
    assert.throws(() => loadConfig({ EFA_TRUST_PROXY: 'proxy.internal' }), /EFA_TRUST_PROXY: "proxy.internal"/);
    assert.equal(loadConfig({}).guard.allowPrivateTargets, true, 'development reaches local receivers');
    assert.equal(loadConfig({ NODE_ENV: 'production', EFA_SECRET: 'x'.repeat(40), EFA_SIGNING_KEY: '{}' }).guard.allowPrivateTargets, false, 'production does not');
    assert.throws(() => loadConfig({ EFA_OUTBOUND_MAX_BODY_BYTES: '10' }), /EFA_OUTBOUND_MAX_BODY_BYTES=10 is outside/);
    assert.throws(() => loadConfig({ EFA_DRAFT_KEYS: `${'k'.repeat(40)},short` }), /EFA_DRAFT_KEYS: key 2 has 5 characters/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', EFA_SIGNING_KEY: '{}' }), /EFA_SECRET is required in production/);
    const lists = { EFA_COOKIE_KEYS: 'c'.repeat(32), EFA_TOKEN_KEYS: 't'.repeat(32), EFA_DRAFT_KEYS: 'd'.repeat(32) };
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'production', EFA_SIGNING_KEY: '{}', ...lists }), 'three key lists replace EFA_SECRET');
  });
});
