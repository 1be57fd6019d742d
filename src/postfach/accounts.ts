import type { Database } from '../storage/db.js';
import type { ZbpStatus } from '../transports/return-paths.js';
import { statusHistory } from './history.js';

/**
 * The Postfach after login (docs/postfach.md): the applications an account submitted in one Land,
 * found by the account's key the submission kept (a pseudonym, never the subject itself), with
 * the newest status and how many answers the applicant has not opened yet.
 */
export interface AccountSubmission {
  id: string;
  reference: string;
  serviceId: string;
  submittedAt: Date;
  /** The newest status of the history in the ZBP vocabulary. */
  status: ZbpStatus;
  answers: number;
  /** Answers that arrived after the applicant last opened this application's Postfach. */
  unread: number;
}

/** At most this many, newest first: an account with more reads the older ones by their status links. */
export const ACCOUNT_LIST_LIMIT = 100;

/**
 * The account's applications that a login at one of `levels` may see (those submitted at a higher
 * trust level need a login at that level), and how many others there are.
 */
export async function submissionsOfAccount(db: Database, tenant: string, account: string, levels: readonly string[]): Promise<{ listed: AccountSubmission[]; higherLevel: number }> {
  const { rows } = await db.query<{ id: string; reference: string; service_id: string; submitted_at: Date | string; answers: number | string; unread: number | string; visible: boolean }>(
    `SELECT s.id, s.reference, s.service_id, s.submitted_at, s.trust_level IS NULL OR s.trust_level = ANY($4::text[]) AS visible,
            (SELECT count(*) FROM submission_answers a WHERE a.submission_id = s.id) AS answers,
            (SELECT count(*) FROM submission_answers a WHERE a.submission_id = s.id AND a.read_at IS NULL) AS unread
       FROM submissions s
      WHERE s.tenant = $1 AND s.account = $2 AND s.case_id IS NULL
      ORDER BY s.submitted_at DESC, s.id LIMIT $3`,
    [tenant, account, ACCOUNT_LIST_LIMIT, levels],
  );
  const listed = await Promise.all(rows.filter((r) => r.visible).map(async (r) => ({
    id: r.id, reference: r.reference, serviceId: r.service_id, submittedAt: new Date(r.submitted_at),
    status: (await statusHistory(db, r.id)).at(-1)?.status ?? 'SUBMITTED', answers: Number(r.answers), unread: Number(r.unread),
  })));
  return { listed, higherLevel: rows.length - listed.length };
}

/** The applicant has seen every answer there is now: the overview no longer marks them as new. */
export async function markAnswersRead(db: Database, submissionId: string): Promise<void> {
  await db.query('UPDATE submission_answers SET read_at = now() WHERE submission_id = $1 AND read_at IS NULL', [submissionId]);
}
