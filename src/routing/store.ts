import { createHash } from 'node:crypto';
import type { ServiceFormats } from '../core/formats.js';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, EfaError, NotFoundError } from '../core/errors.js';
import type { Database } from '../storage/db.js';
import type { CompileOptions, CompiledRouting } from './compile.js';
import { compileAnywhere, DEFAULT_WORKER_ROWS, type CompileProgress } from './compile-thread.js';
import { locatedDocument, type LocatedDocument, type RoutingDocument } from './document.js';
import { compileSeed, type RoutingData, type RoutingVersionInfo } from './load.js';
import { checkPublicTargets } from './targets.js';
import { canonicalJson, documentRows, liveRows, readRowDocument, storeVersionRows } from './rows.js';
import { ProblemList, RoutingVersionConflictError, type Problem } from './problems.js';

/** pg_notify channel: its payload is the new version number. */
export const ROUTING_CHANNEL = 'efa_routing';
/** Serialises writers across processes, so two changes never both build on the same version. */
const WRITE_LOCK = 0x45_46_41_52; // "EFAR"
const DEFAULT_POLL_MS = 5_000;
const MAX_RETRY_MS = 30_000;

export interface RoutingStoreOptions {
  db: Database;
  root: string;
  formatsDir: string;
  env: Record<string, string | undefined>;
  /** PostgreSQL URL for LISTEN; absent with PGlite, where this process is the only writer. */
  databaseUrl?: string;
  /** How often to ask for a newer version (the safety net under LISTEN); 0: never. */
  pollMs: number;
  current(): RoutingData;
  install(routing: RoutingData): void;
  log?(message: string): void;
  /** Counts errors the store survives (the LISTEN connection lost; polling covers the gap). */
  onError?(where: string, err: unknown): void;
  /** Datasets with at least this many rows compile in a worker thread (EFA_ROUTING_WORKER_ROWS); default 20000. */
  workerRows?: number;
  /** The services' message mappings: a new version whose entry asks for a format a service lacks is refused. */
  messageFormats?: ServiceFormats;
}

export interface Counts {
  authorities: number;
  responsibilities: number;
  directory: number;
}

export interface VersionSummary extends Counts {
  version: number;
  createdAt: string;
  createdBy: string;
  comment?: string;
  sha256: string;
  /** Rows this version wrote (inserted and closed); absent for versions stored as one document. */
  rowsWritten?: number;
}

export interface WriteMeta {
  by: string;
  comment?: string;
  /** Refuse (412) unless the newest version is this one: the caller's If-Match. */
  expectVersion?: number;
  dryRun?: boolean;
}

export interface WriteResult {
  /** The new version; with dryRun or an unchanged dataset, the version it was checked against. */
  version: number;
  created: boolean;
  createdAt?: string;
  counts: Counts;
  warnings: Problem[];
  /** What the new version stored: rows written (changed rows inserted, replaced ones closed) and rows shared with the version before. */
  stored?: { rowsWritten: number; rowsShared: number };
}

interface VersionRow {
  version: number;
  /** Versions stored before migration 900 only; the others are rows in routing_rows. */
  document: RoutingDocument | null;
  sha256: string;
  created_at: Date | string;
  created_by: string;
  comment: string | null;
}

/**
 * The routing dataset's versions in PostgreSQL and this process's view of them. Every write
 * validates the complete result first and then stores it as a new version in one transaction;
 * every process builds its index from the newest version it can compile and swaps it in whole,
 * so a lookup sees either the old or the new dataset, never a mixture.
 */
export class RoutingStore {
  private seed?: CompiledRouting;
  private timer?: NodeJS.Timeout;
  private listener?: pg.Client;
  private retryMs = 1_000;
  private retryTimer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private stopped = false;
  /** A version this process could not compile: reported once, not again on every poll. */
  private failed?: number;
  private outage = false;
  private compiling?: CompileProgress;
  private readonly onSighup = () => {
    this.reload().catch((err: unknown) => this.log(`SIGHUP reload failed, the data in force stays: ${message(err)}`));
  };

  constructor(private readonly opts: RoutingStoreOptions) {}

