/**
 * The Postfach after login (/<tenant>/postfach, docs/postfach.md): a login at the Land's account
 * service lists the applications this account submitted in this Land, with their status, date,
 * reference and new answers, each linking its Postfach page (which ./access.ts opens for this
 * login). Without a login the overview goes to the login; logging out ends it here and at the
 * account service. The account service's callback is ./login.ts's, which hands over to
 * `overviewLoggedIn`.
 */
import type { FastifyReply } from 'fastify';
import { LoginError } from '../../accounts/errors.js';
import { accountKey } from '../../accounts/sessions.js';
import { levelsUpTo } from '../../accounts/types.js';
import { submissionsOfAccount } from '../../postfach/accounts.js';
import { accountView, continueView, cookieOptions, LOGIN_COOKIE, LOGIN_SEGMENT, OVERVIEW_COOKIE, overviewCookiePath, OVERVIEW_SESSION, overviewSessionOf, textsOf, unsigned } from './account.js';
import { postToIdp } from './login-saml.js';
import { postfachHref } from './postfach.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinDateTime, number, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

export const OVERVIEW_SEGMENT = 'postfach';

const overviewHref = (p: PageEnv) => `${p.base}/${OVERVIEW_SEGMENT}`;

async function beginOverviewLogin(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  if (!p || !rt.accounts.configured(p.tenant.id)) return pages.notFound(reply, p);
  const adapter = await rt.accounts.adapterFor(p.tenant.id);
  // The lowest level: the account's key is the same at every level; what was submitted at a higher
  // level than this login reached is neither listed nor opened (./access.ts).
  const start = await adapter.begin({
    tenantId: p.tenant.id, serviceId: OVERVIEW_SESSION, trustLevel: 'low', language: p.lang,
    callbackUrl: `${req.protocol}://${req.host}${p.base}/${LOGIN_SEGMENT}/rueckkehr`, returnTo: overviewHref(p),
  });
  const loginId = await rt.accounts.sessions.beginLogin({ tenant: p.tenant.id, serviceId: OVERVIEW_SESSION, pending: start.pending });
  void reply.setCookie(LOGIN_COOKIE, loginId, cookieOptions(rt, `${p.base}/${LOGIN_SEGMENT}`, 600));
  if (start.form) return pages.send(reply, p, postToIdp(reply, p, start.form));
  return pages.send(reply, p, continueView(p, 'login', start.redirectUrl));
}

/** The account service's answer for a Postfach login (from ./login.ts's callback, the login already taken). */
export async function overviewLoggedIn(pages: ApplicantPages, req: Req, reply: FastifyReply, p: PageEnv, pending: Record<string, unknown>) {
  const { rt } = pages;
  const adapter = await rt.accounts.adapterFor(p.tenant.id);
  let result;
  try {
    result = await adapter.complete({ url: `${req.protocol}://${req.host}${req.url}`, method: req.method === 'POST' ? 'POST' : 'GET', body: req.body as Record<string, string> | undefined, pending });
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    req.log.warn({ code: err.code, tenant: p.tenant.id }, 'postfach login refused');
    const x = textsOf(p);
    return pages.send(reply, p, accountView(p, 400, { heading: x.failedTitle, paragraphs: [x.failed], actionHref: `${overviewHref(p)}/anmelden`, actionLabel: x.retry, homeHref: `${p.base}/`, homeLabel: uiOf(p).overviewHome }));
  }
  // Nothing of the person is kept for the overview: it needs the account's key only.
  const sessionId = await rt.accounts.sessions.create({ tenant: p.tenant.id, serviceId: OVERVIEW_SESSION, account: accountKey(p.tenant.id, result.subject), trustLevel: result.trustLevel, idpRef: result.idpSessionRef }, {});
  void reply.setCookie(OVERVIEW_COOKIE, sessionId, cookieOptions(rt, overviewCookiePath(p)));
  return reply.redirect(overviewHref(p), 303);
}

function overviewView(p: PageEnv, { listed: rows, higherLevel }: Awaited<ReturnType<typeof submissionsOfAccount>>, csrf: string): PageView {
  const ui = uiOf(p);
  const zbp = ui as unknown as Record<string, string>;
  return {
    template: 'postfach-overview', title: ui.overviewTitle, status: 200,
    context: {
      logoutAction: `${overviewHref(p)}/abmelden?lang=${p.lang}`, csrf,
      higherLevel: higherLevel > 0 ? ui.overviewHigherLevel.replace('{n}', number(higherLevel, p.lang)) : undefined,
      submissions: rows.map((s) => ({
        id: s.id, reference: s.reference, service: serviceTitle(p, s.serviceId) || s.serviceId, submitted: berlinDateTime(s.submittedAt, p.lang),
        status: s.status, statusText: zbp[`zbp${s.status}`] ?? s.status, href: `${postfachHref(p, s.id)}?lang=${p.lang}`,
        messages: ui.overviewMessages.replace('{n}', number(s.answers, p.lang)), unread: s.unread > 0 ? ui.overviewUnread.replace('{n}', number(s.unread, p.lang)) : undefined,
      })),
    },
  };
}

async function overview(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  if (!p || !rt.accounts.configured(p.tenant.id)) return pages.notFound(reply, p);
  const current = await overviewSessionOf(rt, req, p);
  if (!current) return reply.redirect(`${overviewHref(p)}/anmelden`, 303);
  void reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
  const rows = await submissionsOfAccount(rt.db, p.tenant.id, current.session.account, levelsUpTo(current.session.trustLevel));
  return pages.send(reply, p, overviewView(p, rows, reply.generateCsrf()));
}

async function logout(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  if (!p || !rt.accounts.configured(p.tenant.id)) return pages.notFound(reply, p);
  const sessionId = unsigned(req, OVERVIEW_COOKIE);
  const session = sessionId ? await rt.accounts.sessions.end(sessionId, p.tenant.id, OVERVIEW_SESSION) : undefined;
  void reply.clearCookie(OVERVIEW_COOKIE, { path: overviewCookiePath(p) });
  const loggedOutUrl = `${req.protocol}://${req.host}${p.base}/${LOGIN_SEGMENT}/abgemeldet`;
  const idpLogout = session && await (await rt.accounts.adapterFor(p.tenant.id)).logout({ tenantId: p.tenant.id, subject: session.account, idpSessionRef: session.idpRef, postLogoutUrl: loggedOutUrl });
  return idpLogout ? pages.send(reply, p, continueView(p, 'logout', idpLogout)) : reply.redirect(loggedOutUrl, 303);
}

export function registerPostfachAccount(pages: ApplicantPages): void {
  const { app } = pages;
  app.get<RouteTypes>(`/:tenant/${OVERVIEW_SEGMENT}`, async (req: Req, reply) => overview(pages, req, reply));
  app.get<RouteTypes>(`/:tenant/${OVERVIEW_SEGMENT}/anmelden`, async (req: Req, reply) => beginOverviewLogin(pages, req, reply));
  app.post<RouteTypes>(`/:tenant/${OVERVIEW_SEGMENT}/abmelden`, { preHandler: app.csrfProtection }, async (req: Req, reply) => logout(pages, req, reply));
}
