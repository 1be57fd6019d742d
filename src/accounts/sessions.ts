import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../storage/db.js';
import type { Sealer } from './sealed.js';
import type { AccountAttributes, TrustLevel } from './types.js';

/** A logged-in session as the pages see it. */
export interface AccountSession {
  tenant: string;
  serviceId: string;
  /** The account's key: SHA-256 of tenant and subject, never the subject itself. */
  account: string;
  trustLevel: TrustLevel;
  idpRef?: Record<string, string>;
  expiresAt: Date;
}

/** A login in progress: what the adapter's `begin` asked to keep until its callback. */
export interface PendingLogin {
  tenant: string;
  serviceId: string;
  pending: Record<string, unknown>;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest();
/** The seal's binding of the IdP reference: another than the attributes', so one cannot stand in for the other. */
const idpRefBinding = (account: string) => `idp-ref\0${account}`;
const newId = () => randomBytes(32).toString('base64url');

/** The account key a draft is bound to: one per account and tenant (subjects are per account service). */
export function accountKey(tenant: string, subject: string): string {
  return createHash('sha256').update(`${tenant}\0${subject}`).digest('hex');
}

/**
 * Applicants' login sessions, server side in PostgreSQL. The browser holds only a random id (in a
 * signed cookie); the table holds its SHA-256, so a database read does not yield usable cookies.
 * A session is bound to one tenant and one service and lives `ttlMinutes`, extended while used.
 * What the IdP's logout needs (an ID token, a NameID) is kept sealed, as the attributes are.
 */
export class SessionStore {
  constructor(private readonly db: Queryable, private readonly sealer: Sealer, private readonly ttlMinutes = 30, private readonly loginMinutes = 10) {}

  async beginLogin(login: PendingLogin): Promise<string> {
    const id = newId();
    await this.db.query(
      `INSERT INTO account_sessions (id_sha256, tenant, service_id, pending, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
      [hashOf(id), login.tenant, login.serviceId, JSON.stringify(login.pending), this.loginMinutes],
    );
    return id;
  }

  /** The login in progress behind `id`, removed as it is read: a callback is answered once. */
  async takeLogin(id: string): Promise<PendingLogin | undefined> {
    const { rows } = await this.db.query<{ tenant: string; service_id: string; pending: Record<string, unknown> | string }>(
      `DELETE FROM account_sessions WHERE id_sha256 = $1 AND pending IS NOT NULL RETURNING tenant, service_id, pending, expires_at > now() AS live`,
      [hashOf(id)],
    );
    const row = rows[0] as (typeof rows)[number] & { live?: boolean } | undefined;
    if (!row || !row.live) return undefined;
    return { tenant: row.tenant, serviceId: row.service_id, pending: typeof row.pending === 'string' ? JSON.parse(row.pending) as Record<string, unknown> : row.pending };
  }

  /**
   * A new session under a new id (a login never continues an id the browser had before), with the
   * account's attributes sealed for the one request that puts them into the draft (`takeAttributes`).
   */
  async create(session: Omit<AccountSession, 'expiresAt'>, attributes: AccountAttributes): Promise<string> {
    const id = newId();
    await this.db.query(
      `INSERT INTO account_sessions (id_sha256, tenant, service_id, account, trust_level, idp_ref_enc, handover_enc, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(mins => $8))`,
      [hashOf(id), session.tenant, session.serviceId, session.account, session.trustLevel, session.idpRef ? this.sealer.seal(idpRefBinding(session.account), session.idpRef) : null, this.sealer.seal(session.account, attributes), this.ttlMinutes],
    );
    return id;
  }

  /** The attributes the login brought, once: they are removed as they are read. */
  async takeAttributes(id: string, session: AccountSession): Promise<AccountAttributes | undefined> {
    const { rows } = await this.db.query<{ handover_enc: Uint8Array | null }>(
      `WITH old AS (SELECT handover_enc FROM account_sessions WHERE id_sha256 = $1 FOR UPDATE)
       UPDATE account_sessions SET handover_enc = NULL FROM old WHERE id_sha256 = $1 AND old.handover_enc IS NOT NULL RETURNING old.handover_enc`,
      [hashOf(id)],
    );
    const sealed = rows[0]?.handover_enc;
    return sealed ? this.sealer.open(session.account, sealed) as AccountAttributes : undefined;
  }

  /** The live session behind `id` for this tenant and service, its life extended by the TTL. */
  async find(id: string, tenant: string, serviceId: string): Promise<AccountSession | undefined> {
    const { rows } = await this.db.query<{ account: string; trust_level: TrustLevel; idp_ref_enc: Uint8Array | null; expires_at: Date | string }>(
      `UPDATE account_sessions SET expires_at = now() + make_interval(mins => $4)
        WHERE id_sha256 = $1 AND tenant = $2 AND service_id = $3 AND account IS NOT NULL AND expires_at > now()
        RETURNING account, trust_level, idp_ref_enc, expires_at`,
      [hashOf(id), tenant, serviceId, this.ttlMinutes],
    );
    const row = rows[0];
    if (!row) return undefined;
    const idpRef = row.idp_ref_enc ? this.sealer.open(idpRefBinding(row.account), row.idp_ref_enc) as Record<string, string> : undefined;
    return { tenant, serviceId, account: row.account, trustLevel: row.trust_level, idpRef, expiresAt: new Date(row.expires_at) };
  }

  /** Ends the session; returns it (for the IdP's logout) when it was live. */
  async end(id: string, tenant: string, serviceId: string): Promise<AccountSession | undefined> {
    const session = await this.find(id, tenant, serviceId);
    await this.db.query('DELETE FROM account_sessions WHERE id_sha256 = $1', [hashOf(id)]);
    return session;
  }

  async purgeExpired(): Promise<number> {
    return (await this.db.query('DELETE FROM account_sessions WHERE expires_at <= now()')).rowCount;
  }
}