  /** A compile running in a worker thread right now, if any: the API answers meanwhile. */
  compileInProgress(): CompileProgress | undefined {
    return this.compiling;
  }

  /** Puts the newest stored version in force (or the seed when there is none) and starts watching. */
  async start(): Promise<void> {
    const latest = await this.latestVersion();
    if (latest > 0) this.install(await this.compileVersion(latest));
    else this.reloadSeed();
    if (this.opts.pollMs > 0) {
      this.timer = setInterval(() => void this.check(), this.opts.pollMs);
      this.timer.unref();
    }
    if (this.opts.databaseUrl) void this.listen();
    process.on('SIGHUP', this.onSighup);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    process.off('SIGHUP', this.onSighup);
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    await this.checking;
    await this.listener?.end().catch(() => undefined);
  }

  /** Re-reads what is authoritative: the newest stored version, or the seed files when there is none. */
  async reload(): Promise<RoutingVersionInfo> {
    const latest = await this.latestVersion();
    if (latest > 0) {
      const compiled = await this.compileVersion(latest);
      // A write may have put a newer version in force while this one compiled: never go back.
      this.install(compiled, (compiled.version?.version ?? 0) >= this.inForce());
    }
    else this.reloadSeed();
    return this.opts.current().version as RoutingVersionInfo;
  }

