import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EfaError, NoEndpointError, NoResponsibleAuthorityError } from '../../core/errors.js';
import { conditionHolds, visibleSteps, type FormStep, type LoadedForm } from '../../forms/definition.js';
import type { Body } from '../../forms/fields/kind.js';
import { getAt } from '../../forms/pointer.js';
import type { Renderer } from '../../forms/render.js';
import { LANGS, t, type Lang } from '../../forms/text.js';
import { uiTexts, type UiTexts } from '../../forms/ui-texts.js';
import { processStep, pruneHidden, summarise, validateAll, type StepContext } from '../../forms/validate.js';
import type { Runtime } from '../../runtime.js';
import type { LogicContext, Money } from '../../services/contract.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { resolveResponsible, storeSubmission, DraftGoneError } from '../../submissions/submit.js';
import type { Tenant } from '../../tenants/registry.js';

/** Set by the app's URL rewrite when the request's host selected the tenant. */
export const TENANT_OF_HOST = Symbol('efa.tenantOfHost');

interface Options {
  rt: Runtime;
  renderer: Renderer;
  receiverUrl?: string;
}

interface Page {
  tenant: Tenant;
  base: string;
  lang: Lang;
  ui: UiTexts;
}

type RouteTypes = { Params: Record<string, string>; Querystring: Record<string, string>; Body: Body };
type Req = FastifyRequest<RouteTypes>;

const RESERVED = new Set(['status', 'impressum', 'datenschutz', 'barrierefreiheit', 'kontakt', 'theme.css', 'logo.svg']);
const euro = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });
const euroEn = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' });

