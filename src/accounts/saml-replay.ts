import type { Queryable } from '../storage/db.js';

/**
 * Replay protection for SAML assertions (SAML profiles §4.1.4.5: a bearer assertion is used once):
 * each assertion ID is remembered in PostgreSQL until the assertion expires, so a second post of
 * the same assertion is refused at whichever API replica it arrives. Expired IDs are dropped as
 * new ones arrive; an expired assertion is refused by its timestamps anyway.
 */

/** True the first time `assertionId` is seen for the tenant; false for a replay. */
export async function firstUse(db: Queryable, tenantId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
  await db.query('DELETE FROM saml_assertions_used WHERE expires_at < now()');
  const inserted = await db.query(
    'INSERT INTO saml_assertions_used (tenant_id, assertion_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [tenantId, assertionId, expiresAt],
  );
  return inserted.rowCount === 1;
}
