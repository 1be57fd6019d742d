/**
 * The preview for service authors: any page of any service in any tenant's look, filled with the
 * service's sample data (services/<id>/examples.json), without a database, a draft or a session.
 * Used by `efa preview` and by the development-only route /_efa/preview/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { EfaError } from '../core/errors.js';
import { visibleSteps, type FormStep } from '../forms/definition.js';
import { rowsOf } from '../forms/fields/group.js';
import type { FormField } from '../forms/fields/kind.js';
import { getAt, setAt } from '../forms/pointer.js';
import type { Renderer } from '../forms/render.js';
import { t, type Lang } from '../forms/text.js';
import { processRow, processStep } from '../forms/validate.js';
import type { Declarations } from '../runtime.js';
import { loadExamples, type ServiceExample } from '../services/examples.js';
import type { LoadedService } from '../services/registry.js';
import { resolveResponsible } from '../submissions/submit.js';
import { regionOf } from '../tenants/place.js';
import type { Tenant } from '../tenants/registry.js';
import type { Authority } from '../routing/types.js';
import { checkView } from './applicant/check.js';
import { confirmationView } from './applicant/confirmation.js';
import { homeView } from './applicant/home.js';
import { LEGAL_PAGES, legalView } from './applicant/legal.js';
import { groupOf } from './applicant/fields.js';
import { conditionEnv, logicContext, stepContext } from './applicant/logic.js';
import { rowView, topRow } from './applicant/row.js';
import { startView } from './applicant/start.js';
import { statusView } from './applicant/status.js';
import { stepView } from './applicant/step.js';
import { formOf, renderPage, type PageEnv, type PageView } from './applicant/view.js';

/** A preview was asked for something that does not exist; the message lists what does. */
export class PreviewError extends EfaError {
  constructor(message: string) {
    super('EFA_PREVIEW_INVALID', message, 404);
  }
}

export interface PreviewRequest {
  tenant: string;
  /** Default: the tenant's first service. */
  service?: string;
  /**
   * home, start, a step id, a group's first row (`<step>/1`), pruefen, bestaetigung, status or a
   * legal page (impressum, …). Default: start.
   */
  page?: string;
  lang?: Lang;
  /**
   * Example id from examples.json. Default: of the examples that show `page` (a row page: those
   * with a row first), the first whose `tenant` is this tenant, else the first whose place lies in
   * this tenant's Land, else the first.
   */
  example?: string;
  /** Show a step as if it was posted empty: every message the applicant could get for it. */
  errors?: boolean;
  /** Inline the stylesheets and logo, for a file opened without a server. */
  standalone?: boolean;
  /** Where the page's stylesheets and logo are (the preview route and --all have their own paths). */
  assets?: PageEnv['assets'];
  /** This page's URL, for the language links. */
  url?: string;
  /** The other language's version of the page, when not reached by ?lang= (static files). */
  languageHref?: PageEnv['languageHref'];
}

export interface PreviewPage {
  html: string;
  status: number;
  tenant: string;
  service: string;
  page: string;
  example: string;
}

const FIXED_PAGES = ['home', 'start'] as const;
const AFTER_STEPS = ['pruefen', 'bestaetigung', 'status'] as const;
const CSRF_PLACEHOLDER = 'preview';

const require = createRequire(import.meta.url);
/** KERN UX's distribution folder (stylesheet, fonts) and our own stylesheet, for files without a server. */
export const KERN_DIST = join(require.resolve('@kern-ux/native/package.json'), '..', 'dist');
export const APP_CSS = new URL('./app.css', import.meta.url);
const KERN_CSS = join(KERN_DIST, 'kern.min.css');

export class Previewer {
  private readonly examples = new Map<string, ServiceExample[]>();
  private baseCss?: string;

  constructor(private readonly decl: Declarations, private readonly renderer: Renderer, private readonly formatsDir: string, private readonly today = berlinToday()) {}

  /** Sample data of a service, loaded and checked once. */
  examplesOf(service: LoadedService): ServiceExample[] {
    let list = this.examples.get(service.definition.id);
    if (!list) {
      list = loadExamples(service, this.formatsDir, this.today);
      this.examples.set(service.definition.id, list);
    }
    return list;
  }

  /**
   * Every page the preview can show for a tenant's service, in the order an applicant meets them;
   * a step with a repeatable group is followed by its first row's page (`<step>/1`).
   */
  pages(tenant: Tenant, serviceId: string): string[] {
    const steps = formOf(tenant, serviceId).steps.flatMap((s) => (s.fields.some((f) => f.group) ? [s.id, `${s.id}/1`] : [s.id]));
    return [...FIXED_PAGES, ...steps, ...AFTER_STEPS, ...LEGAL_PAGES.map((p) => p.slug)];
  }

