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
export function httpTimeouts(ops: Pick<OperationsSettings, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'>, longestUploadMs = 0): HttpTimeoutOptions {
  const checkEvery = Math.max(50, Math.min(1_000, Math.floor(ops.httpHeadersTimeoutMs / 4)));
  // Node's request timeout is one for the server: it is only the backstop for the longest upload
  // (upload-timeouts.ts bounds each request, ordinary ones at EFA_HTTP_REQUEST_TIMEOUT_MS).
  const requestTimeout = Math.max(ops.httpRequestTimeoutMs, longestUploadMs);
  return {
    requestTimeout,
    keepAliveTimeout: ops.httpKeepAliveTimeoutMs,
    http: { headersTimeout: ops.httpHeadersTimeoutMs, requestTimeout, keepAliveTimeout: ops.httpKeepAliveTimeoutMs, connectionsCheckingInterval: checkEvery },
  };
}
