/**
 * The applicant pages as data: each function turns (tenant, language, answers) into a template
 * name, a title and a context. The HTTP routes and the preview for service authors render the same
 * views, so a preview shows exactly what an applicant would see.
 */
import { EfaError } from '../core/errors.js';
import { conditionHolds, visibleSteps, type FormStep, type LoadedForm } from '../forms/definition.js';
import { revealData, type ConditionEnv } from '../forms/conditions.js';
import { bindRow, rowLines, rowsOf, rowTitle } from '../forms/fields/group.js';
import type { FormField, ParseResult } from '../forms/fields/kind.js';
import { getAt } from '../forms/pointer.js';
import type { Renderer } from '../forms/render.js';
import { LANG_NAMES, t, type Lang } from '../forms/text.js';
import type { UiTexts } from '../forms/ui-texts.js';
import { pruneHidden, summarise, validateAll, type StepContext } from '../forms/validate.js';
import type { PlaceIndex } from '../places/places.js';
import type { Authority } from '../routing/types.js';
import type { LocalText, LogicContext, Money } from '../services/contract.js';
import type { DisplayItem, LoadedService } from '../services/registry.js';
import { placeLogicContext } from '../tenants/place.js';
import { elsewhereView, placeElsewhere, rulesPlaceFact } from './place-view.js';
import type { AccessibilityStatement, Tenant } from '../tenants/registry.js';

export interface PageEnv {
  tenant: Tenant;
  lang: Lang;
  /** Prefix of the tenant's page URLs: '' when the host selected the tenant, '/<id>' by path. */
  base: string;
  /** This page's path and query; the language links keep the query (e.g. ?zurueck=pruefen). */
  url: string;
  /** Where the stylesheets and logo come from, when not from the served paths (preview). */
  assets?: { theme: string; logo: string; kern?: string; app?: string };
  /** Stylesheets inlined instead of linked: a preview file opened from disk has no server. */
  inlineCss?: string;
  /** Logo as a data: URI, for the same reason. */
  inlineLogo?: string;
  preview?: boolean;
  /** Where the other language's version of this page is, when not this URL with ?lang= (static preview files). */
  languageHref?: (lang: Lang) => string;
}

export interface PageView {
  template: string;
  title: string;
  context: Record<string, unknown>;
  status: number;
}

export type LegalPage = 'imprint' | 'privacy' | 'accessibility' | 'contact';

/** Legal pages by their (German) URL slug; the slugs are part of every tenant's public URLs. */
export const LEGAL_PAGES: ReadonlyArray<{ slug: string; key: LegalPage; title: keyof UiTexts }> = [
  { slug: 'impressum', key: 'imprint', title: 'legalImprint' },
  { slug: 'datenschutz', key: 'privacy', title: 'legalPrivacy' },
  { slug: 'barrierefreiheit', key: 'accessibility', title: 'legalAccessibility' },
  { slug: 'kontakt', key: 'contact', title: 'legalContact' },
];

const euro: Record<Lang, Intl.NumberFormat> = {
  de: new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }),
  en: new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }),
};

export function money(m: Money, lang: Lang): string {
  return euro[lang].format(m.cents / 100);
}

export function uiOf(env: PageEnv): UiTexts {
  return env.tenant.ui[env.lang];
}

/** The tenant's copy of a service's form (with its text overrides). */
export function formOf(tenant: Tenant, serviceId: string): LoadedForm {
  const form = tenant.forms.get(serviceId);
  if (!form) throw new EfaError('EFA_NOT_OFFERED', `tenant ${tenant.id} does not offer service ${serviceId}`, 404);
  return form;
}

/**
 * An authority's name as this page shows it: its English name on English pages where the routing
 * data has one (nameEn), else the official German name.
 */
export function authorityName(authority: Pick<Authority, 'name' | 'nameEn'>, lang: Lang): string {
  return lang === 'en' && authority.nameEn ? authority.nameEn : authority.name;
}

export function serviceTitle(env: PageEnv, serviceId: string): string {
  return t(env.tenant.serviceTexts.get(serviceId)?.title, env.lang);
}

/**
 * The logic context for one applicant: the parameters of the responsible place (its Land's,
 * whichever portal is used; the portal's Land's values before the answers tell the place) on
 * `today` (src/tenants/place.ts).
 */
export function logicContext(tenant: Tenant, service: LoadedService, today: string, data?: Record<string, unknown>): LogicContext {
  return placeLogicContext(tenant, service, today, data);
}

