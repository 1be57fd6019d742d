import { ConfigError } from '../core/errors.js';
import { parseClamavAddress } from '../attachments/scanners/clamav.js';

export interface Config {
  production: boolean;
  host: string;
  port: number;
  databaseUrl?: string;
  redisUrl?: string;
  /** Where the embedded database, generated dev secrets and keys live. */
  dataDir: string;
  /** Project root holding services/, forms/, tenants/, routing/. */
  root: string;
  /** 32+ byte secret for cookies, CSRF and draft encryption; generated under dataDir in development. */
  secret?: string;
  /** The runtime's Ed25519 signing key as a private JWK (JSON); generated under dataDir in development. */
  signingKey?: string;
  /** Start the local authority receiver (demo) on this port; 0 switches it off. */
  receiverPort: number;
  /** Tenants by /<id>/ path prefix as well as by host (development). */
  pathTenants: boolean;
  draftTtlDays: number;
  rateLimitPerMinute: number;
  deliveryTimeoutMs: number;
  /** Per-transport timeouts (EFA_DELIVERY_TIMEOUT_MS_<TRANSPORT>), overriding deliveryTimeoutMs. */
  transportTimeoutsMs: Record<string, number>;
  delivery: DeliverySettings;
  logLevel: string;
  /** JSON file with the API clients (operators, authorities) and their scopes; see schemas/api-clients.schema.json. */
  apiClientsFile?: string;
  uploads: UploadSettings;
}

/** File uploads: the per-file ceiling and the virus scanner (see docs/operations.md). */
export interface UploadSettings {
  /** No file may be larger, whatever a form declares (EFA_UPLOAD_MAX_BYTES). */
  maxBytes: number;
  /** clamd's address (EFA_CLAMAV=host:port); without it uploads are not scanned. */
  clamav?: { host: string; port: number };
  scanTimeoutMs: number;
  /** EFA_UPLOAD_SCAN=off: production runs file fields without a scanner on purpose. */
  scanDisabled: boolean;
}

function uploadSettings(env: Env): UploadSettings {
  const raw = env.EFA_CLAMAV;
  const clamav = raw ? parseClamavAddress(raw) : undefined;
  if (raw && !clamav) throw new ConfigError(`EFA_CLAMAV="${raw}" must be host:port, e.g. clamav:3310`);
  const scan = env.EFA_UPLOAD_SCAN ?? '';
  if (!['', 'on', 'off'].includes(scan)) throw new ConfigError(`EFA_UPLOAD_SCAN="${scan}" must be on or off`);
  if (scan === 'off' && clamav) throw new ConfigError('EFA_UPLOAD_SCAN=off contradicts EFA_CLAMAV: set one of them');
  return {
    maxBytes: int(env, 'EFA_UPLOAD_MAX_BYTES', 20 * 1024 * 1024, 1024, 500 * 1024 * 1024),
    clamav,
    scanTimeoutMs: int(env, 'EFA_CLAMAV_TIMEOUT_MS', 60_000, 100, 600_000),
    scanDisabled: scan === 'off',
  };
}

/** How delivery retries, scales and talks to Redis; the defaults suit production. */
export interface DeliverySettings {
  /** Attempts before a submission becomes a dead letter (status failed). */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, capped by backoffMaxMs, with jitter. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Deliveries one `efa worker` process runs at once. */
  concurrency: number;
  /** Prefix of every Redis key; separate installations (or test runs) on one Redis use different ones. */
  queuePrefix: string;
  /** A worker that stops renewing its job lock for this long is considered dead and its jobs go to others. */
  lockMs: number;
  /** How often the relay moves outbox entries that never reached Redis into the queue. */
  relayIntervalMs: number;
  /** Port of the worker's metrics and health endpoint; 0 switches it off. */
  workerPort: number;
}

type Env = Record<string, string | undefined>;

const TRANSPORT_TIMEOUT = /^EFA_DELIVERY_TIMEOUT_MS_([A-Z0-9_]+)$/;

