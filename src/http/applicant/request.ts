/**
 * What every applicant page needs from its request: the tenant (by path or host), the language,
 * the service, the draft behind the draft cookie, and sending a rendered view. One instance per
 * app, shared by all page modules (./routes.ts registers them).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Body } from '../../forms/fields/kind.js';
import type { Renderer } from '../../forms/render.js';
import { isLang, negotiateLang, type Lang } from '../../forms/text.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import type { Tenant } from '../../tenants/registry.js';
import type { AccountSession } from '../../accounts/sessions.js';
import { draftExpiredView } from './draft.js';
import { loginOf, otherAccountView, sessionOf } from './account.js';
import { errorView, renderPage, type PageEnv, type PageView } from './view.js';

/** Set by the app's URL rewrite when the request's host selected the tenant. */
export const TENANT_OF_HOST = Symbol('efa.tenantOfHost');

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/**
 * The origin of a link that leaves the request (a mail, a payment provider's way back): the Host
 * the request came with, the one that picked the tenant (outside EFA_PATH_TENANTS only a configured
 * tenant host reaches a tenant page). Never Fastify's req.host: behind a trusted proxy it is
 * X-Forwarded-Host, which a proxy may pass through from the client, and anyone could put their own
 * host into the portal's mails.
 */
export function linkOrigin(req: FastifyRequest): string {
  const host = req.headers.host ?? '';
  return `${req.protocol === 'http' ? 'http' : 'https'}://${HOST.test(host) ? host.toLowerCase() : 'localhost'}`;
}

export type RouteTypes = { Params: Record<string, string>; Querystring: Record<string, string>; Body: Body };
export type Req = FastifyRequest<RouteTypes>;

/** A page's request, its service and the draft this browser keeps for it. */
export interface ServiceContext {
  p: PageEnv;
  service: LoadedService;
  draft: Draft;
  /** The logged-in account's session for this service, if any. */
  session?: AccountSession;
}

export class ApplicantPages {
  /**
   * @param reserved path segments under a tenant that are pages of their own, never a service
   *   (status, legal pages, assets): /<tenant>/<reserved>/… is no step.
   */
  constructor(readonly app: FastifyInstance, readonly rt: Runtime, private readonly renderer: Renderer, private readonly reserved: ReadonlySet<string>) {}

  page(req: Req, reply: FastifyReply): PageEnv | undefined {
    const tenant = this.rt.tenants.get(req.params.tenant ?? '');
    if (!tenant) return undefined;
    const byHost = (req.raw as { [TENANT_OF_HOST]?: string })[TENANT_OF_HOST];
    const service = req.params.service;
    return {
      tenant, base: byHost ? '' : `/${tenant.id}`, lang: this.languageOf(req, reply, tenant), url: req.url,
      ...(service !== undefined && Object.hasOwn(tenant.services, service) ? { serviceId: service } : {}),
    };
  }

  /**
   * ?lang= switches and is remembered in a cookie; without either, the browser's Accept-Language
   * decides among the tenant's languages; German otherwise.
   */
  private languageOf(req: Req, reply: FastifyReply, tenant: Tenant): Lang {
    const offered = tenant.languages;
    const requested = req.query.lang;
    if (isLang(requested) && offered.includes(requested)) {
      void reply.setCookie('efa_lang', requested, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.rt.config.production, maxAge: 365 * 86400 });
      return requested;
    }
    const remembered = req.cookies.efa_lang;
    if (isLang(remembered) && offered.includes(remembered)) return remembered;
    return negotiateLang(req.headers['accept-language'], offered) ?? 'de';
  }

  send(reply: FastifyReply, p: PageEnv, view: PageView) {
    return reply.code(view.status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-language', p.lang).header('vary', 'Accept-Language, Cookie')
      .send(renderPage(this.renderer, p, view));
  }

  notFound(reply: FastifyReply, p: PageEnv | undefined) {
    // No such Land: the app's not-found handler answers (a neutral text, or JSON under /_efa/).
    if (!p) return reply.callNotFound();
    return this.send(reply, p, errorView(p, 'notFound', `${p.base}/`, 404));
  }

  serviceOf(p: PageEnv, id: string | undefined): LoadedService | undefined {
    if (!id || !(id in p.tenant.services)) return undefined;
    return this.rt.services.get(id);
  }

  /** The draft cookie lives as long as the draft: each save extends both by the TTL. */
  keepDraftCookie(reply: FastifyReply, p: PageEnv, serviceId: string, draftId: string): void {
    void reply.setCookie(draftCookie(serviceId), draftId, {
      signed: true, httpOnly: true, sameSite: 'lax', secure: this.rt.config.production ? true : 'auto', path: draftCookiePath(p, serviceId), maxAge: this.rt.config.draftTtlDays * 86400,
    });
  }

  dropDraftCookie(reply: FastifyReply, p: PageEnv, serviceId: string): void {
    void reply.clearCookie(draftCookie(serviceId), { path: draftCookiePath(p, serviceId) });
  }

  async draftOf(req: Req, p: PageEnv, serviceId: string): Promise<Draft | undefined> {
    const raw = req.cookies[draftCookie(serviceId)];
    if (!raw) return undefined;
    const unsigned = req.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    return this.rt.drafts.find(unsigned.value, p.tenant.id, serviceId);
  }

  /** A page of a started application: its tenant, service and draft, or (answered here) not found or the draft-gone page. */
  async serviceContext(req: Req, reply: FastifyReply): Promise<ServiceContext | undefined> {
    const p = this.page(req, reply);
    const service = p && this.serviceOf(p, req.params.service);
    if (!p || !service || this.reserved.has(req.params.service ?? '')) {
      await this.notFound(reply, p);
      return undefined;
    }
    const draft = await this.draftOf(req, p, service.definition.id);
    if (!draft) {
      // A cookie that finds no draft (expired, purged, submitted meanwhile) is of no further use.
      if (req.cookies[draftCookie(service.definition.id)]) this.dropDraftCookie(reply, p, service.definition.id);
      await this.send(reply, p, draftExpiredView(p, service, { ttlDays: this.rt.config.draftTtlDays, csrf: reply.generateCsrf(), status: 410 }));
      return undefined;
    }
    return this.accountGuard(req, reply, { p, service, draft });
  }

  /**
   * A service that requires a login, or a draft that belongs to an account, needs that account's
   * session: without one, the login; with another account's, a refusal (src/http/applicant/login.ts).
   */
  private async accountGuard(req: Req, reply: FastifyReply, ctx: ServiceContext): Promise<ServiceContext | undefined> {
    const { p, service, draft } = ctx;
    const login = loginOf(service);
    if (!login && !draft.account) return ctx;
    const current = await sessionOf(this.rt, req, p, service.definition.id);
    if (!current && (draft.account || login?.mode === 'required')) {
      await reply.redirect(`${p.base}/${service.definition.id}/anmelden`, 303);
      return undefined;
    }
    if (draft.account && draft.account !== current?.session.account) {
      await this.send(reply, p, otherAccountView(p, service));
      return undefined;
    }
    return { ...ctx, session: current?.session };
  }
}

const draftCookie = (serviceId: string) => `efa_draft_${serviceId}`;
const draftCookiePath = (p: PageEnv, serviceId: string) => `${p.base}/${serviceId}`;