/** What conditions read besides the answers: the parameters in force and derive() (while it can compute). */
export function conditionEnv(service: LoadedService, logic: LogicContext): ConditionEnv {
  return {
    params: logic.params,
    derive(answers) {
      try {
        return (service.logic.derive(answers, logic) ?? {}) as Record<string, unknown>;
      } catch {
        return {};
      }
    },
  };
}

export function stepContext(env: PageEnv, places: PlaceIndex, service: LoadedService, today: string, data?: Record<string, unknown>): StepContext {
  const logic = logicContext(env.tenant, service, today, data);
  return { places, lang: env.lang, logic, ruleTexts: env.tenant.ruleTexts.get(service.definition.id), conditions: conditionEnv(service, logic) };
}

/** Served by the app (src/http/app.ts) for a Land without a logo and for /favicon.ico outside any Land. */
export const NEUTRAL_FAVICON = '/_efa/favicon.svg';

/** Renders a view inside the layout, with everything the layout needs from the tenant and language. */
export function renderPage(renderer: Renderer, env: PageEnv, view: PageView): string {
  const ui = uiOf(env);
  const logo = env.tenant.logoSvg !== undefined;
  const logoHref = env.inlineLogo ?? env.assets?.logo ?? `${env.base}/logo.svg`;
  return renderer.page(view.template, {
    ...view.context,
    title: view.title, lang: env.lang, ui, base: env.base, portalName: t(env.tenant.portalName, env.lang),
    // The Land's logo is also its favicon; without one, the neutral mark every Land shares.
    logo, logoHref, faviconHref: logo ? logoHref : NEUTRAL_FAVICON,
    themeHref: env.assets?.theme ?? `${env.base}/theme.css`, kernHref: env.assets?.kern ?? '/_efa/kern', appCssHref: env.assets?.app ?? '/_efa/app.css', inlineCss: env.inlineCss,
    languages: env.tenant.languages.length > 1 ? languageLinks(env) : [], preview: env.preview,
    scripts: scriptsOf(view),
  });
}

/** A step or row page also gets the error summary's focus handling. */
function scriptsOf(view: PageView): unknown {
  const own = view.context.scripts as string[] | undefined;
  return view.template === 'step' ? [...(own ?? []), ERROR_SUMMARY_SCRIPT] : own;
}

function languageLinks(env: PageEnv): Array<{ code: Lang; label: string; current: boolean; href: string }> {
  const url = new URL(env.url, 'http://page.invalid');
  return env.tenant.languages.map((code) => {
    url.searchParams.set('lang', code);
    return { code, label: LANG_NAMES[code], current: code === env.lang, href: env.languageHref?.(code) ?? `${url.pathname}${url.search}` };
  });
}

// ---- tenant-wide pages ------------------------------------------------------------------------

export function homeView(env: PageEnv): PageView {
  const services = [...env.tenant.serviceTexts].map(([id, texts]) => ({ href: `${env.base}/${id}`, title: t(texts.title, env.lang), description: t(texts.description, env.lang) }));
  return { template: 'home', title: t(env.tenant.portalName, env.lang), context: { services }, status: 200 };
}

export function legalView(env: PageEnv, page: LegalPage): PageView {
  const entry = LEGAL_PAGES.find((p) => p.key === page) as (typeof LEGAL_PAGES)[number];
  const title = uiOf(env)[entry.title];
  const legal = env.tenant.legal;
  if (page === 'contact') return { template: 'legal', title, context: { contact: legal.contact }, status: 200 };
  if (page === 'accessibility') return { template: 'legal', title, context: { accessibility: accessibilityView(legal.accessibility, env) }, status: 200 };
  const sections = legal[page].sections.map((s) => ({ heading: t(s.heading, env.lang), text: t(s.text, env.lang) }));
  return { template: 'legal', title, context: { sections }, status: 200 };
}

/** The statement in the order of the EU model statement; status and headings are worded by the engine. */
function accessibilityView(a: AccessibilityStatement, env: PageEnv): Record<string, unknown> {
  const ui = uiOf(env);
  const status = { full: ui.a11yStatusFull, partial: ui.a11yStatusPartial, none: ui.a11yStatusNone }[a.status];
  const preparedOn = new Date(`${a.preparedOn}T12:00:00Z`).toLocaleDateString(env.lang === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'long', timeZone: 'Europe/Berlin' });
  return {
    scope: t(a.scope, env.lang), status, barriers: a.barriers.map((b) => t(b, env.lang)), alternatives: t(a.alternatives, env.lang),
    preparedOn, method: t(a.method, env.lang),
    feedback: { ...a.feedback, text: t(a.feedback.text, env.lang) },
    enforcement: { ...a.enforcement, name: t(a.enforcement.name, env.lang), text: t(a.enforcement.text, env.lang) },
  };
}

