/** The legal pages every Land has: imprint, privacy, accessibility statement, contact. */
import { t } from '../../forms/text.js';
import type { UiTexts } from '../../forms/ui-texts.js';
import type { AccessibilityStatement } from '../../tenants/registry.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinDate, uiOf, type PageEnv, type PageView } from './view.js';

export type LegalPage = 'imprint' | 'privacy' | 'accessibility' | 'contact';

/** Legal pages by their (German) URL slug; the slugs are part of every tenant's public URLs. */
export const LEGAL_PAGES: ReadonlyArray<{ slug: string; key: LegalPage; title: keyof UiTexts }> = [
  { slug: 'impressum', key: 'imprint', title: 'legalImprint' },
  { slug: 'datenschutz', key: 'privacy', title: 'legalPrivacy' },
  { slug: 'barrierefreiheit', key: 'accessibility', title: 'legalAccessibility' },
  { slug: 'kontakt', key: 'contact', title: 'legalContact' },
];

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
  const preparedOn = berlinDate(new Date(`${a.preparedOn}T12:00:00Z`), env.lang);
  return {
    scope: t(a.scope, env.lang), status, barriers: a.barriers.map((b) => t(b, env.lang)), alternatives: t(a.alternatives, env.lang),
    preparedOn, method: t(a.method, env.lang),
    feedback: { ...a.feedback, text: t(a.feedback.text, env.lang) },
    enforcement: { ...a.enforcement, name: t(a.enforcement.name, env.lang), text: t(a.enforcement.text, env.lang) },
  };
}

export function registerLegal(pages: ApplicantPages): void {
  for (const { slug, key } of LEGAL_PAGES) {
    pages.app.get<RouteTypes>(`/:tenant/${slug}`, async (req: Req, reply) => {
      const p = pages.page(req, reply);
      if (!p) return pages.notFound(reply, p);
      return pages.send(reply, p, legalView(p, key));
    });
  }
}
