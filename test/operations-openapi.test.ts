import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/app.js';
import { startStack, type TestStack } from './support/runtime.js';

/** /_efa/ paths for applicants (assets, pages) and the development preview: HTML, not an API. */
const APPLICANT_PATHS = [/^\/_efa\/kern\//, /^\/_efa\/app\.css$/, /^\/_efa\/[a-z-]+\.js$/, /^\/_efa\/unknown-host\//, /^\/_efa\/preview(\/|$)/, /^\/_efa\/openapi\.json$/];

/** Fastify's /a/:id as OpenAPI's /a/{id}. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI: every operator and authority route, generated from the route schemas', () => {
  let stack: TestStack;
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> };
  before(async () => {
    stack = await startStack({ database: 'pglite' });
    const res = await fetch(`${stack.url}/_efa/openapi.json`);
    assert.equal(res.status, 200);
    doc = (await res.json()) as typeof doc;
  });
  after(async () => stack.close());

  test('the served document is valid OpenAPI 3', async () => {
    assert.match(doc.openapi, /^3\.1\./);
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  test('it covers every registered /_efa/ and /.well-known/ route except applicant pages, and no applicant page', async () => {
    // A second app on the same runtime, built only to list every route buildApp registers.
    const routes: { url: string; method: string }[] = [];
    const app: FastifyInstance = await buildApp(stack.rt, { onRoute: (r) => { for (const m of [r.method].flat()) routes.push({ url: r.url, method: m }); } });
    await app.close();
    const api = routes.filter((r) => (r.url.startsWith('/_efa/') || r.url.startsWith('/.well-known/')) && !APPLICANT_PATHS.some((p) => p.test(r.url)) && r.method !== 'HEAD');
    assert.ok(api.length >= 20, `found ${api.length} API routes`);
    const missing = api.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]);
    assert.deepEqual(missing, [], 'every API route is described');
    for (const path of Object.keys(doc.paths)) assert.ok(path.startsWith('/_efa/') || path.startsWith('/.well-known/'), `no applicant page in the description: ${path}`);
    for (const prefix of ['/_efa/admin/deliveries', '/_efa/admin/routing', '/_efa/api/v1/submissions', '/_efa/oauth/token', '/_efa/metrics', '/_efa/health/ready', '/_efa/admin/jobs/{id}']) {
      assert.ok(Object.keys(doc.paths).some((p) => p.startsWith(prefix)), `${prefix} is described`);
    }
    // Bearer-protected routes say so.
    assert.deepEqual(doc.paths['/_efa/admin/deliveries']?.get?.security, [{ bearer: [] }]);
    assert.deepEqual(doc.paths['/_efa/metrics']?.get?.security, [{ bearer: [] }]);
  });

  test('the route schemas validate: a query the schema refuses keeps each API\'s error shape', async () => {
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const tokenRes = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const bad = await fetch(`${stack.url}/_efa/admin/deliveries?limit=ten`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((await bad.json()) as object).sort(), ['error', 'message']);
    const repeated = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=a&client_id=b' });
    assert.equal(repeated.status, 400);
    assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request');
  });
});
