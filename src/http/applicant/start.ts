/**
 * A service's start page (what it is, its fee, start or resume), starting a draft, and the "save
 * and continue later" page that leads back to it.
 */
import type { FormStep } from '../../forms/definition.js';
import { t, type Lang } from '../../forms/text.js';
import type { Money } from '../../services/contract.js';
import type { LoadedService } from '../../services/registry.js';
import { loginOf, sessionOf } from './account.js';
import { logicContext } from './logic.js';
import { sendSavePage } from './resume.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinToday, formOf, money, serviceTitle, type PageEnv, type PageView } from './view.js';

export function startView(env: PageEnv, service: LoadedService, opts: { today: string; resumeHref?: string; csrf: string }): PageView {
  const id = service.definition.id;
  const texts = env.tenant.serviceTexts.get(id);
  const overview = service.logic.overview?.(logicContext(env.tenant, service, opts.today));
  return {
    template: 'start', title: serviceTitle(env, id), status: 200,
    context: {
      serviceTitle: serviceTitle(env, id), description: t(texts?.description, env.lang), intro: t(formOf(env.tenant, id).intro, env.lang),
      landHint: t(overview?.notice, env.lang), ...startFee(overview, env.lang), beforeStart: beforeStartOf(service, env.lang),
      resumeHref: opts.resumeHref, startAction: `${env.base}/${id}/start`, csrf: opts.csrf, ...loginLinks(env, service),
    },
  };
}

/** The service's "before you start" in the page's language; undefined when it declares none. */
function beforeStartOf(service: LoadedService, lang: Lang): { eligibility?: string; needs: string[]; duration?: string } | undefined {
  const declared = service.definition.beforeStart;
  if (!declared) return undefined;
  return { eligibility: declared.eligibility?.[lang], needs: (declared.needs ?? []).map((need) => need[lang]), duration: declared.duration?.[lang] };
}

/** A service with login offers it on its start page ("required": the start itself leads through the login). */
function loginLinks(env: PageEnv, service: LoadedService): { loginHref?: string; loginText?: string } {
  const login = loginOf(service);
  if (!login || !env.tenant.accounts) return {};
  const required = login.mode === 'required';
  const texts = {
    de: required ? 'Für diesen Antrag melden Sie sich mit Ihrem Nutzerkonto an. Angaben aus Ihrem Konto werden übernommen.' : 'Mit Ihrem Nutzerkonto anmelden: Angaben aus Ihrem Konto werden übernommen.',
    en: required ? 'This application needs a login with your user account. Details from your account are filled in.' : 'Log in with your user account: details from your account are filled in.',
  };
  return { loginHref: `${env.base}/${service.definition.id}/anmelden`, loginText: texts[env.lang] };
}

/** A fixed fee as it is; a lowest fee as "ab …", since the check page may then show more (e.g. €24 here, €49 for a KG). */
function startFee(overview: { fee?: Money; feeFrom?: Money } | undefined, lang: Lang): { fee?: string; feeFrom?: boolean } {
  if (overview?.fee) return { fee: money(overview.fee, lang) };
  if (overview?.feeFrom) return { fee: money(overview.feeFrom, lang), feeFrom: true };
  return {};
}

export function registerStart(pages: ApplicantPages): void {
  const { app, rt } = pages;
  for (const path of ['/:tenant/:service', '/:tenant/:service/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = pages.page(req, reply);
      const service = p && pages.serviceOf(p, req.params.service);
      if (!p || !service) return pages.notFound(reply, p);
      const id = service.definition.id;
      const draft = await pages.draftOf(req, p, id);
      const resumeStep = draft ? (draft.currentStep ?? formOf(p.tenant, id).steps[0]?.id) : undefined;
      return pages.send(reply, p, startView(p, service, { today: berlinToday(), resumeHref: resumeStep ? `${p.base}/${id}/${resumeStep}` : undefined, csrf: reply.generateCsrf() }));
    });
  }

  app.post<RouteTypes>('/:tenant/:service/start', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    const service = p && pages.serviceOf(p, req.params.service);
    if (!p || !service) return pages.notFound(reply, p);
    const id = service.definition.id;
    const login = loginOf(service);
    const current = login ? await sessionOf(rt, req, p, id) : undefined;
    if (login?.mode === 'required' && !current) return reply.redirect(`${p.base}/${id}/anmelden`, 303);
    const draft = await rt.drafts.create(p.tenant.id, id, service.definition.version);
    // Started after a login, the draft belongs to that account from the start.
    if (current) await rt.drafts.bindAccount(draft, current.session.account, { trustLevel: current.session.trustLevel, prefilled: {} });
    pages.keepDraftCookie(reply, p, id, draft.id);
    const first = formOf(p.tenant, id).steps[0] as FormStep;
    return reply.redirect(`${p.base}/${id}/${first.id}`, 303);
  });

  app.get<RouteTypes>('/:tenant/:service/speichern', async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return sendSavePage(pages, req, reply, ctx);
  });
}
