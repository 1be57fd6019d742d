/**
 * What an applicant sees when something is refused or breaks: pages in the Land's look and
 * language (never Fastify's JSON, never an internal message), and a field error for control
 * characters. Tenant, service and fields come from the declarations, whatever they are.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { conditionHolds, visibleSteps, type FormStep } from '../src/forms/definition.js';
import type { FormField } from '../src/forms/fields/kind.js';
import { t, type Lang } from '../src/forms/text.js';
import { buildApp } from '../src/http/app.js';
import { formOf } from '../src/http/applicant/view.js';
import type { Runtime } from '../src/runtime.js';
import type { Tenant } from '../src/tenants/registry.js';
import { Browser } from './support/browser.js';
import { startStack, type TestStack } from './support/runtime.js';

const LANGS: Lang[] = ['de', 'en'];

/** Handlebars' escaping, to find a text as it stands in the page. */
function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');
}

interface Page {
  status: number;
  body: string;
  headers: Headers;
}

async function get(url: string, lang: Lang, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(url, { ...init, headers: { 'accept-language': lang, ...(init.headers as Record<string, string> | undefined) }, redirect: 'manual' });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** An error page as the Land's page: status, title and message in the language, CSP, no script, nothing internal. */
function assertErrorPage(page: Page, status: number, tenant: Tenant, lang: Lang, kind: 'notFound' | 'expired' | 'csrf' | 'tooMany' | 'error', what: string): void {
  const ui = tenant.ui[lang];
  assert.equal(page.status, status, what);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/, `${what}: HTML, not JSON`);
  assert.ok(page.body.includes(`<html lang="${lang}">`), `${what}: in ${lang}`);
  assert.ok(page.body.includes(html(ui[`${kind}Title`])), `${what}: title "${ui[`${kind}Title`]}"`);
  assert.ok(page.body.includes(html(ui[kind])), `${what}: message`);
  assert.ok(page.body.includes(html(t(tenant.portalName, lang))), `${what}: the Land's portal name (its layout)`);
  assert.ok(page.body.includes('theme.css'), `${what}: the Land's theme`);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/, `${what}: CSP still set`);
  assert.doesNotMatch(csp, /unsafe-inline/, what);
  assert.doesNotMatch(page.body, /<script/i, `${what}: no script at all`);
  assert.doesNotMatch(page.body, /statusCode|FST_|Error:|\n\s+at |node_modules|relation "/, `${what}: nothing internal`);
}

