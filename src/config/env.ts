import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.js';

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
  /** A draft without a single saved answer is deleted this many hours after it was opened (EFA_DRAFT_EMPTY_TTL_HOURS). */
  draftEmptyTtlHours: number;
  rateLimitPerMinute: number;
  deliveryTimeoutMs: number;
  /** Per-transport timeouts (EFA_DELIVERY_TIMEOUT_MS_<TRANSPORT>), overriding deliveryTimeoutMs. */
  transportTimeoutsMs: Record<string, number>;
  delivery: DeliverySettings;
  logLevel: string;
  /** JSON file with the API clients (operators, authorities) and their scopes; see schemas/api-clients.schema.json. */
  apiClientsFile?: string;
  /** Abuse limits, trusted proxies, outbound HTTP rules and key lists (docs/operations.md, "Abuse limits and keys"). */
  guard: GuardSettings;
  /** Timeouts and retention periods (docs/operations.md lists each with its default). */
  ops: OperationsSettings;
  /** File uploads: per-file ceiling and virus scanner (docs/operations.md). */
  uploads: UploadSettings;
  /** E-mail notices to applicants (EFA_SMTP_URL, EFA_MAIL_FROM); undefined: mail is off. */
  mail?: { smtpUrl: string; from: string };
  /** The open usage figures (docs/figures.md). */
  figures: FigureSettings;
}

export interface FigureSettings {
  /** Counts from 1 to this minus 1 are suppressed (EFA_FIGURES_MIN_COUNT, default 5). */
  minCount: number;
  /** Also publish the month in progress (EFA_FIGURES_CURRENT_MONTH; off: only ended months). */
  currentMonth: boolean;
}

/** Who may say where a request came from, what outbound HTTP may reach, and the keys of each purpose. */
export interface GuardSettings {
  /** EFA_TRUST_PROXY: false (trust no X-Forwarded-For), a hop count, or addresses/CIDRs of the proxies. */
  trustProxy: false | number | string[];
  /** EFA_ALLOW_PRIVATE_TARGETS: outbound HTTP may reach loopback, private and link-local addresses. */
  allowPrivateTargets: boolean;
  /** EFA_OUTBOUND_MAX_BODY_BYTES: the largest answer body a transport reads from a receiver. */
  outboundMaxBodyBytes: number;
  /** EFA_COOKIE_KEYS, EFA_TOKEN_KEYS, EFA_DRAFT_KEYS: the first signs or encrypts, all verify or decrypt. */
  cookieKeys?: string[];
  tokenKeys?: string[];
  draftKeys?: string[];
}

