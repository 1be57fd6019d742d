import { EfaError } from '../core/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { endpointFor, type RoutingData } from '../routing/load.js';
import type { Database } from '../storage/db.js';
import type { DraftStore } from '../submissions/drafts.js';
import { base64Bytes, checkedAnswer, returnPaths, type ReturnedAnswer } from '../transports/return-paths.js';
import { answerableSubmission, AnswerSubmissionNotFoundError, storeAnswer, type AnswerSubmission } from './answers.js';
import { notifyAnswer, type ComposeNotice } from './notify.js';

/**
 * Taking an authority's answer, whichever way it came: verified against the directory entry of the
 * submission's authority (the way back is the transport it receives by), stored once, and the
 * applicant told by e-mail if they asked to be.
 */
export interface PostfachDeps {
  db: Database;
  drafts: DraftStore;
  routing: () => RoutingData;
  mailer?: Mailer;
  compose: ComposeNotice;
  /** A notice that could not be sent (logged by the caller without address or content). */
  onNoticeError: (err: unknown) => void;
}

export interface Received {
  answerId: string;
  submissionId: string;
  /** False: a repeat of an answer already stored. */
  created: boolean;
}

export class UnknownReturnChannelError extends EfaError {
  constructor(channel: string) {
    super('EFA_RETURN_CHANNEL_UNKNOWN', `no return path "${channel}": webhook, xta, osci or fit-connect (a pull authority answers through the pull API)`, 404);
  }
}

/** The answer came another way than the authority's directory entry names. */
export class AnswerChannelError extends EfaError {
  constructor(channel: string, expected: string | undefined) {
    super('EFA_ANSWER_CHANNEL', `the submission's authority receives ${expected ? `by ${expected}` : 'by no transport any more'}; an answer over ${channel} is not taken`, 403);
  }
}

export class AnswerKeyMissingError extends EfaError {
  constructor(authorityId: string) {
    super('EFA_NO_VERIFICATION_KEY', `the directory has no verificationKey for authority ${authorityId}: its answers cannot be verified`, 422);
  }
}

/** An answer over a push transport's return path (`channel`: webhook, xta, osci, fit-connect). */
export async function receiveReturn(deps: PostfachDeps, channel: string, body: string, headers: Record<string, string | undefined>): Promise<Received> {
  const path = returnPaths.get(channel);
  if (!path) throw new UnknownReturnChannelError(channel);
  const envelope = path.read(body, headers);
  const submission = await answerableSubmission(deps.db, envelope.submissionId);
  if (!submission) throw new AnswerSubmissionNotFoundError(envelope.submissionId);
  const endpoint = endpointFor(deps.routing(), submission.authority_id, submission.leika_key);
  if (endpoint?.transport !== channel) throw new AnswerChannelError(channel, endpoint?.transport);
  if (!endpoint.verificationKey) throw new AnswerKeyMissingError(submission.authority_id);
  const answer = await envelope.verify(endpoint.verificationKey, submission.authority_id);
  return accept(deps, submission, answer, channel);
}

/**
 * An answer through the pull API: the authority's API token (scope submissions:pull) proves who
 * sends it; only that authority's own submissions can be answered.
 */
export async function receivePulledAnswer(deps: PostfachDeps, authorityId: string, submissionId: string, body: unknown): Promise<Received> {
  const submission = await answerableSubmission(deps.db, submissionId);
  if (!submission || submission.authority_id !== authorityId) throw new AnswerSubmissionNotFoundError(submissionId);
  const b = (typeof body === 'object' && body !== null ? body : {}) as { answerId?: unknown; text?: unknown; status?: unknown; attachments?: unknown };
  const files = Array.isArray(b.attachments) ? (b.attachments as Array<Record<string, unknown>>) : [];
  const answer = checkedAnswer({
    answerId: b.answerId, submissionId, text: b.text, status: b.status, signed: false,
    files: files.map((f) => ({ filename: f?.filename as string, mediaType: f?.mediaType as string, sha512: f?.sha512 as string, ...(typeof f?.size === 'number' ? { size: f.size } : {}) })),
    bytes: files.map((f, i) => base64Bytes(f?.content, `attachment ${i + 1}'s content`)),
  });
  return accept(deps, submission, answer, 'pull');
}

async function accept(deps: PostfachDeps, submission: AnswerSubmission, answer: ReturnedAnswer, channel: string): Promise<Received> {
  const { created } = await storeAnswer(deps.db, deps.drafts, submission, answer, channel);
  // The authority's call does not wait for the mail relay; the Postfach has the answer either way.
  // A repeat tries again only if the notice was not sent (notifyAnswer claims it once).
  void notifyAnswer(deps, answer.answerId).catch(deps.onNoticeError);
  return { answerId: answer.answerId, submissionId: submission.id, created };
}
