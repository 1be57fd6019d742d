/**
 * A Land may run more than one portal (Nordrhein-Westfalen: business services under the
 * Wirtschafts-Service-Portal.NRW, the rest under its citizen portal): each service's pages carry
 * the name of the portal the tenant files it under; the Land's own pages carry its portalName.
 * The Land's accent marks only its header; links and buttons keep KERN's action colour.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Browser } from './support/browser.js';
import { editJson } from './support/declarations.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

const TENANT = 'nw';
/** Two test services of their own: one filed under the Land's business portal, one not. */
const BUSINESS = 'betriebstiere';
const CITIZEN = 'haustiere';

const brandOf = (html: string) => /<a class="efa-header__brand"[^>]*>(?:<img[^>]*>)?<span>([^<]+)<\/span><\/a>/.exec(html)?.[1];
const titleOf = (html: string) => /<title>([^<]+)<\/title>/.exec(html)?.[1];

describe('the portal name per service family', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-portals-');
    await addExtraService(temp.root, { id: BUSINESS, leikaKey: '99999999999024', tenants: [TENANT], routes: { '05': 'land-nw' }, minItems: 1, maxItems: 2 });
    await addExtraService(temp.root, { id: CITIZEN, leikaKey: '99999999999025', tenants: [TENANT], routes: { '05': 'land-nw' }, minItems: 1, maxItems: 2 });
    editJson(join(temp.root, 'tenants', `${TENANT}.json`), (doc) => {
      doc.portalName = { de: 'Bürgerportal Test', en: 'Citizen portal test' };
      doc.portals = { wirtschaft: { de: 'Unternehmensportal Test', en: 'Business portal test' } };
      (doc.services as Record<string, Record<string, unknown>>)[BUSINESS] = { portal: 'wirtschaft' };
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  test('a service filed under the business portal carries its name in the header and title, in each language', async () => {
    const b = new Browser(stack.url);
    const start = await b.get(`/${TENANT}/${BUSINESS}`);
    assert.equal(start.status, 200);
    assert.equal(brandOf(start.html), 'Unternehmensportal Test');
    assert.match(titleOf(start.html) ?? '', / – Unternehmensportal Test$/);
    assert.doesNotMatch(start.html, /Bürgerportal Test/);
    const step = await b.get((await b.submit({}, '/start')).location as string);
    assert.equal(brandOf(step.html), 'Unternehmensportal Test', 'on every page of the service');
    assert.equal(brandOf((await b.get(`/${TENANT}/${BUSINESS}?lang=en`)).html), 'Business portal test');
  });

  test('a service the tenant files under no portal, and the Land\'s own pages, carry the portal name', async () => {
    const b = new Browser(stack.url);
    assert.equal(brandOf((await b.get(`/${TENANT}/${CITIZEN}`)).html), 'Bürgerportal Test');
    assert.equal(brandOf((await b.get(`/${TENANT}/`)).html), 'Bürgerportal Test');
    assert.equal(brandOf((await b.get(`/${TENANT}/impressum`)).html), 'Bürgerportal Test');
  });

  test('the Land\'s accent marks its header only: its stylesheet leaves links and buttons to KERN', async () => {
    const css = (await new Browser(stack.url).get(`/${TENANT}/theme.css`)).html;
    assert.match(css, /--efa-accent:#[0-9a-f]{6}/);
    assert.doesNotMatch(css, /--kern-color/);
    const app = (await new Browser(stack.url).get('/_efa/app.css')).html;
    const uses = [...app.matchAll(/([^{}]+)\{[^}]*var\(--efa-accent\)[^}]*\}/g)].map((m) => (m[1] ?? '').trim());
    assert.deepEqual(uses, ['.efa-header'], 'only the header uses the accent');
  });
});