export async function applicantRoutes(app: FastifyInstance, { rt, renderer, receiverUrl }: Options): Promise<void> {
  const logos = new Map<string, Buffer>();
  for (const tenant of rt.tenants.values()) if (tenant.logo) logos.set(tenant.id, readFileSync(join(rt.config.root, 'tenants', tenant.logo)));

  // ---- page helpers -------------------------------------------------------------------------
  function page(req: Req, reply: FastifyReply): Page | undefined {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    if (!tenant) return undefined;
    const byHost = (req.raw as { [TENANT_OF_HOST]?: string })[TENANT_OF_HOST];
    const requested = req.query.lang;
    let lang: Lang = (LANGS as readonly string[]).includes(req.cookies.efa_lang ?? '') ? (req.cookies.efa_lang as Lang) : 'de';
    if (requested && (LANGS as readonly string[]).includes(requested)) {
      lang = requested as Lang;
      void reply.setCookie('efa_lang', lang, { path: '/', httpOnly: true, sameSite: 'lax', secure: rt.config.production, maxAge: 365 * 86400 });
    }
    return { tenant, base: byHost ? '' : `/${tenant.id}`, lang, ui: uiTexts[lang] };
  }

  function render(reply: FastifyReply, req: Req, p: Page, name: string, title: string, context: Record<string, unknown>, status = 200) {
    const path = req.url.split('?')[0] ?? '/';
    const languages = LANGS.map((code) => ({ code, label: code === 'de' ? 'Deutsch' : 'English', current: code === p.lang, href: `${path}?lang=${code}` }));
    return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderer.page(name, {
      ...context, title, lang: p.lang, ui: p.ui, base: p.base, portalName: t(p.tenant.portalName, p.lang), logo: p.tenant.logo !== undefined, languages,
    }));
  }

  function notFound(reply: FastifyReply, req: Req, p: Page | undefined) {
    if (!p) return reply.code(404).type('text/plain; charset=utf-8').send('404 – Seite nicht gefunden / page not found');
    return render(reply, req, p, 'error', p.ui.notFoundTitle, { message: p.ui.notFound, homeHref: `${p.base}/` }, 404);
  }

  function serviceOf(p: Page, id: string | undefined): LoadedService | undefined {
    if (!id || !(id in p.tenant.services)) return undefined;
    return rt.services.get(id);
  }

  function logicCtx(p: Page, serviceId: string): LogicContext {
    return { params: p.tenant.parameters.get(serviceId) ?? {}, tenant: p.tenant.id, today: berlinToday() };
  }

  const cookieName = (serviceId: string) => `efa_draft_${serviceId}`;
  const cookiePath = (p: Page, serviceId: string) => `${p.base}/${serviceId}`;
  const money = (m: Money, lang: Lang) => (lang === 'en' ? euroEn : euro).format(m.cents / 100);

  async function draftOf(req: Req, p: Page, serviceId: string): Promise<Draft | undefined> {
    const raw = req.cookies[cookieName(serviceId)];
    if (!raw) return undefined;
    const unsigned = req.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    return rt.drafts.find(unsigned.value, p.tenant.id, serviceId);
  }

  // ---- tenant-wide pages --------------------------------------------------------------------
  app.get<RouteTypes>('/', async (req: Req, reply) => {
    if (!rt.config.pathTenants) return reply.code(404).send('404');
    const tenants = [...rt.tenants.values()].map((tn) => ({
      name: t(tn.name, 'de'), href: `/${tn.id}/`,
      services: Object.keys(tn.services).map((id) => ({ title: t(rt.services.get(id)?.definition.title, 'de'), href: `/${tn.id}/${id}` })),
    }));
    const first = [...rt.tenants.values()][0] as Tenant;
    return render(reply, req, { tenant: first, base: `/${first.id}`, lang: 'de', ui: uiTexts.de }, 'index', 'efa-runtime', { tenants, receiverUrl });
  });

  app.all('/_efa/unknown-host/*', async (_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 – unbekannter Host / unknown host'));

  for (const path of ['/:tenant', '/:tenant/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = page(req, reply);
      if (!p) return notFound(reply, req, p);
      const services = Object.keys(p.tenant.services).map((id) => {
        const def = rt.services.get(id)?.definition;
        return { href: `${p.base}/${id}`, title: t(def?.title, p.lang), description: t(def?.description, p.lang) };
      });
      return render(reply, req, p, 'home', t(p.tenant.portalName, p.lang), { services });
    });
  }

  app.get<RouteTypes>('/:tenant/theme.css', async (req: Req, reply) => {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    if (!tenant) return reply.code(404).send();
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(tenant.themeCss);
  });

  app.get<RouteTypes>('/:tenant/logo.svg', async (req: Req, reply) => {
    const logo = logos.get(req.params.tenant ?? '');
    if (!logo) return reply.code(404).send();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=3600').send(logo);
  });

  const legal: Array<[string, 'imprint' | 'privacy' | 'accessibility' | 'contact', keyof UiTexts]> = [
    ['impressum', 'imprint', 'legalImprint'], ['datenschutz', 'privacy', 'legalPrivacy'], ['barrierefreiheit', 'accessibility', 'legalAccessibility'], ['kontakt', 'contact', 'legalContact'],
  ];
  for (const [slug, key, titleKey] of legal) {
    app.get<RouteTypes>(`/:tenant/${slug}`, async (req: Req, reply) => {
      const p = page(req, reply);
      if (!p) return notFound(reply, req, p);
      const text = key === 'contact' ? '' : t(p.tenant.legal[key], p.lang);
      return render(reply, req, p, 'legal', p.ui[titleKey], { text, contact: key === 'contact' ? p.tenant.legal.contact : undefined });
    });
  }

  app.get<RouteTypes>('/:tenant/status/:id', async (req: Req, reply) => {
    const p = page(req, reply);
    if (!p) return notFound(reply, req, p);
    const row = await submissionOf(rt, p.tenant.id, req.params.id ?? '');
    if (!row) return notFound(reply, req, p);
    const key = row.status.charAt(0).toUpperCase() + row.status.slice(1);
    const tone = { submitted: 'info', delivered: 'success', accepted: 'success', failed: 'warning', rejected: 'danger' }[row.status] ?? 'info';
    return render(reply, req, p, 'status', p.ui.statusTitle, {
      reference: row.reference, serviceTitle: t(rt.services.get(row.service_id)?.definition.title, p.lang), authorityName: row.authority_name,
      status: row.status, statusTone: tone, statusText: p.ui[`status${key}` as keyof UiTexts], statusExplanation: p.ui[`explain${key}` as keyof UiTexts],
    });
  });

  // ---- one service ---------------------------------------------------------------------------
  for (const path of ['/:tenant/:service', '/:tenant/:service/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = page(req, reply);
      const service = p && serviceOf(p, req.params.service);
      if (!p || !service) return notFound(reply, req, p);
      const form = rt.forms.get(service.definition.id) as LoadedForm;
      const draft = await draftOf(req, p, service.definition.id);
      const overview = service.logic.overview?.(logicCtx(p, service.definition.id));
      const resumeStep = draft ? (draft.currentStep ?? form.steps[0]?.id) : undefined;
      return render(reply, req, p, 'start', t(service.definition.title, p.lang), {
        serviceTitle: t(service.definition.title, p.lang), description: t(service.definition.description, p.lang), intro: t(form.intro, p.lang),
        landHint: t(overview?.notice, p.lang), fee: overview?.feeFrom ? money(overview.feeFrom, p.lang) : undefined,
        resumeHref: resumeStep ? `${p.base}/${service.definition.id}/${resumeStep}` : undefined,
        startAction: `${p.base}/${service.definition.id}/start`, csrf: reply.generateCsrf(),
      });
    });
  }

  app.post<RouteTypes>('/:tenant/:service/start', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service) return notFound(reply, req, p);
    const id = service.definition.id;
    const draft = await rt.drafts.create(p.tenant.id, id, service.definition.version);
    void reply.setCookie(cookieName(id), draft.id, { signed: true, httpOnly: true, sameSite: 'lax', secure: rt.config.production ? true : 'auto', path: cookiePath(p, id), maxAge: rt.config.draftTtlDays * 86400 });
    const first = (rt.forms.get(id) as LoadedForm).steps[0] as FormStep;
    return reply.redirect(`${p.base}/${id}/${first.id}`, 303);
  });

  app.get<RouteTypes>('/:tenant/:service/pruefen', async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    return renderCheck(req, reply, ctx.p, ctx.service, ctx.draft);
  });

  app.post<RouteTypes>('/:tenant/:service/absenden', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const { p, service, draft } = ctx;
    const form = rt.forms.get(service.definition.id) as LoadedForm;
    const data = pruneHidden(form, draft.data);
    const stepCtx = stepContext(p, service.definition.id);
    const problem = validateAll(service, form, data, stepCtx);
    if (problem) return renderStep(req, reply, p, service, problem.step, data, { errors: problem.errors, parsed: new Map() }, 400);
    let responsible;
    try {
      responsible = resolveResponsible(rt.routing, service, data);
    } catch (err) {
      if (err instanceof NoResponsibleAuthorityError || err instanceof NoEndpointError) return renderCheck(req, reply, p, service, draft, 422);
      throw err;
    }
    let record;
    try {
      record = await storeSubmission(rt.db, { tenant: p.tenant.id, service, data, logicCtx: stepCtx.logic, responsible, draftId: draft.id });
    } catch (err) {
      if (err instanceof DraftGoneError) return render(reply, req, p, 'error', p.ui.expiredTitle, { message: p.ui.expired, homeHref: `${p.base}/${service.definition.id}` }, 409);
      throw err;
    }
    rt.delivery?.kick();
    void reply.clearCookie(cookieName(service.definition.id), { path: cookiePath(p, service.definition.id) });
    return reply.redirect(`${p.base}/${service.definition.id}/bestaetigung/${record.id}`, 303);
  });

  app.get<RouteTypes>('/:tenant/:service/bestaetigung/:id', async (req: Req, reply) => {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service) return notFound(reply, req, p);
    const row = await submissionOf(rt, p.tenant.id, req.params.id ?? '');
    if (!row || row.service_id !== service.definition.id) return notFound(reply, req, p);
    return render(reply, req, p, 'confirmation', p.ui.confirmationTitle, {
      reference: row.reference, serviceTitle: t(service.definition.title, p.lang), authorityName: row.authority_name,
      submittedAt: new Date(row.submitted_at).toLocaleString(p.lang === 'en' ? 'en-GB' : 'de-DE', { timeZone: 'Europe/Berlin', dateStyle: 'long', timeStyle: 'short' }),
      fee: money({ cents: row.fee_cents, currency: 'EUR' }, p.lang), statusHref: `${p.base}/status/${row.id}`,
    });
  });

  app.get<RouteTypes>('/:tenant/:service/:step', async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const form = rt.forms.get(ctx.service.definition.id) as LoadedForm;
    const step = visibleSteps(form, ctx.draft.data).find((s) => s.id === req.params.step);
    if (!step) return notFound(reply, req, ctx.p);
    return renderStep(req, reply, ctx.p, ctx.service, step, ctx.draft.data, { errors: new Map(), parsed: new Map() });
  });

  app.post<RouteTypes>('/:tenant/:service/:step', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const { p, service, draft } = ctx;
    const form = rt.forms.get(service.definition.id) as LoadedForm;
    const step = visibleSteps(form, draft.data).find((s) => s.id === req.params.step);
    if (!step) return notFound(reply, req, p);
    const outcome = processStep(service, step, draft.data, req.body ?? {}, stepContext(p, service.definition.id));
    if (outcome.errors.size > 0) return renderStep(req, reply, p, service, step, outcome.data, outcome, 400);
    // Only valid answers are saved, so a resumed draft never holds what the applicant was told is wrong.
    draft.data = outcome.data;
    const steps = visibleSteps(form, draft.data);
    const next = steps[steps.findIndex((s) => s.id === step.id) + 1];
    draft.currentStep = next && req.query.zurueck !== 'pruefen' ? next.id : 'pruefen';
    await rt.drafts.save(draft);
    return reply.redirect(`${p.base}/${service.definition.id}/${draft.currentStep}`, 303);
  });

  // ---- flow helpers --------------------------------------------------------------------------
  async function serviceContext(req: Req, reply: FastifyReply): Promise<{ p: Page; service: LoadedService; draft: Draft } | undefined> {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service || RESERVED.has(req.params.service ?? '')) {
      await notFound(reply, req, p);
      return undefined;
    }
    const draft = await draftOf(req, p, service.definition.id);
    if (!draft) {
      await render(reply, req, p, 'error', p.ui.expiredTitle, { message: p.ui.expired, homeHref: `${p.base}/${service.definition.id}` }, 410);
      return undefined;
    }
    return { p, service, draft };
  }

  function stepContext(p: Page, serviceId: string): StepContext {
    return { places: rt.places, lang: p.lang, logic: logicCtx(p, serviceId) };
  }

  function renderStep(req: Req, reply: FastifyReply, p: Page, service: LoadedService, step: FormStep, data: Record<string, unknown>, state: { errors: Map<string, string>; parsed: Map<string, import('../../forms/fields/kind.js').ParseResult> }, status = 200) {
    const form = rt.forms.get(service.definition.id) as LoadedForm;
    const steps = visibleSteps(form, data);
    const index = steps.findIndex((s) => s.id === step.id);
    const id = service.definition.id;
    const fields = step.fields.filter((f) => conditionHolds(f.def.showIf, data)).map((f) => {
      const error = state.errors.get(f.pointer);
      const hint = t(f.hint, p.lang);
      const view = f.kind.view(f, getAt(data, f.pointer), state.parsed.get(f.pointer), p.lang, state.errors);
      return {
        ...view, ui: p.ui, id: f.id, name: f.name, label: t(f.label, p.lang), hint, error, required: f.required, autocomplete: f.def.autocomplete, width: f.def.width ?? 20,
        describedBy: [hint ? `${f.id}-hint` : '', error ? `${f.id}-error` : ''].filter(Boolean).join(' ') || undefined,
      };
    });
    const errorSummary = summarise(step.fields, state.errors);
    const back = req.query.zurueck === 'pruefen' ? `${p.base}/${id}/pruefen` : index > 0 ? `${p.base}/${id}/${steps[index - 1]?.id}` : `${p.base}/${id}`;
    return render(reply, req, p, 'step', `${t(step.title, p.lang)} – ${t(service.definition.title, p.lang)}`, {
      serviceTitle: t(service.definition.title, p.lang), stepTitle: t(step.title, p.lang), stepIntro: t(step.intro, p.lang), stepNumber: index + 1, stepCount: steps.length,
      fields, errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: back,
      action: `${p.base}/${id}/${step.id}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, csrf: reply.generateCsrf(),
    }, status);
  }

  function renderCheck(req: Req, reply: FastifyReply, p: Page, service: LoadedService, draft: Draft, status = 200) {
    const id = service.definition.id;
    const form = rt.forms.get(id) as LoadedForm;
    const data = pruneHidden(form, draft.data);
    const steps = visibleSteps(form, data);
    const sections = steps.map((step) => ({
      title: t(step.title, p.lang),
      rows: step.fields.filter((f) => conditionHolds(f.def.showIf, data)).map((f) => ({
        label: t(f.label, p.lang), value: f.kind.summary(f, getAt(data, f.pointer), p.lang), changeHref: `${p.base}/${id}/${step.id}?zurueck=pruefen`,
      })),
    }));
    const stepCtx = stepContext(p, id);
    const incomplete = validateAll(service, form, data, stepCtx);
    let authorityName: string | undefined;
    let routingProblem: string | undefined;
    let fee: string | undefined;
    if (!incomplete) {
      fee = money(service.logic.fee(data, stepCtx.logic), p.lang);
      try {
        authorityName = resolveResponsible(rt.routing, service, data).authority.name;
      } catch (err) {
        if (!(err instanceof EfaError)) throw err;
        routingProblem = p.ui.noAuthority;
      }
    }
    return render(reply, req, p, 'check', p.ui.checkTitle, {
      sections, fee: fee ?? '–', authorityName, routingProblem,
      // Links lead to the step that still needs an answer (the fields are not on this page).
      errorSummary: incomplete ? summarise(incomplete.step.fields, incomplete.errors).map((e) => ({ message: e.message, url: `${p.base}/${id}/${incomplete.step.id}?zurueck=pruefen` })) : undefined,
      backHref: `${p.base}/${id}/${steps[steps.length - 1]?.id}`, action: `${p.base}/${id}/absenden`, csrf: reply.generateCsrf(),
    }, status);
  }
}

interface SubmissionView {
  id: string;
  reference: string;
  service_id: string;
  authority_name: string;
  status: string;
  fee_cents: number;
  submitted_at: Date | string;
}

/** A submission as its own tenant may show it: another Land's id is simply not found. */
async function submissionOf(rt: Runtime, tenant: string, id: string): Promise<SubmissionView | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  const { rows } = await rt.db.query<SubmissionView>('SELECT id, reference, service_id, authority_name, status, fee_cents, submitted_at FROM submissions WHERE id = $1 AND tenant = $2', [id, tenant]);
  return rows[0];
}

function berlinToday(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
}