/** Timeouts against slow peers and how long data is kept; the defaults suit production. */
export interface OperationsSettings {
  /** PostgreSQL: a statement running longer is cancelled (statement_timeout). */
  dbStatementTimeoutMs: number;
  /** PostgreSQL: opening a connection (or waiting for one from the pool) fails after this long. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: a transaction left idle this long is ended by the server (idle_in_transaction_session_timeout). */
  dbIdleInTransactionTimeoutMs: number;
  /** HTTP: the request headers must arrive within this long (cuts slow-loris clients). */
  httpHeadersTimeoutMs: number;
  /** HTTP: the whole request (headers and body) must arrive within this long. */
  httpRequestTimeoutMs: number;
  /** HTTP: an idle keep-alive connection is closed after this long; above the load balancer's idle timeout, or it sees resets. */
  httpKeepAliveTimeoutMs: number;
  /** Redis: connecting fails after this long (and is retried with backoff). */
  redisConnectTimeoutMs: number;
  /** Redis: a producer command (enqueue, queue depth) fails after this long instead of hanging. */
  redisCommandTimeoutMs: number;
  /** How often the retention purge runs (efa worker and the embedded process). */
  retentionIntervalMs: number;
  /** Payload ciphertext of delivered (or decided) submissions is removed this many days after the last status change; 0 keeps it. */
  payloadRetentionDays: number;
  /** Delivery attempts finished this many days ago are deleted (the delivered attempt with its receipt is kept); 0 keeps them. */
  attemptRetentionDays: number;
  /** Routing versions beyond the newest this many are deleted (the one in force is always kept); 0 keeps all. */
  routingVersionsKept: number;
  /** A routing import over the admin API larger than this is refused with 413 while it streams in. */
  routingImportMaxBytes: number;
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
  /** EFA_DRAFT_MAX_BYTES: one draft's files together, below what its service declares; 0: the declared total only. */
  draftMaxBytes: number;
  /** EFA_DRAFT_STORE_MAX_BYTES: all drafts' files together (plaintext bytes); 0: no limit. */
  storeMaxBytes: number;
  /** EFA_UPLOAD_CLIENT_MAX_BYTES / _FILES per EFA_UPLOAD_CLIENT_WINDOW_MS and client address; 0: no limit. */
  clientMaxBytes: number;
  clientMaxFiles: number;
  clientWindowMs: number;
  /** EFA_UPLOAD_MIN_RATE in kbit/s: an upload step's request may take its size at this rate plus the request timeout. */
  minRateKbit: number;
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
    draftMaxBytes: int(env, 'EFA_DRAFT_MAX_BYTES', 0, 0, 64 * 1024 ** 3),
    storeMaxBytes: int(env, 'EFA_DRAFT_STORE_MAX_BYTES', 10 * 1024 ** 3, 0, 1024 ** 5),
    clientMaxBytes: int(env, 'EFA_UPLOAD_CLIENT_MAX_BYTES', 512 * 1024 ** 2, 0, 1024 ** 4),
    clientMaxFiles: int(env, 'EFA_UPLOAD_CLIENT_MAX_FILES', 200, 0, 1_000_000),
    clientWindowMs: int(env, 'EFA_UPLOAD_CLIENT_WINDOW_MS', 3_600_000, 1_000, 7 * 86_400_000),
    minRateKbit: int(env, 'EFA_UPLOAD_MIN_RATE', 1_000, 1, 10_000_000),
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
  /** An entry handed to the queue longer ago than this is checked again for a live job (Redis may have lost it). */
  relayRecheckMs: number;
  /** Attempts to one authority running at once, over all workers. */
  authorityConcurrency: number;
  /** Attempts an authority's breaker window must hold before it judges the failure rate; 0 switches the breaker off. */
  breakerMinVolume: number;
  /** Percentage of failed attempts in the window at which an authority's circuit breaker opens. */
  breakerFailurePercent: number;
  /** The breaker's sliding window. */
  breakerWindowMs: number;
  /** How long an open breaker defers the authority's deliveries before trial attempts. */
  breakerCooldownMs: number;
  /** Trial attempts let through at once while the breaker is half open. */
  breakerTrials: number;
  /** How often a worker looks for authority decisions due to be read (FIT-Connect accept/reject). */
  decisionPollMs: number;
  /** Longest wait between two reads of one submission's decision (the wait doubles from decisionPollMs). */
  decisionRetryMaxMs: number;
  /** After this many days without a decision, it is no longer read; the status stays "delivered". */
  decisionMaxDays: number;
  /** Port of the worker's metrics and health endpoint; 0 switches it off. */
  workerPort: number;
}

type Env = Record<string, string | undefined>;

