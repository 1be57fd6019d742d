/**
 * "Save and continue later" by e-mail: a link that opens a draft in another browser. The link's
 * secret is a capability like the draft cookie (it gives the answers), so it is random, stored only
 * as SHA-256, replaced by the next mail, gone with the draft, and never logged (the request log
 * redacts /fortsetzen/<secret>, see ./status-key.ts).
 */
import { EfaError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import { isStatusKey, newStatusKey, statusKeyHash } from './status-key.js';

/** At most this many mails per draft: the form must not become a way to mail strangers. */
export const MAX_RESUME_MAILS = 5;

export class ResumeMailLimitError extends EfaError {
  constructor() {
    super('EFA_RESUME_MAIL_LIMIT', `at most ${MAX_RESUME_MAILS} resume links are sent for one draft`, 429);
  }
}

/** A new link secret for the draft (the old one stops working); refused beyond MAX_RESUME_MAILS. */
export async function issueResumeLink(db: Queryable, draftId: string): Promise<string> {
  const { key, sha256 } = newStatusKey();
  const { rows } = await db.query<{ mails_sent: number }>(
    `INSERT INTO draft_resume_links (draft_id, token_sha256) VALUES ($1, $2)
     ON CONFLICT (draft_id) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256, mails_sent = draft_resume_links.mails_sent + 1, sent_at = now()
     WHERE draft_resume_links.mails_sent < $3
     RETURNING mails_sent`,
    [draftId, sha256, MAX_RESUME_MAILS],
  );
  if (rows.length === 0) throw new ResumeMailLimitError();
  return key;
}

/** The draft a link opens, while the draft lives; undefined for an unknown, replaced or malformed secret. */
export async function draftOfResumeLink(db: Queryable, token: string): Promise<string | undefined> {
  if (!isStatusKey(token)) return undefined;
  const { rows } = await db.query<{ draft_id: string }>(
    'SELECT l.draft_id FROM draft_resume_links l JOIN drafts d ON d.id = l.draft_id WHERE l.token_sha256 = $1 AND d.expires_at > now()',
    [statusKeyHash(token)],
  );
  return rows[0]?.draft_id;
}
