import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Renderer } from '../forms/render.js';
import { isLang, negotiateLang, type Lang } from '../forms/text.js';
import type { Runtime } from '../runtime.js';
import { TENANT_OF_HOST } from './applicant/request.js';
import { errorView, renderPage, type ErrorKind, type PageEnv } from './applicant/view.js';

/** APIs, assets and health: their callers are programs and keep Fastify's JSON answers. */
const MACHINE = /^\/(_efa|\.well-known)(\/|$)/;

/**
 * Applicants never see Fastify's JSON: a refused CSRF token (403), an unknown page (404), the rate
 * limit (429) and any server error (500) are pages in their Land's look and language, without
 * internal messages. The tenant comes from the (rewritten) path, as for every applicant page; a
 * path that names no tenant gets a neutral bilingual text, never another Land's page.
 */
export function registerErrorPages(app: FastifyInstance, rt: Runtime, renderer: Renderer): void {
  function pageEnv(req: FastifyRequest): PageEnv | undefined {
    const path = req.url.split('?')[0] ?? '/';
    const tenant = rt.tenants.get(path.split('/')[1] ?? '');
    if (!tenant) return undefined;
    const byHost = (req.raw as { [TENANT_OF_HOST]?: string })[TENANT_OF_HOST];
    return { tenant, base: byHost ? '' : `/${tenant.id}`, lang: languageOf(req, tenant.languages), url: req.url };
  }

  function sendPage(req: FastifyRequest, reply: FastifyReply, kind: ErrorKind, status: number) {
    const env = pageEnv(req);
    void reply.code(status).header('cache-control', 'no-store');
    if (!env) return reply.type('text/plain; charset=utf-8').send(`${status} – ${PLAIN[kind]}`);
    const back = kind === 'csrf' && req.method === 'POST' ? formOfPost(req.url, env) : undefined;
    return reply.type('text/html; charset=utf-8').header('content-language', env.lang).header('vary', 'Accept-Language, Cookie')
      .send(renderPage(renderer, env, errorView(env, kind, `${env.base}/`, status, back)));
  }

  app.setNotFoundHandler(async (req, reply) => {
    if (MACHINE.test(req.url)) return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    return sendPage(req, reply, 'notFound', 404);
  });

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    // Thrown on: Fastify's default handler answers (and logs) as before, in JSON, for programs.
    if (MACHINE.test(req.url)) throw err;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return sendPage(req, reply, kindOf(err, status), status);
  });
}

/**
 * Where the refused form can be had again with a fresh token: a step or row posts to its own page,
 * the start button to the service's start page, submit and "pay now" to the check page, a row's removal to its
 * group's step. The answers saved before are kept; only this post is lost.
 */
export function formOfPost(url: string, env: PageEnv): string | undefined {
  const [path = '', query] = url.split('?');
  const rest = path.split('/').filter(Boolean).slice(1);
  if (rest.length < 2) return undefined;
  const [service, step] = rest as [string, string];
  const keep = query && /(^|&)zurueck=pruefen(&|$)/.test(query) ? '?zurueck=pruefen' : '';
  if (step === 'start') return `${env.base}/${service}`;
  // Submit and "pay now" are both buttons of the check page.
  if (step === 'absenden' || step === 'bezahlen') return `${env.base}/${service}/pruefen`;
  if (rest[rest.length - 1] === 'entfernen') return `${env.base}/${service}/${step}${keep}`;
  return `${env.base}/${rest.join('/')}${keep}`;
}

function kindOf(err: FastifyError, status: number): ErrorKind {
  if (status === 403 && err.code?.startsWith('FST_CSRF')) return 'csrf';
  if (status === 429) return 'tooMany';
  if (status === 404) return 'notFound';
  if (status === 400) return 'badRequest';
  return 'error';
}

const PLAIN: Record<ErrorKind, string> = {
  notFound: 'Seite nicht gefunden / page not found',
  expired: 'Sitzung abgelaufen / session expired',
  csrf: 'Formular veraltet, bitte neu laden / form out of date, please reload',
  tooMany: 'Zu viele Anfragen / too many requests',
  badRequest: 'Formular unvollständig angekommen / form arrived incomplete',
  error: 'Es ist ein Fehler aufgetreten / something went wrong',
};

/** As on applicant pages (?lang=, then the remembered choice, then Accept-Language), without setting anything. */
function languageOf(req: FastifyRequest, offered: readonly Lang[]): Lang {
  const requested = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(requested) && offered.includes(requested)) return requested;
  const remembered = req.cookies?.efa_lang;
  if (isLang(remembered) && offered.includes(remembered)) return remembered;
  return negotiateLang(req.headers['accept-language'], offered) ?? 'de';
}