describe('error pages in the Land\'s look, in German and English', () => {
  let stack: TestStack;
  let tenant: Tenant;
  let serviceId: string;
  let firstStep: FormStep;
  let limited: FastifyInstance;
  let limitedUrl: string;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    tenant = [...stack.rt.tenants.values()].find((tn) => tn.languages.includes('en') && tn.serviceTexts.size > 0) as Tenant;
    assert.ok(tenant, 'a tenant offering a service in English');
    serviceId = [...tenant.serviceTexts.keys()][0] as string;
    firstStep = formOf(tenant, serviceId).steps[0] as FormStep;
    // The same runtime behind an app with a tiny rate limit.
    limited = await buildApp({ ...stack.rt, config: { ...stack.rt.config, rateLimitPerMinute: 2 } } as Runtime);
    await limited.listen({ host: '127.0.0.1', port: 0 });
    limitedUrl = `http://127.0.0.1:${(limited.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await limited.close();
    await stack.close();
  });

  for (const lang of LANGS) {
    test(`${lang}: 404 for an unknown page and an unknown service`, async () => {
      assertErrorPage(await get(`${stack.url}/${tenant.id}/${serviceId}/no/such/page`, lang), 404, tenant, lang, 'notFound', 'unknown path');
      assertErrorPage(await get(`${stack.url}/${tenant.id}/no-such-service`, lang), 404, tenant, lang, 'notFound', 'unknown service');
    });

    test(`${lang}: 410 for a step without a draft`, async () => {
      assertErrorPage(await get(`${stack.url}/${tenant.id}/${serviceId}/${firstStep.id}`, lang), 410, tenant, lang, 'expired', 'no draft');
    });

    test(`${lang}: 403 for a form post without a valid CSRF token`, async () => {
      const page = await get(`${stack.url}/${tenant.id}/${serviceId}/start`, lang, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=forged' });
      assertErrorPage(page, 403, tenant, lang, 'csrf', 'CSRF');
      assert.ok(page.body.includes(`href="/${tenant.id}/${serviceId}"`) && page.body.includes(html(tenant.ui[lang].backToForm)), 'a way back to the start form');
      const step = await get(`${stack.url}/${tenant.id}/${serviceId}/${firstStep.id}?zurueck=pruefen`, lang, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=forged' });
      assertErrorPage(step, 403, tenant, lang, 'csrf', 'CSRF on a step');
      assert.match(step.body, new RegExp(`href="/${tenant.id}/${serviceId}/${firstStep.id}\\?zurueck(=|&#x3D;)pruefen"`), 'a way back to the refused step, keeping the way back to the check page');
    });

    test(`${lang}: 429 when the rate limit is reached`, async () => {
      const path = `/${tenant.id}/?lang=${lang}`;
      let page: Page | undefined;
      for (let i = 0; i < 5 && page?.status !== 429; i++) page = await get(`${limitedUrl}${path}`, lang);
      assertErrorPage(page as Page, 429, tenant, lang, 'tooMany', 'rate limit');
      assert.ok(Number(page?.headers.get('retry-after')) > 0, 'retry-after tells when to come back');
    });

    test(`${lang}: 500 when the database fails, without the database's message`, async () => {
      await stack.rt.db.query('ALTER TABLE submission_decisions RENAME TO submission_decisions_away');
      try {
        // A status key (not an id) is looked up in the database.
        assertErrorPage(await get(`${stack.url}/${tenant.id}/status/${randomBytes(32).toString('base64url')}`, lang), 500, tenant, lang, 'error', 'server error');
      } finally {
        await stack.rt.db.query('ALTER TABLE submission_decisions_away RENAME TO submission_decisions');
      }
    });
  }

  test('the language follows ?lang= on an error page too', async () => {
    const page = await get(`${stack.url}/${tenant.id}/nowhere/at/all?lang=en`, 'de');
    assertErrorPage(page, 404, tenant, 'en', 'notFound', '?lang=en');
  });

  test('APIs and assets under /_efa/ keep JSON', async () => {
    const missing = await get(`${stack.url}/_efa/no-such-api`, 'de');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/json/);
    assert.equal((JSON.parse(missing.body) as { error: string }).error, 'not_found');
    let limitedApi: Page | undefined;
    // The token route has a limit of its own (30 a minute).
    for (let i = 0; i < 40 && limitedApi?.status !== 429; i++) {
      limitedApi = await get(`${limitedUrl}/_efa/oauth/token`, 'de', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    }
    assert.equal(limitedApi?.status, 429);
    assert.match(limitedApi?.headers.get('content-type') ?? '', /application\/json/);
    assert.equal((JSON.parse(limitedApi?.body ?? '{}') as { statusCode: number }).statusCode, 429);
  });

  test('a path that names no Land gets a neutral text, never another Land\'s page', async () => {
    const page = await get(`${stack.url}/not-a-land/x`, 'de');
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /^text\/plain/);
    for (const other of stack.rt.tenants.values()) assert.ok(!page.body.includes(t(other.portalName, 'de')), other.id);
  });
});

