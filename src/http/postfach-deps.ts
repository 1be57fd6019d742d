import type { FastifyBaseLogger } from 'fastify';
import { t } from '../forms/text.js';
import type { PostfachDeps } from '../postfach/receive.js';
import type { Runtime } from '../runtime.js';
import type { NoticeText } from '../postfach/notify.js';

/**
 * What the return channel needs of the runtime, and the words of the e-mail notice: German and
 * English, naming portal, service and reference number, never the answer or the status link.
 */
export function postfachDeps(rt: Runtime, log: FastifyBaseLogger): PostfachDeps {
  return {
    db: rt.db, drafts: rt.drafts, routing: () => rt.routing, ...(rt.mailer ? { mailer: rt.mailer } : {}),
    compose: (s) => noticeText(rt, s),
    // The error names the SMTP status only (src/mail/mailer.ts), never the address.
    onNoticeError: (err) => log.warn({ code: (err as { code?: unknown }).code }, 'e-mail notice of an answer not sent'),
  };
}

export function noticeText(rt: Runtime, s: { tenant: string; serviceId: string; reference: string }): NoticeText {
  const tenant = rt.tenants.get(s.tenant);
  const portal = { de: t(tenant?.portalName, 'de') || 'Serviceportal', en: t(tenant?.portalName, 'en') || t(tenant?.portalName, 'de') || 'Service portal' };
  const title = rt.services.get(s.serviceId)?.definition.title;
  const service = { de: t(title, 'de') || s.serviceId, en: t(title, 'en') || t(title, 'de') || s.serviceId };
  return {
    subject: `Neue Nachricht zu Ihrem Antrag ${s.reference} / New message on your application`,
    text: [
      'Guten Tag,',
      '',
      `zu Ihrem Antrag „${service.de}“ (Vorgangsnummer ${s.reference}) im ${portal.de} liegt eine neue Nachricht der zuständigen Behörde für Sie bereit.`,
      'Aus Datenschutzgründen steht der Inhalt nicht in dieser E-Mail. Sie lesen die Nachricht im Postfach Ihrer Statusseite: öffnen Sie den Link zur Statusseite, den Sie nach dem Absenden erhalten haben (Bestätigungsseite), oder melden Sie sich an, wenn Sie den Antrag angemeldet gestellt haben.',
      '',
      'Diese E-Mail wurde automatisch versandt. Bitte antworten Sie nicht darauf.',
      '',
      '---',
      '',
      `A new message from the responsible authority is waiting for you about your application "${service.en}" (reference ${s.reference}) on ${portal.en}.`,
      'To protect your data, this e-mail does not contain it. Read it in the Postfach on your status page: open the status link you received after submitting (confirmation page), or log in if you applied while logged in.',
      '',
      'This e-mail was sent automatically. Please do not reply.',
    ].join('\n'),
  };
}
