import type { ReturnPath } from './answer-token.js';
import { fitConnectReturn } from './fit-connect-reply.js';
import { osciReturn } from './osci-reply.js';
import { webhookReturn } from './webhook-reply.js';
import { xtaReturn } from './xta-reply.js';

/**
 * The ways an authority's answer comes back, one per push transport (the pull API takes answers
 * through its own route). Outside src/transports/, the return channel uses them through this module.
 */
export const returnPaths: ReadonlyMap<string, ReturnPath> = new Map([webhookReturn, xtaReturn, osciReturn, fitConnectReturn].map((p) => [p.channel, p]));

export { AnswerAttachmentHashError, AnswerInvalidError, AnswerSignatureError, ANSWER_LIMITS, base64Bytes, checkedAnswer, ZBP_STATUSES, type ReturnedAnswer, type ReturnedFile, type ReturnPath, type ZbpStatus } from './answer-token.js';
