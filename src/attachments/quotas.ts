import { Redis } from 'ioredis';
import type { UploadSettings } from '../config/env.js';
import type { Database } from '../storage/db.js';
import type { Refusal } from './store.js';

/** What one draft may hold: its service's declared file limits added up (see declaredLimits). */
export interface DraftLimits {
  bytes: number;
  files: number;
}

/** A file about to be stored: its pending row and what it may take at most. */
export interface Admission {
  id: string;
  draftId: string;
  filename: string;
  /** The file's own key, wrapped under the current draft key (AttachmentStore). */
  keyWrap: Buffer;
  /** Bytes reserved for it until its real size is known (the field's limit, or less if the request is smaller). */
  reserve: number;
  draft: DraftLimits;
  /** Stored files this post may replace: they do not count against the draft's limit. */
  replaceable: readonly string[];
}

/** pg_advisory_xact_lock key: admissions one at a time, so two uploads never both take the last room. */
const ADMIT_LOCK = 0x45_46_41_51; // "EFAQ"

/**
 * The storage quotas, checked before a file's first byte is stored: the draft's limits (from its
 * service's declarations, optionally lowered by EFA_DRAFT_MAX_BYTES) and the bytes of all drafts'
 * files together (EFA_DRAFT_STORE_MAX_BYTES). A pending upload counts with its reservation, so
 * uploads running at once cannot overrun either limit together.
 */
export class StorageQuotas {
  constructor(private readonly db: Database, private readonly settings: Pick<UploadSettings, 'draftMaxBytes' | 'storeMaxBytes'>) {}

  /** Inserts the pending row if the file fits, else says why not (and inserts nothing). */
  async admit(a: Admission): Promise<Refusal | undefined> {
    const draftBytes = this.settings.draftMaxBytes > 0 ? Math.min(a.draft.bytes, this.settings.draftMaxBytes) : a.draft.bytes;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADMIT_LOCK]);
      const { rows } = await tx.query<{ bytes: string; files: string; store: string | null }>(
        `SELECT coalesce(sum(size) FILTER (WHERE draft_id = $1 AND NOT (id = ANY($2::uuid[]))), 0)::text AS bytes,
                count(*) FILTER (WHERE draft_id = $1 AND NOT (id = ANY($2::uuid[])))::text AS files,
                CASE WHEN $3 THEN coalesce(sum(size), 0)::text END AS store
           FROM attachments WHERE ${this.settings.storeMaxBytes > 0 ? 'draft_id IS NOT NULL' : 'draft_id = $1'}`,
        [a.draftId, a.replaceable, this.settings.storeMaxBytes > 0],
      );
      const row = rows[0] as { bytes: string; files: string; store: string | null };
      if (Number(row.files) + 1 > a.draft.files || Number(row.bytes) + a.reserve > draftBytes) return { code: 'quota-draft', maxBytes: draftBytes, maxFiles: a.draft.files };
      if (row.store !== null && Number(row.store) + a.reserve > this.settings.storeMaxBytes) return { code: 'quota-store' };
      await tx.query(`INSERT INTO attachments (id, draft_id, state, filename, size, key_wrap) VALUES ($1, $2, 'pending', $3, $4, $5)`, [a.id, a.draftId, a.filename, a.reserve, a.keyWrap]);
      return undefined;
    });
  }
}

/** Bytes and files one client address uploaded in the current window. */
export interface ClientWindow {
  /** Takes bytes and files from the client's allowance; false (and nothing taken) if they do not fit. */
  take(client: string, bytes: number, files: number): Promise<boolean>;
  /** Gives back what a take reserved and the upload did not use. */
  give(client: string, bytes: number): Promise<void>;
  /** Milliseconds until the current window ends. */
  retryAfterMs(): number;
  close(): Promise<void>;
}

interface WindowLimits {
  maxBytes: number;
  maxFiles: number;
  windowMs: number;
}

/** A fixed window: the allowance renews at each multiple of the window length. */
function windowIndex(windowMs: number): number {
  return Math.floor(Date.now() / windowMs);
}

function retryAfter(windowMs: number): number {
  return windowMs - (Date.now() % windowMs);
}

