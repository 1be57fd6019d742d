/**
 * What SAML's HTTP-POST binding needs of the login routes (login.ts): the IdP posts its Response
 * cross-site, and browsers send no SameSite=Lax cookie with a cross-site POST, so the login
 * cookie that binds the Response to this browser would be missing. The page below posts the same
 * fields again from this origin (one button; no inline script under the pages' CSP), and then the
 * cookie comes along. Also each tenant's SP metadata, which the IdP registers.
 */
import type { FastifyReply } from 'fastify';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import type { PageEnv, PageView } from './view.js';

/** Marks the second post, so that a browser without the cookie gets the failure page, not a loop. */
const REPOSTED = 'efa_same_site';

const TEXTS = {
  de: {
    heading: 'Anmeldung abschließen', text: 'Ihr Nutzerkonto hat Sie angemeldet. Bitte bestätigen Sie, um zum Antrag zurückzukehren.', button: 'Weiter zum Antrag',
    toIdpHeading: 'Anmelden mit Ihrem Nutzerkonto', toIdp: 'Sie melden sich jetzt bei Ihrem Nutzerkonto an und kommen danach hierher zurück.', toIdpButton: 'Weiter zum Nutzerkonto',
  },
  en: {
    heading: 'Complete the login', text: 'Your user account has logged you in. Please confirm to return to your application.', button: 'Continue to the application',
    toIdpHeading: 'Log in with your user account', toIdp: 'You now log in at your user account and come back here afterwards.', toIdpButton: 'Continue to the user account',
  },
} as const;

/**
 * For a POSTed callback without the login cookie: the page that posts it again from this origin,
 * or undefined when the cookie came (or the post was already repeated).
 */
export function samePostAgain(p: PageEnv, req: Req, hasLoginCookie: boolean, action: string): PageView | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (hasLoginCookie || req.method !== 'POST' || body[REPOSTED] !== undefined || typeof body['SAMLResponse'] !== 'string') return undefined;
  const fields = Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string').map(([name, value]) => ({ name, value }));
  const x = TEXTS[p.lang];
  return {
    template: 'account', title: x.heading, status: 200,
    context: { heading: x.heading, paragraphs: [x.text], postForm: { action, fields: [...fields, { name: REPOSTED, value: '1' }], label: x.button } },
  };
}

/**
 * The AuthnRequest over SAML's HTTP-POST binding: a page whose button posts it to the IdP. The
 * pages' CSP allows forms to post to their own origin only; this page also to the IdP's.
 */
export function postToIdp(reply: FastifyReply, p: PageEnv, form: { action: string; fields: Record<string, string> }): PageView {
  const csp = reply.getHeader('content-security-policy');
  if (typeof csp === 'string') void reply.header('content-security-policy', csp.replace("form-action 'self'", `form-action 'self' ${new URL(form.action).origin}`));
  const x = TEXTS[p.lang];
  const fields = Object.entries(form.fields).map(([name, value]) => ({ name, value }));
  return { template: 'account', title: x.toIdpHeading, status: 200, context: { heading: x.toIdpHeading, paragraphs: [x.toIdp], postForm: { action: form.action, fields, label: x.toIdpButton } } };
}

/** `GET /<land>/<segment>/saml-metadata`: the tenant's SP metadata, naming its callback and logout URLs. */
export function registerSamlMetadata(pages: ApplicantPages, segment: string): void {
  pages.app.get<RouteTypes>(`/:tenant/${segment}/saml-metadata`, async (req: Req, reply: FastifyReply) => {
    const p = pages.page(req, reply);
    if (!p || !pages.rt.accounts.configured(p.tenant.id)) return pages.notFound(reply, p);
    const adapter = await pages.rt.accounts.adapterFor(p.tenant.id);
    if (!adapter.metadata) return pages.notFound(reply, p);
    const origin = `${req.protocol}://${req.host}${p.base}/${segment}`;
    const xml = await adapter.metadata({ callbackUrl: `${origin}/rueckkehr`, logoutUrl: `${origin}/abgemeldet` });
    return reply.type('application/samlmetadata+xml; charset=utf-8').send(xml);
  });
}
