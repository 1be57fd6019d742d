import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../storage/db.js';

export interface Draft {
  id: string;
  tenant: string;
  serviceId: string;
  serviceVersion: string;
  data: Record<string, unknown>;
  currentStep: string | null;
}

/**
 * Drafts live server side, encrypted (AES-256-GCM, key derived from EFA_SECRET), with an expiry.
 * The applicant holds only the draft id in a signed HttpOnly cookie.
 */
export class DraftStore {
  private readonly key: Buffer;

  constructor(private readonly db: Database, secret: string, private readonly ttlDays: number) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'efa-drafts', 'draft-encryption-v1', 32));
  }

  async create(tenant: string, serviceId: string, serviceVersion: string): Promise<Draft> {
    const draft: Draft = { id: randomUUID(), tenant, serviceId, serviceVersion, data: {}, currentStep: null };
    await this.db.query(
      `INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6))`,
      [draft.id, tenant, serviceId, serviceVersion, this.encrypt(draft.id, draft.data), this.ttlDays],
    );
    return draft;
  }

  /** The draft, if it exists, has not expired and belongs to this tenant and service. */
  async find(id: string, tenant: string, serviceId: string): Promise<Draft | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const { rows } = await this.db.query<{ id: string; tenant: string; service_id: string; service_version: string; data_enc: Uint8Array; current_step: string | null }>(
      `SELECT id, tenant, service_id, service_version, data_enc, current_step FROM drafts WHERE id = $1 AND tenant = $2 AND service_id = $3 AND expires_at > now()`,
      [id, tenant, serviceId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { id: row.id, tenant: row.tenant, serviceId: row.service_id, serviceVersion: row.service_version, data: this.decrypt(row.id, Buffer.from(row.data_enc)), currentStep: row.current_step };
  }

  async save(draft: Draft): Promise<void> {
    await this.db.query(
      `UPDATE drafts SET data_enc = $2, current_step = $3, updated_at = now(), expires_at = now() + make_interval(days => $4) WHERE id = $1`,
      [draft.id, this.encrypt(draft.id, draft.data), draft.currentStep, this.ttlDays],
    );
  }

  async purgeExpired(): Promise<number> {
    return (await this.db.query('DELETE FROM drafts WHERE expires_at <= now()')).rowCount;
  }

  /** The draft id is bound in as associated data: a ciphertext copied to another row won't open. */
  private encrypt(id: string, data: Record<string, unknown>): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  private decrypt(id: string, blob: Buffer): Record<string, unknown> {
    const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(0, 12));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(blob.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]).toString('utf8')) as Record<string, unknown>;
  }
}
