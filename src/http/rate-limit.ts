import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { RedisTimeoutError } from '../core/errors.js';

/** Probes and scrapes: an orchestrator or Prometheus must never be told 429 by its own service. */
const EXEMPT = /^\/_efa\/(health\/|metrics(\?|$))/;

/**
 * EFA_TRUST_PROXY as Fastify's trustProxy: a hop count becomes proxy-addr's "trust the first n
 * hops" function (what Fastify does for a number, which its types do not admit).
 */
export function trustProxyOption(setting: Config['guard']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return setting;
}

export function rateLimitExempt(req: FastifyRequest): boolean {
  return EXEMPT.test(req.url);
}

/**
 * The rate limit per client address (req.ip: the peer, or what a trusted proxy says, see
 * EFA_TRUST_PROXY). With REDIS_URL the counters live in Redis under "<EFA_QUEUE_PREFIX>:rate-limit:",
 * so every API replica counts the same client together. If Redis is unreachable the limit is not
 * enforced for that moment (logged) rather than refusing every applicant. Connecting (the
 * handshake included) is bounded by EFA_REDIS_CONNECT_TIMEOUT_MS and each counter update by
 * EFA_REDIS_COMMAND_TIMEOUT_MS: a Redis that accepts connections and never answers delays neither
 * the start nor a request beyond them.
 */
export async function rateLimitOptions(app: FastifyInstance, config: Config): Promise<RateLimitPluginOptions> {
  const base: RateLimitPluginOptions = { max: config.rateLimitPerMinute, timeWindow: 60_000, allowList: (req) => rateLimitExempt(req) };
  if (!config.redisUrl) return base;
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    // A request must not wait for a Redis that is down: fail the command at once and let the request through.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: config.ops.redisConnectTimeoutMs,
    commandTimeout: config.ops.redisCommandTimeoutMs,
    retryStrategy: (times: number) => Math.min(200 * times, 5_000),
  });
  redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'rate limit: Redis unavailable'));
  try {
    await withinConnectTimeout(redis.connect(), config.ops.redisConnectTimeoutMs);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    app.log.warn({ code, err: err instanceof Error ? err.message : String(err) }, 'rate limit: Redis not reachable at start; retrying in the background');
  }
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  return { ...base, redis, nameSpace: `${config.delivery.queuePrefix}:rate-limit:`, skipOnError: true };
}

/** ioredis's connectTimeout ends at the TCP connect; a silent server would hold its handshake (and the start) for ever. */
async function withinConnectTimeout(connecting: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new RedisTimeoutError('connect', ms)), ms); });
  connecting.catch(() => undefined); // settles later, in the background, once the timeout has won
  try {
    await Promise.race([connecting, late]);
  } finally {
    clearTimeout(timer);
  }
}
