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
  const m = /^(\d{4}-\d{2}-\d{2}[ T][0-9:.]+(?:[+-]\d{2}(?::?\d{2})?|Z)?)\|([0-9a-f-]{36})$/i.exec(text);
  if (!m?.[1] || !m[2] || !UUID.test(m[2]) || Number.isNaN(Date.parse(m[1].replace(' ', 'T')))) throw new BadCursorError();
  return { at: m[1], id: m[2] };
}
