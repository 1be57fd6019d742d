import { createHash } from 'node:crypto';
import { decodeJwt, type JWK } from 'jose';
import { EfaError } from '../core/errors.js';
import { signJson, verifyJson } from '../crypto/jws.js';

/**
 * The authority's answer on a submission as every return path carries it (docs/postfach.md): a
 * JWS signed with the authority's signing key (the directory entry's verificationKey checks it),
 * naming the submission (sub, txn as the FIT-Connect event tokens do), the answer's own id (jti:
 * the same answer sent twice is one answer), its text, an optional new status in the ZBP
 * vocabulary and each file's name, media type, size and SHA-512. The files travel beside the token
 * in the transport's envelope and must match the hashes it signs.
 */

/** The status vocabulary of the central citizen Postfach (ZBP), as FIT-Connect carries it. */
export const ZBP_STATUSES = ['INITIATED', 'SUBMITTED', 'RECEIVED', 'PROCESSING', 'ACTION_REQUIRED', 'COMPLETED'] as const;
export type ZbpStatus = (typeof ZBP_STATUSES)[number];

export const ANSWER_TOKEN_TYPE = 'efa-answer+jwt';
/** Limits of one answer: a decision with a few documents, never a file share. */
export const ANSWER_LIMITS = { textChars: 20_000, files: 10, fileBytes: 10 * 1024 * 1024, totalBytes: 20 * 1024 * 1024 } as const;

export interface ReturnedFile {
  filename: string;
  mediaType: string;
  sha512: string;
  bytes: Buffer;
}

/** An answer whose origin was proven (signature, or the authority's API token) and whose files match their hashes. */
export interface ReturnedAnswer {
  answerId: string;
  submissionId: string;
  text: string;
  status?: ZbpStatus;
  attachments: ReturnedFile[];
  /** Proven by the authority's signature (not only by its API token). */
  signed: boolean;
}

/** What a return path read from an envelope before anything is verified: enough to find the key. */
export interface ReturnEnvelope {
  submissionId: string;
  answerId: string;
  /** Verifies with the submission's authority's public signing key; throws AnswerSignatureError or AnswerInvalidError. */
  verify(key: JWK, authorityId: string): Promise<ReturnedAnswer>;
}

/** One transport's way back: the media types it takes and how it reads them. */
export interface ReturnPath {
  channel: string;
  mediaTypes: readonly string[];
  read(body: string, headers: Record<string, string | undefined>): ReturnEnvelope;
}

export class AnswerInvalidError extends EfaError {
  constructor(detail: string) {
    super('EFA_ANSWER_INVALID', `invalid answer: ${detail}`, 400);
  }
}

/** Forged, or signed with another key than the directory entry's: refused, nothing stored. */
export class AnswerSignatureError extends EfaError {
  constructor(detail: string) {
    super('EFA_ANSWER_SIGNATURE_INVALID', `the answer ${detail}`, 401);
  }
}