  render(req: PreviewRequest): PreviewPage {
    const tenant = this.decl.tenants.get(req.tenant);
    if (!tenant) throw new PreviewError(`no tenant "${req.tenant}" (tenants: ${[...this.decl.tenants.keys()].join(', ')})`);
    const serviceId = req.service ?? Object.keys(tenant.services)[0] ?? '';
    const service = this.decl.services.get(serviceId);
    if (!service || !(serviceId in tenant.services)) throw new PreviewError(`tenant "${tenant.id}" does not offer service "${serviceId}" (offers: ${Object.keys(tenant.services).join(', ')})`);
    const page = req.page ?? 'start';
    const known = this.pages(tenant, serviceId);
    if (!known.includes(page)) throw new PreviewError(`no page "${page}" for ${serviceId} (pages: ${known.join(', ')})`);
    const lang = req.lang ?? 'de';
    if (!tenant.languages.includes(lang)) throw new PreviewError(`tenant "${tenant.id}" does not offer language "${lang}" (languages: ${tenant.languages.join(', ')})`);
    const example = this.exampleFor(tenant, service, page, req.example);
    const env: PageEnv = {
      tenant, lang, base: `/${tenant.id}`, url: req.url ?? `/_efa/preview/${tenant.id}/${serviceId}/${page}`, preview: true, assets: req.assets, languageHref: req.languageHref,
      // The Land's home and legal pages are its own; the service's pages appear under the service's portal.
      ...(page === 'home' || LEGAL_PAGES.some((l) => l.slug === page) ? {} : { serviceId }),
      ...(req.standalone ? { inlineCss: this.stylesheets(tenant), inlineLogo: logoDataUri(tenant) } : {}),
    };
    const view = this.view(env, service, page, example, req.errors === true);
    return { html: renderPage(this.renderer, env, view), status: view.status, tenant: tenant.id, service: serviceId, page, example: example.id };
  }

  /**
   * A step hidden by a condition (e.g. the register step) needs an example whose answers show it;
   * a row page one whose answers show the group. Without a wanted one, the best of those for this
   * tenant (exampleRank), so a Land's preview shows an application from that Land.
   */
  private exampleFor(tenant: Tenant, service: LoadedService, page: string, wanted: string | undefined): ServiceExample {
    const examples = this.examplesOf(service);
    const shows = (e: ServiceExample) => this.showsPage(tenant, service, page, e);
    if (wanted !== undefined) {
      const example = examples.find((e) => e.id === wanted);
      if (!example) throw new PreviewError(`no example "${wanted}" in services/${service.definition.id}/examples.json (examples: ${examples.map((e) => e.id).join(', ')})`);
      if (!shows(example)) throw new PreviewError(`step "${page}" is hidden for example "${wanted}"; examples that show it: ${examples.filter(shows).map((e) => e.id).join(', ') || 'none'}`);
      return example;
    }
    const rank = (e: ServiceExample) => exampleRank(tenant, service, e) + (this.rowsShown(tenant, service, page, e) > 0 ? 10 : 0);
    const example = examples.filter(shows).reduce<ServiceExample | undefined>((best, e) => (best === undefined || rank(e) > rank(best) ? e : best), undefined);
    if (!example) throw new PreviewError(`no example in services/${service.definition.id}/examples.json shows step "${page}"`);
    return example;
  }

  /** Whether the example's answers show the page: any page that is not a step, a visible step, the group of a visible step. */
  private showsPage(tenant: Tenant, service: LoadedService, page: string, example: ServiceExample): boolean {
    const { stepId, row } = splitPage(page);
    if (!formOf(tenant, service.definition.id).steps.some((s) => s.id === stepId)) return true;
    const conditions = conditionEnv(service, logicContext(tenant, service, this.dayOf(example), example.data));
    const step = visibleSteps(formOf(tenant, service.definition.id), example.data, conditions).find((s) => s.id === stepId);
    return step !== undefined && (row === undefined || groupOf(step, example.data, conditions) !== undefined);
  }

  /** The rows a row page's example has in the page's group (0 for other pages). */
  private rowsShown(tenant: Tenant, service: LoadedService, page: string, example: ServiceExample): number {
    const { stepId, row } = splitPage(page);
    const step = formOf(tenant, service.definition.id).steps.find((s) => s.id === stepId);
    if (row === undefined || !step) return 0;
    const group = groupOf(step, example.data, conditionEnv(service, logicContext(tenant, service, this.dayOf(example), example.data)));
    return group ? rowsOf(getAt(example.data, group.pointer)).length : 0;
  }

  /** The day an example is shown on: the one it is checked on (examples.json "today"), else the preview's. */
  private dayOf(example: ServiceExample): string {
    return example.today ?? this.today;
  }

