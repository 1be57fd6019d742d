/** The confirmation page after submitting: the reference, the responsible authority, the declared facts, the status link. */
import type { FastifyReply } from 'fastify';
import type { LoadedService } from '../../services/registry.js';
import { accessByCookie, applicantFacts, keyNeededView, withoutFactsOncePurged } from './access.js';
import { authorityView, displayFacts, type SubmissionFacts } from './facts.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { registerSurvey, surveyContext } from './survey.js';
import { berlinDateTime, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

export function confirmationView(env: PageEnv, service: LoadedService, s: SubmissionFacts & { statusHref: string }): PageView {
  // Rows from before "display" was stored still know their fee.
  const facts = displayFacts(service, 'confirmation', env.lang, (item) => (s.shown ? s.shown[item.value] : item.value === 'fee' ? { cents: s.feeCents, currency: 'EUR' } : undefined));
  return {
    template: 'confirmation', title: uiOf(env).confirmationTitle, status: 200,
    context: {
      reference: s.reference, serviceTitle: serviceTitle(env, s.serviceId), authorityName: s.authorityName, authority: authorityView(s.authority, env.lang, s.authorityName),
      submittedAt: berlinDateTime(s.submittedAt, env.lang),
      facts, statusHref: s.statusHref, receiptHref: s.receiptHref,
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
    const view = withoutFactsOncePurged(row, confirmationView(p, service, { ...applicantFacts(rt, p, row, key), statusHref: `${p.base}/status/${key}` }));
    const survey = await surveyContext(rt, p, { id: row.id, serviceId: row.service_id }, reply.generateCsrf(), surveyError);
    return pages.send(reply, p, { ...view, status: surveyError ? 400 : view.status, context: { ...view.context, ...survey } });
  };
  pages.app.get<RouteTypes>('/:tenant/:service/bestaetigung/:id', async (req: Req, reply) => confirmationPage(req, reply, false));
  registerSurvey(pages, confirmationPage);
}
