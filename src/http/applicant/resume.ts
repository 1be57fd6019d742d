/**
 * "Save and continue later" on another device: the applicant asks for a link by e-mail on the
 * "save" page; the link opens the draft in any browser until the draft expires. The mail names the
 * service and the date, never an answer. Offered only when mail is configured (EFA_SMTP_URL).
 */
import type { FastifyReply } from 'fastify';
import type { FormStep } from '../../forms/definition.js';
import { t } from '../../forms/text.js';
import { isMailAddress, MailError } from '../../mail/mailer.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { applicantEmailOf } from '../../submissions/reply-email.js';
import { draftOfResumeLink, issueResumeLink, ResumeMailLimitError } from '../../submissions/resume-links.js';
import { saveForLaterView, type SaveByMail } from './draft.js';
import { linkOrigin, type ApplicantPages, type Req, type RouteTypes } from './request.js';
import { berlinDateTime, formOf, serviceTitle, uiOf, type PageEnv } from './view.js';

/** The path segment of the link (reserved as a step id in src/forms/definition.ts). */
export const RESUME_SEGMENT = 'fortsetzen';
const MAX_ADDRESS = 254;

function resumeStep(p: PageEnv, serviceId: string, draft: Draft): string {
  return draft.currentStep ?? (formOf(p.tenant, serviceId).steps[0] as FormStep).id;
}

/** The "save" page, with the e-mail form when mail is on. */
export function sendSavePage(pages: ApplicantPages, req: Req, reply: FastifyReply, ctx: { p: PageEnv; service: LoadedService; draft: Draft }, mail: Omit<SaveByMail, 'action' | 'csrf'> = {}, status = 200) {
  const { p, service, draft } = ctx;
  const id = service.definition.id;
  const view = saveForLaterView(p, service, {
    expiresAt: draft.expiresAt, startUrl: `${linkOrigin(req)}${p.base}/${id}`, backHref: `${p.base}/${id}/${resumeStep(p, id, draft)}`,
    // The address the form already holds, if it asks for one, is offered.
    mail: pages.rt.mailer ? { value: applicantEmailOf(service, draft.data), ...mail, action: `${p.base}/${id}/speichern`, csrf: reply.generateCsrf() } : undefined,
  });
  return pages.send(reply, p, { ...view, status, title: mail.error ? `${uiOf(p).errorPrefix}: ${view.title}` : view.title });
}

function mailText(p: PageEnv, serviceId: string, link: string, until: string): { subject: string; text: string } {
  const ui = uiOf(p);
  const fill = (text: string) => text.replaceAll('{service}', serviceTitle(p, serviceId)).replaceAll('{portal}', t(p.tenant.portalName, p.lang)).replaceAll('{link}', link).replaceAll('{date}', until);
  return { subject: fill(ui.saveMailSubject), text: fill(ui.saveMailBody) };
}

async function postSaveMail(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return;
  const { p, service, draft } = ctx;
  const ui = uiOf(p);
  const mailer = pages.rt.mailer;
  if (!mailer) return pages.notFound(reply, p);
  const raw = typeof req.body?.email === 'string' ? req.body.email.trim().slice(0, MAX_ADDRESS + 1) : '';
  const shown = raw.slice(0, MAX_ADDRESS);
  if (!isMailAddress(raw)) return sendSavePage(pages, req, reply, ctx, { value: shown, error: raw === '' ? ui.saveMailMissing : ui.saveMailInvalid }, 400);
  let token: string;
  try {
    token = await issueResumeLink(pages.rt.db, draft.id);
  } catch (err) {
    if (!(err instanceof ResumeMailLimitError)) throw err;
    return sendSavePage(pages, req, reply, ctx, { value: raw, error: ui.saveMailLimit }, 429);
  }
  const id = service.definition.id;
  const link = `${linkOrigin(req)}${p.base}/${id}/${RESUME_SEGMENT}/${token}`;
  try {
    await mailer.send({ to: raw, ...mailText(p, id, link, berlinDateTime(draft.expiresAt, p.lang)) });
  } catch (err) {
    if (!(err instanceof MailError)) throw err;
    req.log.warn({ code: err.code }, 'resume link mail not sent');
    return sendSavePage(pages, req, reply, ctx, { value: raw, error: ui.saveMailFailed }, 502);
  }
  return sendSavePage(pages, req, reply, ctx, { sentTo: raw });
}

/** The link from the mail: this browser gets the draft's cookie and goes on where the applicant stopped. */
async function openResumeLink(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const p = pages.page(req, reply);
  const service = p && pages.serviceOf(p, req.params.service);
  if (!p || !service) return pages.notFound(reply, p);
  const id = service.definition.id;
  const draftId = await draftOfResumeLink(pages.rt.db, req.params.token ?? '');
  const draft = draftId ? await pages.rt.drafts.find(draftId, p.tenant.id, id) : undefined;
  if (!draft) return pages.send(reply, p, { template: 'error', title: uiOf(p).resumeLinkGoneTitle, status: 404, context: { message: uiOf(p).resumeLinkGone, homeHref: `${p.base}/${id}` } });
  // A draft that belongs to an account stays refused to anyone else: the step page checks that.
  pages.keepDraftCookie(reply, p, id, draft.id);
  return reply.header('referrer-policy', 'no-referrer').redirect(`${p.base}/${id}/${resumeStep(p, id, draft)}`, 303);
}

/**
 * Posts of the mail form per client address and hour. MAX_RESUME_MAILS bounds one draft, but a new
 * draft costs two requests: without this the form would mail any number of strangers.
 */
export const RESUME_POSTS_PER_HOUR = 20;

export function registerResume(pages: ApplicantPages): void {
  pages.app.post<RouteTypes>('/:tenant/:service/speichern', {
    preHandler: pages.app.csrfProtection,
    config: { rateLimit: { max: RESUME_POSTS_PER_HOUR, timeWindow: 3_600_000 } },
  }, async (req: Req, reply) => postSaveMail(pages, req, reply));
  pages.app.get<RouteTypes>(`/:tenant/:service/${RESUME_SEGMENT}/:token`, async (req: Req, reply) => openResumeLink(pages, req, reply));
}
