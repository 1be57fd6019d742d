/**
 * Login with a user account (src/accounts/): starting it, the account service's callback, the
 * trust level check, taking the draft over with the prefilled answers, logging out (here and at the
 * account service). Services declare `login` in service.json; tenants their account service.
 */
import type { FastifyReply } from 'fastify';
import { LoginError, LoginLevelError } from '../../accounts/errors.js';
import { accountPrefill } from '../../accounts/prefill.js';
import { accountKey } from '../../accounts/sessions.js';
import { trustAtLeast, type AccountAttributes, type TrustLevel } from '../../accounts/types.js';
import type { FormStep } from '../../forms/definition.js';
import { getAt, setAt } from '../../forms/pointer.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft, DraftAccountMeta } from '../../submissions/drafts.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { postToIdp, registerSamlMetadata, samePostAgain } from './login-saml.js';
import { accountView, continueView, cookieOptions, LOGIN_COOKIE, LOGIN_SEGMENT, OVERVIEW_SESSION, levelRefusedView, loginOf, neededLevel, otherAccountView, sessionCookie, sessionOf, textsOf, unsigned } from './account.js';
import { overviewLoggedIn } from './postfach-account.js';
import { formOf } from './view.js';

export { LOGIN_SEGMENT } from './account.js';

/**
 * Puts the account's answers into the draft: a locked answer always (the account vouches for it),
 * an editable one only where the draft has none yet; an address gets its municipality when the
 * postal code and town name exactly one.
 */
function applyPrefill(pages: ApplicantPages, service: LoadedService, draft: Draft, attributes: AccountAttributes | undefined, trustLevel: TrustLevel): DraftAccountMeta {
  const meta: DraftAccountMeta = { trustLevel, prefilled: { ...draft.accountMeta?.prefilled } };
  const rules = loginOf(service)?.prefill ?? [];
  for (const answer of attributes ? accountPrefill.fill(attributes, rules) : []) {
    if (answer.editable && getAt(draft.data, answer.pointer) !== undefined) continue;
    let value = answer.value;
    if (value && typeof value === 'object' && 'plz' in value) {
      const address = value as Record<string, string>;
      const places = pages.rt.places.resolve(address.plz ?? '', address.ort ?? '');
      if (places.length === 1 && places[0]) value = { ...address, ars: places[0].ars };
    }
    setAt(draft.data, answer.pointer, value);
    meta.prefilled[answer.pointer] = { source: answer.source, editable: answer.editable };
  }
  return meta;
}

async function beginLogin(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  const service = p && pages.serviceOf(p, req.params.service);
  const login = service && loginOf(service);
  if (!p || !service || !login || !rt.accounts.configured(p.tenant.id)) return pages.notFound(reply, p);
  const adapter = await rt.accounts.adapterFor(p.tenant.id);
  const id = service.definition.id;
  const start = await adapter.begin({
    tenantId: p.tenant.id, serviceId: id, trustLevel: neededLevel(login), language: p.lang,
    callbackUrl: `${req.protocol}://${req.host}${p.base}/${LOGIN_SEGMENT}/rueckkehr`, returnTo: `${p.base}/${id}/angemeldet`,
  });
  const loginId = await rt.accounts.sessions.beginLogin({ tenant: p.tenant.id, serviceId: id, pending: start.pending });
  void reply.setCookie(LOGIN_COOKIE, loginId, cookieOptions(rt, `${p.base}/${LOGIN_SEGMENT}`, 600));
  if (start.form) return pages.send(reply, p, postToIdp(reply, p, start.form));
  return pages.send(reply, p, continueView(p, 'login', start.redirectUrl));
}

async function callback(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  if (!p) return pages.notFound(reply, p);
  const loginId = unsigned(req, LOGIN_COOKIE);
  const again = samePostAgain(p, req, loginId !== undefined, `${p.base}/${LOGIN_SEGMENT}/rueckkehr`);
  if (again) return pages.send(reply, p, again);
  void reply.clearCookie(LOGIN_COOKIE, { path: `${p.base}/${LOGIN_SEGMENT}` });
  const pending = loginId ? await rt.accounts.sessions.takeLogin(loginId) : undefined;
  if (pending?.tenant === p.tenant.id && pending.serviceId === OVERVIEW_SESSION) return overviewLoggedIn(pages, req, reply, p, pending.pending);
  const service = pending && pending.tenant === p.tenant.id ? pages.serviceOf(p, pending.serviceId) : undefined;
  const login = service && loginOf(service);
  const x = textsOf(p);
  const failed = () => pages.send(reply, p, accountView(p, 400, { heading: x.failedTitle, paragraphs: [x.failed], actionHref: service ? `${p.base}/${service.definition.id}/anmelden` : undefined, actionLabel: x.retry, homeHref: `${p.base}/`, homeLabel: x.toStart }));
  if (!pending || !service || !login) return failed();
  const adapter = await rt.accounts.adapterFor(p.tenant.id);
  let result;
  try {
    result = await adapter.complete({ url: `${req.protocol}://${req.host}${req.url}`, method: req.method === 'POST' ? 'POST' : 'GET', body: req.body as Record<string, string> | undefined, pending: pending.pending });
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    req.log.warn({ code: err.code, tenant: p.tenant.id, service: service.definition.id }, 'login refused');
    if (err instanceof LoginLevelError) return pages.send(reply, p, levelRefusedView(p, service, neededLevel(login)));
    return failed();
  }
  const needed = neededLevel(login);
  if (!trustAtLeast(result.trustLevel, needed)) return pages.send(reply, p, levelRefusedView(p, service, needed, result.trustLevel));
  const id = service.definition.id;
  const sessionId = await rt.accounts.sessions.create({ tenant: p.tenant.id, serviceId: id, account: accountKey(p.tenant.id, result.subject), trustLevel: result.trustLevel, idpRef: result.idpSessionRef }, result.attributes);
  void reply.setCookie(sessionCookie(id), sessionId, cookieOptions(rt, `${p.base}/${id}`));
  return reply.redirect(`${p.base}/${id}/angemeldet`, 303);
}

