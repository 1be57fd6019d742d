import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The applicant's capability for a submission: a random secret in the status link and in the
 * submitting browser's cookie. It is deliberately not the submission id, which every transport
 * sends in clear (message id, idempotency key), the queue uses as job id and the operator APIs list.
 * Only its SHA-256 is stored (table submission_status_keys); it never goes into a log, a message
 * or an API answer.
 */
export interface StatusKey {
  /** 32 random bytes, base64url (43 characters): what the link and the cookie carry. */
  key: string;
  sha256: Buffer;
}

const KEY_BYTES = 32;
const KEY_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newStatusKey(): StatusKey {
  const key = randomBytes(KEY_BYTES).toString('base64url');
  return { key, sha256: statusKeyHash(key) };
}

export function isStatusKey(value: string | undefined): value is string {
  return typeof value === 'string' && KEY_SHAPE.test(value);
}

export function statusKeyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Whether `key` is the one whose hash was stored (constant time: the stored hash is the secret's proof). */
export function matchesStatusKey(key: string, stored: Uint8Array | null | undefined): boolean {
  if (!stored || stored.length !== 32) return false;
  return timingSafeEqual(statusKeyHash(key), Buffer.from(stored));
}

/** The cookie holding the keys of the submissions sent from this browser (newest first). */
export const STATUS_COOKIE = 'efa_status';
/** Enough for a family's applications; 8 × 44 bytes keeps the cookie far below 4 KB. */
const COOKIE_KEYS = 8;

export function keysInCookie(value: string | undefined): string[] {
  return (value ?? '').split('.').filter(isStatusKey).slice(0, COOKIE_KEYS);
}

export function cookieWithKey(value: string | undefined, key: string): string {
  return [key, ...keysInCookie(value).filter((k) => k !== key)].slice(0, COOKIE_KEYS).join('.');
}

/** A URL as it may be logged: a status key or a draft's resume secret in its path is replaced. */
export function withoutStatusKey(url: string): string {
  return url.replace(/(\/(?:status|fortsetzen)\/)[A-Za-z0-9_-]{43}(?=[/?#]|$)/g, '$1[key]');
}
