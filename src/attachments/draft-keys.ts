/**
 * The keys of draft files: each file is encrypted with a random key of its own (AES-256-GCM per
 * chunk, bound to file and position), stored wrapped under the draft key (EFA_DRAFT_KEYS).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { EfaError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';

/** The part name of a draft file's own chunks (a sealed file's JWE has a part of its own). */
export const DRAFT_PART = 'draft';

/** A draft file's key is unwrapped with a draft key that is no longer listed (EFA_DRAFT_KEYS). */
export class AttachmentKeyGoneError extends EfaError {
  constructor(id: string) {
    super('EFA_ATTACHMENT_KEY_GONE', `attachment ${id} is wrapped under a draft key that was removed`, 500);
  }
}

interface DraftKey {
  /** 8 bytes derived from the key, stored in front of each wrapped file key. */
  id: Buffer;
  key: Buffer;
}

/** What a wrapped file key is: key id (8), IV (12), GCM tag (16), the encrypted 32-byte key. */
const WRAP_HEADER = 8;

export class DraftKeyring {
  /**
   * The first key wraps; all unwrap. Each save of a draft re-wraps its files' keys under the first
   * (AttachmentStore `commit`), so after a rotation's step 3 (the old key removed) a live draft's files still open.
   */
  private readonly keys: DraftKey[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new EfaError('EFA_NO_DRAFT_KEY', 'the attachment store needs at least one draft key', 500);
    this.keys = secrets.map((secret) => {
      const key = Buffer.from(hkdfSync('sha256', secret, 'efa-drafts', 'draft-attachment-v1', 32));
      return { key, id: Buffer.from(hkdfSync('sha256', key, 'efa-drafts', 'key-id', 8)) };
    });
  }

  /** The file key wrapped under the current draft key, bound to the file id. */
  wrap(id: string, fileKey: Buffer): Buffer {
    const current = this.keys[0] as DraftKey;
    return Buffer.concat([current.id, seal(current.key, `file-key:${id}`, fileKey)]);
  }

  isCurrent(wrapped: Uint8Array | null): boolean {
    return wrapped !== null && Buffer.from(wrapped.subarray(0, WRAP_HEADER)).equals((this.keys[0] as DraftKey).id);
  }

  /**
   * The key a file's chunks are encrypted with. A file from before per-file keys (no wrap) has its
   * chunks under one of the draft keys itself: the first chunk tells which.
   */
  async fileKey(db: Queryable, id: string, wrapped: Uint8Array | null): Promise<Buffer> {
    if (wrapped) {
      const blob = Buffer.from(wrapped);
      const named = this.keys.find((k) => k.id.equals(blob.subarray(0, WRAP_HEADER)));
      if (!named) throw new AttachmentKeyGoneError(id);
      return open(named.key, `file-key:${id}`, blob.subarray(WRAP_HEADER));
    }
    const { rows } = await db.query<{ data: Uint8Array }>('SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND part = $2 AND seq = 0', [id, DRAFT_PART]);
    const first = rows[0] ? Buffer.from(rows[0].data) : undefined;
    const key = first && this.keys.find((k) => opens(k.key, `${id}/0`, first));
    if (!key) throw new AttachmentKeyGoneError(id);
    return key.key;
  }
}

export function encryptChunk(key: Buffer, id: string, seq: number, plain: Buffer): Buffer {
  return seal(key, `${id}/${seq}`, plain);
}

export function decryptChunk(key: Buffer, id: string, seq: number, blob: Buffer): Buffer {
  return open(key, `${id}/${seq}`, blob);
}

/** AES-256-GCM: IV (12), tag (16), ciphertext; `aad` binds it to where it belongs. */
function seal(key: Buffer, aad: string, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, aad: string, blob: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(blob.subarray(12, 28));
  return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
}

/** Whether `key` authenticates the blob (GCM's tag tells the right key from a wrong one). */
function opens(key: Buffer, aad: string, blob: Buffer): boolean {
  try {
    open(key, aad, blob);
    return true;
  } catch {
    return false;
  }
}
