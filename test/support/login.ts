import assert from 'node:assert/strict';
import { Browser } from './browser.js';
import { formsOf, postForm, type HtmlForm } from './saml.js';

/**
 * A login walked over real HTTP as a browser does it, against the local OpenID provider
 * (src/demo/oidc-provider.ts) or the local SAML IdP (src/demo/saml-idp.ts).
 */

type Answer = { status: number; html: string; location?: string };

/** Where a page that goes on at once (meta refresh) leads; its link says the same. */
export function refreshTo(html: string): string {
  const target = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(html)?.[1];
  assert.ok(target, html.slice(0, 400));
  const href = target.replaceAll('&amp;', '&').replaceAll('&#x3D;', '=');
  assert.ok(html.includes(`href="${target}"`), 'the page links to the same place');
  return href;
}

/** The browser's walk through the local OpenID provider: choose a test person, come back with the code. */
export async function oidcLogin(app: Browser, issuer: string, path: { tenant: string; service: string }, person: string, op = new Browser(issuer)): Promise<Answer> {
  const begin = await app.get(`/${path.tenant}/${path.service}/anmelden`);
  assert.equal(begin.status, 200, 'the login starts with our page that goes on to the account service');
  const authorize = new URL(refreshTo(begin.html));
  assert.equal(authorize.origin, issuer);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
  assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
  const interaction = await op.get(authorize.pathname + authorize.search);
  await op.get(interaction.location as string);
  assert.match(op.lastHtml, /Testperson/);
  const chosen = await op.submit({ person }, '/login');
  const resumed = await op.get(chosen.location as string);
  const back = new URL(resumed.location as string);
  assert.equal(back.pathname, `/${path.tenant}/anmeldung/rueckkehr`, 'the account service sends the browser back to the runtime');
  return app.get(back.pathname + back.search);
}

/** From the service's login link through the SAML IdP's page to the Response form the IdP's page posts back. */
export async function samlThroughIdp(b: Browser, urls: { idp: string; app: string }, path: { tenant: string; service: string }, person: string): Promise<HtmlForm> {
  const begin = await b.get(`/${path.tenant}/${path.service}/anmelden`);
  assert.equal(begin.status, 200, 'our page that goes on to the IdP at once (meta refresh)');
  const sso = new URL(refreshTo(begin.html));
  assert.equal(`${sso.origin}${sso.pathname}`, `${urls.idp}/sso`, 'the login goes to the IdP with the AuthnRequest');
  const page = await fetch(sso);
  const choice = formsOf(await page.text(), sso.href).find((f) => f.fields['person'] === person);
  assert.ok(choice, `test person ${person} offered`);
  const [response] = formsOf(await (await postForm(choice)).text(), choice.action);
  assert.ok(response);
  assert.equal(response.action, `${urls.app}/${path.tenant}/anmeldung/rueckkehr`);
  return response;
}

/**
 * The IdP's page posts cross-site, so the browser sends no SameSite=Lax cookie (fetch here sends
 * none); the runtime's page posts the same fields again from its origin, now with the cookie.
 */
export async function samlPostBack(b: Browser, response: HtmlForm): Promise<Answer> {
  const crossSite = await postForm(response);
  assert.equal(crossSite.status, 200);
  const [again] = formsOf(await crossSite.text(), response.action);
  assert.ok(again, 'the page that completes the login on this origin');
  assert.equal(again.fields['SAMLResponse'], response.fields['SAMLResponse']);
  return b.post(new URL(again.action).pathname, new URLSearchParams(again.fields).toString());
}
