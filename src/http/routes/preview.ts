import type { FastifyInstance, FastifyReply } from 'fastify';
import { createRenderer } from '../../forms/render.js';
import { isLang, t } from '../../forms/text.js';
import { FORMATS_DIR, type Runtime } from '../../runtime.js';
import { Previewer, PreviewError } from '../preview.js';

interface Options {
  rt: Runtime;
}

type PreviewRoute = { Params: { tenant: string; service?: string; page?: string; row?: string }; Querystring: Record<string, string | undefined> };

/**
 * Development only (app.ts registers it outside production): every page of every service in every
 * tenant's look with sample data, at /_efa/preview/<tenant>/<service>/<page>?lang=en&example=…&errors=1
 * (a group's first row: <page> is <step>/1).
 * Under /_efa/ so it works the same with host and path tenants.
 */
export async function previewRoutes(app: FastifyInstance, { rt }: Options): Promise<void> {
  const previewer = new Previewer(rt, createRenderer(rt.config.root), FORMATS_DIR);
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('x-robots-tag', 'noindex').send(body);

  app.get('/_efa/preview', async (_req, reply) => html(reply, 200, previewIndex(rt, previewer)));
  app.get('/_efa/preview/', async (_req, reply) => html(reply, 200, previewIndex(rt, previewer)));

  app.get<PreviewRoute>('/_efa/preview/:tenant/theme.css', async (req, reply) => {
    const tenant = rt.tenants.get(req.params.tenant);
    if (!tenant) return reply.code(404).send();
    return reply.type('text/css; charset=utf-8').header('cache-control', 'no-store').send(tenant.stylesheet.body);
  });

  app.get<PreviewRoute>('/_efa/preview/:tenant/logo.svg', async (req, reply) => {
    const logo = rt.tenants.get(req.params.tenant)?.logoSvg;
    if (!logo) return reply.code(404).send();
    return reply.type('image/svg+xml').header('cache-control', 'no-store').send(logo.body);
  });

  const page = async (req: { params: PreviewRoute['Params']; query: PreviewRoute['Querystring']; url: string }, reply: FastifyReply) => {
    const { tenant, service, row } = req.params;
    // A group's row page, <step>/1, as in the applicant's address.
    const name = row === undefined ? req.params.page : `${req.params.page}/${row}`;
    const lang = req.query.lang;
    try {
      const result = previewer.render({
        tenant, service, page: name, lang: isLang(lang) ? lang : undefined, example: req.query.example || undefined, errors: req.query.errors === '1', url: req.url,
        assets: { theme: `/_efa/preview/${tenant}/theme.css`, logo: `/_efa/preview/${tenant}/logo.svg` },
      });
      return html(reply, result.status, result.html);
    } catch (err) {
      if (err instanceof PreviewError) return reply.code(404).type('text/plain; charset=utf-8').send(`${err.code}: ${err.message}`);
      throw err;
    }
  };
  app.get<PreviewRoute>('/_efa/preview/:tenant/:service', page);
  app.get<PreviewRoute>('/_efa/preview/:tenant/:service/:page', page);
  app.get<PreviewRoute>('/_efa/preview/:tenant/:service/:page/:row', page);
}

/** A plain list of links; it is a tool page, so it carries no tenant look and no escaping risk (ids only). */
function previewIndex(rt: Runtime, previewer: Previewer): string {
  const rows = [...rt.tenants.values()].flatMap((tenant) => Object.keys(tenant.services).map((serviceId) => {
    const links = previewer.pages(tenant, serviceId).map((p) => tenant.languages.map((lang) => `<a href="/_efa/preview/${tenant.id}/${serviceId}/${p}?lang=${lang}">${p}${lang === 'de' ? '' : ` (${lang})`}</a>`).join(' ')).join(' · ');
    return `<li><strong>${escapeHtml(t(tenant.name, 'de'))}</strong> – ${serviceId}: ${links}</li>`;
  }));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>efa preview</title></head><body><h1>efa preview</h1><p>Every page with sample data from services/&lt;id&gt;/examples.json. Add <code>?errors=1</code> to a step for its error messages, <code>&amp;example=&lt;id&gt;</code> for another sample.</p><ul>${rows.join('')}</ul></body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