/** The error pages an applicant may see (texts ui.<kind>Title and ui.<kind>). */
export type ErrorKind = 'notFound' | 'expired' | 'csrf' | 'tooMany' | 'badRequest' | 'error';

export function errorView(env: PageEnv, kind: ErrorKind, homeHref: string, status: number, backHref?: string): PageView {
  const ui = uiOf(env);
  return { template: 'error', title: ui[`${kind}Title`], context: { message: ui[kind], homeHref, backHref }, status };
}

export interface SubmissionFacts {
  reference: string;
  serviceId: string;
  authorityName: string;
  status: string;
  feeCents: number;
  submittedAt: Date | string;
  /** The declared facts as computed at submission (column submissions.shown); null for older rows. */
  shown?: Record<string, unknown> | null;
  /** The authority as the routing data now describes it (address, contact, English name), if it still does. */
  authority?: Authority;
  /** Where the applicant downloads the PDF receipt (absent in the preview). */
  receiptHref?: string;
}

/** The responsible authority as the applicant sees it (partials/authority.hbs and the PDF receipt). */
export interface AuthorityView {
  name: string;
  /** Postal address lines: street, then postal code and city. */
  address: string[];
  email?: string;
  phone?: string;
  /** Only an http(s) address becomes a link. */
  web?: string;
}

/**
 * The English name on English pages when the authority declares one; otherwise `name` (on the
 * status page the name stored at submission, which the routing data may have changed since).
 */
export function authorityView(authority: Authority | undefined, lang: Lang, name?: string): AuthorityView {
  const a = authority?.address;
  const address = a ? [a.street, [a.postalCode, a.city].filter(Boolean).join(' ')].filter((line): line is string => typeof line === 'string' && line !== '') : [];
  const c = authority?.contact ?? {};
  return {
    name: authority ? authorityName({ name: name ?? authority.name, nameEn: authority.nameEn }, lang) : (name ?? '–'), address,
    email: c.email, phone: c.phone, web: c.web && /^https?:\/\//i.test(c.web) ? c.web : undefined,
  };
}

/** Date and time in Europe/Berlin as the applicant pages write them. */
export function berlinDateTime(at: Date | string, lang: Lang): string {
  return new Date(at).toLocaleString(lang === 'en' ? 'en-GB' : 'de-DE', { timeZone: 'Europe/Berlin', dateStyle: 'long', timeStyle: 'short' });
}

export function statusView(env: PageEnv, s: SubmissionFacts): PageView {
  const ui = uiOf(env);
  const key = s.status.charAt(0).toUpperCase() + s.status.slice(1);
  const tone = { submitted: 'info', delivered: 'success', accepted: 'success', failed: 'warning', rejected: 'danger' }[s.status] ?? 'info';
  return {
    template: 'status', title: ui.statusTitle, status: 200,
    context: {
      reference: s.reference, serviceTitle: serviceTitle(env, s.serviceId), authorityName: s.authorityName, authority: authorityView(s.authority, env.lang, s.authorityName), receiptHref: s.receiptHref,
      status: s.status, statusTone: tone, statusText: ui[`status${key}` as keyof UiTexts], statusExplanation: ui[`explain${key}` as keyof UiTexts],
    },
  };
}

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

// ---- one service -------------------------------------------------------------------------------

export function startView(env: PageEnv, service: LoadedService, opts: { today: string; resumeHref?: string; csrf: string }): PageView {
  const id = service.definition.id;
  const texts = env.tenant.serviceTexts.get(id);
  const overview = service.logic.overview?.(logicContext(env.tenant, service, opts.today));
  return {
    template: 'start', title: serviceTitle(env, id), status: 200,
    context: {
      serviceTitle: serviceTitle(env, id), description: t(texts?.description, env.lang), intro: t(formOf(env.tenant, id).intro, env.lang),
      landHint: t(overview?.notice, env.lang), ...startFee(overview, env.lang),
      resumeHref: opts.resumeHref, startAction: `${env.base}/${id}/start`, csrf: opts.csrf,
    },
  };
}

