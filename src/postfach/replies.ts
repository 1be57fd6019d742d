import { randomUUID } from 'node:crypto';
import { EfaError } from '../core/errors.js';
import { encryptFor, sha512Hex } from '../crypto/jwe.js';
import type { PlacedFileRef } from '../attachments/references.js';
import type { AttachmentStore, SealedFile } from '../attachments/store.js';
import { endpointFor, type RoutingData } from '../routing/load.js';
import type { Database } from '../storage/db.js';
import type { SubmissionRow } from '../submissions/row.js';
import { isPullEndpoint } from '../transports/vocabulary.js';

/**
 * The applicant's reply where the authority asks for something (ACTION_REQUIRED): a message and a
 * document for the same case. It travels as a submission of its own (case_id = the application,
 * in_reply_to = the answer) to the same authority over the transport of its directory entry, so it
 * is encrypted for the authority, delivered with retries and receipts like the application, and a
 * pull authority finds it in its list. Its reference is the application's with "-N<n>".
 */
export const REPLY_SCHEMA_URI = 'urn:efa-runtime:postfach:reply:1';
export const REPLY_MESSAGE_CHARS = 2000;

export class ReplyNotExpectedError extends EfaError {
  constructor() {
    super('EFA_REPLY_NOT_EXPECTED', 'the authority asks for nothing on this submission now', 409);
  }
}

export interface ApplicantReply {
  id: string;
  submittedAt: Date;
  files: number;
}

export async function repliesOf(db: Database, caseId: string): Promise<ApplicantReply[]> {
  const { rows } = await db.query<{ id: string; submitted_at: Date | string; files: number | string }>(
    `SELECT s.id, s.submitted_at, (SELECT count(*) FROM attachments a WHERE a.submission_id = s.id) AS files
       FROM submissions s WHERE s.case_id = $1 ORDER BY s.submitted_at`, [caseId]);
  return rows.map((r) => ({ id: r.id, submittedAt: new Date(r.submitted_at), files: Number(r.files) }));
}

type CaseRow = Pick<SubmissionRow, 'id' | 'reference' | 'tenant' | 'service_id' | 'service_version' | 'leika_key' | 'region' | 'authority_id' | 'authority_name' | 'delivery_mode'>;

export interface ReplyInput {
  caseId: string;
  /** The answer that asked (the newest ACTION_REQUIRED). */
  inReplyTo: string;
  message: string;
  /** The draft that holds the uploaded document (removed with the reply's storing). */
  draftId: string;
  files: PlacedFileRef[];
}

/** Stores the reply with its outbox entry (push) in one transaction; returns its id (the message id the authority sees). */
export async function storeReply(deps: { db: Database; attachments: AttachmentStore; routing: RoutingData }, input: ReplyInput): Promise<{ id: string; deliveryMode: 'push' | 'pull' }> {
  const { db, attachments } = deps;
  const { rows } = await db.query<CaseRow>('SELECT id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, delivery_mode FROM submissions WHERE id = $1 AND case_id IS NULL', [input.caseId]);
  const c = rows[0];
  const endpoint = c && endpointFor(deps.routing, c.authority_id, c.leika_key);
  if (!c || !endpoint) throw new ReplyNotExpectedError();
  const id = randomUUID();
  const submittedAt = new Date().toISOString();
  const sealed: SealedFile[] = await attachments.seal(input.draftId, input.files, endpoint.encryptionKey);
  const document = {
    meta: { kind: 'reply', submissionId: id, caseId: c.id, reference: c.reference, inReplyTo: input.inReplyTo, submittedAt, tenant: c.tenant, service: c.service_id, leikaKey: c.leika_key },
    message: input.message,
    attachments: input.files.map((f) => ({ id: f.id, pointer: f.pointer, filename: f.filename, mediaType: f.mediaType, size: f.size, sha512: f.sha512 })),
  };
  const text = JSON.stringify(document);
  const jwe = await encryptFor(endpoint.encryptionKey, text, 'application/json');
  const mode = isPullEndpoint(endpoint) ? 'pull' : 'push';
  try {
    await db.transaction(async (tx) => {
      const n = Number((await tx.query<{ n: string | number }>('SELECT count(*) AS n FROM submissions WHERE case_id = $1', [c.id])).rows[0]?.n ?? 0) + 1;
      await tx.query(
        `INSERT INTO submissions (id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, status, payload_jwe, payload_media_type, payload_sha512, schema_uri, fee_cents, submitted_at, delivery_mode, payload_format, case_id, in_reply_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, 'application/json', $11, $12, 0, $13, $14, 'json', $15, $16)`,
        [id, `${c.reference}-N${n}`, c.tenant, c.service_id, c.service_version, c.leika_key, c.region, c.authority_id, c.authority_name, jwe, sha512Hex(text), REPLY_SCHEMA_URI, submittedAt, mode, c.id, input.inReplyTo],
      );
      await attachments.bind(tx, id, input.draftId, sealed);
      if (mode === 'push') await tx.query('INSERT INTO outbox (submission_id) VALUES ($1)', [id]);
      await tx.query('DELETE FROM drafts WHERE id = $1', [input.draftId]);
    });
  } catch (err) {
    await attachments.unseal(sealed).catch(() => undefined);
    throw err;
  }
  return { id, deliveryMode: mode };
}
