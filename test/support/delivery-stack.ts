import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/env.js';
import { generateSigningKeyPair } from '../../src/crypto/keys.js';
import { buildApp } from '../../src/http/app.js';
import { Inbox } from '../../src/demo/receivers/inbox.js';
import { buildReceiverServer } from '../../src/demo/receivers/server.js';
import { DEMO_FIT_CONNECT_SECRET_ENV, demoFitConnectClients, loadDemoAuthorities } from '../../src/demo/authorities.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { resolveResponsible, storeSubmission } from '../../src/submissions/submit.js';
import { freshPostgres } from './database.js';
import { FaultProxy, TcpProxy } from './faults.js';
import { killAllWorkerProcesses, startWorkerProcess, type WorkerProcess } from './processes.js';
import { newLogicContext } from '../../src/services/context.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails naming `what` and the last `describe()` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, describe?: () => Promise<string> | string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${describe ? ` (${await describe()})` : ''}`);
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DeliveryStack {
  /** The API (`efa serve` role: enqueues, does not deliver) on an ephemeral port. */
  url: string;
  rt: Runtime;
  app: FastifyInstance;
  /** The demo authorities' receiver (in this process): the authority side's effects. */
  inbox: Inbox;
  /** Between the runtime and the receiver: EFA_DEMO_RECEIVER_URL points here. */
  authority: FaultProxy;
  /** Between API/workers and Redis, if asked for (`redisProxy: true`). */
  redisProxy?: TcpProxy;
  prefix: string;
  /** The environment a worker child process gets (DATABASE_URL, REDIS_URL, prefix, keys, settings). */
  workerEnv: Record<string, string>;
  /** Every worker process started for this stack, in order. */
  workers: WorkerProcess[];
  startWorker(name: string, env?: Record<string, string>, args?: string[]): Promise<WorkerProcess>;
  /** Stores Kiel applications (webhook) the way the submit route does, without HTTP; `dispatch` hands each to the queue as the route does. */
  storeMany(n: number, opts: { dispatch: boolean }): Promise<string[]>;
  statuses(ids: string[]): Promise<Map<string, string>>;
  countStatus(ids: string[], status: string): Promise<number>;
  /** A bearer token of the development operator (all admin scopes) from the API's token endpoint. */
  operatorToken(scope?: string): Promise<string>;
  close(): Promise<void>;
}

/** One Kiel application (Gewerbeanmeldung, sole proprietor) as the form produces it; `anschrift` moves it elsewhere. */
export function kielApplication(anschrift: { plz: string; ort: string; ars: string } = { plz: '24103', ort: 'Kiel', ars: '010020000000' }): Record<string, unknown> {
  return {
    inhaber: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1985-05-12', staatsangehoerigkeit: '000', email: 'erika@example.org' },
    betrieb: { name: 'Bäckerei Mustermann', rechtsform: 'einzelunternehmen', anzeigegrund: 'neuerrichtung', anschrift: { strasse: 'Holstenstraße', hausnummer: '1', ...anschrift } },
    taetigkeit: { beschreibung: 'Einzelhandel mit Backwaren und Konditoreiwaren', wirtschaftszweig: '47240', betriebsart: 'handel', beginn: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), nebenerwerb: false, beschaeftigte: 2 },
  };
}

/**
 * The production topology on one machine, for one test: a fresh PostgreSQL database, a random
 * EFA_QUEUE_PREFIX on the real Redis (optionally behind a TCP proxy that can be cut), the API
 * with REDIS_URL and without in-process delivery, the demo receiver behind a fault proxy, and
 * `efa worker` child processes started on demand with the same database, Redis, prefix and keys.
 */
