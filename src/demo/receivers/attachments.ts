import { decryptWith, sha512Hex } from '../../crypto/jwe.js';
import type { AttachmentDescription } from '../../transports/attachments.js';
import type { ReceivedAttachment } from './inbox.js';
import type { ReceiverAuthority } from './types.js';

/**
 * The largest request a local receiver takes: the stand-ins hold a request in memory to decrypt it
 * (a JWE compact cannot be decrypted before its tag, at the end, has arrived).
 */
export const RECEIVER_BODY_LIMIT = 256 * 1024 * 1024;

/** Why an attachment was refused; each receiver answers it in its own protocol. */
export class AttachmentRefusal extends Error {
  constructor(readonly reason: 'missing' | 'unexpected' | 'duplicate-id' | 'undecryptable' | 'hash-mismatch', readonly attachmentId: string, message: string) {
    super(message);
    this.name = 'AttachmentRefusal';
  }

  /** The refusal's code in a receiver's family, e.g. EFA_XTA_ATTACHMENT_HASH_MISMATCH. */
  codeFor(prefix: string): string {
    const suffix = { missing: 'MISSING', unexpected: 'UNEXPECTED', 'duplicate-id': 'UNEXPECTED', undecryptable: 'DECRYPTION_FAILED', 'hash-mismatch': 'HASH_MISMATCH' }[this.reason];
    return `${prefix}_ATTACHMENT_${suffix}`;
  }
}

/**
 * Decrypts one attachment with the authority's key and proves that it is the file the sender
 * described: the SHA-512 of the plaintext must be the one the signed (or encrypted) message names.
 */
export async function openAttachment(authority: ReceiverAuthority, described: AttachmentDescription, jwe: string): Promise<ReceivedAttachment> {
  let bytes: Buffer;
  try {
    bytes = Buffer.from((await decryptWith(authority.decryptionKey, jwe)).plaintext);
  } catch {
    throw new AttachmentRefusal('undecryptable', described.id, `attachment ${described.id} cannot be decrypted with this authority's key`);
  }
  const sha512 = sha512Hex(bytes);
  if (sha512 !== described.sha512) throw new AttachmentRefusal('hash-mismatch', described.id, `attachment ${described.id} does not match its SHA-512`);
  return { id: described.id, filename: described.filename, mediaType: described.mediaType, size: bytes.length, sha512, bytes };
}

/**
 * Opens every described attachment from the JWEs that arrived (by id): none may be missing, none
 * unannounced, and every one must decrypt to its hash. Refuses the whole message on the first fault.
 */
export async function openAll(authority: ReceiverAuthority, described: readonly AttachmentDescription[], arrived: ReadonlyMap<string, string>): Promise<ReceivedAttachment[]> {
  const ids = new Set<string>();
  for (const d of described) {
    if (ids.has(d.id)) throw new AttachmentRefusal('duplicate-id', d.id, `attachment id ${d.id} is described twice`);
    ids.add(d.id);
    if (!arrived.has(d.id)) throw new AttachmentRefusal('missing', d.id, `attachment ${d.id} is described but did not arrive`);
  }
  for (const id of arrived.keys()) {
    if (!ids.has(id)) throw new AttachmentRefusal('unexpected', id, `attachment ${id} arrived but is not described in the signed message`);
  }
  const opened: ReceivedAttachment[] = [];
  for (const d of described) opened.push(await openAttachment(authority, d, arrived.get(d.id) ?? ''));
  return opened;
}

/** Attachment descriptions from untrusted JSON: anything malformed is refused before decrypting. */
export function isDescriptionList(value: unknown): value is AttachmentDescription[] {
  return Array.isArray(value) && value.every((d) => {
    if (typeof d !== 'object' || d === null) return false;
    const a = d as Record<string, unknown>;
    return typeof a.id === 'string' && typeof a.filename === 'string' && typeof a.mediaType === 'string' && typeof a.sha512 === 'string' && typeof a.size === 'number';
  });
}

/** What a signed receipt confirms: id and plaintext hash of each verified attachment. */
export function confirmedDigests(attachments: readonly ReceivedAttachment[]): { id: string; sha512: string }[] {
  return attachments.map((a) => ({ id: a.id, sha512: a.sha512 }));
}
