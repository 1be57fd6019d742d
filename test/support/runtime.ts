import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/env.js';
import { readJsonFile } from '../../src/core/declarations.js';
import { buildApp } from '../../src/http/app.js';
import { Inbox } from '../../src/receivers/inbox.js';
import { buildReceiverServer } from '../../src/receivers/server.js';
import type { ReceiverAuthority } from '../../src/receivers/types.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { freshPostgres } from './database.js';

export interface TestStack {
  url: string;
  rt: Runtime;
  app: FastifyInstance;
  inbox: Inbox;
  receiverUrl: string;
  close(): Promise<void>;
}

/**
 * The whole runtime as `npm start` runs it, on ephemeral ports: the real HTTP app, the database
 * (fresh PostgreSQL database, or PGlite in a temp dir), in-process delivery and the local receiver
 * holding the demo authorities' private keys.
 */
export async function startStack(opts: { database: 'postgres' | 'pglite'; env?: Record<string, string> }): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'efa-test-'));
  const pgdb = opts.database === 'postgres' ? await freshPostgres() : undefined;
  const inbox = new Inbox();
  const authorities = new Map<string, ReceiverAuthority>();
  for (const id of ['gewerbeamt-kiel', 'kreis-segeberg', 'land-sh', 'stadt-koeln', 'rhein-sieg-kreis', 'land-nw', 'kvr-muenchen', 'landkreis-muenchen', 'land-by']) {
    authorities.set(id, { id, name: id, ...(readJsonFile(join('routing', 'demo-private', `${id}.json`)) as Pick<ReceiverAuthority, 'decryptionKey' | 'signingKey'>) });
  }
  const trusted: { key?: import('jose').JWK } = {};
  const receiver = await buildReceiverServer({ authorities, inbox, senderKeys: async () => (trusted.key ? [trusted.key] : []) });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;

  const env: Record<string, string | undefined> = { DATA_DIR: dataDir, EFA_RECEIVER_PORT: '0', EFA_RATE_LIMIT: '100000', LOG_LEVEL: 'silent', ...(pgdb ? { DATABASE_URL: pgdb.url } : { DATABASE_URL: '' }), ...opts.env };
  const config = loadConfig(env);
  const rt = await createRuntime(config, { ...env, EFA_DEMO_RECEIVER_URL: receiverUrl }, { inProcessDelivery: true });
  trusted.key = rt.secrets.sender.publicJwk;
  const app = await buildApp(rt);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url, rt, app, inbox, receiverUrl,
    async close() {
      await app.close();
      await rt.close();
      await receiver.close();
      await pgdb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
