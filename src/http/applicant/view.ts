/**
 * What every applicant page is made of: the page's environment (tenant, language, base path), a
 * view (template, title, context, status), the layout around it, and the few helpers all views
 * share. The HTTP routes and the preview for service authors render the same views, so a preview
 * shows exactly what an applicant would see.
 */
import { EfaError } from '../../core/errors.js';
import type { LoadedForm } from '../../forms/definition.js';
import type { Renderer } from '../../forms/render.js';
import { LANG_NAMES, t, type Lang } from '../../forms/text.js';
import type { UiTexts } from '../../forms/ui-texts.js';
import type { Money } from '../../services/contract.js';
import type { Tenant } from '../../tenants/registry.js';
import { portalNameOf } from '../../tenants/portals.js';

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
  /** The service whose page this is (its portal names the header: tenants/portals.ts); none on the Land's own pages. */
  serviceId?: string;
}

export interface PageView {
  template: string;
  title: string;
  context: Record<string, unknown>;
  status: number;
}

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

export function serviceTitle(env: PageEnv, serviceId: string): string {
  return t(env.tenant.serviceTexts.get(serviceId)?.title, env.lang);
}

// Formatters are built once: each Intl.DateTimeFormat (and each toLocaleString with options) loads locale data.
const LOCALE: Record<Lang, string> = { de: 'de-DE', en: 'en-GB' };
const perLang = <T>(make: (locale: string) => T): Record<Lang, T> => ({ de: make(LOCALE.de), en: make(LOCALE.en) });
const BERLIN_DATE_TIME = perLang((locale) => new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', dateStyle: 'long', timeStyle: 'short' }));
const BERLIN_DATE = perLang((locale) => new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', dateStyle: 'long' }));
const BERLIN_DAY = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' });
const NUMBER = perLang((locale) => new Intl.NumberFormat(locale));

/** Date and time in Europe/Berlin as the applicant pages write them. */
export function berlinDateTime(at: Date | string, lang: Lang): string {
  return BERLIN_DATE_TIME[lang].format(new Date(at));
}

/** A date (without time) in Europe/Berlin as the applicant pages write it. */
export function berlinDate(at: Date, lang: Lang): string {
  return BERLIN_DATE[lang].format(at);
}

/**
 * Today in Europe/Berlin as YYYY-MM-DD: the day the parameters in force are read for. Several calls
 * per request: kept for the current UTC minute, which is exact because Berlin's offset from UTC is
 * always whole hours, so its day never changes within a UTC minute.
 */
export function berlinToday(): string {
  const minute = Math.floor(Date.now() / 60_000);
  if (minute !== today.minute) today = { minute, day: BERLIN_DAY.format(new Date(minute * 60_000)) };
  return today.day;
}
let today = { minute: Number.NaN, day: '' };

/** A number as the applicant pages write it. */
export function number(value: number, lang: Lang): string {
  return NUMBER[lang].format(value);
}

/** Served by the app (src/http/app.ts) for a Land without a logo and for /favicon.ico outside any Land. */
export const NEUTRAL_FAVICON = '/_efa/favicon.svg';
/** Focus and scrolling for the error summary's links, and for a step opened with #field (src/http/assets/error-summary.js). */
export const ERROR_SUMMARY_SCRIPT = '/_efa/error-summary.js';

/** Renders a view inside the layout, with everything the layout needs from the tenant and language. */
export function renderPage(renderer: Renderer, env: PageEnv, view: PageView): string {
  const ui = uiOf(env);
  const logo = env.tenant.logoSvg !== undefined;
  const logoHref = env.inlineLogo ?? env.assets?.logo ?? `${env.base}/logo.svg`;
  return renderer.page(view.template, {
    ...view.context,
    title: view.title, lang: env.lang, ui, base: env.base, portalName: t(portalNameOf(env.tenant, env.serviceId), env.lang),
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

/** A path of plain segments and no query: its language link is itself with ?lang=, as URL would make it. */
const PLAIN_PATH = /^(?:\/[\w-]+)+\/?$/;

function languageLinks(env: PageEnv): Array<{ code: Lang; label: string; current: boolean; href: string }> {
  if (PLAIN_PATH.test(env.url)) {
    return env.tenant.languages.map((code) => ({ code, label: LANG_NAMES[code], current: code === env.lang, href: env.languageHref?.(code) ?? `${env.url}?lang=${code}` }));
  }
  const url = new URL(env.url, 'http://page.invalid');
  return env.tenant.languages.map((code) => {
    url.searchParams.set('lang', code);
    return { code, label: LANG_NAMES[code], current: code === env.lang, href: env.languageHref?.(code) ?? `${url.pathname}${url.search}` };
  });
}

/** The error pages an applicant may see (texts ui.<kind>Title and ui.<kind>). */
export type ErrorKind = 'notFound' | 'expired' | 'csrf' | 'tooMany' | 'badRequest' | 'error';

export function errorView(env: PageEnv, kind: ErrorKind, homeHref: string, status: number, backHref?: string): PageView {
  const ui = uiOf(env);
  return { template: 'error', title: ui[`${kind}Title`], context: { message: ui[kind], homeHref, backHref }, status };
}
