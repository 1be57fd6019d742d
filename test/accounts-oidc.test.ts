import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLocalOpenIdProvider, type LocalOpenIdProvider } from '../src/demo/oidc-provider.js';
import { Browser } from './support/browser.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { editJson } from './support/declarations.js';
import { oidcLogin, refreshTo } from './support/login.js';
import { startStack, type TestStack } from './support/runtime.js';

/** A test service of its own (never a declared one), offered by one Land with an account service. */
const SERVICE = 'kontoleistung';
/** A second test service whose login is optional: a draft may be started anonymously and taken over. */
const OPTIONAL = 'kontowahl';
const TENANT = 'sh';
const SECRET_ENV = 'EFA_TEST_OIDC_SECRET';
const SECRET = 'a-client-secret-for-the-local-op-only';

/** The browser's walk through the local OpenID provider for one of this file's services. */
function loginAs(app: Browser, issuer: string, person: string, op = new Browser(issuer), service = SERVICE): ReturnType<typeof oidcLogin> {
  return oidcLogin(app, issuer, { tenant: TENANT, service }, person, op);
}

describe('login over OpenID Connect against the local OpenID provider', () => {
  let temp: TempRoot;
  let op: LocalOpenIdProvider;
  let stack: TestStack;
  before(async () => {
    op = await startLocalOpenIdProvider({ port: 0 });
    temp = copyProjectRoot('efa-oidc-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999019', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 });
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => {
      doc.login = {
        mode: 'required', trustLevel: 'substantial',
        prefill: [{ pointer: '/halter/name', attribute: 'fullName' }, { pointer: '/halter/anschrift', attribute: 'address', editable: true }],
      };
    });
    await addExtraService(temp.root, { id: OPTIONAL, leikaKey: '99999999999020', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 });
    editJson(join(temp.root, 'services', OPTIONAL, 'service.json'), (doc) => {
      doc.login = { mode: 'optional', prefill: [{ pointer: '/halter/name', attribute: 'fullName' }, { pointer: '/halter/anschrift', attribute: 'address', editable: true }] };
    });
    editJson(join(temp.root, 'tenants', `${TENANT}.json`), (doc) => {
      doc.accounts = { adapter: 'oidc', issuer: op.issuer, clientId: 'efa-test', clientSecretEnv: SECRET_ENV };
    });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, [SECRET_ENV]: SECRET } });
    await op.register({ clientId: 'efa-test', clientSecret: SECRET, redirectUris: [`${stack.url}/${TENANT}/anmeldung/rueckkehr`], postLogoutRedirectUris: [`${stack.url}/${TENANT}/anmeldung/abgemeldet`] });
  });
  after(async () => {
    await stack?.close();
    await op?.close();
    temp?.remove();
  });

  test('a service that requires a login refuses anonymous access: starting leads to the login', async () => {
    const b = new Browser(stack.url);
    const start = await b.get(`/${TENANT}/${SERVICE}`);
    assert.equal(start.status, 200);
    assert.match(start.html, /melden Sie sich mit Ihrem Nutzerkonto an/);
    const started = await b.submit({}, '/start');
    assert.equal(started.status, 303);
    assert.equal(started.location, `/${TENANT}/${SERVICE}/anmelden`);
    assert.equal(b.cookie(`efa_draft_${SERVICE}`), undefined, 'no draft without a login');
  });

  test('a login below the level the service needs is refused with a page that says what is needed and how', async () => {
    const b = new Browser(stack.url);
    const refused = await loginAs(b, op.issuer, 'basis');
    assert.equal(refused.status, 403);
    assert.match(refused.html, /Vertrauensniveau substanziell/);
    assert.match(refused.html, /Niveau niedrig/);
    assert.match(refused.html, /Online-Ausweis/);
    assert.equal(b.cookie(`efa_session_${SERVICE}`), undefined, 'no session for a refused login');
    assert.equal((await b.get(`/${TENANT}/${SERVICE}/halter`)).status, 410, 'and no draft either');
  });

  test('login, prefilled and marked answers, a locked answer that a forged post cannot change, logout here and at the IdP', async () => {
    const b = new Browser(stack.url);
    const opBrowser = new Browser(op.issuer);
    const back = await loginAs(b, op.issuer, 'elster', opBrowser);
    assert.equal(back.status, 303);
    assert.equal(back.location, `/${TENANT}/${SERVICE}/angemeldet`);
    const sessionCookie = b.cookie(`efa_session_${SERVICE}`);
    assert.ok(sessionCookie, 'a session after the login');
    const landed = await b.get(back.location);
    assert.equal(landed.location, `/${TENANT}/${SERVICE}/halter`);
    const step = await b.get(landed.location as string);
    assert.equal(step.status, 200);
    assert.match(step.html, /value="Erika Mustermann"[^>]*readonly/, 'the name is prefilled and locked');
    assert.match(step.html, /Aus Ihrem Nutzerkonto übernommen; diese Angabe kann hier nicht geändert werden/);
    assert.match(step.html, /value="Holstenstraße"/, 'the street, split from the account address');
    assert.match(step.html, /value="12a"/);
    // A forged post: the locked name changed, the editable address kept.
    const saved = await b.submit({ 'halter.name': 'Mallory Fälscher', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '14', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' }, '/halter');
    assert.equal(saved.status, 303, b.lastHtml.slice(0, 400));
    const again = await b.get(`/${TENANT}/${SERVICE}/halter`);
    assert.match(again.html, /value="Erika Mustermann"/, 'the locked answer is as the account said');
    assert.doesNotMatch(again.html, /Mallory/);
    assert.match(again.html, /value="14"/, 'an editable prefilled answer may be changed');

    // The session row keeps what the IdP's logout needs, but sealed: no readable ID token in it.
    const { rows: sessionRows } = await stack.rt.db.query<Record<string, unknown>>('SELECT * FROM account_sessions WHERE account IS NOT NULL');
    assert.ok(sessionRows.some((row) => row['idp_ref_enc']), 'the ID token is kept for the logout');
    // Every column as text, byte columns as their bytes (Buffer's toJSON would hide them as numbers).
    const stored = sessionRows.flatMap((row) => Object.values(row).map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : JSON.stringify(v)))).join('\n');
    assert.doesNotMatch(stored, /eyJ[\w-]+\.eyJ[\w-]+/, 'no JWT in the session rows');
    assert.doesNotMatch(stored, /Erika|Mustermann|Holstenstra/, 'nor the attributes');

    const out = await b.submit({}, '/abmelden');
    assert.equal(out.status, 200);
    assert.match(out.html, /Sie sind von diesem Portal abgemeldet/);
    const endSession = new URL(refreshTo(out.html));
    assert.equal(endSession.origin, op.issuer, 'logout continues at the account service (RP-initiated logout)');
    assert.ok(endSession.searchParams.get('id_token_hint'));
    const confirm = await opBrowser.get(endSession.pathname + endSession.search);
    const form = /<form id="op.logoutForm" method="post" action="([^"]+)"><input type="hidden" name="xsrf" value="([^"]+)"/.exec(confirm.html);
    assert.ok(form, confirm.html.slice(0, 300));
    const done = await opBrowser.post(new URL(form[1] as string).pathname, new URLSearchParams({ xsrf: form[2] as string, logout: 'yes' }).toString());
    const returned = new URL(done.location as string);
    assert.equal(returned.pathname, `/${TENANT}/anmeldung/abgemeldet`);
    assert.match((await b.get(returned.pathname)).html, /Sie sind abgemeldet/);
    assert.equal(b.cookie(`efa_session_${SERVICE}`), undefined);
    b.setCookie(`efa_session_${SERVICE}`, sessionCookie);
    const afterLogout = await b.get(`/${TENANT}/${SERVICE}/halter`);
    assert.equal(afterLogout.status, 303, 'the old session cookie no longer opens the draft');
    assert.equal(afterLogout.location, `/${TENANT}/${SERVICE}/anmelden`);
  });

  test("another account cannot open the draft an account started; the owner's submission says what came from the account", async () => {
    const owner = new Browser(stack.url);
    await owner.follow(await loginAs(owner, op.issuer, 'elster'));
    const draftCookie = owner.cookie(`efa_draft_${SERVICE}`);
    assert.ok(draftCookie);
    const other = new Browser(stack.url);
    await other.follow(await loginAs(other, op.issuer, 'eid'));
    assert.notEqual(other.cookie(`efa_draft_${SERVICE}`), draftCookie, 'the other account has a draft of its own');
    other.setCookie(`efa_draft_${SERVICE}`, draftCookie);
    const refused = await other.get(`/${TENANT}/${SERVICE}/halter`);
    assert.equal(refused.status, 403);
    assert.match(refused.html, /mit einem anderen Nutzerkonto begonnen/);
    assert.doesNotMatch(refused.html, /Erika/);
    assert.equal((await owner.get(`/${TENANT}/${SERVICE}/halter`)).status, 200, 'the owner still can');

    // Submitted, the authority's document says which answers came from the account, at which level.
    await owner.submit({ 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '12a', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' }, '/halter');
    await owner.get(`/${TENANT}/${SERVICE}/tiere`);
    const pet = { 'tiere.0.name': 'Bello', 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020', 'tiere.0.gechippt': 'ja' };
    await owner.follow(await owner.submit(pet));
    const check = await owner.get(`/${TENANT}/${SERVICE}/pruefen`);
    assert.equal(check.status, 200);
    assert.match(check.html, /Erika Mustermann<div class="kern-hint efa-prefilled">Aus Ihrem Nutzerkonto übernommen; diese Angabe kann hier nicht geändert werden\.<\/div>/, 'the check page marks the locked prefilled answer');
    assert.match(check.html, /Holstenstraße 12a[^<]*<div class="kern-hint efa-prefilled">Aus Ihrem Nutzerkonto übernommen\.<\/div>/, 'and the editable one');
    assert.doesNotMatch(check.html.replace(/<dd class="kern-description-list-item__value">(?:(?!<\/dd>).)*(Erika Mustermann|Holstenstraße)(?:(?!<\/dd>).)*<\/dd>/gs, ''), /efa-prefilled/, 'the applicant\'s own answers are not marked');
    const submitted = await owner.submit({}, '/absenden');
    assert.equal(submitted.status, 303, owner.lastHtml.slice(0, 300));
    await stack.rt.delivery?.drain();
    const received = stack.inbox.get((submitted.location as string).split('/').pop() as string);
    assert.ok(received, 'the local receiver got the submission');
    const doc = JSON.parse(received.document) as { meta: { authentication?: unknown }; data: { halter: { name: string } } };
    assert.equal(doc.data.halter.name, 'Erika Mustermann');
    assert.deepEqual(doc.meta.authentication, {
      trustLevel: 'substantial',
      prefilled: [{ pointer: '/halter/name', source: 'account', editable: false }, { pointer: '/halter/anschrift', source: 'account', editable: true }],
    });

  });

  test('a draft started anonymously is taken over by the account that logs in; afterwards no other account and no anonymous browser opens it', async () => {
    const b = new Browser(stack.url);
    await b.get(`/${TENANT}/${OPTIONAL}`);
    const started = await b.submit({}, '/start');
    assert.equal(started.location, `/${TENANT}/${OPTIONAL}/halter`, 'an optional login lets the applicant start anonymously');
    await b.get(started.location);
    const typed = await b.submit({ 'halter.name': 'Anna Anonym', 'halter.anschrift.strasse': 'Dänische Straße', 'halter.anschrift.hausnummer': '7', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' }, '/halter');
    assert.equal(typed.status, 303, b.lastHtml.slice(0, 400));
    const draftCookie = b.cookie(`efa_draft_${OPTIONAL}`);
    assert.ok(draftCookie);

    const back = await loginAs(b, op.issuer, 'elster', undefined, OPTIONAL);
    const landed = await b.get(back.location as string);
    assert.equal(landed.location, `/${TENANT}/${OPTIONAL}/tiere`, 'the login continues the draft where the applicant was');
    assert.equal(b.cookie(`efa_draft_${OPTIONAL}`), draftCookie, 'the same draft, taken over');
    const step = await b.get(`/${TENANT}/${OPTIONAL}/halter`);
    assert.equal(step.status, 200);
    assert.match(step.html, /value="Erika Mustermann"[^>]*readonly/, 'the locked answer now comes from the account');
    assert.match(step.html, /value="Dänische Straße"/, 'an editable answer the applicant had typed is kept');
    assert.match(step.html, /value="7"/);

    const other = new Browser(stack.url);
    await other.follow(await loginAs(other, op.issuer, 'eid', undefined, OPTIONAL));
    other.setCookie(`efa_draft_${OPTIONAL}`, draftCookie);
    const refused = await other.get(`/${TENANT}/${OPTIONAL}/halter`);
    assert.equal(refused.status, 403, 'another account cannot open the taken-over draft');
    assert.match(refused.html, /mit einem anderen Nutzerkonto begonnen/);
    assert.doesNotMatch(refused.html, /Erika|Dänische/);

    const anonymous = new Browser(stack.url);
    anonymous.setCookie(`efa_draft_${OPTIONAL}`, draftCookie);
    const toLogin = await anonymous.get(`/${TENANT}/${OPTIONAL}/halter`);
    assert.equal(toLogin.status, 303, 'nor a browser without the login');
    assert.equal(toLogin.location, `/${TENANT}/${OPTIONAL}/anmelden`);
    assert.equal((await b.get(`/${TENANT}/${OPTIONAL}/halter`)).status, 200, 'the account that took it over still can');
  });
});