/** A file does not match the hash the authority stated (and signed). */
export class AnswerAttachmentHashError extends EfaError {
  constructor(filename: string) {
    super('EFA_ANSWER_ATTACHMENT_HASH', `attachment "${filename}" does not match its SHA-512`, 422);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

function hasControlOrPath(name: string): boolean {
  return [...name].some((c) => c.charCodeAt(0) < 0x20 || c === '/' || c === '\\' || c === '\u007f');
}

export function sha512Of(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('hex');
}

export interface FileDescription {
  filename: string;
  mediaType: string;
  size?: number;
  sha512: string;
}

/** Checks an answer's parts (text, status, files against their stated hashes) whatever carried it. */
export function checkedAnswer(input: { answerId: unknown; submissionId: string; text: unknown; status?: unknown; files: FileDescription[]; bytes: Buffer[]; signed: boolean }): ReturnedAnswer {
  const { answerId, text, status, files, bytes } = input;
  if (typeof answerId !== 'string' || !UUID.test(answerId.toLowerCase())) throw new AnswerInvalidError('the answer id must be a UUID');
  if (typeof text !== 'string' || text.trim() === '' || text.length > ANSWER_LIMITS.textChars) throw new AnswerInvalidError(`the text must be 1 to ${ANSWER_LIMITS.textChars} characters`);
  if (status !== undefined && status !== null && !(ZBP_STATUSES as readonly unknown[]).includes(status)) throw new AnswerInvalidError(`status must be one of ${ZBP_STATUSES.join(', ')}`);
  if (!Array.isArray(files) || files.length > ANSWER_LIMITS.files) throw new AnswerInvalidError(`at most ${ANSWER_LIMITS.files} attachments`);
  if (files.length !== bytes.length) throw new AnswerInvalidError(`${files.length} attachment(s) described but ${bytes.length} sent`);
  let total = 0;
  const attachments = files.map((f, i): ReturnedFile => {
    const body = bytes[i] as Buffer;
    if (typeof f?.filename !== 'string' || f.filename.length < 1 || f.filename.length > 200 || hasControlOrPath(f.filename)) throw new AnswerInvalidError(`attachment ${i + 1} needs a file name (1 to 200 characters, no path)`);
    if (typeof f.mediaType !== 'string' || !MEDIA_TYPE.test(f.mediaType)) throw new AnswerInvalidError(`attachment ${i + 1} needs a media type`);
    if (typeof f.sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(f.sha512)) throw new AnswerInvalidError(`attachment ${i + 1} needs its SHA-512 (128 hex digits)`);
    if (body.length === 0 || body.length > ANSWER_LIMITS.fileBytes) throw new AnswerInvalidError(`attachment ${i + 1} must hold 1 to ${ANSWER_LIMITS.fileBytes} bytes`);
    total += body.length;
    if (f.size !== undefined && f.size !== body.length) throw new AnswerAttachmentHashError(f.filename);
    if (sha512Of(body) !== f.sha512) throw new AnswerAttachmentHashError(f.filename);
    return { filename: f.filename, mediaType: f.mediaType, sha512: f.sha512, bytes: body };
  });
  if (total > ANSWER_LIMITS.totalBytes) throw new AnswerInvalidError(`the attachments together exceed ${ANSWER_LIMITS.totalBytes} bytes`);
  return { answerId: answerId.toLowerCase(), submissionId: input.submissionId, text, ...(status ? { status: status as ZbpStatus } : {}), attachments, signed: input.signed };
}

/** Base64 content as a return path's JSON or XML carries it; anything else is refused, not guessed. */
export function base64Bytes(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(value)) throw new AnswerInvalidError(`${what} must be base64`);
  return Buffer.from(value, 'base64');
}

export interface AnswerToSign {
  authorityId: string;
  submissionId: string;
  answerId: string;
  text: string;
  status?: ZbpStatus;
  attachments: Array<{ filename: string; mediaType: string; bytes: Buffer }>;
}

/** The authority's side (its Fachverfahren; here the demo receiver and tests). */
export async function signAnswerToken(privateJwk: JWK, a: AnswerToSign): Promise<string> {
  return signJson(privateJwk, {
    iss: a.authorityId, sub: `submission:${a.submissionId}`, txn: `case:${a.submissionId}`, jti: a.answerId, iat: Math.floor(Date.now() / 1000),
    answer: { text: a.text, ...(a.status ? { status: a.status } : {}), attachments: a.attachments.map((f) => ({ filename: f.filename, mediaType: f.mediaType, size: f.bytes.length, sha512: sha512Of(f.bytes) })) },
  }, ANSWER_TOKEN_TYPE);
}

interface AnswerClaims {
  iss?: unknown;
  sub?: unknown;
  txn?: unknown;
  jti?: unknown;
  answer?: { text?: unknown; status?: unknown; attachments?: FileDescription[] };
}

/**
 * The envelope of a token with the files beside it. The files are decoded only once the token
 * verified: an unsigned caller costs no base64 decoding or hashing of what it sent.
 */
export function tokenEnvelope(token: string, bytes: () => Buffer[]): ReturnEnvelope {
  let claims: AnswerClaims;
  try {
    claims = decodeJwt(token.trim()) as AnswerClaims;
  } catch {
    throw new AnswerInvalidError('the answer token is no JWS with a JSON payload');
  }
  const submissionId = typeof claims.sub === 'string' ? claims.sub.replace(/^submission:/, '').toLowerCase() : '';
  if (!UUID.test(submissionId)) throw new AnswerInvalidError('sub must be "submission:<uuid>"');
  if (typeof claims.jti !== 'string' || !UUID.test(claims.jti.toLowerCase())) throw new AnswerInvalidError('jti (the answer id) must be a UUID');
  return {
    submissionId, answerId: claims.jti.toLowerCase(),
    async verify(key: JWK, authorityId: string) {
      let verified: { payload: AnswerClaims; header: Record<string, unknown> };
      try {
        verified = await verifyJson<AnswerClaims>(key, token.trim());
      } catch {
        throw new AnswerSignatureError('token does not verify with the authority\'s verificationKey');
      }
      const { payload, header } = verified;
      if (payload.iss !== authorityId) throw new AnswerSignatureError(`is not issued by the submission's authority ${authorityId}`);
      if (header.typ !== ANSWER_TOKEN_TYPE) throw new AnswerInvalidError(`the token's typ must be "${ANSWER_TOKEN_TYPE}"`);
      if (payload.txn !== `case:${submissionId}`) throw new AnswerInvalidError(`txn must be "case:${submissionId}"`);
      const answer = payload.answer ?? {};
      return checkedAnswer({ answerId: payload.jti, submissionId, text: answer.text, status: answer.status, files: answer.attachments ?? [], bytes: bytes(), signed: true });
    },
  };
}