/** One process alone (no REDIS_URL): counters in memory, dropped with their window. */
export class MemoryClientWindow implements ClientWindow {
  private window = -1;
  private counts = new Map<string, { bytes: number; files: number }>();

  constructor(private readonly limits: WindowLimits) {}

  private current(): Map<string, { bytes: number; files: number }> {
    const index = windowIndex(this.limits.windowMs);
    if (index !== this.window) {
      this.window = index;
      this.counts = new Map();
    }
    return this.counts;
  }

  async take(client: string, bytes: number, files: number): Promise<boolean> {
    const counts = this.current();
    const used = counts.get(client) ?? { bytes: 0, files: 0 };
    if (exceeds(this.limits, used.bytes + bytes, used.files + files)) return false;
    counts.set(client, { bytes: used.bytes + bytes, files: used.files + files });
    return true;
  }

  async give(client: string, bytes: number): Promise<void> {
    const used = this.current().get(client);
    if (used) used.bytes = Math.max(0, used.bytes - bytes);
  }

  retryAfterMs(): number {
    return retryAfter(this.limits.windowMs);
  }

  async close(): Promise<void> {}
}

function exceeds(limits: WindowLimits, bytes: number, files: number): boolean {
  return (limits.maxBytes > 0 && bytes > limits.maxBytes) || (limits.maxFiles > 0 && files > limits.maxFiles);
}

/** Adds to both counters and takes it back at once if either is over: one round trip, atomic. */
const TAKE = `
local b = redis.call('INCRBY', KEYS[1], ARGV[1])
local f = redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if (tonumber(ARGV[3]) > 0 and b > tonumber(ARGV[3])) or (tonumber(ARGV[4]) > 0 and f > tonumber(ARGV[4])) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  redis.call('DECRBY', KEYS[2], ARGV[2])
  return 0
end
return 1`;

type Log = { warn(obj: object, msg: string): void };

/**
 * With REDIS_URL: the counters live in Redis under "<EFA_QUEUE_PREFIX>:upload-quota:", so every API
 * replica counts a client's uploads together. Like the rate limit, an unreachable Redis lets the
 * upload through for that moment (logged) rather than refusing every applicant; the storage quotas
 * in PostgreSQL still hold.
 */
export class RedisClientWindow implements ClientWindow {
  private readonly redis: Redis;
  /** The first connection: an upload right after the start waits for it (at most the connect timeout). */
  private readonly connecting: Promise<void>;

  constructor(url: string, private readonly prefix: string, private readonly limits: WindowLimits, connectTimeoutMs: number, private readonly log: Log) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: connectTimeoutMs,
      retryStrategy: (times: number) => Math.min(200 * times, 5_000),
    });
    this.redis.on('error', (err: Error) => log.warn({ err: err.message }, 'upload quota: Redis unavailable'));
    this.connecting = this.redis.connect().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'upload quota: Redis not reachable at start; retrying in the background'));
  }

  private keys(client: string): [string, string] {
    const base = `${this.prefix}:upload-quota:${windowIndex(this.limits.windowMs)}:${client}`;
    return [`${base}:bytes`, `${base}:files`];
  }

  async take(client: string, bytes: number, files: number): Promise<boolean> {
    await this.connecting;
    try {
      const ok = await this.redis.eval(TAKE, 2, ...this.keys(client), bytes, files, this.limits.maxBytes, this.limits.maxFiles, this.limits.windowMs * 2);
      return ok === 1;
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'upload quota: Redis unavailable; upload let through');
      return true;
    }
  }

  async give(client: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    await this.redis.decrby(this.keys(client)[0], bytes).catch(() => undefined);
  }

  retryAfterMs(): number {
    return retryAfter(this.limits.windowMs);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export function clientWindow(settings: Pick<UploadSettings, 'clientMaxBytes' | 'clientMaxFiles' | 'clientWindowMs'>, redis: { url?: string; prefix: string; connectTimeoutMs: number }, log: Log): ClientWindow {
  const limits = { maxBytes: settings.clientMaxBytes, maxFiles: settings.clientMaxFiles, windowMs: settings.clientWindowMs };
  return redis.url ? new RedisClientWindow(redis.url, redis.prefix, limits, redis.connectTimeoutMs, log) : new MemoryClientWindow(limits);
}