  /** Looks for a newer version and puts it in force; what fails is logged once and retried later. */
  async check(): Promise<void> {
    if (this.checking || this.stopped) return this.checking;
    this.checking = (async () => {
      try {
        const latest = await this.latestVersion();
        if (this.outage) this.log('database reachable again');
        this.outage = false;
        if (latest <= this.inForce() || latest === this.failed) return;
        this.install(await this.compileVersion(latest));
      } catch (err) {
        if (err instanceof VersionUnusable) {
          if (this.failed !== err.version) this.log(`version ${err.version} cannot be used by this process, version ${this.inForce()} stays in force: ${message(err.cause)}`);
          this.failed = err.version;
        } else if (!this.outage) {
          this.outage = true;
          this.log(`cannot look for new routing versions: ${message(err)}`);
        }
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /**
   * Validates and stores a change as a new version. `change` builds the complete new dataset
   * from the newest one (read under the write lock); any problem rolls everything back.
   */
  async write(change: (base: LocatedDocument, problems: ProblemList) => LocatedDocument, meta: WriteMeta): Promise<WriteResult> {
    const outcome = await this.opts.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const { rows } = await tx.query<VersionRow>('SELECT version, document, sha256, created_at, created_by, comment FROM routing_versions ORDER BY version DESC LIMIT 1');
      const newest = rows[0];
      const baseVersion = newest?.version ?? 0;
      if (meta.expectVersion !== undefined && meta.expectVersion !== baseVersion) throw new RoutingVersionConflictError(meta.expectVersion, baseVersion);
      // The newest version's rows are what the new one is stored against (none before the first row-stored version).
      const live = await liveRows(tx);
      const baseDocument = newest ? newest.document ?? live.document : this.seedCompiled().document;
      const base = locatedDocument(baseDocument, newest ? `version ${newest.version}` : 'seed');
      const problems = new ProblemList();
      const next = change(base, problems);
      problems.throwIfAny();
      const compiled = await this.compile(next, { env: this.opts.env, routingDir: join(this.opts.root, 'routing'), ...(this.opts.messageFormats ? { messageFormats: this.opts.messageFormats } : {}) });
      await checkPublicTargets(next, compiled.routing, problems);
      problems.throwIfAny();
      const text = canonicalJson(compiled.document);
      const sha256 = createHash('sha256').update(text).digest('hex');
      const counts = countsOf(compiled.document);
      if (meta.dryRun || (newest && newest.sha256 === sha256)) return { result: { version: baseVersion, created: false, counts, warnings: compiled.warnings } };
      const version = baseVersion + 1;
      const stored = await storeVersionRows(tx, version, live.tables, documentRows(compiled.document));
      const inserted = await tx.query<{ created_at: Date | string }>(
        `INSERT INTO routing_versions (version, document, sha256, authorities, responsibilities, directory, created_by, comment, rows_written)
         VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
        [version, sha256, counts.authorities, counts.responsibilities, counts.directory, meta.by, meta.comment ?? null, stored.written],
      );
      // Delivered on commit only, so no process reads a version that is not there yet.
      await tx.query('SELECT pg_notify($1, $2)', [ROUTING_CHANNEL, String(version)]);
      const createdAt = iso(inserted.rows[0]?.created_at ?? new Date());
      return { result: { version, created: true, createdAt, counts, warnings: compiled.warnings, stored: { rowsWritten: stored.written, rowsShared: stored.shared } }, compiled, info: { version, source: 'database' as const, createdAt, createdBy: meta.by, comment: meta.comment } };
    });
    if (outcome.compiled && outcome.info) this.install({ ...outcome.compiled.routing, version: { ...outcome.info, loadedAt: new Date().toISOString() } });
    return outcome.result;
  }

  /** A new version with the content of an older one: how a bad change is undone. */
  async restore(version: number, meta: WriteMeta): Promise<WriteResult> {
    const { document } = await this.row(version);
    return this.write(() => locatedDocument(document, `version ${version}`), { ...meta, comment: meta.comment ?? `restore of version ${version}` });
  }

  async versions(limit: number): Promise<VersionSummary[]> {
    const { rows } = await this.opts.db.query<Omit<VersionRow, 'document'> & Counts & { rows_written: number | null }>(
      'SELECT version, sha256, authorities, responsibilities, directory, created_at, created_by, comment, rows_written FROM routing_versions ORDER BY version DESC LIMIT $1', [limit]);
    return rows.map((r) => ({ version: r.version, createdAt: iso(r.created_at), createdBy: r.created_by, ...(r.comment ? { comment: r.comment } : {}), sha256: r.sha256, authorities: r.authorities, responsibilities: r.responsibilities, directory: r.directory, ...(r.rows_written !== null ? { rowsWritten: r.rows_written } : {}) }));
  }

  /** The stored form of a version, or of the data in force (the seed's is version 0). */
  async document(version?: number): Promise<{ version: number; document: RoutingDocument }> {
    const wanted = version ?? this.inForce();
    if (wanted === 0) return { version: 0, document: this.seedCompiled().document };
    return { version: wanted, document: (await this.row(wanted)).document };
  }

  async latestVersion(): Promise<number> {
    const { rows } = await this.opts.db.query<{ v: number | null }>('SELECT max(version) AS v FROM routing_versions');
    return rows[0]?.v ?? 0;
  }

  private inForce(): number {
    return this.opts.current().version?.version ?? 0;
  }

  /** A version with its document, from its rows or (stored before migration 900) its own column. */
  private async row(version: number): Promise<VersionRow & { document: RoutingDocument }> {
    const { rows } = await this.opts.db.query<VersionRow>('SELECT version, document, sha256, created_at, created_by, comment FROM routing_versions WHERE version = $1', [version]);
    const row = rows[0];
    if (!row) throw new NotFoundError(`there is no routing version ${version}`);
    return { ...row, document: row.document ?? (await readRowDocument(this.opts.db, version)) };
  }

  private compile(input: LocatedDocument, opts: CompileOptions): Promise<CompiledRouting> {
    return compileAnywhere(input, opts, this.opts.workerRows ?? DEFAULT_WORKER_ROWS, (p) => { this.compiling = p; });
  }

  private async compileVersion(version: number): Promise<RoutingData> {
    const row = await this.row(version);
    let compiled: CompiledRouting;
    try {
      // No routing folder: a stored version must carry its keys, whatever files this process has.
      compiled = await this.compile(locatedDocument(row.document, `version ${version}`), { env: this.opts.env, requireVerificationKeys: false });
    } catch (err) {
      throw new VersionUnusable(version, err);
    }
    const createdAt = iso(row.created_at);
    return { ...compiled.routing, version: { version, source: 'database', createdAt, createdBy: row.created_by, ...(row.comment ? { comment: row.comment } : {}), loadedAt: new Date().toISOString() } };
  }

  private seedCompiled(): CompiledRouting {
    this.seed ??= compileSeed(this.opts.root, this.opts.formatsDir, this.opts.env);
    return this.seed;
  }

  /** Re-reads routing/*.json; on any problem the data in force stays and the error says why. */
  private reloadSeed(): void {
    const seed = compileSeed(this.opts.root, this.opts.formatsDir, this.opts.env);
    this.seed = seed;
    this.install({ ...seed.routing, version: { version: 0, source: 'seed', loadedAt: new Date().toISOString() } }, true);
  }

  /** Only forwards: a slow poll must not put back a version older than one a write installed. */
  private install(routing: RoutingData, force = false): void {
    const next = routing.version?.version ?? 0;
    if (!force && next <= this.inForce() && this.opts.current().version?.source === 'database') return;
    this.opts.install(routing);
    if (next === this.failed) this.failed = undefined;
  }

  /** LISTEN on a connection of its own; reconnects with backoff, polling covers the gap. */
  private async listen(): Promise<void> {
    if (this.stopped || !this.opts.databaseUrl) return;
    const client = new pg.Client({ connectionString: this.opts.databaseUrl });
    const retry = () => {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped || this.retryTimer) return;
      this.retryTimer = setTimeout(() => { this.retryTimer = undefined; void this.listen(); }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    };
    client.on('error', (err) => {
      this.opts.onError?.('routing_listen', err);
      retry();
    });
    client.on('notification', () => void this.check());
    try {
      await client.connect();
      await client.query(`LISTEN ${ROUTING_CHANNEL}`);
      if (this.stopped) return void (await client.end());
      this.listener = client;
      this.retryMs = 1_000;
      client.on('end', () => { if (!this.stopped) retry(); });
      // Whatever was written while we were not listening.
      await this.check();
    } catch (err) {
      this.opts.onError?.('routing_listen', err);
      retry();
    }
  }

  private log(text: string): void {
    (this.opts.log ?? ((m: string) => console.error(m)))(`efa: routing: ${text}`);
  }
}

/** A stored version this process cannot build (e.g. an address names a variable it lacks). */
class VersionUnusable extends EfaError {
  constructor(readonly version: number, override readonly cause: unknown) {
    super('EFA_ROUTING_VERSION_UNUSABLE', `routing version ${version} cannot be used by this process: ${message(cause)}`, 500);
  }
}

/** Creates the store from the runtime's configuration and puts the newest data in force. */
export async function startRoutingStore(deps: { db: Database; root: string; formatsDir: string; env: Record<string, string | undefined>; databaseUrl?: string; messageFormats?: ServiceFormats; current(): RoutingData; install(routing: RoutingData): void; onError?(where: string, err: unknown): void }): Promise<RoutingStore> {
  const store = new RoutingStore({ ...deps, pollMs: deps.databaseUrl ? pollInterval(deps.env) : 0, workerRows: workerRows(deps.env) });
  await store.start();
  return store;
}

/** EFA_ROUTING_WORKER_ROWS: from how many rows a dataset compiles in a worker thread; 0: always. */
function workerRows(env: Record<string, string | undefined>): number {
  const raw = env.EFA_ROUTING_WORKER_ROWS;
  if (raw === undefined || raw === '') return DEFAULT_WORKER_ROWS;
  if (!/^[0-9]{1,9}$/.test(raw)) throw new ConfigError(`EFA_ROUTING_WORKER_ROWS="${raw}" must be a number of rows (0: every dataset compiles in a worker)`);
  return Number(raw);
}

/** EFA_ROUTING_POLL_MS: how soon a process notices a version when a notification was missed. */
function pollInterval(env: Record<string, string | undefined>): number {
  const raw = env.EFA_ROUTING_POLL_MS;
  if (raw === undefined || raw === '') return DEFAULT_POLL_MS;
  if (!/^[0-9]+$/.test(raw) || Number(raw) > 3_600_000 || (Number(raw) > 0 && Number(raw) < 100)) throw new ConfigError(`EFA_ROUTING_POLL_MS="${raw}" must be 0 (off) or 100..3600000 milliseconds`);
  return Number(raw);
}

export function countsOf(doc: RoutingDocument): Counts {
  return { authorities: doc.authorities.length, responsibilities: doc.responsibilities.length, directory: doc.directory.length };
}

export { canonicalJson };

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
