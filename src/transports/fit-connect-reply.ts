import { AnswerInvalidError, base64Bytes, tokenEnvelope, type ReturnPath } from './answer-token.js';

/**
 * FIT-Connect's way back, modelled on its reply channel: the destination sends a reply to the
 * submission's case (replyId, caseId) whose metadata is the signed answer token (a Security-Event-
 * like JWS of the destination's key) and whose attachments (attachmentId, base64 content) are the
 * files in the order the token lists them.
 */
interface FitConnectReply {
  replyId?: unknown;
  caseId?: unknown;
  answerToken?: unknown;
  attachments?: Array<{ attachmentId?: unknown; content?: unknown }>;
}

export const fitConnectReturn: ReturnPath = {
  channel: 'fit-connect',
  mediaTypes: ['application/json'],
  read(body) {
    let reply: FitConnectReply;
    try {
      reply = JSON.parse(body) as FitConnectReply;
    } catch {
      throw new AnswerInvalidError('the reply is not JSON');
    }
    if (typeof reply?.answerToken !== 'string') throw new AnswerInvalidError('the reply holds no answerToken');
    const files = Array.isArray(reply.attachments) ? reply.attachments : [];
    const envelope = tokenEnvelope(reply.answerToken, () => files.map((f, i) => base64Bytes(f?.content, `attachment ${i + 1}`)));
    // The reply's ids must be the token's (the signature covers the token only).
    if (reply.replyId !== envelope.answerId || reply.caseId !== envelope.submissionId) throw new AnswerInvalidError('replyId and caseId must be the token\'s jti and submission');
    return envelope;
  },
};

/** The destination's reply (demo receiver, tests). */
export function fitConnectReplyBody(a: { submissionId: string; answerId: string; token: string; attachments: Array<{ bytes: Buffer }> }): string {
  return JSON.stringify({ replyId: a.answerId, caseId: a.submissionId, answerToken: a.token, attachments: a.attachments.map((f, i) => ({ attachmentId: `${a.answerId}-${i + 1}`, content: f.bytes.toString('base64') })) });
}
