/**
 * Keeping a draft: what the step and check pages say about how long the answers are kept, the
 * "save and continue later" page, and the page for a draft that is gone.
 */
import type { LoadedService } from '../../services/registry.js';
import { berlinDateTime, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

/** What the step and check pages say about how long the answers are kept (partials/draft-expiry.hbs). */
export interface DraftExpiry {
  text: string;
  saveHref: string;
}

export function draftExpiry(env: PageEnv, serviceId: string, expiresAt: Date): DraftExpiry {
  return { text: uiOf(env).draftKeptUntil.replace('{date}', berlinDateTime(expiresAt, env.lang)), saveHref: `${env.base}/${serviceId}/speichern` };
}

/**
 * "Save and continue later": the answers are already saved with every step; this page says until
 * when, and how to come back (the draft cookie of this browser, the service's start page).
 */
export function saveForLaterView(env: PageEnv, service: LoadedService, opts: { expiresAt: Date; startUrl: string; backHref: string; mail?: SaveByMail }): PageView {
  const ui = uiOf(env);
  const mail = opts.mail && { ...opts.mail, sentText: opts.mail.sentTo ? ui.saveMailSent.replace('{address}', opts.mail.sentTo) : undefined };
  return {
    template: 'save-for-later', title: ui.saveTitle, status: 200,
    context: {
      serviceTitle: serviceTitle(env, service.definition.id), keptUntil: berlinDateTime(opts.expiresAt, env.lang), startUrl: opts.startUrl, backHref: opts.backHref, mail,
      errorSummary: mail?.error ? [{ message: mail.error, href: 'f-resume-email' }] : undefined,
    },
  };
}

/** The "send me a link" form of the save page (./resume.ts), shown when mail is configured. */
export interface SaveByMail {
  action: string;
  csrf: string;
  /** What the applicant typed, shown again with an error. */
  value?: string;
  error?: string;
  /** Where the link went, after sending. */
  sentTo?: string;
}

/** No draft (expired, removed, or never started in this browser): what happened, and a fresh start. */
export function draftExpiredView(env: PageEnv, service: LoadedService, opts: { ttlDays: number; csrf: string; status: number }): PageView {
  const ui = uiOf(env);
  const id = service.definition.id;
  return {
    template: 'expired', title: ui.expiredTitle, status: opts.status,
    context: {
      serviceTitle: serviceTitle(env, id), explanation: ui.draftExpired.replace('{days}', String(opts.ttlDays)), startAction: `${env.base}/${id}/start`, csrf: opts.csrf,
      serviceHref: `${env.base}/${id}`,
    },
  };
}