describe('control characters in text fields are refused with a field message', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ database: 'postgres' });
  });
  after(() => stack.close());

  const TEXT_KINDS = new Set(['text', 'email', 'tel', 'textarea', 'address']);

  /** Every step with text-bearing fields that show on an empty draft, for the first tenant's first service. */
  function targets(rt: Runtime): { tenant: Tenant; serviceId: string; step: FormStep; field: FormField }[] {
    const tenant = [...rt.tenants.values()][0] as Tenant;
    const serviceId = [...tenant.serviceTexts.keys()][0] as string;
    const form = formOf(tenant, serviceId);
    // An empty draft: the Land's parameters, nothing derived yet.
    const env = { params: tenant.parameters.get(serviceId) ?? {}, derive: () => ({}) };
    return visibleSteps(form, {}, env).flatMap((step) => step.fields.filter((f) => TEXT_KINDS.has(f.kind.name) && conditionHolds(f.showIf, {}, env)).map((field) => ({ tenant, serviceId, step, field })));
  }

  async function draftAt(tenant: Tenant, serviceId: string, step: FormStep, lang: Lang): Promise<Browser> {
    const browser = new Browser(stack.url);
    await browser.get(`/${tenant.id}/${serviceId}?lang=${lang}`);
    const started = await browser.submit({}, '/start');
    assert.equal(started.status, 303);
    assert.equal((await browser.get(`/${tenant.id}/${serviceId}/${step.id}`)).status, 200);
    return browser;
  }

  test('each text-bearing field kind (text, email, tel, textarea, address parts) names itself in de and en', async () => {
    const found = targets(stack.rt);
    assert.ok(found.some((f) => f.field.kind.name === 'text'), 'the form has a text field to test');
    const kinds = new Set<string>();
    for (const lang of LANGS) {
      for (const { tenant, serviceId, step, field } of found) {
        kinds.add(field.kind.name);
        const browser = await draftAt(tenant, serviceId, step, lang);
        const isAddress = field.kind.name === 'address';
        const name = isAddress ? `${field.name}.strasse` : field.name;
        const label = isAddress ? t(field.kind.partLabel?.('strasse'), lang) : t(field.label, lang);
        const res = await browser.submit({ [name]: 'Markt\u0007platz 1' });
        assert.equal(res.status, 400, `${field.pointer}: refused`);
        const expected = lang === 'de' ? `„${label}“ enthält ein unsichtbares Steuerzeichen (U+0007)` : `“${label}” contains an invisible control character (U+0007)`;
        assert.ok(res.html.includes(html(expected)), `${field.pointer} (${lang}): "${expected}" in the page`);
        assert.ok(res.html.includes(`href="#${isAddress ? `${field.id}-strasse` : field.id}"`), `${field.pointer}: the summary links to the control`);
        assert.ok(!res.html.includes('\u0007'), `${field.pointer}: the character is not echoed back`);
        assert.ok(res.html.includes('Marktplatz 1'), `${field.pointer}: the rest of the text is shown again, to check and send`);
      }
    }
    assert.ok(kinds.size >= 2, `several kinds covered: ${[...kinds].join(', ')}`);
  });

  test('NUL, DEL and a line break in a single-line field are refused; a textarea keeps line breaks and tabs but not NUL', async () => {
    const found = targets(stack.rt);
    const single = found.find((f) => f.field.kind.name === 'text');
    assert.ok(single);
    for (const bad of ['a\u0000b', 'a\u007Fb', 'a\nb', 'a\u009Bb']) {
      const browser = await draftAt(single.tenant, single.serviceId, single.step, 'de');
      const res = await browser.submit({ [single.field.name]: bad });
      assert.equal(res.status, 400);
      assert.ok(res.html.includes('unsichtbares Steuerzeichen'), JSON.stringify(bad));
    }
    const area = found.find((f) => f.field.kind.name === 'textarea');
    if (!area) return;
    const ok = await draftAt(area.tenant, area.serviceId, area.step, 'de');
    const kept = await ok.submit({ [area.field.name]: 'Zeile eins\r\nZeile zwei\tmit Tab' });
    assert.ok(!kept.html.includes('unsichtbares Steuerzeichen'), 'line breaks and tabs are text in a textarea');
    const nul = await draftAt(area.tenant, area.serviceId, area.step, 'de');
    const refused = await nul.submit({ [area.field.name]: 'Zeile\u0000eins' });
    assert.equal(refused.status, 400);
    assert.ok(refused.html.includes(html(`„${t(area.field.label, 'de')}“ enthält ein unsichtbares Steuerzeichen (U+0000)`)));
  });

  test('nothing with a control character reaches the draft', async () => {
    const [{ tenant, serviceId, step, field }] = targets(stack.rt) as [ReturnType<typeof targets>[number]];
    const browser = await draftAt(tenant, serviceId, step, 'de');
    const name = field.kind.name === 'address' ? `${field.name}.strasse` : field.name;
    await browser.submit({ [name]: 'x\u0001y' });
    const { rows } = await stack.rt.db.query<{ id: string }>('SELECT id FROM drafts');
    for (const { id } of rows) {
      const draft = await stack.rt.drafts.find(id, tenant.id, serviceId);
      assert.ok(!JSON.stringify(draft?.data ?? {}).includes('\\u0001'), 'the draft holds no control character');
    }
  });
});