/** A fixed fee as it is; a lowest fee as "ab …", since the check page may then show more (e.g. €24 here, €49 for a KG). */
function startFee(overview: { fee?: Money; feeFrom?: Money } | undefined, lang: Lang): { fee?: string; feeFrom?: boolean } {
  if (overview?.fee) return { fee: money(overview.fee, lang) };
  if (overview?.feeFrom) return { fee: money(overview.feeFrom, lang), feeFrom: true };
  return {};
}

export interface StepState {
  errors: Map<string, string>;
  parsed: Map<string, ParseResult>;
}

export function stepView(env: PageEnv, service: LoadedService, step: FormStep, data: Record<string, unknown>, state: StepState, opts: { fromCheck: boolean; csrf: string; status?: number; conditions: ConditionEnv; draftExpiry?: DraftExpiry }): PageView {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, opts.conditions);
  const index = steps.findIndex((s) => s.id === step.id);
  const stepHref = `${env.base}/${id}/${step.id}`;
  const query = opts.fromCheck ? '?zurueck=pruefen' : '';
  // A field whose condition reads this step's own answers is always rendered (explained in its hint)
  // and revealed by the browser; one that reads only earlier answers is decided here.
  const shown = step.fields.filter((f) => f.controls.length > 0 || conditionHolds(f.showIf, data, opts.conditions));
  const fields = fieldViews(env, shown, data, state, { stepHref, query }, opts.conditions);
  // Errors inside a group's row link to the control on that row's page.
  const errorSummary = summarise(step.fields, state.errors).map((e) => (e.row ? { ...e, url: `${stepHref}/${e.row}${query}#${e.href}` } : e));
  return {
    template: 'step', title: `${t(step.title, env.lang)} – ${serviceTitle(env, id)}`, status: opts.status ?? 200,
    context: {
      serviceTitle: serviceTitle(env, id), stepTitle: t(step.title, env.lang), stepIntro: t(step.intro, env.lang), stepNumber: index + 1, stepCount: stepTotal(formOf(env.tenant, id), steps),
      fields, multipart: fields.some((f) => f.multipart === true), errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: previousHref(env, id, steps, index, opts.fromCheck),
      action: `${stepHref}${query}`, csrf: opts.csrf, draftExpiry: opts.draftExpiry,
      scripts: fields.some((f) => f.reveal) ? REVEAL_SCRIPTS : undefined,
    },
  };
}

/**
 * One row of a group on its own page (/<step>/<n>): the item fields bound to that row, titled
 * with the row's name. Back leads to the list of rows, or before the group when it has none yet.
 */
export function rowView(env: PageEnv, service: LoadedService, step: FormStep, group: FormField, index: number, data: Record<string, unknown>, state: StepState, opts: { fromCheck: boolean; csrf: string; status?: number; conditions: ConditionEnv; draftExpiry?: DraftExpiry }): PageView {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, opts.conditions);
  const position = steps.findIndex((s) => s.id === step.id);
  const stepHref = `${env.base}/${id}/${step.id}`;
  const query = opts.fromCheck ? '?zurueck=pruefen' : '';
  const bound = bindRow(group, index).filter((f) => conditionHolds(f.showIf, data, opts.conditions));
  const title = rowTitle(group, index, env.lang);
  const errorSummary = summarise(bound, state.errors);
  const hasRows = rowsOf(getAt(data, group.pointer)).length > 0;
  const back = opts.fromCheck ? `${env.base}/${id}/pruefen` : hasRows ? stepHref : previousHref(env, id, steps, position, false);
  const rowFields = fieldViews(env, bound, data, state, { stepHref, query }, opts.conditions);
  return {
    template: 'step', title: `${title} – ${t(step.title, env.lang)} – ${serviceTitle(env, id)}`, status: opts.status ?? 200,
    context: {
      serviceTitle: serviceTitle(env, id), stepTitle: title, stepIntro: t(group.hint, env.lang), stepNumber: position + 1, stepCount: stepTotal(formOf(env.tenant, id), steps),
      fields: rowFields, multipart: rowFields.some((f) => f.multipart === true), errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: back,
      action: `${stepHref}/${index + 1}${query}`, csrf: opts.csrf, draftExpiry: opts.draftExpiry,
    },
  };
}

/**
 * The total for "Schritt 2 von 4", or none: when a step appears only for some answers, a total
 * would change under the applicant's feet ("1 von 4" becomes "3 von 5"), so, as GOV.UK advises
 * for question pages whose number depends on the answers, such a form shows only the step's number.
 */
function stepTotal(form: LoadedForm, steps: FormStep[]): number | undefined {
  return form.steps.some((s) => s.showIf !== undefined) ? undefined : steps.length;
}

