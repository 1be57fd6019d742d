/**
 * Submitting: the answers checked once more, the responsible authority resolved, the submission
 * stored with the applicant's copy and its status key, then on to the confirmation page.
 */
import type { FastifyReply } from 'fastify';
import { NoEndpointError, NoResponsibleAuthorityError } from '../../core/errors.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { pruneHidden, validateAll } from '../../forms/validate.js';
import type { LoadedService } from '../../services/registry.js';
import { DraftGoneError, resolveResponsible, storeSubmission } from '../../submissions/submit.js';
import { applicantEmailOf } from '../../submissions/reply-email.js';
import { newStatusKey } from '../../submissions/status-key.js';
import { sealNotifyAddress } from '../../postfach/notify.js';
import { keepStatusCookie } from './access.js';
import { CONFIRMATION_MAIL_FIELD, confirmationMailTo, sendConfirmationMail } from './confirmation-mail.js';
import { checkSections, renderCheck } from './check.js';
import { blocksSubmit, standingOf, submissionPayment } from './payment.js';
import { placeElsewhere } from './place-view.js';
import { stepContext } from './logic.js';
import { linkOrigin, type ApplicantPages, type Req, type RouteTypes, type ServiceContext } from './request.js';
import { stepView } from './step.js';
import { berlinToday, errorView, formOf, type PageEnv } from './view.js';

/** The applicant's copy for the receipt: the check page's rows in every language of the Land. */
function applicantCopySections(p: PageEnv, service: LoadedService, data: Record<string, unknown>, conditions: ConditionEnv) {
  return Object.fromEntries(p.tenant.languages.map((lang) => [lang, checkSections({ ...p, lang }, service, data, conditions).map((s) => ({ title: s.title, rows: s.rows.map(({ changeHref: _, ...row }) => row) }))]));
}

/** What the submission's metadata says of the login: the level and each prefilled answer's source. */
function authenticationOf(draft: ServiceContext['draft']) {
  const meta = draft.accountMeta;
  return meta ? { trustLevel: meta.trustLevel, prefilled: Object.entries(meta.prefilled).map(([pointer, entry]) => ({ pointer, ...entry })) } : undefined;
}

async function submit(pages: ApplicantPages, req: Req, reply: FastifyReply, { p, service, draft }: ServiceContext) {
  const { rt } = pages;
  const id = service.definition.id;
  const form = formOf(p.tenant, id);
  const stepCtx = stepContext(p, rt.places, service, berlinToday(), draft.data);
  const data = pruneHidden(form, draft.data, stepCtx.conditions);
  // A place this portal does not take: the page that says where to apply, whatever else is missing.
  if (placeElsewhere(p.tenant, service, data)) return renderCheck(pages, reply, p, service, draft);
  const problem = validateAll(service, form, data, stepCtx);
  if (problem) return pages.send(reply, p, stepView(p, service, problem.step, data, { errors: problem.errors, parsed: new Map() }, { fromCheck: false, csrf: reply.generateCsrf(), status: 400, conditions: stepCtx.conditions }));
  let responsible;
  try {
    responsible = resolveResponsible(rt.routing, service, data);
  } catch (err) {
    if (err instanceof NoResponsibleAuthorityError || err instanceof NoEndpointError) return renderCheck(pages, reply, p, service, draft, 422);
    throw err;
  }
  // A fee that must be paid first: the check page says so, and nothing is submitted.
  const standing = await standingOf(rt, p, service, draft, stepCtx);
  if (blocksSubmit(standing)) return renderCheck(pages, reply, p, service, draft, 409, true);
  let record;
  const statusKey = newStatusKey();
  try {
    const sections = applicantCopySections(p, service, data, stepCtx.conditions);
    const applicantCopy = (submissionId: string) => rt.drafts.sealApplicantCopy(submissionId, { sections });
    record = await storeSubmission(rt.db, { tenant: p.tenant.id, service, data, logicCtx: stepCtx.logic, responsible, draftId: draft.id, attachments: rt.attachments, applicantCopy, statusKeySha256: statusKey.sha256, authentication: authenticationOf(draft), account: draft.account ?? undefined, payment: submissionPayment(standing), notifySealed: sealNotifyAddress(rt.drafts, rt.mailer, applicantEmailOf(service, data)) });
  } catch (err) {
    if (err instanceof DraftGoneError) return pages.send(reply, p, errorView(p, 'expired', `${p.base}/${id}`, 409));
    throw err;
  }
  rt.metrics.submissions.inc({ tenant: p.tenant.id, service: id });
  if (record.deliveryMode === 'push') rt.dispatch(record.id);
  pages.dropDraftCookie(reply, p, id);
  keepStatusCookie(rt, req, reply, p, statusKey.key);
  const mailTo = req.body?.[CONFIRMATION_MAIL_FIELD] === 'ja' ? confirmationMailTo(rt, service, data) : undefined;
  if (mailTo) sendConfirmationMail(rt, req.log, p, service, { to: mailTo, reference: record.reference, submittedAt: new Date(), statusUrl: `${linkOrigin(req)}${p.base}/status/${statusKey.key}` });
  return reply.redirect(`${p.base}/${id}/bestaetigung/${record.id}`, 303);
}

export function registerSubmit(pages: ApplicantPages): void {
  const { app } = pages;
  app.post<RouteTypes>('/:tenant/:service/absenden', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return submit(pages, req, reply, ctx);
  });
}
