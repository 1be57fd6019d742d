/**
 * The confirmation by e-mail: after submitting, to the address the applicant gave in the form
 * (the first e-mail field of the service's data), when they left the check page's box ticked and
 * mail is configured. It carries the reference and the status link (the applicant's key to the
 * status page, the receipt and the Postfach), never an answer. Sent after the submission is
 * stored: a mail server that fails costs the applicant the mail, not the submission.
 */
import type { FastifyBaseLogger } from 'fastify';
import { t } from '../../forms/text.js';
import { MailError } from '../../mail/mailer.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService } from '../../services/registry.js';
import { applicantEmailOf } from '../../submissions/reply-email.js';
import { berlinDateTime, serviceTitle, uiOf, type PageEnv } from './view.js';

/** The field the check page's box posts: present (value "ja") when the applicant wants the mail. */
export const CONFIRMATION_MAIL_FIELD = 'bestaetigung_mail';

/** Where the confirmation would go, when mail is on and the answers hold an e-mail address. */
export function confirmationMailTo(rt: Runtime, service: LoadedService, data: Record<string, unknown>): string | undefined {
  return rt.mailer ? applicantEmailOf(service, data) : undefined;
}

export interface ConfirmationMail {
  to: string;
  reference: string;
  submittedAt: Date;
  statusUrl: string;
}

/** Sends the mail in the background; a failure is logged by its code only (no address, no link). */
export function sendConfirmationMail(rt: Runtime, log: FastifyBaseLogger, p: PageEnv, service: LoadedService, mail: ConfirmationMail): void {
  const ui = uiOf(p);
  const fill = (text: string) => text.replaceAll('{service}', serviceTitle(p, service.definition.id)).replaceAll('{portal}', t(p.tenant.portalName, p.lang))
    .replaceAll('{reference}', mail.reference).replaceAll('{date}', berlinDateTime(mail.submittedAt, p.lang)).replaceAll('{link}', mail.statusUrl);
  rt.mailer?.send({ to: mail.to, subject: fill(ui.confirmationMailSubject), text: fill(ui.confirmationMailBody) }).catch((err: unknown) => {
    log.warn({ code: err instanceof MailError ? err.code : 'EFA_MAIL_FAILED' }, 'confirmation mail not sent');
  });
}
