import { EfaError } from '../core/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor that is not one this API handed out. */
export class BadCursorError extends EfaError {
  constructor() {
    super('EFA_BAD_CURSOR', 'after is not a cursor from a previous page\'s "next"', 400);
  }
}

/**
 * A page position: the last item's submitted_at as PostgreSQL prints it (microseconds kept, which
 * a JS Date would lose) and its id, as opaque base64url. Both never change for a submission, so
 * paging sees every submission that existed when it began exactly once, however statuses move.
 */
export function encodeCursor(at: string, id: string): string {
  return Buffer.from(`${at}|${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: string; id: string } {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?([+-]\d{2}(?::\d{2})?))\|([0-9a-f-]{36})$/i.exec(text);
  const at = m?.[1];
  const id = m?.[3];
  // PostgreSQL prints "+00" where ISO 8601 wants "+00:00"; checked here so a forged date is a 400, not a database error.
  const iso = at?.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  if (!at || !id || !UUID.test(id) || !iso || Number.isNaN(Date.parse(iso))) throw new BadCursorError();
  return { at, id };
}
