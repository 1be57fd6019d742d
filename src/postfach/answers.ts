import { createHash } from 'node:crypto';
import { EfaError } from '../core/errors.js';
import type { Database } from '../storage/db.js';
import type { DraftStore } from '../submissions/drafts.js';
import type { ReturnedAnswer, ZbpStatus } from '../transports/return-paths.js';

/**
 * The authorities' answers as the runtime keeps them for the applicant: one row per answer id
 * (the same answer sent twice is one answer), its text and files sealed under the draft keys and
 * bound to the answer id, so only the applicant's pages open them, and nothing of them reaches a
 * log, an operator API or another applicant.
 */

/** An answer id already names another answer (other content, or another submission). */
export class AnswerConflictError extends EfaError {
  constructor(id: string) {
    super('EFA_ANSWER_CONFLICT', `answer ${id} was already received with other content: an answer id names one answer`, 409);
  }
}

/** The submission is unknown, or (seen from an authority) not its own: the same answer for both. */
export class AnswerSubmissionNotFoundError extends EfaError {
  constructor(id: string) {
    super('EFA_SUBMISSION_NOT_FOUND', `no submission ${id} for this authority`, 404);
  }
}

/** An answer to what the authority has not received yet: nobody there can have read it. */
export class AnswerTooEarlyError extends EfaError {
  constructor(id: string) {
    super('EFA_ANSWER_TOO_EARLY', `submission ${id} has not been delivered to (or fetched by) the authority yet`, 409);
  }
}

export interface AnswerSubmission {
  id: string;
  authority_id: string;
  leika_key: string;
  status: string;
}

/** The submission an answer is for; replies of the applicant (case_id set) are not answered on. */
export async function answerableSubmission(db: Database, id: string): Promise<AnswerSubmission | undefined> {
  const { rows } = await db.query<AnswerSubmission>('SELECT id, authority_id, leika_key, status FROM submissions WHERE id = $1 AND case_id IS NULL', [id]);
  return rows[0];
}

interface SealedAnswer {
  text: string;
  attachments: Array<{ filename: string; mediaType: string; size: number; sha512: string; data: string }>;
}

function contentHash(a: ReturnedAnswer): Buffer {
  const canonical = JSON.stringify([a.submissionId, a.text, a.status ?? null, a.attachments.map((f) => [f.filename, f.mediaType, f.sha512])]);
  return createHash('sha256').update(canonical, 'utf8').digest();
}

export interface StoredAnswer {
  /** False: this answer id was already stored with the same content (a repeat, nothing changed). */
  created: boolean;
}

/**
 * Stores a verified answer once. A repeat (same id, same content) changes nothing; the same id with
 * other content, or for another submission, is refused.
 */
export async function storeAnswer(db: Database, drafts: DraftStore, submission: AnswerSubmission, answer: ReturnedAnswer, channel: string): Promise<StoredAnswer> {
  if (submission.status === 'submitted') throw new AnswerTooEarlyError(submission.id);
  const hash = contentHash(answer);
  const sealed: SealedAnswer = { text: answer.text, attachments: answer.attachments.map((f) => ({ filename: f.filename, mediaType: f.mediaType, size: f.bytes.length, sha512: f.sha512, data: f.bytes.toString('base64') })) };
  const { rowCount } = await db.query(
    `INSERT INTO submission_answers (id, submission_id, authority_id, channel, status, content_sha256, sealed, attachment_count, signed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
    [answer.answerId, submission.id, submission.authority_id, channel, answer.status ?? null, hash, drafts.sealFor('answer', answer.answerId, sealed as unknown as Record<string, unknown>), answer.attachments.length, answer.signed],
  );
  if (rowCount === 1) return { created: true };
  const { rows } = await db.query<{ submission_id: string; content_sha256: Uint8Array }>('SELECT submission_id, content_sha256 FROM submission_answers WHERE id = $1', [answer.answerId]);
  const existing = rows[0];
  if (!existing || existing.submission_id !== submission.id || !Buffer.from(existing.content_sha256).equals(hash)) throw new AnswerConflictError(answer.answerId);
  return { created: false };
}

export interface AnswerFile {
  index: number;
  filename: string;
  mediaType: string;
  size: number;
  sha512: string;
}

export interface PostfachAnswer {
  id: string;
  receivedAt: Date;
  status: ZbpStatus | null;
  /** Undefined once purged by retention (or when its key was removed). */
  text?: string;
  attachments: AnswerFile[];
  purged: boolean;
}

interface AnswerRow {
  id: string;
  received_at: Date | string;
  status: ZbpStatus | null;
  sealed: Uint8Array | null;
  purged_at: Date | string | null;
}

/** A submission's answers, oldest first, opened for its applicant's Postfach. */
export async function answersOf(db: Database, drafts: DraftStore, submissionId: string): Promise<PostfachAnswer[]> {
  const { rows } = await db.query<AnswerRow>('SELECT id, received_at, status, sealed, purged_at FROM submission_answers WHERE submission_id = $1 ORDER BY received_at, id', [submissionId]);
  return rows.map((r) => {
    const opened = r.sealed ? (drafts.openFor('answer', r.id, r.sealed) as SealedAnswer | undefined) : undefined;
    return {
      id: r.id, receivedAt: new Date(r.received_at), status: r.status, purged: r.purged_at !== null || !opened,
      ...(opened ? { text: opened.text } : {}),
      attachments: (opened?.attachments ?? []).map((f, index) => ({ index, filename: f.filename, mediaType: f.mediaType, size: f.size, sha512: f.sha512 })),
    };
  });
}

/** The file is not the one the authority sent (its stored hash no longer matches): never served. */
export class AnswerFileCorruptError extends EfaError {
  constructor() {
    super('EFA_ANSWER_FILE_CORRUPT', 'a stored answer file does not match its SHA-512', 500);
  }
}

/** One file of an answer, checked against its SHA-512 again before it is served. */
export async function answerFile(db: Database, drafts: DraftStore, submissionId: string, answerId: string, index: number): Promise<(AnswerFile & { bytes: Buffer }) | undefined> {
  const { rows } = await db.query<{ sealed: Uint8Array | null }>('SELECT sealed FROM submission_answers WHERE id = $1 AND submission_id = $2 AND purged_at IS NULL', [answerId, submissionId]);
  const sealed = rows[0]?.sealed;
  const opened = sealed ? (drafts.openFor('answer', answerId, sealed) as SealedAnswer | undefined) : undefined;
  const file = opened?.attachments[index];
  if (!file) return undefined;
  const bytes = Buffer.from(file.data, 'base64');
  if (createHash('sha512').update(bytes).digest('hex') !== file.sha512) throw new AnswerFileCorruptError();
  return { index, filename: file.filename, mediaType: file.mediaType, size: file.size, sha512: file.sha512, bytes };
}
