import { cleanFileName } from '../attachments/file-name.js';
import { TransportError } from '../core/errors.js';
import type { OutboundAttachment } from './types.js';

/**
 * Attachment helpers shared by the push transports. Every transport streams each attachment's JWE
 * from the store into the request body, so no transport holds a whole file in memory, and every
 * receipt confirms the plaintext hash of each attachment the receiver verified.
 */

/** What a sender states about one attachment (signed or inside encrypted metadata). */
export interface AttachmentDescription {
  id: string;
  filename: string;
  mediaType: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Hex SHA-512 of the plaintext. */
  sha512: string;
}

/** What a receiver confirms in its signed receipt: the files it decrypted and verified. */
export interface AttachmentDigest {
  id: string;
  sha512: string;
}

export function describeAttachment(a: OutboundAttachment): AttachmentDescription {
  // Cleaned again on the way out: a name stored before a rule existed must not reach a receiver.
  return { id: a.id, filename: cleanFileName(a.filename), mediaType: a.mediaType, size: a.size, sha512: a.sha512 };
}

export function digestsOf(attachments: readonly { id: string; sha512: string }[]): AttachmentDigest[] {
  return attachments.map((a) => ({ id: a.id, sha512: a.sha512 })).sort((x, y) => x.id.localeCompare(y.id));
}

/** True when a receipt confirms exactly the attachments sent (an older receipt without the field: none). */
export function confirmsAttachments(confirmed: unknown, sent: readonly OutboundAttachment[]): boolean {
  const list = confirmed === undefined ? [] : confirmed;
  if (!Array.isArray(list)) return false;
  const given = digestsOf(list.filter((d): d is AttachmentDigest => typeof d === 'object' && d !== null && typeof (d as AttachmentDigest).id === 'string' && typeof (d as AttachmentDigest).sha512 === 'string'));
  return given.length === list.length && JSON.stringify(given) === JSON.stringify(digestsOf(sent));
}

/** A piece of a streamed request body: fixed text, or an attachment whose JWE is read from its store. */
export type BodyPiece = string | Buffer | OutboundAttachment;

export interface StreamedBody {
  /** Exact byte length, sent as Content-Length so the receiver can refuse an oversized request up front. */
  length: number;
  /** A fresh iterable per call: a request that is sent again (new token) needs a new stream. */
  open(): AsyncIterable<Uint8Array>;
}

/** The store gave other bytes than the attachment announced: the file is damaged or was replaced. */
export class AttachmentReadError extends TransportError {
  constructor(transport: string, message: string, options?: { cause?: unknown }) {
    super(transport, message, true, options);
  }
}

/**
 * Joins fixed pieces and attachment streams into one request body of known length. Each attachment
 * stream must yield exactly `jweLength` bytes; anything else aborts the request, because the
 * receiver would otherwise get a truncated or padded JWE.
 */
export function streamedBody(transport: string, pieces: readonly BodyPiece[], observe?: (attachment: OutboundAttachment, chunk: Buffer) => void): StreamedBody {
  const fixed = pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
  const length = fixed.reduce((sum, p) => sum + (Buffer.isBuffer(p) ? p.length : p.jweLength), 0);
  return {
    length,
    async *open() {
      for (const piece of fixed) {
        if (Buffer.isBuffer(piece)) {
          yield piece;
          continue;
        }
        let read = 0;
        try {
          for await (const chunk of piece.open()) {
            const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
            read += bytes.length;
            if (read > piece.jweLength) break;
            observe?.(piece, bytes);
            yield bytes;
          }
        } catch (err) {
          throw new AttachmentReadError(transport, `attachment ${piece.id} could not be read from the store`, { cause: err });
        }
        if (read !== piece.jweLength) throw new AttachmentReadError(transport, `attachment ${piece.id} has ${read > piece.jweLength ? 'more' : 'fewer'} bytes than its jweLength ${piece.jweLength}`);
      }
    },
  };
}

/** The request options for a streamed body (fetch needs `duplex: "half"` for a streamed request). */
export function streamedInit(body: StreamedBody, contentType: string): Pick<RequestInit, 'body' | 'headers'> & { duplex: 'half' } {
  return {
    headers: { 'content-type': contentType, 'content-length': String(body.length) },
    body: body.open() as unknown as BodyInit,
    duplex: 'half',
  };
}

/** Reads an attachment's JWE whole; for tests and tools that need the request as one string. */
export async function readJwe(attachment: OutboundAttachment): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of attachment.open()) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('ascii');
}

/**
 * Splits an XML document built with unique marker texts into the pieces around them, so the
 * attachments' JWEs can be streamed where the markers stood. The JWE compact alphabet
 * (base64url and ".") needs no XML escaping.
 */
export function piecesAround(xml: string, markers: ReadonlyMap<string, OutboundAttachment>): BodyPiece[] {
  const pieces: BodyPiece[] = [];
  let rest = xml;
  for (const [marker, attachment] of markers) {
    const at = rest.indexOf(marker);
    if (at < 0 || rest.indexOf(marker, at + marker.length) >= 0) throw new Error(`marker for attachment ${attachment.id} must occur exactly once`);
    pieces.push(rest.slice(0, at), attachment);
    rest = rest.slice(at + marker.length);
  }
  pieces.push(rest);
  return pieces;
}

/**
 * The last segment of a compact JWE (its authentication tag), taken while the JWE streams past,
 * keeping at most a few dozen characters: the ciphertext before it is never buffered.
 */
export class TagCollector {
  private readonly tails = new Map<string, string>();

  observe = (attachment: OutboundAttachment, chunk: Buffer): void => {
    const text = chunk.toString('latin1');
    const dot = text.lastIndexOf('.');
    const tail = dot >= 0 ? text.slice(dot + 1) : `${this.tails.get(attachment.id) ?? ''}${text}`;
    this.tails.set(attachment.id, tail.slice(-64));
  };

  tags(): Record<string, string> {
    return Object.fromEntries(this.tails);
  }
}
