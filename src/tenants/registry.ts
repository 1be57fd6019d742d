import { createHash } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CrossReferenceError, DeclarationError, DeclarationErrors } from '../core/errors.js';
import type { DeclarationProblems } from '../core/problems.js';
import { describeAjvError, displayPath, errorPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import { loadForms, type LoadedForm } from '../forms/definition.js';
import { hasLang, LANG_NAMES, type Lang } from '../forms/text.js';
import type { UiTexts } from '../forms/ui-texts.js';
import type { LocalText } from '../services/contract.js';
import { defaults, type LoadedService } from '../services/registry.js';
import { contrastRatio, MIN_NON_TEXT_CONTRAST } from './contrast.js';
import { checkPortals, portalTexts } from './portals.js';
import { applyTexts, textCatalogue, type TextCatalogue, type TextOverride } from './texts.js';
import { checkRestrictions, restrictForm } from './codelists.js';
import { checkLocalParameters, type LocalOverride, type ParameterTable } from './parameters.js';

/**
 * A Land's declared design tokens. Every Land shares one neutral KERN UX base (EfA: "Design bzw.
 * Logo an Land angepasst"); a Land brings its logo, its names and this one colour, nothing more.
 */
export interface TenantTheme {
  accent: string;
}

/** The only theme tokens a tenant may set; anything else is refused by name at startup. */
export const THEME_TOKENS: readonly (keyof TenantTheme)[] = ['accent'];

/** Imprint and privacy notice: headed sections, in the Land's words. */
export interface LegalSections {
  sections: Array<{ heading: LocalText; text: LocalText }>;
}

/** The accessibility statement with the parts BITV 2.0 § 7 and the EU model statement require. */
export interface AccessibilityStatement {
  scope: LocalText;
  status: 'full' | 'partial' | 'none';
  barriers: LocalText[];
  alternatives?: LocalText;
  preparedOn: string;
  method: LocalText;
  feedback: { email: string; phone?: string; text?: LocalText };
  enforcement: { name: LocalText; web: string; email?: string; phone?: string; text?: LocalText };
}

/** Each required part of the statement, as efa check names it when it is missing. */
const ACCESSIBILITY_PARTS: ReadonlyArray<[keyof AccessibilityStatement, string]> = [
  ['scope', 'which website it covers'],
  ['status', 'its conformity status (Vereinbarkeitsstatus: "full", "partial" or "none")'],
  ['barriers', 'the list of known barriers (Unvereinbarkeiten)'],
  ['preparedOn', 'the date it was prepared (YYYY-MM-DD)'],
  ['method', 'how conformity was assessed'],
  ['feedback', 'the feedback mechanism (Feedback-Mechanismus: an e-mail address for reporting barriers)'],
  ['enforcement', 'the enforcement procedure (Durchsetzungsverfahren: the Land\'s Schlichtungsstelle with its web address)'],
];

export interface TenantDefinition {
  id: string;
  land: string;
  name: LocalText;
  portalName: LocalText;
  /** Further portals of the Land by service family (e.g. its business portal); an offer names one with `portal`. */
  portals?: Record<string, LocalText>;
  hosts: string[];
  logo?: string;
  /** Languages the applicant may choose; German always (the legally binding version). */
  languages?: Lang[];
  theme: TenantTheme;
  legal: { imprint: LegalSections; privacy: LegalSections; accessibility: AccessibilityStatement; contact: { email: string; phone?: string } };
  services: Record<string, { parameters?: Record<string, unknown>; local?: LocalOverride[]; codelists?: Record<string, string[]>; portal?: string }>;
  /** Overrides of UI, service and form texts by stable key (see src/tenants/texts.ts). */
  texts?: Record<string, TextOverride>;
  /** The Land's account service (docs/basisdienste.md): adapter name and its settings, secrets by environment name. */
  accounts?: { adapter: string; [setting: string]: unknown };
  /** The Land's payment provider (docs/payment.md): adapter name and its settings, secrets by environment name. */
  payment?: { adapter: string; [setting: string]: unknown };
}

/** A served file with its validator, so browsers revalidate cheaply instead of downloading again. */
export interface TenantAsset {
  body: string | Buffer;
  etag: string;
}

export interface Tenant extends TenantDefinition {
  languages: Lang[];
  /** The Land's parameter values per offered service, defaults filled in and bounds checked. */
  parameters: Map<string, Record<string, unknown>>;
  /** Per offered service: the Land's values and the local overrides (see src/tenants/parameters.ts). */
  parameterTables: Map<string, ParameterTable>;
  /**
   * Every tenant of this load by its Land code (shared by all): parameters follow the responsible
   * place, which may lie in another Land than the portal's (src/tenants/place.ts).
   */
  lands: ReadonlyMap<string, Tenant>;
  /** The tenant's stylesheet: KERN UX custom properties from its theme. */
  themeCss: string;
  stylesheet: TenantAsset;
  logoSvg?: TenantAsset;
  /** UI texts per language after the tenant's overrides. */
  ui: Record<Lang, UiTexts>;
  /** The tenant's copy of each offered service's form, with its text overrides applied. */
  forms: Map<string, LoadedForm>;
  /** Title and description of each offered service as this tenant shows them. */
  serviceTexts: Map<string, { title: LocalText; description?: LocalText }>;
  /** Per offered service: rule messages by code as this tenant words them (overrides only). */
  ruleTexts: Map<string, ReadonlyMap<string, LocalText>>;
}

const DEFAULT_LANGUAGES: Lang[] = ['de', 'en'];
/** Logos are small marks; anything bigger is probably a photo or an export with embedded fonts. */
const MAX_LOGO_BYTES = 64 * 1024;

/**
 * Loads tenants/*.json. `forms` are the already loaded forms; without them the forms are loaded
 * again (they were checked before tenants, so this cannot fail differently).
 */
export async function loadTenants(root: string, formatsDir: string, services: Map<string, LoadedService>, forms?: Map<string, LoadedForm>, collected?: DeclarationProblems): Promise<Map<string, Tenant>> {
  const dir = join(root, 'tenants');
  const formsById = forms ?? loadForms(root, formatsDir, services);
  const catalogue = textCatalogue(services, formsById);
  const tenants = new Map<string, Tenant>();
  const hosts = new Map<string, string>();
  const lands = new Map<string, string>();
  const byLand = new Map<string, Tenant>();
  // Parameter violations of all tenants are reported together: `efa check` lists every one.
  const problems: DeclarationError[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const file = join(dir, name);
    const load = () => loadTenant(file, root, formatsDir, services, catalogue, formsById, problems, byLand, collected?.broken);
    // efa check: a tenant whose own file is broken is reported and left out; the others are still checked.
    const tenant = collected ? collected.attempt(load) : load();
    if (!tenant) continue;
    if (`${tenant.id}.json` !== name) throw new DeclarationError(displayPath(file), '/id', `must equal the file name "${name.replace(/\.json$/, '')}"`);
    tenant.hosts.forEach((host, i) => {
      const other = hosts.get(host);
      if (other) throw new DeclarationError(displayPath(file), `/hosts/${i}`, `host "${host}" already belongs to tenant "${other}"`);
      hosts.set(host, tenant.id);
    });
    const sameLand = lands.get(tenant.land);
    if (sameLand) throw new DeclarationError(displayPath(file), '/land', `Land code "${tenant.land}" already belongs to tenant "${sameLand}"`);
    lands.set(tenant.land, tenant.id);
    byLand.set(tenant.land, tenant);
    tenants.set(tenant.id, tenant);
  }
  if (collected) problems.forEach((p) => collected.add(p));
  else if (problems.length === 1) throw problems[0] as DeclarationError;
  else if (problems.length > 1) throw new DeclarationErrors(problems);
  if (tenants.size === 0 && !collected?.list.length) throw new DeclarationError(displayPath(dir), '', 'no tenant files (<id>.json) found');
  // Listings follow the official order of the Länder (by Land code), not the alphabet of their ids.
  return new Map([...tenants].sort(([, a], [, b]) => a.land.localeCompare(b.land)));
}

/** `broken`: services already reported as broken (efa check); offering them is not checked again. */
function loadTenant(file: string, root: string, formatsDir: string, services: Map<string, LoadedService>, catalogue: TextCatalogue, forms: Map<string, LoadedForm>, problems: DeclarationError[], lands: ReadonlyMap<string, Tenant>, broken?: ReadonlySet<string>): Tenant {
  const json = readJsonFile(file);
  checkThemeTokens(displayPath(file), json);
  checkAccessibilityStatement(displayPath(file), json);
  const def = withoutBroken(validateDeclaration<TenantDefinition>(file, json, join(formatsDir, 'tenant.schema.json')), broken);
  const shown = displayPath(file);
  checkContrast(shown, def.theme);
  const languages = checkLanguages(shown, def);
  const logoSvg = def.logo ? loadLogo(shown, join(root, 'tenants', def.logo), def.logo) : undefined;
  problems.push(...checkPortals(shown, def));
  const parameters = new Map<string, Record<string, unknown>>();
  const parameterTables = new Map<string, ParameterTable>();
  for (const [serviceId, offer] of Object.entries(def.services)) {
    const service = services.get(serviceId);
    if (!service) {
      problems.push(new CrossReferenceError('EFA_XREF_SERVICE', shown, `/services/${serviceId}`, `no service "${serviceId}" under services/: fix the id or remove the offer (services: ${[...services.keys()].join(', ') || 'none'})`));
      continue;
    }
    const withoutAccounts = checkAccountService(shown, serviceId, service, def);
    if (withoutAccounts) problems.push(withoutAccounts);
    const withoutPayment = checkPaymentProvider(shown, serviceId, service, def);
    if (withoutPayment) problems.push(withoutPayment);
    const land = checkParameters(shown, serviceId, service, offer.parameters ?? {}, languages, problems);
    problems.push(...checkLocalParameters(shown, serviceId, service, land, offer.local ?? [], def.land));
    problems.push(...checkRestrictions(shown, serviceId, service, offer.codelists ?? {}));
    parameters.set(serviceId, land);
    parameterTables.set(serviceId, { land, local: offer.local ?? [] });
  }
  const texts = applyTexts(shown, def.texts, catalogue, Object.keys(def.services), forms);
  for (const [serviceId, form] of texts.forms) texts.forms.set(serviceId, restrictForm(form, def.services[serviceId]?.codelists));
  const css = themeCss(def.theme);
  return { ...def, languages, parameters, parameterTables, lands, themeCss: css, stylesheet: { body: css, etag: etagOf(css) }, logoSvg, ui: texts.ui, forms: texts.forms, serviceTexts: texts.services, ruleTexts: texts.rules };
}

/**
 * A service that asks for a login needs the Land's account service: without one, its start page
 * would lead applicants to a login that does not exist.
 */
function checkAccountService(file: string, serviceId: string, service: LoadedService, def: TenantDefinition): CrossReferenceError | undefined {
  const mode = service.definition.login?.mode;
  if (!mode || mode === 'off' || def.accounts) return undefined;
  return new CrossReferenceError('EFA_XREF_ACCOUNTS', file, `/services/${serviceId}`,
    `offers "${serviceId}", whose login is "${mode}" (services/${serviceId}/service.json /login/mode), but the Land has no account service: add "accounts" to this file (docs/basisdienste.md) or stop offering the service`);
}

/** A service that takes the fee before submitting needs the Land's payment provider: else nobody could submit. */
function checkPaymentProvider(file: string, serviceId: string, service: LoadedService, def: TenantDefinition): CrossReferenceError | undefined {
  if (service.definition.payment?.policy !== 'before-submit' || def.payment) return undefined;
  return new CrossReferenceError('EFA_XREF_PAYMENT', file, `/services/${serviceId}`,
    `offers "${serviceId}", whose fee must be paid before submitting (services/${serviceId}/service.json /payment/policy), but the Land has no payment provider: add "payment" to this file (docs/payment.md) or stop offering the service`);
}

/** A tenant's copy of its file without the services efa check already reported as broken, and their text overrides. */
function withoutBroken(def: TenantDefinition, broken: ReadonlySet<string> | undefined): TenantDefinition {
  if (!broken || broken.size === 0) return def;
  const keep = (id: string) => !broken.has(id);
  const texts = def.texts && Object.fromEntries(Object.entries(def.texts).filter(([key]) => !/^(service|form)\./.test(key) || keep(key.split('.')[1] ?? '')));
  return { ...def, services: Object.fromEntries(Object.entries(def.services).filter(([id]) => keep(id))), texts };
}

function checkParameters(file: string, serviceId: string, service: LoadedService, all: Record<string, unknown>, languages: readonly Lang[], problems: DeclarationError[]): Record<string, unknown> {
  const declared = Object.keys(service.definition.parameters ?? {});
  for (const name of Object.keys(all).filter((n) => !declared.includes(n))) {
    problems.push(new CrossReferenceError('EFA_XREF_PARAMETER', file, `/services/${serviceId}/parameters/${name}`, `no parameter "${name}" in services/${serviceId}/service.json: remove it or fix the name (declared: ${declared.join(', ') || 'none'})`));
  }
  const given = Object.fromEntries(Object.entries(all).filter(([name]) => declared.includes(name)));
  const values = { ...defaults(service.definition.parameters ?? {}), ...given };
  if (!service.validateParameters(values)) {
    // One message per parameter: a text parameter's alternatives would otherwise each complain.
    const byParameter = new Map<string, ErrorObject[]>();
    for (const error of service.validateParameters.errors ?? []) {
      const name = errorPath(error).split('/')[1] ?? '';
      byParameter.set(name, [...(byParameter.get(name) ?? []), error]);
    }
    for (const errors of byParameter.values()) {
      const error = deepest(errors);
      const path = error ? errorPath(error) : '';
      problems.push(new DeclarationError(file, `/services/${serviceId}/parameters${path}`, error ? describeAjvError(error) : 'invalid'));
    }
    return values;
  }
  // A text shown to applicants must speak every language the tenant offers, or English pages show German.
  for (const [name, value] of Object.entries(given)) {
    if (!isTextParameter(service.definition.parameters?.[name]) || value === '') continue;
    const text = value as LocalText;
    const missing = languages.find((lang) => !hasLang(text, lang));
    if (missing) {
      const path = typeof text === 'string' ? '' : `/${missing}`;
      throw new DeclarationError(file, `/services/${serviceId}/parameters/${name}${path}`, `needs an "${missing}" text: the tenant offers ${LANG_NAMES[missing]} (see /languages); write { "de": …, "${missing}": … }`);
    }
  }
  return values;
}

/** For a value with alternatives (a text or a text per language) the deepest error names the real mistake. */
function deepest(errors: ErrorObject[]): ErrorObject | undefined {
  const relevant = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  return relevant.reduce<ErrorObject | undefined>((best, e) => (!best || errorPath(e).length > errorPath(best).length ? e : best), undefined) ?? errors[0];
}

/** A parameter is a text when the service accepts it per language ({ "de": …, "en": … }). */
function isTextParameter(spec: Record<string, unknown> | undefined): boolean {
  const branches = (spec?.oneOf ?? spec?.anyOf) as Array<{ type?: unknown; properties?: Record<string, unknown> }> | undefined;
  return Array.isArray(branches) && branches.some((b) => b.type === 'object' && b.properties?.de !== undefined);
}

/** German is always offered; every offered language needs the tenant's own texts in it. */
function checkLanguages(file: string, def: TenantDefinition): Lang[] {
  const languages = def.languages ?? DEFAULT_LANGUAGES;
  if (!languages.includes('de')) throw new DeclarationError(file, '/languages', 'must include "de": German is the legally binding version of every page');
  const own: Array<[string, LocalText]> = [['/name', def.name], ['/portalName', def.portalName], ...portalTexts(def), ...legalTexts(def.legal)];
  for (const lang of languages) {
    const missing = own.find(([, text]) => !hasLang(text, lang));
    if (missing) throw new DeclarationError(file, `${missing[0]}/${lang}`, `is missing: the tenant offers ${LANG_NAMES[lang]} (see /languages), so this text needs an "${lang}" version`);
  }
  return [...languages];
}

/** Every text of the legal pages with its JSON path, for the language check. */
export function legalTexts(legal: TenantDefinition['legal']): Array<[string, LocalText]> {
  const sections = (key: 'imprint' | 'privacy') => legal[key].sections.flatMap((s, i): Array<[string, LocalText]> => [[`/legal/${key}/sections/${i}/heading`, s.heading], [`/legal/${key}/sections/${i}/text`, s.text]]);
  const a = legal.accessibility;
  const at = '/legal/accessibility';
  const optional = (path: string, text: LocalText | undefined): Array<[string, LocalText]> => (text === undefined ? [] : [[path, text]]);
  return [
    ...sections('imprint'), ...sections('privacy'),
    [`${at}/scope`, a.scope], ...a.barriers.map((b, i): [string, LocalText] => [`${at}/barriers/${i}`, b]), ...optional(`${at}/alternatives`, a.alternatives),
    [`${at}/method`, a.method], ...optional(`${at}/feedback/text`, a.feedback.text), [`${at}/enforcement/name`, a.enforcement.name], ...optional(`${at}/enforcement/text`, a.enforcement.text),
  ];
}

/**
 * Before the schema, so the message says what BITV 2.0 asks for instead of "must have required
 * property": a statement without its conformity status, known barriers, feedback mechanism or
 * enforcement procedure (Schlichtungsstelle) is not a valid accessibility statement.
 */
function checkAccessibilityStatement(file: string, json: unknown): void {
  const statement = (json as { legal?: { accessibility?: unknown } } | null)?.legal?.accessibility;
  if (statement === null || typeof statement !== 'object' || Array.isArray(statement)) {
    if (statement !== undefined) throw new DeclarationError(file, '/legal/accessibility', 'must be an accessibility statement with the parts BITV 2.0 requires (scope, status, barriers, preparedOn, method, feedback, enforcement), not a plain text');
    return;
  }
  const given = statement as Record<string, unknown>;
  for (const [part, what] of ACCESSIBILITY_PARTS) {
    if (given[part] === undefined) throw new DeclarationError(file, `/legal/accessibility/${part}`, `is missing: the accessibility statement must state ${what} (BITV 2.0 § 7)`);
  }
  if (given.status !== 'full' && Array.isArray(given.barriers) && given.barriers.length === 0) {
    throw new DeclarationError(file, '/legal/accessibility/barriers', `is empty, but status is "${String(given.status)}": list the content that is not accessible, with the reason`);
  }
}

/**
 * Before the schema: a Land that still sets a font or a header colour gets told why it may not,
 * not just "not a known property".
 */
function checkThemeTokens(file: string, json: unknown): void {
  const theme = (json as { theme?: unknown } | null)?.theme;
  if (theme === null || typeof theme !== 'object' || Array.isArray(theme)) return;
  for (const key of Object.keys(theme)) {
    if (THEME_TOKENS.includes(key as keyof TenantTheme)) continue;
    if (key === 'font') throw new DeclarationError(file, '/theme/font', 'a font is not a tenant choice: every Land uses the font of the neutral KERN UX base; remove "font"');
    throw new DeclarationError(file, `/theme/${key}`, `"${key}" is not a theme token a Land may set (allowed: ${THEME_TOKENS.join(', ')}); header, text and background colours come from the neutral KERN UX base`);
  }
}

function checkContrast(file: string, theme: TenantTheme): void {
  // The accent draws only the header's bottom edge (links and buttons keep KERN's action colour):
  // a graphical object against the white header, for which WCAG 1.4.11 asks 3:1.
  const ratio = contrastRatio(theme.accent, '#ffffff');
  if (ratio < MIN_NON_TEXT_CONTRAST) {
    throw new DeclarationError(file, '/theme/accent', `contrast ${ratio.toFixed(2)}:1 of ${theme.accent} against the white header (#ffffff) is below WCAG AA ${MIN_NON_TEXT_CONTRAST}:1 for graphical objects (1.4.11)`);
  }
}

/**
 * The logo is served from the tenant's own origin, so it must be an inert image: an SVG with a
 * script or an event handler would run with the portal's cookies if opened directly.
 */
function loadLogo(file: string, path: string, logo: string): TenantAsset {
  if (!existsSync(path)) throw new DeclarationError(file, '/logo', `file tenants/${logo} does not exist`);
  const body = readFileSync(path);
  if (body.length > MAX_LOGO_BYTES) throw new DeclarationError(file, '/logo', `tenants/${logo} has ${body.length} bytes; a logo may have at most ${MAX_LOGO_BYTES}`);
  const text = body.toString('utf8');
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)) throw new DeclarationError(file, '/logo', `tenants/${logo} is not an SVG image (it must start with <svg)`);
  const active = /<script|<foreignObject|\son[a-z]+\s*=|javascript:|(?:xlink:)?href\s*=\s*["'](?!#)/i.exec(text);
  if (active) throw new DeclarationError(file, '/logo', `tenants/${logo} contains "${active[0].trim()}": logos may not script, embed or link anything`);
  return { body, etag: etagOf(body) };
}

function etagOf(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/**
 * The Land's mark is its logo and its accent on the header's edge, nothing more: links and buttons
 * keep KERN UX's action colour, the same in every Land, so that no Land's accent (Hamburg's red)
 * reads as the colour of errors; fonts, text, surface and focus colours stay KERN's own too.
 */
function themeCss(theme: TenantTheme): string {
  return `:root{--efa-accent:${theme.accent};}\n`;
}
