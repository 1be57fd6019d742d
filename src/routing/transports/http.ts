import { TransportError } from '../../core/errors.js';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * The receiver answered, but not with 2xx. Status and body travel with the error, so a protocol can
 * read its own error format (a SOAP fault, a problem document) or repair the cause (401: new token)
 * instead of parsing the message.
 */
export class HttpStatusError extends TransportError {
  /** The receiver's HTTP status (EfaError's own `status` is what the runtime would answer: 502). */
  readonly responseStatus: number;
  readonly responseBody: string;

  constructor(transport: string, url: string, status: number, body: string) {
    super(transport, `${url} answered ${status}: ${body.slice(0, 300)}`, isRetryableStatus(status));
    this.responseStatus = status;
    this.responseBody = body;
  }
}

/** 408, 429 and 5xx may pass later; any other refusal is about the message, which retrying won't change. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * One HTTP exchange for a transport, with a hard timeout. Network failures and timeouts are
 * retryable TransportErrors; a non-2xx answer is an HttpStatusError (retryable as isRetryableStatus says).
 */
export async function exchange(transport: string, url: string, init: RequestInit, timeoutMs: number): Promise<HttpResult> {
  let response: Response;
  try {
    // The attempt's deadline (init.signal) and this call's own timeout, whichever comes first.
    const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    response = await fetch(url, { ...init, signal });
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
  throw new HttpStatusError(transport, url, response.status, body);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
