import type { DirectoryEntry } from './types.js';

/**
 * Names and small helpers that more than the transport adapters need: the FIT-Connect event
 * vocabulary (the fit-connect transport reads it from a destination; the pull API writes it for an
 * authority that fetches) and how a pull endpoint is told apart. Outside src/transports/, code uses
 * transports through this module, types.ts and registry.ts, never through an adapter's file.
 */

export const LEIKA_URN_PREFIX = 'urn:de:fim:leika:leistung:';
export const EVENT_ACCEPT = 'https://schema.fitko.de/fit-connect/events/accept-submission';
export const EVENT_REJECT = 'https://schema.fitko.de/fit-connect/events/reject-submission';
export const SET_TYPE = 'secevent+jwt';

/** RFC 7807 problem document, as the submission service answers errors and as reject events list them. */
export interface Problem {
  type: string;
  title: string;
  status?: number;
  detail?: string;
  instance?: string;
}

export interface SecurityEventClaims {
  $schema?: string;
  iss: string;
  iat: number;
  jti: string;
  sub: string;
  txn: string;
  events: Record<string, { problems?: Problem[]; authenticationTags?: { metadata?: string; data?: string; attachments?: Record<string, string> } }>;
}

/** JWE compact is header.key.iv.ciphertext.tag; accept events name the tags they accepted. */
export function authenticationTag(jwe: string): string {
  return jwe.split('.')[4] ?? '';
}

export const PULL_TRANSPORT = 'pull';

/** Where an authority fetches its submissions (src/http/routes/authority-pull.ts). */
export const PULL_API_BASE = '/_efa/api/v1';

/**
 * Submissions for this endpoint are not sent: they wait, encrypted, until the authority fetches
 * them over the pull API. Decided from the directory entry at submit and then fixed per submission.
 */
export function isPullEndpoint(endpoint: Pick<DirectoryEntry, 'transport'>): boolean {
  return endpoint.transport === PULL_TRANSPORT;
}
