/** The confirmation page after submitting: the reference, the responsible authority, the declared facts, the status link. */
import type { FastifyReply } from 'fastify';
import { t } from '../../forms/text.js';
import type { LoadedService } from '../../services/registry.js';
import { accessByCookie, applicantFacts, keyNeededView, withoutFactsOncePurged, type SubmissionView } from './access.js';
import { paymentTexts } from './payment-texts.js';
import { authorityView, displayFacts, type SubmissionFacts } from './facts.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { registerSurvey, surveyContext } from './survey.js';
import { berlinDateTime, money, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

/** The confirmation's line on a fee paid online: amount and the provider's transaction number. */
function paidOnline(env: PageEnv, payment: SubmissionView['payment']): { label: string; value: string } | undefined {
  if (payment?.status !== 'BOOKED' || !payment.transactionId) return undefined;
  const tx = paymentTexts[env.lang];
  return { label: tx.paidOnline, value: `${money({ cents: payment.amountCents ?? 0, currency: 'EUR' }, env.lang)} (${tx.paidReference}: ${payment.transactionId})` };
}

export function confirmationView(env: PageEnv, service: LoadedService, s: SubmissionFacts & { statusHref: string; payment?: SubmissionView['payment'] }): PageView {
  // Rows from before "display" was stored still know their fee.
  const facts = displayFacts(service, 'confirmation', env.lang, (item) => (s.shown ? s.shown[item.value] : item.value === 'fee' ? { cents: s.feeCents, currency: 'EUR' } : undefined));
  return {
    template: 'confirmation', title: uiOf(env).confirmationTitle, status: 200,
    context: {
      reference: s.reference, serviceTitle: serviceTitle(env, s.serviceId), authorityName: s.authorityName, authority: authorityView(s.authority, env.lang, s.authorityName),
      submittedAt: berlinDateTime(s.submittedAt, env.lang),
      facts, statusHref: s.statusHref, receiptHref: s.receiptHref, paid: paidOnline(env, s.payment),
      nextSteps: (service.definition.nextSteps ?? []).map((line) => t(line, env.lang)),
    },
  };
}

export function registerConfirmation(pages: ApplicantPages): void {
  const { rt } = pages;
  const confirmationPage = async (req: Req, reply: FastifyReply, surveyError: boolean) => {
    const p = pages.page(req, reply);
    const service = p && pages.serviceOf(p, req.params.service);
    if (!p || !service) return pages.notFound(reply, p);
    // Only in the browser that submitted: the id in this address is no secret.
    const access = await accessByCookie(rt, req, p, req.params.id ?? '');
    if (!access) return pages.send(reply, p, keyNeededView(p));
    const { row, key } = access;
    if (row.service_id !== service.definition.id) return pages.notFound(reply, p);
    const view = withoutFactsOncePurged(row, confirmationView(p, service, { ...applicantFacts(rt, p, row, key), statusHref: `${p.base}/status/${key}`, payment: row.payment }));
    const survey = await surveyContext(rt, p, { id: row.id, serviceId: row.service_id }, reply.generateCsrf(), surveyError);
    return pages.send(reply, p, { ...view, status: surveyError ? 400 : view.status, context: { ...view.context, ...survey } });
  };
  pages.app.get<RouteTypes>('/:tenant/:service/bestaetigung/:id', async (req: Req, reply) => confirmationPage(req, reply, false));
  registerSurvey(pages, confirmationPage);
}