/** After the login, under the service's path (where the draft cookie is): the draft taken over or started, prefilled. */
async function loggedIn(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  const service = p && pages.serviceOf(p, req.params.service);
  if (!p || !service || !loginOf(service)) return pages.notFound(reply, p);
  const id = service.definition.id;
  const current = await sessionOf(rt, req, p, id);
  if (!current) return reply.redirect(`${p.base}/${id}`, 303);
  const { session } = current;
  let draft = await pages.draftOf(req, p, id);
  // Someone else's draft behind this browser's cookie stays theirs: this account starts its own.
  if (!draft || (draft.account && draft.account !== session.account)) draft = await rt.drafts.create(p.tenant.id, id, service.definition.version);
  const attributes = await rt.accounts.sessions.takeAttributes(current.id, session);
  const meta = applyPrefill(pages, service, draft, attributes, session.trustLevel);
  // Bound first: a draft another account took meanwhile gets none of this account's answers.
  if (!await rt.drafts.bindAccount(draft, session.account, meta)) return pages.send(reply, p, otherAccountView(p, service));
  await rt.drafts.save(draft);
  pages.keepDraftCookie(reply, p, id, draft.id);
  const step = draft.currentStep ?? (formOf(p.tenant, id).steps[0] as FormStep).id;
  return reply.redirect(`${p.base}/${id}/${step}`, 303);
}

async function logout(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const p = pages.page(req, reply);
  const service = p && pages.serviceOf(p, req.params.service);
  if (!p || !service || !loginOf(service)) return pages.notFound(reply, p);
  const id = service.definition.id;
  const sessionId = unsigned(req, sessionCookie(id));
  const session = sessionId ? await rt.accounts.sessions.end(sessionId, p.tenant.id, id) : undefined;
  void reply.clearCookie(sessionCookie(id), { path: `${p.base}/${id}` });
  const loggedOutUrl = `${req.protocol}://${req.host}${p.base}/${LOGIN_SEGMENT}/abgemeldet`;
  const idpLogout = session && await (await rt.accounts.adapterFor(p.tenant.id)).logout({ tenantId: p.tenant.id, subject: session.account, idpSessionRef: session.idpRef, postLogoutUrl: loggedOutUrl });
  return idpLogout ? pages.send(reply, p, continueView(p, 'logout', idpLogout)) : reply.redirect(loggedOutUrl, 303);
}

export function registerLogin(pages: ApplicantPages): void {
  const { app } = pages;
  app.get<RouteTypes>('/:tenant/:service/anmelden', async (req: Req, reply) => beginLogin(pages, req, reply));
  app.get<RouteTypes>('/:tenant/:service/angemeldet', async (req: Req, reply) => loggedIn(pages, req, reply));
  app.post<RouteTypes>('/:tenant/:service/abmelden', { preHandler: app.csrfProtection }, async (req: Req, reply) => logout(pages, req, reply));
  // GET for OpenID Connect's redirect, POST for SAML's HTTP-POST binding.
  app.get<RouteTypes>(`/:tenant/${LOGIN_SEGMENT}/rueckkehr`, async (req: Req, reply) => callback(pages, req, reply));
  app.post<RouteTypes>(`/:tenant/${LOGIN_SEGMENT}/rueckkehr`, async (req: Req, reply) => callback(pages, req, reply));
  registerSamlMetadata(pages, LOGIN_SEGMENT);
  app.get<RouteTypes>(`/:tenant/${LOGIN_SEGMENT}/abgemeldet`, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const x = textsOf(p);
    return pages.send(reply, p, accountView(p, 200, { heading: x.loggedOutTitle, paragraphs: [x.loggedOut], homeHref: `${p.base}/`, homeLabel: x.toStart }));
  });
}
