import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import type { JWK } from 'jose';
import { EfaError } from '../core/errors.js';
import type { OutboundAttachment } from '../transports/types.js';
import type { Database, Queryable } from '../storage/db.js';
import { fileRefsIn, sanitiseFilename, withoutFiles, type FileRef, type PlacedFileRef } from './references.js';
import { ScannerError, type ScanSession, type Scanner } from './scanner.js';
import { encryptStream } from './jwe-stream.js';
import { decryptChunk, DRAFT_PART, DraftKeyring, encryptChunk } from './draft-keys.js';
import { attachmentsOf } from './sealed-files.js';

export { AttachmentKeyGoneError } from './draft-keys.js';
export { attachmentsOf } from './sealed-files.js';

/** Plaintext bytes per stored chunk: large enough for few rows, small enough to bound memory. */
const CHUNK = 256 * 1024;
/** file-type needs at most this many leading bytes to recognise any format it knows. */
const SNIFF_BYTES = 4100;

/** What a field accepts (from the service schema, see docs/forms.md). */
export interface FileRules {
  mediaTypes: readonly string[];
  maxBytes: number;
}

/** Why a file was refused; the file kind turns it into the applicant's message. */
export type Refusal =
  | { code: 'empty' }
  | { code: 'too-large'; maxBytes: number }
  | { code: 'type'; detected?: string }
  | { code: 'type-mismatch'; detected: string; claimed: string }
  | { code: 'infected' }
  | { code: 'scan-failed' }
  // Refused before a byte was stored (see quotas.ts): one file too many for the field, the draft
  // or the store full, or the client address over its upload allowance.
  | { code: 'too-many'; maxFiles: number }
  | { code: 'quota-draft'; maxBytes: number; maxFiles: number }
  | { code: 'quota-store' }
  | { code: 'quota-client'; retryAfterMs: number };

/** Stores the pending row of an upload if the quotas allow it, or says why not (nothing stored). */
export type AdmitUpload = (row: { id: string; draftId: string; filename: string; keyWrap: Buffer }) => Promise<Refusal | undefined>;

export type IntakeResult = { ref: FileRef } | { refused: Refusal; filename: string };

/** A draft file re-encrypted for the authority, ready to be bound to the submission. */
export interface SealedFile extends PlacedFileRef {
  part: string;
  jweLength: number;
}

/** The data names a file that this draft does not hold (tampering, or it expired meanwhile). */
export class UnknownAttachmentError extends EfaError {
  constructor(id: string) {
    super('EFA_ATTACHMENT_UNKNOWN', `the data references attachment ${id}, which the draft does not hold`, 409);
  }
}

interface AttachmentRow {
  id: string;
  filename: string;
  media_type: string;
  size: string | number;
  sha512: string;
}

/**
 * The AttachmentStore: uploads stream through type sniffing, SHA-512, the size limit and the virus
 * scanner into PostgreSQL chunks, never whole in memory. A draft file is encrypted with a random key
 * of its own (AES-256-GCM per chunk, bound to file and position), stored wrapped under the draft key;
 * at submit each becomes a JWE for the responsible authority, streamed chunk by chunk as well.
 */
export class AttachmentStore {
  private readonly keys: DraftKeyring;

  constructor(private readonly db: Database, secrets: readonly string[], private readonly scanner: Scanner, readonly maxBytes: number) {
    this.keys = new DraftKeyring(secrets);
  }

