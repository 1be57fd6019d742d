import { TransportError } from '../../core/errors.js';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * One HTTP exchange for a transport, with a hard timeout. Network failures, timeouts, 408, 429 and
 * 5xx are retryable; any other non-2xx is the receiver refusing the message, which retrying won't fix.
 */
export async function exchange(transport: string, url: string, init: RequestInit, timeoutMs: number): Promise<HttpResult> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new TransportError(transport, timedOut ? `no answer from ${url} within ${timeoutMs} ms` : `cannot reach ${url}: ${describe(err)}`, true, { cause: err });
  }
  let body: string;
  try {
    body = await response.text();
  } catch (err) {
    throw new TransportError(transport, `answer from ${url} broke off: ${describe(err)}`, true, { cause: err });
  }
  if (response.ok) return { status: response.status, headers: response.headers, body };
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new TransportError(transport, `${url} answered ${response.status}: ${body.slice(0, 300)}`, retryable);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
