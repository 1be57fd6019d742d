import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Browser } from './support/browser.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';
import { editJson } from './support/declarations.js';
import { SP_ENTITY, formsOf, postForm, spConfig, startIdp, type SamlEnvironment } from './support/saml.js';
import { samlPostBack, samlThroughIdp } from './support/login.js';

/** A test service of its own (never a declared one), offered by one Land whose account service is the local SAML IdP. */
const SERVICE = 'bundidleistung';
const TENANT = 'sh';
/** A second Land with the same IdP, sending its AuthnRequest over the HTTP-POST binding. */
const POST_TENANT = 'hh';

describe('login over SAML (BundID) through the applicant pages', () => {
  let temp: TempRoot;
  let idp: SamlEnvironment;
  let stack: TestStack;
  before(async () => {
    idp = await startIdp();
    temp = copyProjectRoot('efa-saml-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999021', tenants: [TENANT, POST_TENANT], routes: { '01': 'land-sh', '02': 'land-hh' }, minItems: 1, maxItems: 3 });
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => {
      doc.login = { mode: 'required', trustLevel: 'substantial', prefill: [{ pointer: '/halter/name', attribute: 'fullName' }] };
    });
    const { config, env } = spConfig(idp.idp.url);
    editJson(join(temp.root, 'tenants', `${TENANT}.json`), (doc) => { doc.accounts = config; });
    editJson(join(temp.root, 'tenants', `${POST_TENANT}.json`), (doc) => { doc.accounts = { ...config, binding: 'post' }; });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, ...env } });
  });
  after(async () => {
    await stack?.close();
    await idp?.close();
    temp?.remove();
  });

  const throughIdp = (b: Browser, person: string) => samlThroughIdp(b, { idp: idp.idp.url, app: stack.url }, { tenant: TENANT, service: SERVICE }, person);
  const postBack = samlPostBack;

  test('a person with the online ID card logs in: session at level high, the name prefilled from the assertion', async () => {
    const b = new Browser(stack.url);
    const back = await postBack(b, await throughIdp(b, 'eid'));
    assert.equal(back.status, 303, back.html.slice(0, 300));
    assert.equal(back.location, `/${TENANT}/${SERVICE}/angemeldet`);
    assert.ok(b.cookie(`efa_session_${SERVICE}`), 'a session after the login');
    const landed = await b.get(back.location);
    const step = await b.get(landed.location as string);
    assert.equal(step.status, 200);
    assert.match(step.html, /value="Max Mustermann"[^>]*readonly/, 'the name from the SAML attributes, locked');
  });

  test('the Land\'s Postfach logs in over SAML too, at any level: the account\'s overview, then the logout', async () => {
    const b = new Browser(stack.url);
    const back = await postBack(b, await samlThroughIdp(b, { idp: idp.idp.url, app: stack.url }, { tenant: TENANT, service: 'postfach' }, 'basis'));
    assert.equal(back.status, 303, back.html.slice(0, 300));
    assert.equal(back.location, `/${TENANT}/postfach`);
    const overview = await b.get(back.location);
    assert.equal(overview.status, 200);
    assert.match(overview.html, /Mein Postfach/);
    assert.match(overview.html, /efa-overview-empty/, 'this account submitted nothing here');
    const out = await b.submit({}, '/abmelden');
    assert.ok(out.status === 200 || out.status === 303, out.html.slice(0, 300));
    assert.equal(b.cookie('efa_session_postfach'), undefined, 'the session cookie is gone');
    assert.equal((await b.get(`/${TENANT}/postfach`)).location, `/${TENANT}/postfach/anmelden`, 'logged out: the overview asks for the login again');
  });

  test('a person whose way of login cannot reach the level gets the page that says what is needed and how', async () => {
    const b = new Browser(stack.url);
    const refused = await postBack(b, await throughIdp(b, 'basis'));
    assert.equal(refused.status, 403);
    assert.match(refused.html, /Vertrauensniveau substanziell/);
    assert.match(refused.html, /Mit der gewählten Anmeldeart ist das nicht möglich/);
    assert.match(refused.html, /Online-Ausweis/);
    assert.equal(b.cookie(`efa_session_${SERVICE}`), undefined, 'no session');
  });

  test('over the HTTP-POST binding the page posts the signed AuthnRequest to the IdP (the CSP lets this form go there)', async () => {
    const b = new Browser(stack.url);
    const page = await b.get(`/${POST_TENANT}/${SERVICE}/anmelden`);
    assert.equal(page.status, 200);
    assert.match(b.lastSetCookies.join('\n'), /efa_login=/);
    const [toIdp] = formsOf(page.html, stack.url);
    assert.ok(toIdp?.fields['SAMLRequest'], 'a form carrying the AuthnRequest');
    assert.equal(toIdp.action, `${idp.idp.url}/sso`);
    const head = await fetch(`${stack.url}/${POST_TENANT}/${SERVICE}/anmelden`);
    assert.match(head.headers.get('content-security-policy') ?? '', new RegExp(`form-action 'self' ${new URL(idp.idp.url).origin}`));
    const choicePage = await postForm(toIdp);
    const choice = formsOf(await choicePage.text(), toIdp.action).find((f) => f.fields['person'] === 'elster');
    assert.ok(choice, 'the IdP accepted the posted request');
    const [response] = formsOf(await (await postForm(choice)).text(), choice.action);
    assert.ok(response);
    assert.equal(response.action, `${stack.url}/${POST_TENANT}/anmeldung/rueckkehr`);
    const back = await postBack(b, response);
    assert.equal(back.status, 303, back.html.slice(0, 300));
    assert.equal(back.location, `/${POST_TENANT}/${SERVICE}/angemeldet`);
  });

  test('the same Response posted again is refused (the login is used up, the assertion remembered)', async () => {
    const b = new Browser(stack.url);
    const response = await throughIdp(b, 'elster');
    assert.equal((await postBack(b, response)).status, 303);
    const replay = await postBack(b, response);
    assert.equal(replay.status, 400);
    assert.match(replay.html, /Anmeldung fehlgeschlagen/);
  });

  test('a Response without this browser\'s login cookie, even posted again, is refused', async () => {
    const b = new Browser(stack.url);
    const response = await throughIdp(b, 'eid');
    const stranger = new Browser(stack.url);
    const refused = await postBack(stranger, response);
    assert.equal(refused.status, 400);
    assert.equal(stranger.cookie(`efa_session_${SERVICE}`), undefined);
  });

  test('the tenant serves its SP metadata naming its entity ID and assertion consumer', async () => {
    const res = await fetch(`${stack.url}/${TENANT}/anmeldung/saml-metadata`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /samlmetadata\+xml/);
    const xml = await res.text();
    assert.match(xml, new RegExp(`entityID="${SP_ENTITY}"`));
    assert.match(xml, new RegExp(`Location="${stack.url}/${TENANT}/anmeldung/rueckkehr"`));
    assert.match(xml, new RegExp(`SingleLogoutService[^>]*Location="${stack.url}/${TENANT}/anmeldung/abgemeldet"`));
  });
});