export async function startDeliveryStack(opts: { env?: Record<string, string>; redisProxy?: boolean } = {}): Promise<DeliveryStack> {
  const realRedis = process.env.REDIS_URL;
  if (!realRedis) throw new Error('REDIS_URL is not set: these tests need a Redis server (e.g. REDIS_URL=redis://127.0.0.1:6379)');
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error(`delivery stack cleanup: ${err instanceof Error ? err.message : String(err)}`));
  };
  try {
    const prefix = `efa-test-${randomBytes(5).toString('hex')}`;
    cleanups.push(() => deleteRedisKeys(realRedis, prefix));
    const pgdb = await freshPostgres();
    cleanups.push(() => pgdb.drop());
    const dataDir = mkdtempSync(join(tmpdir(), 'efa-workers-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

    // API and workers sign as one runtime: a fixed key, which the receiver trusts.
    const signing = await generateSigningKeyPair();
    const inbox = new Inbox();
    // The FIT-Connect service's OAuth2 clients, known once the runtime has read the directory.
    const fitConnectClients = new Map<string, string>();
    const receiver = await buildReceiverServer({ authorities: loadDemoAuthorities('.'), inbox, senderKeys: async () => [signing.publicJwk], clients: fitConnectClients });
    await receiver.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => receiver.close());
    const authority = new FaultProxy(`http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`);
    await authority.start();
    cleanups.push(() => authority.close());

    let redisUrl = realRedis;
    let redisProxy: TcpProxy | undefined;
    if (opts.redisProxy) {
      redisProxy = TcpProxy.forUrl(realRedis);
      await redisProxy.open();
      cleanups.push(() => (redisProxy as TcpProxy).close());
      redisUrl = redisProxy.urlLike(realRedis);
    }

    const env: Record<string, string> = {
      DATABASE_URL: pgdb.url,
      REDIS_URL: redisUrl,
      EFA_QUEUE_PREFIX: prefix,
      EFA_SECRET: randomBytes(32).toString('base64url'),
      EFA_SIGNING_KEY: JSON.stringify(signing.privateJwk),
      DATA_DIR: dataDir,
      EFA_RECEIVER_PORT: '0',
      EFA_WORKER_PORT: '0',
      EFA_RATE_LIMIT: '100000',
      LOG_LEVEL: 'silent',
      EFA_DEMO_RECEIVER_URL: authority.url,
      [DEMO_FIT_CONNECT_SECRET_ENV]: randomBytes(16).toString('hex'),
      ...opts.env,
    };
    const rt = await createRuntime(loadConfig(env), env, { inProcessDelivery: false });
    cleanups.push(() => rt.close());
    if (!rt.queue) throw new Error('the API runtime has no delivery queue: REDIS_URL was not taken up');
    for (const [id, secret] of demoFitConnectClients(rt.routing.directory.values(), env)) fitConnectClients.set(id, secret);
    const app = await buildApp(rt);
    await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    // Workers go first on the way down (they use the database and Redis).
    cleanups.push(() => killAllWorkerProcesses());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const service = rt.services.get('gewerbeanmeldung');
    if (!service) throw new Error('service gewerbeanmeldung missing');
    const data = kielApplication();
    const logicCtx = newLogicContext(rt.tenants.get('sh')?.parameters.get('gewerbeanmeldung') ?? {}, 'sh', new Date().toISOString().slice(0, 10));

    const workers: WorkerProcess[] = [];
    const stack: DeliveryStack = {
      url, rt, app, inbox, authority, redisProxy, prefix, workerEnv: env, workers,
      async startWorker(name, extra = {}, args = []) {
        const proc = await startWorkerProcess(name, { ...env, ...extra }, args);
        workers.push(proc);
        return proc;
      },
      async storeMany(n, { dispatch }) {
        const responsible = resolveResponsible(rt.routing, service, data);
        if (responsible.endpoint.transport !== 'webhook') throw new Error(`expected Kiel's webhook, got ${responsible.endpoint.transport}`);
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const record = await storeSubmission(rt.db, { tenant: 'sh', service, data, logicCtx, responsible });
          ids.push(record.id);
          if (dispatch) rt.dispatch(record.id);
        }
        return ids;
      },
      async statuses(ids) {
        const { rows } = await rt.db.query<{ id: string; status: string }>('SELECT id, status FROM submissions WHERE id = ANY($1::uuid[])', [ids]);
        return new Map(rows.map((r) => [r.id, r.status]));
      },
      async countStatus(ids, status) {
        const { rows } = await rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submissions WHERE id = ANY($1::uuid[]) AND status = $2', [ids, status]);
        return Number(rows[0]?.n ?? 0);
      },
      async operatorToken(scope) {
        const dev = rt.devCredentials;
        if (!dev) throw new Error('no development operator credentials');
        const res = await fetch(`${url}/_efa/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
        });
        if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { access_token: string }).access_token;
      },
      close,
    };
    return stack;
  } catch (err) {
    await close();
    throw err;
  }
}

/** Deletes every Redis key under `prefix:` (the queue of one test), straight on the real Redis. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let deleted = 0;
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}

export async function redisKeyCount(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
}
