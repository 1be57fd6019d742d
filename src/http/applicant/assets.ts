/** A Land's own assets: its theme stylesheet, its logo, and the logo as favicon. */
import type { FastifyReply } from 'fastify';
import type { TenantAsset } from '../../tenants/registry.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { NEUTRAL_FAVICON } from './view.js';

/** The assets' names below /<tenant>/: never a service. */
export const ASSET_FILES = ['theme.css', 'logo.svg', 'favicon.ico'];
/** The theme may change with a deploy; browsers revalidate after this (cheaply: 304 by ETag). */
const ASSET_MAX_AGE = 300;

/** Serves a tenant asset with an ETag, so a revalidation costs a 304 and no body. */
function sendAsset(req: Req, reply: FastifyReply, asset: TenantAsset | undefined, type: string) {
  if (!asset) return reply.code(404).send();
  void reply.header('etag', asset.etag).header('cache-control', `public, max-age=${ASSET_MAX_AGE}`);
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(type).send(asset.body);
}

export function registerAssets({ app, rt }: ApplicantPages): void {
  app.get<RouteTypes>('/:tenant/theme.css', async (req: Req, reply) => sendAsset(req, reply, rt.tenants.get(req.params.tenant ?? '')?.stylesheet, 'text/css; charset=utf-8'));
  app.get<RouteTypes>('/:tenant/logo.svg', async (req: Req, reply) => sendAsset(req, reply, rt.tenants.get(req.params.tenant ?? '')?.logoSvg, 'image/svg+xml'));
  // Browsers ask a host for /favicon.ico without reading the page: the Land's logo, else the neutral mark.
  app.get<RouteTypes>('/:tenant/favicon.ico', async (req: Req, reply) => {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    if (tenant?.logoSvg) return sendAsset(req, reply, tenant.logoSvg, 'image/svg+xml');
    return tenant ? reply.redirect(NEUTRAL_FAVICON, 302) : reply.callNotFound();
  });
}
