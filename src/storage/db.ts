import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { OperationsSettings } from '../config/env.js';
import { buildTemplate, copyTemplate, currentStamp, findTemplate, templateCacheDir, type FoundTemplate } from './pglite-template.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Names a statement of the hot path: PostgreSQL parses and plans it once per pooled connection
   * and then only binds and executes it (a named prepared statement). One name, one SQL text.
   * Ignored by PGlite, which runs in this process.
   */
  name?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
}

/**
 * The one database interface the engine uses: real PostgreSQL through `pg` in production, PGlite
 * (PostgreSQL compiled to WASM, in-process) for the embedded default. Same SQL on both.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Limits against a slow or unreachable PostgreSQL (EFA_DB_* in docs/operations.md). PGlite runs in
 * this process and has neither connections nor a timer to cancel a statement, so they apply to
 * PostgreSQL only.
 */
export interface DatabaseTimeouts {
  /** statement_timeout of every pooled connection; 0 switches it off. */
  statementMs: number;
  /** Connecting, or waiting for a free pooled connection. */
  connectMs: number;
  /** idle_in_transaction_session_timeout; 0 switches it off. */
  idleInTransactionMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DatabaseTimeouts = { statementMs: 30_000, connectMs: 5_000, idleInTransactionMs: 60_000 };

export function databaseTimeouts(ops: Pick<OperationsSettings, 'dbStatementTimeoutMs' | 'dbConnectTimeoutMs' | 'dbIdleInTransactionTimeoutMs'>): DatabaseTimeouts {
  return { statementMs: ops.dbStatementTimeoutMs, connectMs: ops.dbConnectTimeoutMs, idleInTransactionMs: ops.dbIdleInTransactionTimeoutMs };
}

/** Told about errors that must not stop the caller (a lost idle connection, a failed ROLLBACK). */
export type ErrorSink = (where: string, err: unknown) => void;

const logOnly: ErrorSink = (where, err) => console.error(`efa: ${where}: ${err instanceof Error ? err.message : String(err)}`);

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string; poolSize?: number; timeouts?: DatabaseTimeouts; onError?: ErrorSink }): Promise<Database> {
  const timeouts = opts.timeouts ?? DEFAULT_DB_TIMEOUTS;
  const onError = opts.onError ?? logOnly;
  const db = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10, timeouts, onError) : await openPglite(`${opts.dataDir}/pglite`, onError);
  try {
    await migrate(db, opts.databaseUrl, timeouts);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

function openPostgres(url: string, max: number, timeouts: DatabaseTimeouts, onError: ErrorSink): Database {
  const pool = new pg.Pool({
    connectionString: url, max,
    connectionTimeoutMillis: timeouts.connectMs,
    // Sent as startup parameters: the server enforces them, also when this process stalls.
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs } : {}),
    ...(timeouts.idleInTransactionMs > 0 ? { idle_in_transaction_session_timeout: timeouts.idleInTransactionMs } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => onError('db_idle_client', err));
  return {
    kind: 'postgres',
    async query<R>(sql: string, params?: unknown[], opts?: QueryOptions) {
      const r = await pool.query(opts?.name ? { name: opts.name, text: sql, values: params } : { text: sql, values: params });
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // The pool listens for errors of idle clients only: a checked-out client whose connection dies
      // would emit an unhandled 'error' and end the process.
      let broken = false;
      const onLost = (err: Error) => {
        broken = true;
        onError('db_lost_in_transaction', err);
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query<R>(sql: string, params?: unknown[], opts?: QueryOptions) {
            const r = await client.query(opts?.name ? { name: opts.name, text: sql, values: params } : { text: sql, values: params });
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // The transaction's own error is the one to report; a failed ROLLBACK (connection gone) is only counted.
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = true;
          onError('db_rollback', rollbackErr);
        });
        throw err;
      } finally {
        client.off('error', onLost);
        // A client whose ROLLBACK failed may still be inside the transaction: destroyed, never pooled.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dir: string, onError: ErrorSink): Promise<Database> {
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    try {
      copyTemplate(findTemplate(templateCacheDir(), currentStamp(MIGRATIONS_DIR)) ?? (await makePgliteTemplate()), dir);
    } catch (err) {
      // Without a template (cache not writable, a copy cut short) the database is created in place, as before.
      onError('pglite_template', err);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return openPgliteAt(dir);
}

/**
 * A current template of an empty migrated embedded database (src/storage/pglite-template.ts):
 * the one in the cache, or a new one. `npm run build` calls this so that the first start need not.
 */
export async function preparePgliteTemplate(): Promise<FoundTemplate & { built: boolean }> {
  const current = currentStamp(MIGRATIONS_DIR);
  const found = findTemplate(templateCacheDir(), current);
  if (found?.fit === 'current') return { ...found, built: false };
  return { ...(await makePgliteTemplate()), built: true };
}

function makePgliteTemplate(): Promise<FoundTemplate> {
  return buildTemplate(templateCacheDir(), currentStamp(MIGRATIONS_DIR), async (pgdata) => {
    const db = await openPgliteAt(pgdata);
    try {
      await migrate(db, undefined, DEFAULT_DB_TIMEOUTS);
    } finally {
      await db.close();
    }
  });
}

async function openPgliteAt(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  // Loaded only for the embedded database: a process with DATABASE_URL never needs it.
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = await PGlite.create(dir);
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      const r = await q.query<R>(sql, params);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const db: Database = {
    kind: 'pglite',
    ...wrap(lite),
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    close: () => lite.close(),
  };
  pgliteHandles.set(db, lite);
  return db;
}

const pgliteHandles = new WeakMap<Database, PGlite>();

/** Schema changes through node-pg-migrate, SQL files in ./migrations, on both engines. */
async function migrate(db: Database, databaseUrl: string | undefined, timeouts: DatabaseTimeouts): Promise<void> {
  // Most starts find every migration applied: one query then saves loading the migration library.
  if (!(await migrationsPending(db))) return;
  const { runner } = await import('node-pg-migrate');
  const common = { dir: MIGRATIONS_DIR, migrationsTable: 'pgmigrations', direction: 'up' as const, count: Infinity, log: () => undefined, logger: silentLogger };
  if (databaseUrl) {
    // A dedicated connection: the migration lock is a session-level advisory lock.
    // No statement timeout: a migration may rewrite a large table.
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeouts.connectMs });
    await client.connect();
    try {
      await runner({ ...common, dbClient: client, advisoryLockMode: 'wait' as never });
    } finally {
      await client.end();
    }
    return;
  }
  const lite = pgliteHandles.get(db);
  if (!lite) throw new Error('embedded database handle missing');
  // PGlite is one in-process connection: no other migrator can race it, so no lock is needed.
  await runner({ ...common, dbClient: pgliteClient(lite) as unknown as pg.ClientBase, noLock: true });
}

/** True unless the pgmigrations table lists every file in ./migrations (node-pg-migrate names them without .sql). */
async function migrationsPending(db: Database): Promise<boolean> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -'.sql'.length));
  const { rows: [table] } = await db.query<{ present: boolean }>(`SELECT to_regclass('pgmigrations') IS NOT NULL AS present`);
  if (!table?.present) return true;
  const { rows } = await db.query<{ name: string }>('SELECT name FROM pgmigrations');
  const applied = new Set(rows.map((r) => r.name));
  return files.some((f) => !applied.has(f));
}

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => console.error(...args) };

/**
 * The small slice of pg.Client that node-pg-migrate calls, backed by PGlite. A migration file is
 * many statements in one string, which only the simple-query protocol (PGlite's exec) accepts.
 */
function pgliteClient(lite: PGlite) {
  return {
    query: async (sql: string | { text: string; values?: unknown[] }, values?: unknown[]) => {
      const text = typeof sql === 'string' ? sql : sql.text;
      const params = typeof sql === 'string' ? values : sql.values;
      if (params && params.length > 0) {
        const r = await lite.query(text, params);
        return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      }
      const results = await lite.exec(text);
      const last = results[results.length - 1];
      return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
    },
  };
}