function transportTimeouts(env: Env): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(env)) {
    const m = TRANSPORT_TIMEOUT.exec(name);
    if (m?.[1] && env[name]) out[m[1].toLowerCase().replace(/_/g, '-')] = int(env, name, 0, 100, 600_000);
  }
  return out;
}

function deliverySettings(env: Env): DeliverySettings {
  const backoffMs = int(env, 'EFA_DELIVERY_BACKOFF_MS', 5_000, 10, 3_600_000);
  const prefix = env.EFA_QUEUE_PREFIX || 'efa';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new ConfigError(`EFA_QUEUE_PREFIX="${prefix}" must be 1-64 of A-Z a-z 0-9 _ . -`);
  const settings: DeliverySettings = {
    // With the defaults, retries span 25 to 50 hours: an authority may be down for a day.
    maxAttempts: int(env, 'EFA_DELIVERY_MAX_ATTEMPTS', 36, 1, 1000),
    backoffMs,
    backoffMaxMs: int(env, 'EFA_DELIVERY_BACKOFF_MAX_MS', 2 * 3_600_000, 10, 24 * 3_600_000),
    concurrency: int(env, 'EFA_WORKER_CONCURRENCY', 10, 1, 1000),
    queuePrefix: prefix,
    lockMs: int(env, 'EFA_QUEUE_LOCK_MS', 30_000, 500, 600_000),
    relayIntervalMs: int(env, 'EFA_RELAY_INTERVAL_MS', 5_000, 50, 600_000),
    workerPort: int(env, 'EFA_WORKER_PORT', 9464, 0, 65535),
  };
  if (settings.backoffMaxMs < backoffMs) throw new ConfigError(`EFA_DELIVERY_BACKOFF_MAX_MS (${settings.backoffMaxMs}) must not be below EFA_DELIVERY_BACKOFF_MS (${backoffMs})`);
  return settings;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(`${name}="${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name}=${value} is outside ${min}..${max}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name}="${raw}" must be true or false`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (expected e.g. ${protocols[0]}//host:port/...)`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(`${name} must use ${protocols.join(' or ')}, not ${parsed.protocol}`);
  return raw;
}

/** Reads and validates the configuration; any wrong value stops startup with a message naming it. */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const host = env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  if (!/^[0-9a-zA-Z.:-]+$/.test(host)) throw new ConfigError(`HOST="${host}" is not a host name or address`);
  const secret = env.EFA_SECRET;
  if (secret !== undefined && Buffer.byteLength(secret) < 32) throw new ConfigError('EFA_SECRET must be at least 32 characters');
  if (production && !secret) throw new ConfigError('EFA_SECRET is required in production (NODE_ENV=production): 32+ random characters, the same on every replica');
  if (production && !env.EFA_SIGNING_KEY) throw new ConfigError('EFA_SIGNING_KEY is required in production: the runtime\'s Ed25519 private JWK (see `efa keys`)');
  const level = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) throw new ConfigError(`LOG_LEVEL="${level}" is not a pino level`);
  return {
    production,
    host,
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    dataDir: env.DATA_DIR || './data',
    root: env.EFA_ROOT || '.',
    secret,
    signingKey: env.EFA_SIGNING_KEY,
    receiverPort: int(env, 'EFA_RECEIVER_PORT', production ? 0 : 3001, 0, 65535),
    pathTenants: bool(env, 'EFA_PATH_TENANTS', !production),
    draftTtlDays: int(env, 'EFA_DRAFT_TTL_DAYS', 30, 1, 365),
    rateLimitPerMinute: int(env, 'EFA_RATE_LIMIT', 300, 1, 1_000_000),
    deliveryTimeoutMs: int(env, 'EFA_DELIVERY_TIMEOUT_MS', 15_000, 100, 600_000),
    transportTimeoutsMs: transportTimeouts(env),
    delivery: deliverySettings(env),
    logLevel: level,
    apiClientsFile: env.EFA_API_CLIENTS || undefined,
    uploads: uploadSettings(env),
  };
}
