import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { fileRefsIn } from '../attachments/references.js';
import type { Database, Queryable } from '../storage/db.js';
import { countRowsOf } from '../storage/figure-counts.js';

export interface Draft {
  id: string;
  tenant: string;
  serviceId: string;
  serviceVersion: string;
  data: Record<string, unknown>;
  currentStep: string | null;
  /** When the draft is deleted unless it is saved again (each save extends it by the TTL). */
  expiresAt: Date;
  /** Whether the data held file references when it was read: a save then has files to reconcile. */
  readonly hadFiles?: boolean;
  /** The account the draft belongs to (started or taken over after a login), see src/accounts/. */
  account?: string | null;
  /** Which answers came from which source, and the login's trust level (for the submission's metadata). */
  accountMeta?: DraftAccountMeta | null;
}

export interface DraftAccountMeta {
  trustLevel: string;
  /** Per JSON pointer: the source that filled it and whether the applicant may change it. */
  prefilled: Record<string, { source: string; editable: boolean }>;
}

/**
 * The draft's files (the AttachmentStore): called inside the saving transaction, with the draft row
 * locked, to make the stored files agree with the data being saved; returns the data to store.
 */
export interface DraftFiles {
  commit(tx: Queryable, draftId: string, data: Record<string, unknown>): Promise<Record<string, unknown>>;
}

interface DraftKey {
  /** 8 bytes derived from the key: stored in front of each ciphertext, so the right key is found. */
  id: Buffer;
  key: Buffer;
}

/** Ciphertext format 1: version byte, key id (8), IV (12), GCM tag (16), encrypted JSON. */
const FORMAT = 1;
const HEADER = 1 + 8;
/** Associated data of an applicant copy: never opens as a draft, nor a draft as a copy. */
const COPY_AAD = 'applicant-copy:';

/**
 * Drafts live server side, encrypted (AES-256-GCM), with an expiry. The applicant holds only the
 * draft id in a signed HttpOnly cookie. Keys come as a list (EFA_DRAFT_KEYS, else EFA_SECRET): the
 * first encrypts, every one decrypts, and each save re-encrypts with the first, so a key is
 * rotated without losing a draft in progress.
 */
export class DraftStore {
  private readonly keys: DraftKey[];

  /**
   * `emptyTtlHours`: a draft that holds no answer yet (opened by "Start" and never saved with one)
   * lives only this long, so opened-and-abandoned drafts (and their uploads) do not stay for weeks.
   */
  constructor(private readonly db: Database, secrets: readonly string[], private readonly ttlDays: number, private readonly files?: DraftFiles, private readonly emptyTtlHours = 2) {
    if (secrets.length === 0) throw new Error('DraftStore needs at least one key');
    this.keys = secrets.map((secret) => {
      const key = Buffer.from(hkdfSync('sha256', secret, 'efa-drafts', 'draft-encryption-v1', 32));
      return { key, id: Buffer.from(hkdfSync('sha256', key, 'efa-drafts', 'key-id', 8)) };
    });
  }

  async create(tenant: string, serviceId: string, serviceVersion: string): Promise<Draft> {
    const id = randomUUID();
    // Counted as started in the same statement (no second round trip): only the month, Land and service.
    const { rows } = await this.db.query<{ expires_at: Date | string }>(
      `WITH d AS (INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6)) RETURNING tenant, service_id, created_at, expires_at),
            counted AS (${countRowsOf('d', 'started', 'created_at')})
       SELECT expires_at FROM d`,
      [id, tenant, serviceId, serviceVersion, this.encrypt(id, {}), this.emptyTtlHours], { name: 'efa_draft_create' },
    );
    return { id, tenant, serviceId, serviceVersion, data: {}, currentStep: null, expiresAt: new Date((rows[0] as { expires_at: Date | string }).expires_at) };
  }