  /**
   * Takes one uploaded file for a draft. The source is always read to its end (a multipart body
   * goes on after the file), but past a refusal nothing is hashed, scanned or stored, and a refused
   * file leaves no row behind.
   */
  async intake(draftId: string, filename: string, source: AsyncIterable<Buffer>, rules: FileRules, admit?: AdmitUpload): Promise<IntakeResult> {
    const id = randomUUID();
    const name = sanitiseFilename(filename);
    const limit = Math.min(rules.maxBytes, this.maxBytes);
    const fileKey = randomBytes(32);
    const keyWrap = this.keys.wrap(id, fileKey);
    const notAdmitted = admit ? await admit({ id, draftId, filename: name, keyWrap }) : await this.db.query(`INSERT INTO attachments (id, draft_id, state, filename, key_wrap) VALUES ($1, $2, 'pending', $3, $4)`, [id, draftId, name, keyWrap]).then(() => undefined);
    if (notAdmitted) {
      for await (const _chunk of source) { /* read past it: the form goes on after the file */ }
      return { refused: notAdmitted, filename: name };
    }
    // The scan starts with the first bytes that passed the type check: a file refused by its type never reaches the scanner.
    let scan: ScanSession | undefined;
    const hash = createHash('sha512');
    let refusal: Refusal | undefined;
    let size = 0;
    let seq = 0;
    let head: Buffer | undefined = Buffer.alloc(0);
    let mediaType = '';
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await this.db.query('INSERT INTO attachment_chunks (attachment_id, part, seq, data) VALUES ($1, $2, $3, $4)', [id, DRAFT_PART, seq, encryptChunk(fileKey, id, seq, Buffer.concat(pending))]);
      seq++;
      pending = [];
      pendingBytes = 0;
    };
    // A scanner that fails gives no verdict: the file is refused (fail closed), the body read on.
    const scanWrite = async (bytes: Buffer) => {
      try {
        scan ??= this.scanner.begin();
        await scan.write(bytes);
      } catch (err) {
        if (!(err instanceof ScannerError)) throw err;
        refusal = { code: 'scan-failed' };
      }
    };
    const sniff = async (bytes: Buffer) => {
      const found = await fileTypeFromBuffer(bytes);
      const checked = checkType(name, found, rules.mediaTypes);
      if ('refused' in checked) refusal = checked.refused;
      else mediaType = checked.mediaType;
    };
    try {
      for await (const chunk of source) {
        if (refusal) continue;
        size += chunk.length;
        if (size > limit) {
          refusal = { code: 'too-large', maxBytes: limit };
          continue;
        }
        if (head) {
          head = Buffer.concat([head, chunk]);
          if (head.length < SNIFF_BYTES) continue;
          await sniff(head);
          if (refusal) continue;
          await this.process(head, hash, scanWrite, pending);
          pendingBytes += head.length;
          head = undefined;
        } else {
          await this.process(chunk, hash, scanWrite, pending);
          pendingBytes += chunk.length;
        }
        if (pendingBytes >= CHUNK) await flush();
      }
      if (!refusal && size === 0) refusal = { code: 'empty' };
      if (!refusal && head) {
        await sniff(head);
        if (!refusal) {
          await this.process(head, hash, scanWrite, pending);
          pendingBytes += head.length;
        }
      }
      if (!refusal) {
        await flush();
        const verdict = await (scan ?? this.scanner.begin()).finish().catch((err: unknown) => {
          if (err instanceof ScannerError) return { clean: false as const, failed: true };
          throw err;
        });
        if (!verdict.clean) refusal = 'failed' in verdict ? { code: 'scan-failed' } : { code: 'infected' };
      }
    } catch (err) {
      scan?.abort();
      await this.forget(id);
      throw err;
    }
    if (refusal) {
      scan?.abort();
      await this.forget(id);
      return { refused: refusal, filename: name };
    }
    const ref: FileRef = { id, filename: name, mediaType, size, sha512: hash.digest('hex') };
    await this.db.query(`UPDATE attachments SET state = 'ready', media_type = $2, size = $3, sha512 = $4 WHERE id = $1`, [id, ref.mediaType, ref.size, ref.sha512]);
    return { ref };
  }

  private async process(bytes: Buffer, hash: ReturnType<typeof createHash>, scan: (b: Buffer) => Promise<void>, pending: Buffer[]): Promise<void> {
    hash.update(bytes);
    await scan(bytes);
    pending.push(bytes);
  }

  /** The draft's stored files by id (uploads still streaming in are not among them). */
  async draftFiles(draftId: string): Promise<Map<string, FileRef>> {
    const { rows } = await this.db.query<AttachmentRow>(`SELECT id, filename, media_type, size, sha512 FROM attachments WHERE draft_id = $1 AND state = 'ready'`, [draftId]);
    return new Map(rows.map((r) => [r.id, { id: r.id, filename: r.filename, mediaType: r.media_type, size: Number(r.size), sha512: r.sha512 }]));
  }

  /**
   * Inside the transaction that saves a draft (the draft row locked, so saves of one draft take
   * turns): makes the stored draft and its files agree, and returns the data to store.
   * - References to files that are gone (another tab removed or replaced them meanwhile) are
   *   dropped, so the draft never points to a missing file.
   * - Files that an earlier save took and this data no longer references go now, with this save.
   *   Files still being uploaded by another post (not yet taken by any save) are left alone: that
   *   post's save takes them, or the retention purge removes them as orphans.
   * - The referenced files are taken (`committed`), and their keys re-wrapped under the current
   *   draft key if a rotation left them under an older one.
   */
  async commit(tx: Queryable, draftId: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { rows } = await tx.query<{ id: string; committed: boolean; key_wrap: Uint8Array | null }>(`SELECT id, committed, key_wrap FROM attachments WHERE draft_id = $1 AND state = 'ready'`, [draftId]);
    const stored = new Map(rows.map((r) => [r.id, r]));
    const gone = new Set(fileRefsIn(data).map((f) => f.id).filter((id) => !stored.has(id)));
    const kept = gone.size > 0 ? withoutFiles(data, gone) : data;
    const referenced = [...new Set(fileRefsIn(kept).map((f) => f.id))];
    const dropped = rows.filter((r) => r.committed && !referenced.includes(r.id)).map((r) => r.id);
    if (dropped.length > 0) await tx.query('DELETE FROM attachments WHERE id = ANY($1::uuid[])', [dropped]);
    const taking = referenced.filter((id) => !stored.get(id)?.committed);
    if (taking.length > 0) await tx.query('UPDATE attachments SET committed = true WHERE id = ANY($1::uuid[])', [taking]);
    for (const id of referenced) {
      const row = stored.get(id);
      if (!row || this.keys.isCurrent(row.key_wrap)) continue;
      await tx.query('UPDATE attachments SET key_wrap = $2 WHERE id = $1', [id, this.keys.wrap(id, await this.keys.fileKey(tx, id, row.key_wrap))]);
    }
    return kept;
  }

  async discard(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.db.query('DELETE FROM attachments WHERE id = ANY($1::uuid[]) AND state <> \'sealed\'', [ids]);
  }

  /**
   * Re-encrypts the draft's referenced files for the authority, each as a compact JWE written in
   * chunks under a part name of its own; `bind` makes them the submission's inside the submit
   * transaction. Parts of a sealing that never got bound (the draft was submitted twice at once)
   * are removed with the draft or by `bind` of the winner.
   */
  async seal(draftId: string, refs: readonly PlacedFileRef[], publicJwk: JWK): Promise<SealedFile[]> {
    const stored = await this.draftFiles(draftId);
    const part = randomUUID();
    const sealed: SealedFile[] = [];
    for (const ref of refs) {
      const known = stored.get(ref.id);
      if (!known || known.sha512 !== ref.sha512 || known.size !== ref.size) throw new UnknownAttachmentError(ref.id);
      let seq = 0;
      let length = 0;
      let buffered: Buffer[] = [];
      let bufferedBytes = 0;
      const write = async () => {
        const data = Buffer.concat(buffered);
        await this.db.query('INSERT INTO attachment_chunks (attachment_id, part, seq, data) VALUES ($1, $2, $3, $4)', [ref.id, part, seq++, data]);
        length += data.length;
        buffered = [];
        bufferedBytes = 0;
      };
      for await (const piece of encryptStream(publicJwk, this.plaintext(ref.id, known.sha512), { contentType: known.mediaType })) {
        buffered.push(piece);
        bufferedBytes += piece.length;
        if (bufferedBytes >= CHUNK) await write();
      }
      if (bufferedBytes > 0) await write();
      sealed.push({ ...ref, part, jweLength: length });
    }
    return sealed;
  }

  /** Inside the submit transaction: the sealed files become the submission's, their draft copies go. */
  async bind(tx: Queryable, submissionId: string, draftId: string, files: readonly SealedFile[]): Promise<void> {
    for (const f of files) {
      const { rowCount } = await tx.query(
        `UPDATE attachments SET state = 'sealed', draft_id = NULL, submission_id = $2, pointer = $3, sealed_part = $4, jwe_length = $5 WHERE id = $1 AND draft_id = $6 AND state = 'ready'`,
        [f.id, submissionId, f.pointer, f.part, f.jweLength, draftId],
      );
      if (rowCount === 0) throw new UnknownAttachmentError(f.id);
      await tx.query('DELETE FROM attachment_chunks WHERE attachment_id = $1 AND part <> $2', [f.id, f.part]);
    }
  }

  /** Removes the JWE chunks of a sealing whose submit did not commit. */
  async unseal(files: readonly SealedFile[]): Promise<void> {
    const parts = [...new Set(files.map((f) => f.part))];
    if (parts.length > 0) await this.db.query(`DELETE FROM attachment_chunks WHERE part = ANY($1::text[]) AND attachment_id IN (SELECT id FROM attachments WHERE state <> 'sealed' OR sealed_part <> ALL($1::text[]))`, [parts]);
  }

  /** The submission's files as transports send them: each opens as a stream of its JWE's bytes. */
  async forSubmission(submissionId: string, db: Queryable = this.db): Promise<OutboundAttachment[]> {
    return attachmentsOf(db, submissionId);
  }

  /** The plaintext of a draft file, decrypted chunk by chunk and checked against its hash at the end. */
  private async *plaintext(id: string, sha512: string): AsyncGenerator<Buffer> {
    const hash = createHash('sha512');
    const { rows: [file] } = await this.db.query<{ key_wrap: Uint8Array | null }>('SELECT key_wrap FROM attachments WHERE id = $1', [id]);
    const fileKey = await this.keys.fileKey(this.db, id, file?.key_wrap ?? null);
    for (let seq = 0; ; seq++) {
      const { rows } = await this.db.query<{ data: Uint8Array }>('SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND part = $2 AND seq = $3', [id, DRAFT_PART, seq]);
      if (!rows[0]) break;
      const plain = decryptChunk(fileKey, id, seq, Buffer.from(rows[0].data));
      hash.update(plain);
      yield plain;
    }
    if (hash.digest('hex') !== sha512) throw new EfaError('EFA_ATTACHMENT_CORRUPT', `attachment ${id} does not match its hash`, 500);
  }

  private async forget(id: string): Promise<void> {
    await this.db.query('DELETE FROM attachments WHERE id = $1', [id]);
  }
}

/** Extensions that name the same format as file-type's canonical one. */
const SAME_EXT: Readonly<Record<string, readonly string[]>> = { jpg: ['jpg', 'jpeg', 'jpe'], tif: ['tif', 'tiff'], xml: ['xml'] };

function checkType(name: string, found: { ext: string; mime: string } | undefined, allowed: readonly string[]): { mediaType: string } | { refused: Refusal } {
  const claimed = /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase();
  if (!found) return { refused: { code: 'type' } };
  const names = SAME_EXT[found.ext] ?? [found.ext];
  if (claimed && !names.includes(claimed)) return { refused: { code: 'type-mismatch', detected: found.mime, claimed } };
  if (!allowed.includes(found.mime)) return { refused: { code: 'type', detected: found.mime } };
  return { mediaType: found.mime };
}