  private view(env: PageEnv, service: LoadedService, page: string, example: ServiceExample, errors: boolean): PageView {
    const id = service.definition.id;
    const data = example.data;
    const today = this.dayOf(example);
    const legal = LEGAL_PAGES.find((p) => p.slug === page);
    if (legal) return legalView(env, legal.key);
    const ctx = stepContext(env, this.decl.places, service, today, data);
    const authorityOf = (d: Record<string, unknown>) => resolveResponsible(this.decl.routing, service, d).authority;
    switch (page) {
      case 'home': return homeView(env);
      case 'start': return startView(env, service, { today, csrf: CSRF_PLACEHOLDER });
      case 'pruefen': return checkView(env, service, data, ctx, { authorityOf, csrf: CSRF_PLACEHOLDER });
      case 'bestaetigung':
      case 'status': {
        const facts = this.submissionFacts(env.tenant, service, data, today, authorityOf);
        return page === 'status' ? statusView(env, facts) : confirmationView(env, service, { ...facts, statusHref: `${env.base}/status/00000000-0000-4000-8000-000000000000` });
      }
      default: {
        const { stepId, row } = splitPage(page);
        const step = formOf(env.tenant, id).steps.find((s) => s.id === stepId) as FormStep;
        if (row !== undefined) return this.rowPage(env, service, step, data, ctx, errors);
        if (!errors) return stepView(env, service, step, data, { errors: new Map(), parsed: new Map() }, { fromCheck: false, csrf: CSRF_PLACEHOLDER, conditions: ctx.conditions });
        const outcome = processStep(service, step, withoutStep(step, data), {}, ctx);
        return stepView(env, service, step, outcome.data, outcome, { fromCheck: false, csrf: CSRF_PLACEHOLDER, status: 400, conditions: ctx.conditions });
      }
    }
  }

  /** The first row of the step's group, as the applicant sees it (with errors: posted empty). */
  private rowPage(env: PageEnv, service: LoadedService, step: FormStep, data: Record<string, unknown>, ctx: ReturnType<typeof stepContext>, errors: boolean): PageView {
    const group = groupOf(step, data, ctx.conditions) as FormField;
    const opts = { fromCheck: false, csrf: CSRF_PLACEHOLDER, conditions: ctx.conditions };
    if (!errors) return rowView(env, service, step, topRow(env, service.definition.id, step, group, 0), data, { errors: new Map(), parsed: new Map() }, opts);
    // processRow puts an empty row in place of the first before reading the (empty) post.
    const outcome = processRow(service, group, 0, data, {}, ctx);
    return rowView(env, service, step, topRow(env, service.definition.id, step, group, 0), outcome.data, outcome, { ...opts, status: 400 });
  }

  private submissionFacts(tenant: Tenant, service: LoadedService, data: Record<string, unknown>, today: string, authorityOf: (d: Record<string, unknown>) => Authority) {
    let authorityName = '–';
    let authority: Authority | undefined;
    try {
      authority = authorityOf(data);
      authorityName = authority.name;
    } catch (err) {
      if (!(err instanceof EfaError)) throw err;
    }
    const logic = logicContext(tenant, service, today, data);
    const fee = service.logic.fee(data, logic);
    const derived = service.logic.derive(data, logic) as Record<string, unknown>;
    return {
      reference: `${tenant.id.toUpperCase()}-${today.slice(0, 4)}-DEMO-0001`, serviceId: service.definition.id, authorityName, authority,
      status: 'delivered', feeCents: fee.cents, submittedAt: new Date(`${today}T09:30:00+01:00`),
      shown: Object.fromEntries((service.definition.display ?? []).map((d) => [d.value, d.value === 'fee' ? fee : derived[d.value.slice('derived.'.length)]])),
    };
  }

  private stylesheets(tenant: Tenant): string {
    this.baseCss ??= `${readFileSync(KERN_CSS, 'utf8')}\n${readFileSync(APP_CSS, 'utf8')}`;
    return `${this.baseCss}\n${tenant.themeCss}`;
  }
}

/** The step's own answers removed: what the applicant sees after posting it empty. */
function withoutStep(step: FormStep, data: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(data);
  for (const field of step.fields) setAt(copy, field.pointer, undefined);
  return copy;
}

/** "tiere/1" is the first row of the group on step "tiere" (step ids have no slash: schemas/form.schema.json). */
function splitPage(page: string): { stepId: string; row?: number } {
  const [stepId = page, row] = page.split('/');
  return row === undefined ? { stepId } : { stepId, row: Number(row) };
}

/**
 * How well an example suits a tenant's preview: 2 when it is stated to be checked under that
 * tenant (examples.json "tenant", per file or per example), 1 when its place lies in the tenant's
 * Land, else 0 (the NW preview should not show an application from Kiel when there is one from Köln).
 */
export function exampleRank(tenant: Tenant, service: LoadedService, example: ServiceExample): number {
  if (example.tenant === tenant.id) return 2;
  return regionOf(service, example.data)?.slice(0, 2) === tenant.land ? 1 : 0;
}

function logoDataUri(tenant: Tenant): string | undefined {
  return tenant.logoSvg ? `data:image/svg+xml;base64,${Buffer.from(tenant.logoSvg.body).toString('base64')}` : undefined;
}

export function berlinToday(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
}

/** A one-line description of an example, for listings. */
export function describeExample(example: ServiceExample, lang: Lang): string {
  return `${example.id}: ${t(example.title, lang)}`;
}