function operationsSettings(env: Env): OperationsSettings {
  const ops: OperationsSettings = {
    dbStatementTimeoutMs: int(env, 'EFA_DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    dbConnectTimeoutMs: int(env, 'EFA_DB_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    dbIdleInTransactionTimeoutMs: int(env, 'EFA_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 3_600_000),
    httpHeadersTimeoutMs: int(env, 'EFA_HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    httpRequestTimeoutMs: int(env, 'EFA_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    httpKeepAliveTimeoutMs: int(env, 'EFA_HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    redisConnectTimeoutMs: int(env, 'EFA_REDIS_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    redisCommandTimeoutMs: int(env, 'EFA_REDIS_COMMAND_TIMEOUT_MS', 5_000, 100, 600_000),
    retentionIntervalMs: int(env, 'EFA_RETENTION_INTERVAL_MS', 3_600_000, 1_000, 7 * 86_400_000),
    payloadRetentionDays: int(env, 'EFA_PAYLOAD_RETENTION_DAYS', 30, 0, 3_650),
    attemptRetentionDays: int(env, 'EFA_ATTEMPT_RETENTION_DAYS', 90, 0, 3_650),
    routingVersionsKept: int(env, 'EFA_ROUTING_VERSIONS_KEPT', 20, 0, 100_000),
    routingImportMaxBytes: int(env, 'EFA_ROUTING_IMPORT_MAX_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  };
  // Node refuses a headers timeout above the request timeout.
  if (ops.httpHeadersTimeoutMs > ops.httpRequestTimeoutMs) throw new ConfigError(`EFA_HTTP_HEADERS_TIMEOUT_MS (${ops.httpHeadersTimeoutMs}) must not be above EFA_HTTP_REQUEST_TIMEOUT_MS (${ops.httpRequestTimeoutMs})`);
  return ops;
}

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
    relayRecheckMs: 0,
    authorityConcurrency: int(env, 'EFA_AUTHORITY_CONCURRENCY', 8, 1, 1000),
    breakerMinVolume: int(env, 'EFA_BREAKER_MIN_VOLUME', 20, 0, 100_000),
    breakerFailurePercent: int(env, 'EFA_BREAKER_FAILURE_PERCENT', 50, 1, 100),
    breakerWindowMs: int(env, 'EFA_BREAKER_WINDOW_MS', 60_000, 1_000, 86_400_000),
    breakerCooldownMs: int(env, 'EFA_BREAKER_COOLDOWN_MS', 60_000, 100, 86_400_000),
    breakerTrials: int(env, 'EFA_BREAKER_TRIALS', 3, 1, 1000),
    decisionPollMs: int(env, 'EFA_DECISION_POLL_MS', 10_000, 50, 3_600_000),
    decisionRetryMaxMs: int(env, 'EFA_DECISION_RETRY_MAX_MS', 3_600_000, 50, 86_400_000),
    decisionMaxDays: int(env, 'EFA_DECISION_MAX_DAYS', 30, 1, 365),
    workerPort: int(env, 'EFA_WORKER_PORT', 9464, 0, 65535),
  };
  // A job is live in Redis while its lock is renewed; checking more often than that costs little.
  settings.relayRecheckMs = int(env, 'EFA_RELAY_RECHECK_MS', Math.max(30_000, 2 * settings.lockMs), 100, 86_400_000);
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

/** A list of keys, comma-separated; each 32+ characters, so none is guessable. */
function keyList(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const keys = raw.split(',').map((k) => k.trim());
  keys.forEach((k, i) => {
    if (Buffer.byteLength(k) < 32) throw new ConfigError(`${name}: key ${i + 1} has ${Buffer.byteLength(k)} characters; each key needs at least 32 (comma-separated, the first is used for new data)`);
  });
  if (new Set(keys).size !== keys.length) throw new ConfigError(`${name} names the same key twice`);
  return keys;
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * EFA_TRUST_PROXY: a number is the count of proxy hops in front of the runtime (the client is that
 * many entries from the right of X-Forwarded-For); otherwise addresses or CIDR ranges of the proxies
 * (and proxy-addr's names loopback, linklocal, uniquelocal). "true" would let any client choose its
 * address, and so its rate-limit bucket and what the logs say; it is refused.
 */
function trustProxy(env: Env): false | number | string[] {
  const raw = (env.EFA_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false' || raw === 'none') return false;
  if (/^[0-9]+$/.test(raw)) {
    const hops = int(env, 'EFA_TRUST_PROXY', 0, 0, 10);
    return hops === 0 ? false : hops;
  }
  if (raw === 'true') throw new ConfigError('EFA_TRUST_PROXY=true would trust any X-Forwarded-For: give the proxies\' addresses or CIDR ranges (e.g. 10.0.0.0/8) or the number of proxy hops');
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_KEYWORDS.has(entry)) continue;
    const [ip, prefix, extra] = entry.split('/');
    const family = isIP(ip ?? '');
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError(`EFA_TRUST_PROXY: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8), nor loopback, linklocal or uniquelocal`);
    }
  }
  return entries;
}

function guardSettings(env: Env, production: boolean): GuardSettings {
  return {
    trustProxy: trustProxy(env),
    allowPrivateTargets: bool(env, 'EFA_ALLOW_PRIVATE_TARGETS', !production),
    outboundMaxBodyBytes: int(env, 'EFA_OUTBOUND_MAX_BODY_BYTES', 1024 * 1024, 1024, 256 * 1024 * 1024),
    cookieKeys: keyList(env, 'EFA_COOKIE_KEYS'),
    tokenKeys: keyList(env, 'EFA_TOKEN_KEYS'),
    draftKeys: keyList(env, 'EFA_DRAFT_KEYS'),
  };
}

/** Reads and validates the configuration; any wrong value stops startup with a message naming it. */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const host = env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  if (!/^[0-9a-zA-Z.:-]+$/.test(host)) throw new ConfigError(`HOST="${host}" is not a host name or address`);
  const secret = env.EFA_SECRET;
  if (secret !== undefined && Buffer.byteLength(secret) < 32) throw new ConfigError('EFA_SECRET must be at least 32 characters');
  const guard = guardSettings(env, production);
  const allKeyLists = guard.cookieKeys && guard.tokenKeys && guard.draftKeys;
  if (production && !secret && !allKeyLists) throw new ConfigError('EFA_SECRET is required in production (NODE_ENV=production): 32+ random characters, the same on every replica (or all of EFA_COOKIE_KEYS, EFA_TOKEN_KEYS and EFA_DRAFT_KEYS)');
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
    draftEmptyTtlHours: int(env, 'EFA_DRAFT_EMPTY_TTL_HOURS', 2, 1, 24 * 365),
    rateLimitPerMinute: int(env, 'EFA_RATE_LIMIT', 300, 1, 1_000_000),
    deliveryTimeoutMs: int(env, 'EFA_DELIVERY_TIMEOUT_MS', 15_000, 100, 600_000),
    transportTimeoutsMs: transportTimeouts(env),
    delivery: deliverySettings(env),
    logLevel: level,
    apiClientsFile: env.EFA_API_CLIENTS || undefined,
    guard,
    ops: operationsSettings(env),
    uploads: uploadSettings(env),
    mail: mailSettings(env),
    figures: { minCount: int(env, 'EFA_FIGURES_MIN_COUNT', 5, 2, 1000), currentMonth: bool(env, 'EFA_FIGURES_CURRENT_MONTH', false) },
  };
}

function mailSettings(env: Env): Config['mail'] {
  const smtpUrl = url(env, 'EFA_SMTP_URL', ['smtp:', 'smtps:']);
  const from = env.EFA_MAIL_FROM?.trim();
  if (!smtpUrl) {
    if (from) throw new ConfigError('EFA_MAIL_FROM is set but EFA_SMTP_URL is not: set both to send e-mail notices, or neither');
    return undefined;
  }
  if (!from || !/^[^\r\n]{1,200}$/.test(from) || !/@/.test(from)) throw new ConfigError('EFA_MAIL_FROM must be the sender address of e-mail notices (e.g. "Serviceportal <noreply@example.org>") when EFA_SMTP_URL is set');
  return { smtpUrl, from };
}

/** Parses EFA_CLAMAV ("host:port", IPv6 as "[::1]:3310"); undefined when it is not one. */
export function parseClamavAddress(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}
