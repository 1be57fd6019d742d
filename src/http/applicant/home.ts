/** The development index of all Länder (/), a Land's home page with its services, and unknown hosts. */
import { t } from '../../forms/text.js';
import type { Tenant } from '../../tenants/registry.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import type { PageEnv, PageView } from './view.js';

export function homeView(env: PageEnv): PageView {
  const services = [...env.tenant.serviceTexts].map(([id, texts]) => ({ href: `${env.base}/${id}`, title: t(texts.title, env.lang), description: t(texts.description, env.lang) }));
  // A Land with an account service has the overview of its account holders' applications.
  const postfachHref = env.tenant.accounts ? `${env.base}/postfach` : undefined;
  return { template: 'home', title: t(env.tenant.portalName, env.lang), context: { services, postfachHref }, status: 200 };
}

export function registerHome(pages: ApplicantPages, receiverUrl: string | undefined): void {
  const { app, rt } = pages;
  app.get<RouteTypes>('/', async (req: Req, reply) => {
    if (!rt.config.pathTenants) return reply.code(404).send('404');
    const tenants = [...rt.tenants.values()].map((tn) => ({
      name: t(tn.name, 'de'), href: `/${tn.id}/`,
      services: [...tn.serviceTexts].map(([id, texts]) => ({ title: t(texts.title, 'de'), href: `/${tn.id}/${id}` })),
    }));
    const first = [...rt.tenants.values()][0] as Tenant;
    return pages.send(reply, { tenant: first, base: `/${first.id}`, lang: 'de', url: req.url }, { template: 'index', title: 'efa-runtime', context: { tenants, receiverUrl }, status: 200 });
  });

  app.all('/_efa/unknown-host/*', async (_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 – unbekannter Host / unknown host'));

  for (const path of ['/:tenant', '/:tenant/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = pages.page(req, reply);
      if (!p) return pages.notFound(reply, p);
      return pages.send(reply, p, homeView(p));
    });
  }
}