  /** The draft, if it exists, has not expired and belongs to this tenant and service. */
  async find(id: string, tenant: string, serviceId: string): Promise<Draft | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const { rows } = await this.db.query<{ id: string; tenant: string; service_id: string; service_version: string; data_enc: Uint8Array; current_step: string | null; expires_at: Date | string; account: string | null; account_meta: DraftAccountMeta | null }>(
      `SELECT id, tenant, service_id, service_version, data_enc, current_step, expires_at, account, account_meta FROM drafts WHERE id = $1 AND tenant = $2 AND service_id = $3 AND expires_at > now()`,
      [id, tenant, serviceId], { name: 'efa_draft_find' },
    );
    const row = rows[0];
    if (!row) return undefined;
    const data = this.decrypt(row.id, Buffer.from(row.data_enc));
    if (!data) return undefined;
    return { id: row.id, tenant: row.tenant, serviceId: row.service_id, serviceVersion: row.service_version, data, currentStep: row.current_step, expiresAt: new Date(row.expires_at), hadFiles: fileRefsIn(data).length > 0, account: row.account, accountMeta: row.account_meta };
  }

  /**
   * Binds the draft to an account with its prefilled answers, unless another account holds it
   * (false then): an anonymous draft is taken over, an account's draft never changes hands.
   */
  async bindAccount(draft: Draft, account: string, meta: DraftAccountMeta): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE drafts SET account = $2, account_meta = $3 WHERE id = $1 AND (account IS NULL OR account = $2) AND expires_at > now()`,
      [draft.id, account, JSON.stringify(meta)],
    );
    if (rowCount === 0) return false;
    draft.account = account;
    draft.accountMeta = meta;
    return true;
  }

  /**
   * Saves the draft unless it expired meanwhile (the purge may be deleting its files). A draft with
   * files, then or now, is saved in one transaction with its files (DraftFiles.commit): two tabs
   * saving one draft take turns on its row, and what is stored never references a missing file;
   * `draft.data` becomes what was stored. A draft without files is one statement, as before.
   */
  async save(draft: Draft): Promise<void> {
    if (!this.files || !(draft.hadFiles || fileRefsIn(draft.data).length > 0)) {
      await this.update(this.db, draft);
      return;
    }
    const files = this.files;
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query('SELECT 1 FROM drafts WHERE id = $1 AND expires_at > now() FOR UPDATE', [draft.id]);
      if (rows.length === 0) return;
      draft.data = await files.commit(tx, draft.id, draft.data);
      await this.update(tx, draft);
    });
  }

  private async update(db: Queryable, draft: Draft): Promise<void> {
    const { rows } = await db.query<{ expires_at: Date | string }>(
      `UPDATE drafts SET data_enc = $2, current_step = $3, updated_at = now(), expires_at = now() + make_interval(hours => $4) WHERE id = $1 AND expires_at > now() RETURNING expires_at`,
      [draft.id, this.encrypt(draft.id, draft.data), draft.currentStep, Object.keys(draft.data).length > 0 ? this.ttlDays * 24 : this.emptyTtlHours], { name: 'efa_draft_update' },
    );
    if (rows[0]) draft.expiresAt = new Date(rows[0].expires_at);
  }

  /**
   * The applicant's own copy of what they submitted (the check page's rows), sealed with the draft
   * keys and bound to the submission id: the receipt is made from it. The runtime held the same
   * answers under the same keys as a draft; the copy goes with the retention purge of the payload.
   */
  sealApplicantCopy(submissionId: string, copy: Record<string, unknown>): Buffer {
    return this.encrypt(`${COPY_AAD}${submissionId}`, copy);
  }

  /** The copy, or undefined when it cannot be opened (its key was removed from the list). */
  openApplicantCopy(submissionId: string, blob: Uint8Array): Record<string, unknown> | undefined {
    return this.decrypt(`${COPY_AAD}${submissionId}`, Buffer.from(blob));
  }

  /**
   * What the applicant's Postfach keeps (an authority's answer, the address for notices), sealed
   * like the copy and bound to `purpose` and id, so one never opens as another.
   */
  sealFor(purpose: 'answer' | 'notify', id: string, data: Record<string, unknown>): Buffer {
    return this.encrypt(`${purpose}:${id}`, data);
  }

  openFor(purpose: 'answer' | 'notify', id: string, blob: Uint8Array): Record<string, unknown> | undefined {
    return this.decrypt(`${purpose}:${id}`, Buffer.from(blob));
  }

  async purgeExpired(): Promise<number> {
    return (await this.db.query('DELETE FROM drafts WHERE expires_at <= now()')).rowCount;
  }

  /**
   * The id of the key a stored draft is encrypted with, if it is one of this store's keys (for
   * checking a rotation); undefined for the format without key ids and for unknown keys. A legacy
   * ciphertext may begin with the format byte by chance, so only a known key id counts.
   */
  keyIdOf(blob: Uint8Array): string | undefined {
    if (blob[0] !== FORMAT || blob.length <= HEADER + 28) return undefined;
    const id = Buffer.from(blob.subarray(1, HEADER));
    return this.keys.some((k) => k.id.equals(id)) ? id.toString('hex') : undefined;
  }

  /** The id of the key new drafts are encrypted with. */
  get currentKeyId(): string {
    return (this.keys[0] as DraftKey).id.toString('hex');
  }

  /** The draft id is bound in as associated data: a ciphertext copied to another row won't open. */
  private encrypt(id: string, data: Record<string, unknown>): Buffer {
    const { key, id: keyId } = this.keys[0] as DraftKey;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT]), keyId, iv, cipher.getAuthTag(), body]);
  }

  /**
   * Format 1 names its key. A draft written before key ids existed is IV, tag and ciphertext only;
   * it is tried with every key (GCM's tag tells the right one). An unknown key id means the key was
   * removed from the list: the draft is unreadable and treated as gone, not as a server error.
   */
  private decrypt(id: string, blob: Buffer): Record<string, unknown> | undefined {
    if (blob[0] === FORMAT && blob.length > HEADER + 28) {
      const named = this.keys.find((k) => k.id.equals(blob.subarray(1, HEADER)));
      if (named) {
        try {
          return open(named.key, id, blob.subarray(HEADER));
        } catch {
          return undefined;
        }
      }
    }
    for (const { key } of this.keys) {
      try {
        return open(key, id, blob);
      } catch {
        // not this key (or not the legacy format): try the next one
      }
    }
    return undefined;
  }
}

function open(key: Buffer, id: string, sealed: Buffer): Record<string, unknown> {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(id));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')) as Record<string, unknown>;
}
