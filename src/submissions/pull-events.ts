import type { JWK } from 'jose';
import { newAjv } from '../core/declarations.js';
import { compileSchema } from '../core/schema-cache.js';
import { EfaError } from '../core/errors.js';
import { verifyJson } from '../crypto/jws.js';
import { EVENT_ACCEPT, EVENT_REJECT, SET_TYPE, type Problem, type SecurityEventClaims } from '../transports/vocabulary.js';
import type { Decision } from './pull.js';

/**
 * An authority's accept or reject, as the pull API takes it: a plain JSON event (easy with curl), or
 * a FIT-Connect Security Event Token (RFC 8417) signed with the authority's key, which is kept as
 * proof of who decided what.
 */

/** Enough for any real rejection; a longer list is a client bug or an attack on our storage. */
export const MAX_PROBLEMS = 20;

export class InvalidEventError extends EfaError {
  constructor(detail: string) {
    super('EFA_EVENT_INVALID', `invalid event: ${detail}`, 400);
  }
}

export class EventSignatureError extends EfaError {
  constructor(detail: string) {
    super('EFA_EVENT_SIGNATURE_INVALID', `the event token ${detail}`, 422);
  }
}

/** A signed event needs the authority's public signing key in the directory to be checked against. */
export class NoVerificationKeyError extends EfaError {
  constructor(authorityId: string) {
    super('EFA_NO_VERIFICATION_KEY', `the directory has no verificationKey for authority ${authorityId}: send the event as application/json or add the key`, 422);
  }
}

export interface ParsedEvent {
  decision: Decision;
  problems: Problem[];
  evidence?: string;
  dataTag?: string;
}

const SHORT_NAMES: Record<string, string> = { 'accept-submission': EVENT_ACCEPT, 'reject-submission': EVENT_REJECT };

const problemSchema = {
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', minLength: 1, maxLength: 500 },
    title: { type: 'string', minLength: 1, maxLength: 300 },
    detail: { type: 'string', maxLength: 2000 },
    instance: { type: 'string', maxLength: 500 },
  },
};

const ajv = newAjv();
const validJsonEvent = compileSchema(ajv, {
  type: 'object',
  required: ['event'],
  additionalProperties: false,
  properties: {
    event: { enum: [...Object.keys(SHORT_NAMES), EVENT_ACCEPT, EVENT_REJECT] },
    problems: { type: 'array', maxItems: MAX_PROBLEMS, items: problemSchema },
  },
});
const validProblems = compileSchema(ajv, { type: 'array', minItems: 1, maxItems: MAX_PROBLEMS, items: problemSchema });

/** `{"event": "accept-submission"}` or `{"event": "reject-submission", "problems": [{"title": …}]}`. */
export function parseJsonEvent(body: unknown): ParsedEvent {
  if (!validJsonEvent(body)) throw new InvalidEventError(firstError(validJsonEvent.errors));
  const { event, problems = [] } = body as { event: string; problems?: Problem[] };
  return decisionOf(SHORT_NAMES[event] ?? event, problems);
}

/**
 * A FIT-Connect event token: signed by the authority (typ secevent+jwt), issued by it (iss =
 * authority id), about this submission (sub = submission:<id>, txn = case:<id>; a submission is its
 * own case here). An accept must name the authentication tag of the data it accepted.
 */
export async function parseSignedEvent(token: string, key: JWK | undefined, authorityId: string, submissionId: string): Promise<ParsedEvent> {
  if (!key) throw new NoVerificationKeyError(authorityId);
  let verified: { payload: SecurityEventClaims; header: Record<string, unknown> };
  try {
    verified = await verifyJson<SecurityEventClaims>(key, token.trim());
  } catch {
    throw new EventSignatureError(`does not verify with authority ${authorityId}'s verificationKey`);
  }
  const { payload: claims, header } = verified;
  if (header.typ !== SET_TYPE) throw new InvalidEventError(`header typ must be "${SET_TYPE}"`);
  if (typeof claims !== 'object' || claims === null) throw new InvalidEventError('the token holds no claims object');
  if (claims.iss !== authorityId) throw new InvalidEventError(`iss must be "${authorityId}"`);
  if (claims.sub !== `submission:${submissionId}`) throw new InvalidEventError(`sub must be "submission:${submissionId}"`);
  if (claims.txn !== `case:${submissionId}`) throw new InvalidEventError(`txn must be "case:${submissionId}"`);
  if (typeof claims.iat !== 'number' || typeof claims.jti !== 'string') throw new InvalidEventError('iat (number) and jti (string) are required');
  const names = typeof claims.events === 'object' && claims.events !== null ? Object.keys(claims.events) : [];
  const [name] = names;
  if (names.length !== 1 || (name !== EVENT_ACCEPT && name !== EVENT_REJECT)) throw new InvalidEventError(`events must hold exactly one of ${EVENT_ACCEPT}, ${EVENT_REJECT}`);
  const details = claims.events[name] ?? {};
  if (name === EVENT_REJECT && !validProblems(details.problems)) throw new InvalidEventError(`problems${firstError(validProblems.errors)}`);
  const dataTag = name === EVENT_ACCEPT ? details.authenticationTags?.data : undefined;
  if (name === EVENT_ACCEPT && typeof dataTag !== 'string') throw new InvalidEventError('an accept event must name authenticationTags.data');
  return { ...decisionOf(name, details.problems ?? []), evidence: token.trim(), ...(dataTag ? { dataTag } : {}) };
}

function decisionOf(event: string, problems: Problem[]): ParsedEvent {
  if (event === EVENT_ACCEPT) {
    if (problems.length > 0) throw new InvalidEventError('an accept event has no problems');
    return { decision: 'accepted', problems: [] };
  }
  if (problems.length === 0) throw new InvalidEventError('a reject event needs at least one problem (the reason)');
  // RFC 7807: a problem without type is "about:blank"; stored complete so readers need no default.
  return { decision: 'rejected', problems: problems.map((p) => ({ ...p, type: (p as Partial<Problem>).type ?? 'about:blank' })) };
}

function firstError(errors: Array<{ instancePath: string; message?: string }> | null | undefined): string {
  const first = errors?.[0];
  return first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'is invalid';
}
