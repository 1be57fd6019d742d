import type { Mailer } from '../mail/mailer.js';
import { isMailAddress } from '../mail/mailer.js';
import type { Database } from '../storage/db.js';
import type { DraftStore } from '../submissions/drafts.js';

/**
 * The e-mail notice of an answer: that a message is waiting and where to read it, nothing of the
 * answer itself (mail is neither confidential nor authenticated). The status link is a secret and
 * stays out of it too: the applicant opens it from where they kept it (confirmation page, receipt)
 * or, having applied logged in, from their account's list. Sent once per answer.
 */
export interface NoticeText {
  subject: string;
  text: string;
}

/** The notice's words, given the submission's tenant, service and reference (the caller knows texts). */
export type ComposeNotice = (submission: { tenant: string; serviceId: string; reference: string }) => NoticeText;

/** The address the applicant gave, sealed for this submission (undefined: none given, or mail off). */
export function sealNotifyAddress(drafts: DraftStore, mailer: Mailer | undefined, address: unknown): ((submissionId: string) => Buffer) | undefined {
  if (!mailer || !isMailAddress(address)) return undefined;
  return (submissionId) => drafts.sealFor('notify', submissionId, { email: address });
}

/**
 * Sends the notice of `answerId` unless it was sent (claimed atomically, so two processes storing
 * the same answer send one mail). Returns whether a mail went out.
 */
export async function notifyAnswer(deps: { db: Database; drafts: DraftStore; mailer?: Mailer; compose: ComposeNotice }, answerId: string): Promise<boolean> {
  const { db, drafts, mailer } = deps;
  if (!mailer) return false;
  const { rows } = await db.query<{ submission_id: string; notify_sealed: Uint8Array | null; tenant: string; service_id: string; reference: string }>(
    `UPDATE submission_answers a SET notified_at = now() FROM submissions s
      WHERE a.id = $1 AND s.id = a.submission_id AND a.notified_at IS NULL AND s.notify_sealed IS NOT NULL
      RETURNING a.submission_id, s.notify_sealed, s.tenant, s.service_id, s.reference`,
    [answerId],
  );
  const row = rows[0];
  if (!row?.notify_sealed) return false;
  const email = drafts.openFor('notify', row.submission_id, row.notify_sealed)?.email;
  if (!isMailAddress(email)) return false;
  const notice = deps.compose({ tenant: row.tenant, serviceId: row.service_id, reference: row.reference });
  try {
    await mailer.send({ to: email, ...notice });
  } catch (err) {
    // Not sent: the next repeat of the answer (or nobody) may try again; the Postfach has it anyway.
    await db.query('UPDATE submission_answers SET notified_at = NULL WHERE id = $1', [answerId]);
    throw err;
  }
  return true;
}
