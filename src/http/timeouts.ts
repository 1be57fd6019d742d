import type { OperationsSettings } from '../config/env.js';

/** The Fastify options that bound how long a client may take (EFA_HTTP_* in docs/operations.md). */
export interface HttpTimeoutOptions {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number };
}

/**
 * Node checks the headers and request deadlines only every `connectionsCheckingInterval` (30 s by
 * default), so a slow-loris client (headers sent a byte at a time) would hold its socket up to
 * that much longer; a check every second at most costs nothing.
 */
export function httpTimeouts(ops: Pick<OperationsSettings, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'>): HttpTimeoutOptions {
  const checkEvery = Math.max(50, Math.min(1_000, Math.floor(ops.httpHeadersTimeoutMs / 4)));
  return {
    requestTimeout: ops.httpRequestTimeoutMs,
    keepAliveTimeout: ops.httpKeepAliveTimeoutMs,
    http: { headersTimeout: ops.httpHeadersTimeoutMs, requestTimeout: ops.httpRequestTimeoutMs, keepAliveTimeout: ops.httpKeepAliveTimeoutMs, connectionsCheckingInterval: checkEvery },
  };
}
