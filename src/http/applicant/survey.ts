/**
 * The optional satisfaction survey on the confirmation page: one question, five answers, a plain
 * form post (CSRF-protected, no JavaScript), answered once per submission by the browser that
 * submitted. The answer only adds to a monthly count (src/figures/survey.ts).
 */
import type { FastifyReply } from 'fastify';
import type { Lang } from '../../forms/text.js';
import { answerSurvey, isSurveyScore, surveyState, type SurveyState } from '../../figures/survey.js';
import { SURVEY_SCORES } from '../../figures/figures.js';
import type { Runtime } from '../../runtime.js';
import { accessByCookie, keyNeededView } from './access.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import type { PageEnv } from './view.js';

const TEXTS: Record<Lang, { title: string; question: string; scores: Record<(typeof SURVEY_SCORES)[number], string>; send: string; hint: string; thanks: string; missing: string; published: string }> = {
  de: {
    title: 'Ihre Meinung (freiwillig)',
    question: 'Wie zufrieden sind Sie mit diesem Online-Antrag?',
    scores: { 5: 'Sehr zufrieden', 4: 'Zufrieden', 3: 'Teils, teils', 2: 'Unzufrieden', 1: 'Sehr unzufrieden' },
    send: 'Bewertung senden',
    hint: 'Freiwillig und anonym: Wir zählen nur, wie oft jede Antwort gegeben wurde. Ihre Antwort wird nicht mit Ihrem Antrag gespeichert.',
    thanks: 'Vielen Dank für Ihre Bewertung.',
    missing: 'Bitte wählen Sie aus, wie zufrieden Sie sind.',
    published: 'Die Nutzungszahlen veröffentlichen wir',
  },
  en: {
    title: 'Your opinion (optional)',
    question: 'How satisfied are you with this online application?',
    scores: { 5: 'Very satisfied', 4: 'Satisfied', 3: 'Neither satisfied nor dissatisfied', 2: 'Dissatisfied', 1: 'Very dissatisfied' },
    send: 'Send rating',
    hint: 'Optional and anonymous: we only count how often each answer was given. Your answer is not stored with your application.',
    thanks: 'Thank you for your rating.',
    missing: 'Please choose how satisfied you are.',
    published: 'We publish the usage figures',
  },
};

export const SURVEY_SEGMENT = 'umfrage';
const FIELD = 'zufriedenheit';

/** What the confirmation page shows of the survey: the question, the thanks, or nothing (its month is over). */
export async function surveyContext(rt: Runtime, p: PageEnv, submission: { id: string; serviceId: string }, csrf: string, error = false): Promise<Record<string, unknown>> {
  const state: SurveyState = await surveyState(rt.db, submission.id);
  if (state === 'closed') return {};
  const texts = TEXTS[p.lang];
  const survey = {
    ...texts, answered: state === 'answered', csrf, field: FIELD, figuresHref: `${p.base}/statistik`,
    action: `${p.base}/${submission.serviceId}/bestaetigung/${submission.id}/${SURVEY_SEGMENT}`,
    error: error ? texts.missing : undefined,
    // Best first, as the question reads; each radio's id is the target of the error summary's link.
    options: [...SURVEY_SCORES].reverse().map((score) => ({ value: score, label: texts.scores[score], id: `${FIELD}-${score}` })),
  };
  return { survey, ...(error ? { errorSummary: [{ href: `${FIELD}-5`, message: texts.missing }] } : {}) };
}

export function registerSurvey(pages: ApplicantPages, confirmationPage: (req: Req, reply: FastifyReply, surveyError: boolean) => Promise<unknown>): void {
  const { app, rt } = pages;
  app.post<RouteTypes>(`/:tenant/:service/bestaetigung/:id/${SURVEY_SEGMENT}`, { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    const service = p && pages.serviceOf(p, req.params.service);
    if (!p || !service) return pages.notFound(reply, p);
    const access = await accessByCookie(rt, req, p, req.params.id ?? '');
    if (!access) return pages.send(reply, p, keyNeededView(p));
    if (access.row.service_id !== service.definition.id) return pages.notFound(reply, p);
    const score = (req.body as Record<string, unknown> | undefined)?.[FIELD];
    if (!isSurveyScore(score)) return confirmationPage(req, reply, true);
    // A second answer (another tab, a reload) changes nothing and lands on the same thanks.
    await answerSurvey(rt.db, access.row.id, score);
    return reply.redirect(`${p.base}/${service.definition.id}/bestaetigung/${access.row.id}#${SURVEY_SEGMENT}`, 303);
  });
}