function previousHref(env: PageEnv, id: string, steps: FormStep[], index: number, fromCheck: boolean): string {
  return fromCheck ? `${env.base}/${id}/pruefen` : index > 0 ? `${env.base}/${id}/${steps[index - 1]?.id}` : `${env.base}/${id}`;
}

function fieldViews(env: PageEnv, fields: FormField[], data: Record<string, unknown>, state: StepState, links: { stepHref: string; query: string }, conditions: ConditionEnv): Array<Record<string, unknown>> {
  const ui = uiOf(env);
  return fields.map((f) => {
    const error = state.errors.get(f.pointer);
    const hint = [t(f.hint, env.lang), t(f.controls.length > 0 ? f.conditionHint : undefined, env.lang)].filter(Boolean).join(' ');
    const view = f.kind.view(f, getAt(data, f.pointer), state.parsed.get(f.pointer), env.lang, state.errors);
    const reveal = f.showIf && f.controls.length > 0
      ? { logic: JSON.stringify(f.showIf.logic), data: JSON.stringify(revealData(f.showIf, data, conditions, f.controls)), controls: JSON.stringify(f.controls) }
      : undefined;
    return {
      ...view, ui, id: f.id, name: f.name, label: t(f.label, env.lang), hint, error, required: f.required, autocomplete: f.def.autocomplete, width: f.def.width ?? 20, reveal,
      describedBy: [hint ? `${f.id}-hint` : '', error ? `${f.id}-error` : ''].filter(Boolean).join(' ') || undefined,
      ...(f.group ? { ...links, addLabel: view.addLabel ?? ui.addRow } : {}),
    };
  });
}

/** Served by the app (src/http/app.ts): the JsonLogic library and the reveal script, no inline code (CSP). */
export const REVEAL_SCRIPTS = ['/_efa/json-logic.js', '/_efa/reveal.js'];
/** Focus and scrolling for the error summary's links, and for a step opened with #field (src/http/assets/error-summary.js). */
export const ERROR_SUMMARY_SCRIPT = '/_efa/error-summary.js';

/** The declared facts of the logic (service.json "display") for one page, formatted for the applicant. */
export function displayFacts(service: LoadedService, page: 'check' | 'confirmation', lang: Lang, valueOf: (item: DisplayItem) => unknown): Array<{ label: string; value: string; hint?: string; lines?: Array<{ label: string; value: string }> }> {
  return (service.definition.display ?? [])
    .filter((item) => (item.pages ?? ['check', 'confirmation']).includes(page))
    .map((item) => {
      const value = valueOf(item);
      return { label: item.label[lang], value: formatFact(item, value, lang), hint: item.hint?.[lang], lines: moneyLines(value, lang) };
    });
}

/** A fee made up of several lines (e.g. a period split at a change of rate): each line, as the logic words it. */
function moneyLines(value: unknown, lang: Lang): Array<{ label: string; value: string }> | undefined {
  const lines = (value as Money | undefined)?.lines;
  if (!Array.isArray(lines) || lines.length < 2) return undefined;
  return lines.map((l) => ({ label: t(l.label, lang), value: money({ cents: l.cents, currency: 'EUR' }, lang) }));
}

/** The raw value of a display item: the fee, or one of derive()'s values. */
export function factValue(service: LoadedService, item: DisplayItem, data: Record<string, unknown>, logic: LogicContext, derived: () => Record<string, unknown>): unknown {
  return item.value === 'fee' ? service.logic.fee(data, logic) : derived()[item.value.slice('derived.'.length)];
}

function formatFact(item: DisplayItem, value: unknown, lang: Lang): string {
  if (value === undefined || value === null) return '–';
  switch (item.format ?? (item.value === 'fee' ? 'money' : 'text')) {
    case 'money': return money(typeof value === 'number' ? { cents: value, currency: 'EUR' } : (value as Money), lang);
    case 'number': return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'de-DE').format(Number(value));
    case 'yesno': return value ? (lang === 'en' ? 'Yes' : 'Ja') : (lang === 'en' ? 'No' : 'Nein');
    default: return typeof value === 'object' ? t(value as LocalText, lang) : String(value);
  }
}

/** One answer as the check page and the PDF receipt show it; a group's row has `lines`. */
export interface CheckRow {
  label: string;
  value: string;
  lines?: Array<{ label: string; value: string }>;
}

export interface CheckSection {
  title: string;
  rows: Array<CheckRow & { changeHref: string }>;
}

