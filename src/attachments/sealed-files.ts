/** A submission's sealed files (each a JWE for the authority, in chunks) as transports send them. */
import { Readable } from 'node:stream';
import type { Queryable } from '../storage/db.js';
import type { OutboundAttachment } from '../transports/types.js';

interface SealedRow {
  id: string;
  filename: string;
  media_type: string;
  size: string | number;
  sha512: string;
  pointer: string;
  sealed_part: string;
  jwe_length: string | number;
}

/** A submission's sealed files (for delivery and the pull API), in the order of their pointers. */
export async function attachmentsOf(db: Queryable, submissionId: string): Promise<OutboundAttachment[]> {
  const { rows } = await db.query<SealedRow>(
    `SELECT id, filename, media_type, size, sha512, pointer, sealed_part, jwe_length FROM attachments WHERE submission_id = $1 AND state = 'sealed' ORDER BY pointer, id`,
    [submissionId],
  );
  return rows.map((r) => ({
    id: r.id, pointer: r.pointer, filename: r.filename, mediaType: r.media_type, size: Number(r.size), sha512: r.sha512, jweLength: Number(r.jwe_length),
    open: () => Readable.from(jweChunks(db, r.id, r.sealed_part)),
  }));
}

async function* jweChunks(db: Queryable, id: string, part: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const { rows } = await db.query<{ data: Uint8Array }>('SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND part = $2 AND seq = $3', [id, part, seq]);
    if (!rows[0]) return;
    yield Buffer.from(rows[0].data);
  }
}