/**
 * Every answer of the visible steps, as labels and formatted values (with a group's rows, file
 * names, "not answered" left to the template): the check page renders these, and the applicant's
 * copy for the PDF receipt is these, so both say the same. `data` is already pruned of hidden answers.
 */
export function checkSections(env: PageEnv, service: LoadedService, data: Record<string, unknown>, conditions: ConditionEnv): CheckSection[] {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, conditions);
  return steps.map((step) => ({
    title: t(step.title, env.lang),
    rows: step.fields.filter((f) => conditionHolds(f.showIf, data, conditions)).flatMap((f) => {
      const changeHref = `${env.base}/${id}/${step.id}?zurueck=pruefen`;
      const value = getAt(data, f.pointer);
      const own = { label: t(f.label, env.lang), value: f.kind.summary(f, value, env.lang), changeHref };
      if (!f.group) return [own];
      // Each row with its own change link, straight to that row's page.
      const spec = f.group;
      return [own, ...rowsOf(value).map((row, i) => ({
        label: rowTitle(f, i, env.lang), lines: rowLines(spec, row, env.lang), value: '', changeHref: `${env.base}/${id}/${step.id}/${i + 1}?zurueck=pruefen`,
      }))];
    }),
  }));
}

/**
 * The check page. `authorityOf` resolves the responsible authority and throws an EfaError when
 * none is connected; the applicant then hears it here, before submitting.
 */
export function checkView(env: PageEnv, service: LoadedService, draftData: Record<string, unknown>, ctx: StepContext, opts: { authorityOf: (data: Record<string, unknown>) => Authority; csrf: string; status?: number; draftExpiry?: DraftExpiry }): PageView {
  const id = service.definition.id;
  const ui = uiOf(env);
  const form = formOf(env.tenant, id);
  const data = pruneHidden(form, draftData, ctx.conditions);
  const steps = visibleSteps(form, data, ctx.conditions);
  const elsewhere = placeElsewhere(env.tenant, service, data);
  if (elsewhere) return elsewhereView(env, ctx.places, elsewhere, id, steps);
  const sections = checkSections(env, service, data, ctx.conditions);
  const incomplete = validateAll(service, form, data, ctx);
  let authority: AuthorityView | undefined;
  let routingProblem: string | undefined;
  // The declared facts need complete answers; until then each shows "–".
  let derived: Record<string, unknown> | undefined;
  const facts = displayFacts(service, 'check', env.lang, (item) => (incomplete ? undefined : factValue(service, item, data, ctx.logic, () => (derived ??= service.logic.derive(data, ctx.logic) as Record<string, unknown>))));
  if (!incomplete) {
    try {
      authority = authorityView(opts.authorityOf(data), env.lang);
    } catch (err) {
      if (!(err instanceof EfaError)) throw err;
      routingProblem = ui.noAuthority;
    }
  }
  const notice = service.logic.overview?.(ctx.logic)?.notice;
  return {
    template: 'check', title: ui.checkTitle, status: opts.status ?? 200,
    context: {
      sections, facts, factsTitle: facts.length === 0 ? ui.authority : facts.length === 1 && service.definition.display?.[0]?.value === 'fee' ? ui.feeAndAuthority : ui.factsAndAuthority,
      rulesPlace: rulesPlaceFact(env, ctx.places, service, data), authority, authorityName: authority?.name, routingProblem, landHint: t(notice, env.lang), draftExpiry: opts.draftExpiry,
      // Links lead to the step that still needs an answer (the fields are not on this page).
      errorSummary: incomplete ? summarise(incomplete.step.fields, incomplete.errors).map((e) => ({ message: e.message, url: `${env.base}/${id}/${incomplete.step.id}${e.row ? `/${e.row}` : ''}?zurueck=pruefen${e.row ? `#${e.href}` : ''}` })) : undefined,
      backHref: `${env.base}/${id}/${steps[steps.length - 1]?.id}`, action: `${env.base}/${id}/absenden`, csrf: opts.csrf,
    },
  };
}

// ---- keeping a draft -------------------------------------------------------------------------

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
export function saveForLaterView(env: PageEnv, service: LoadedService, opts: { expiresAt: Date; startUrl: string; backHref: string }): PageView {
  const ui = uiOf(env);
  return {
    template: 'save-for-later', title: ui.saveTitle, status: 200,
    context: {
      serviceTitle: serviceTitle(env, service.definition.id), keptUntil: berlinDateTime(opts.expiresAt, env.lang), startUrl: opts.startUrl, backHref: opts.backHref,
    },
  };
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
