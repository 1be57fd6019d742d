/**
 * The Postfach after login, over real HTTP with the local OpenID provider: an application
 * submitted logged in keeps its account (as a pseudonym), the authority's answer comes back over
 * the return path, and the same account logging in at the Land's Postfach (in another browser)
 * finds the application with the answer marked new, reads it and downloads its file. Another
 * account finds neither the application nor its pages; without a login the overview goes to the
 * login; after the logout it does again.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadDemoAuthorities } from '../src/demo/authorities.js';
import { startLocalOpenIdProvider, type LocalOpenIdProvider } from '../src/demo/oidc-provider.js';
import type { ReceiverAuthority } from '../src/demo/receivers/types.js';
import { Browser } from './support/browser.js';
import { oidcLogin, refreshTo } from './support/login.js';
import { SAMPLE_PDF } from './support/messages.js';
import { answerRequest, apply, POSTFACH_SERVICE, received, startPostfachStack, type Application, type PostfachStack } from './support/postfach.js';

const TENANT = 'sh';
const CLIENT = 'efa-postfach-login';
const SECRET_ENV = 'EFA_TEST_POSTFACH_OIDC_SECRET';
const SECRET = 'a-client-secret-for-the-local-op-only';
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

describe('the Postfach after login: the account\'s applications and their answers, for that account only', () => {
  let op: LocalOpenIdProvider;
  let ps: PostfachStack;
  before(async () => {
    op = await startLocalOpenIdProvider({ port: 0 });
    ps = await startPostfachStack({ issuer: op.issuer, clientId: CLIENT, secretEnv: SECRET_ENV, secret: SECRET });
    await op.register({ clientId: CLIENT, clientSecret: SECRET, redirectUris: [`${ps.stack.url}/${TENANT}/anmeldung/rueckkehr`], postLogoutRedirectUris: [`${ps.stack.url}/${TENANT}/anmeldung/abgemeldet`] });
  });
  after(async () => {
    await ps?.close();
    await op?.close();
  });

  /** Logged in at the service as `person`, the application filled and submitted in this browser; delivered. */
  async function applyLoggedIn(b: Browser, person: string): Promise<Application> {
    const back = await oidcLogin(b, op.issuer, { tenant: TENANT, service: POSTFACH_SERVICE }, person);
    assert.equal(back.status, 303, 'the login is accepted');
    const step = await b.get((await b.get(back.location as string)).location as string);
    const name = /name="halter\.name"[^>]*value="([^"]+)"/.exec(step.html)?.[1] ?? /value="([^"]+)"[^>]*name="halter\.name"/.exec(step.html)?.[1];
    assert.ok(name, 'the name comes from the account');
    const address = { 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };
    assert.equal((await b.submit({ 'halter.name': name, ...address }, '/halter')).status, 303);
    await b.get(`/${TENANT}/${POSTFACH_SERVICE}/tiere`);
    await b.follow(await b.submit({ 'tiere.0.name': 'Bello', 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020', 'tiere.0.gechippt': 'ja' }));
    assert.equal((await b.get(`/${TENANT}/${POSTFACH_SERVICE}/pruefen`)).status, 200);
    const submitted = await b.submit({}, '/absenden');
    assert.equal(submitted.status, 303, b.lastHtml.slice(0, 300));
    const id = (submitted.location as string).split('/').pop() as string;
    const { rows: [row] } = await ps.stack.rt.db.query<{ reference: string; authority_id: string; account: string | null }>('SELECT reference, authority_id, account FROM submissions WHERE id = $1', [id]);
    assert.ok(row);
    assert.match(row.account ?? '', /^[0-9a-f]{64}$/, 'the submission keeps the account as a pseudonym');
    assert.ok(!(row.account ?? '').includes(person), 'never the subject itself');
    const authority = loadDemoAuthorities(ps.temp.root).get(row.authority_id) as ReceiverAuthority;
    const app = { id, reference: row.reference, key: '', email: '', authority };
    await received(ps, app);
    return app;
  }

  /** The overview after a login at the Land's Postfach, in `b`. */
  async function overviewAs(b: Browser, person: string): Promise<string> {
    const back = await oidcLogin(b, op.issuer, { tenant: TENANT, service: 'postfach' }, person);
    assert.equal(back.status, 303, back.html.slice(0, 300));
    assert.equal(back.location, `/${TENANT}/postfach`);
    const page = await b.get(back.location);
    assert.equal(page.status, 200);
    return page.html;
  }

  it('lists the logged-in application with its new answer, opens the answer and its file; another account sees nothing of it; logout ends it', async () => {
    const mine = await applyLoggedIn(new Browser(ps.stack.url), 'eid');
    const text = `Bescheid ${randomUUID()}: Ihre Anmeldung ist genehmigt.`;
    const answer = await answerRequest('webhook', mine, { answerId: randomUUID(), text, status: 'COMPLETED', attachments: [{ filename: 'Bescheid.pdf', mediaType: 'application/pdf', bytes: SAMPLE_PDF.bytes }] });
    const sent = await fetch(`${ps.stack.url}${answer.path}`, { method: 'POST', headers: answer.headers, body: answer.body });
    assert.equal(sent.status, 201, await sent.clone().text());

    // Another browser without the status cookie: only the login opens the Postfach.
    const anonymous = new Browser(ps.stack.url);
    assert.match((await anonymous.get(`/${TENANT}/`)).html, new RegExp(`<a class="kern-link efa-postfach-overview" href="/${TENANT}/postfach">`), 'the Land\'s home page leads to the overview');
    const refused = await anonymous.get(`/${TENANT}/postfach`);
    assert.equal(refused.status, 303);
    assert.equal(refused.location, `/${TENANT}/postfach/anmelden`, 'without a login the overview goes to the login');
    assert.equal((await anonymous.get(`/${TENANT}/status/${mine.id}/postfach`)).status, 404, 'nor does the id open the Postfach');

    const b = new Browser(ps.stack.url);
    const overview = await overviewAs(b, 'eid');
    const row = new RegExp(`<tr class="kern-table__row" data-submission="${mine.id}">([^]*?)</tr>`).exec(overview)?.[1];
    assert.ok(row, 'the application is listed');
    assert.ok(row.includes(mine.reference));
    assert.match(row, /data-zbp-status="COMPLETED">Abgeschlossen/);
    assert.match(row, /Nachrichten: 1 <span[^>]*efa-unread[^>]*>1 neu</, 'its answer is new');
    const href = /<a class="kern-link" href="([^"]+)">/.exec(row)?.[1]?.replaceAll('&amp;', '&').replaceAll('&#x3D;', '=');
    assert.equal(href, `/${TENANT}/status/${mine.id}/postfach?lang=de`);
    const postfach = await b.get(href);
    assert.equal(postfach.status, 200);
    assert.ok(postfach.html.includes(text), 'the answer is in the Postfach the login opened');
    const file = /href="([^"]+)" download>Bescheid\.pdf/.exec(postfach.html)?.[1];
    assert.ok(file);
    const download = await fetch(`${ps.stack.url}${file.replaceAll('&amp;', '&')}`, { headers: { cookie: `efa_session_postfach=${b.cookie('efa_session_postfach') ?? ''}` } });
    assert.equal(download.status, 200);
    assert.equal(sha512(Buffer.from(await download.arrayBuffer())), sha512(SAMPLE_PDF.bytes));
    assert.equal((await b.get(`/${TENANT}/status/${mine.id}`)).status, 200, 'and its status page');
    assert.doesNotMatch((await b.get(`/${TENANT}/postfach?lang=en`)).html, /efa-unread/, 'read: no longer new');
    assert.match(b.lastHtml, /My inbox/, 'in English too');

    // Another account: not in its list, and the pages of the application are not found for it.
    const other = new Browser(ps.stack.url);
    const theirs = await overviewAs(other, 'basis');
    assert.ok(!theirs.includes(mine.id) && !theirs.includes(mine.reference), 'another account never sees it');
    assert.match(theirs, /efa-overview-empty/);
    assert.equal((await other.get(`/${TENANT}/status/${mine.id}/postfach`)).status, 404);
    assert.equal((await other.get(file.replaceAll('&amp;', '&'))).status, 404, 'nor its file');
    assert.equal((await other.get(`/${TENANT}/status/${mine.id}`)).status, 404, 'nor its status page');

    // The same account logged in at a lower level than it submitted at (high): neither listed nor opened.
    const { rows: [submitted] } = await ps.stack.rt.db.query<{ account: string }>('SELECT account FROM submissions WHERE id = $1', [mine.id]);
    const lower = new Browser(ps.stack.url);
    const sessionId = await ps.stack.rt.accounts.sessions.create({ tenant: TENANT, serviceId: '_postfach', account: submitted?.account as string, trustLevel: 'substantial' }, {});
    lower.setCookie('efa_session_postfach', ps.stack.app.signCookie(sessionId));
    const lowerOverview = await lower.get(`/${TENANT}/postfach`);
    assert.equal(lowerOverview.status, 200);
    assert.ok(!lowerOverview.html.includes(mine.id), 'submitted at a higher level than this login: not listed');
    assert.match(lowerOverview.html, /efa-overview-higher">Weitere Anträge \(1\)/, 'but the page says there is one, and how to see it');
    assert.equal((await lower.get(`/${TENANT}/status/${mine.id}/postfach`)).status, 404, 'nor opened');

    // Logout: here and at the account service; the overview asks for the login again.
    await b.get(`/${TENANT}/postfach`);
    const out = await b.submit({}, '/abmelden');
    assert.equal(out.status, 200);
    assert.equal(new URL(refreshTo(out.html)).origin, op.issuer, 'the logout continues at the account service');
    assert.equal((await b.get(`/${TENANT}/postfach`)).location, `/${TENANT}/postfach/anmelden`);
    assert.equal((await b.get(`/${TENANT}/status/${mine.id}/postfach`)).status, 404);
  });

  it('lists exactly the account\'s own applications: not an anonymous one, not another account\'s; a forged session cookie opens nothing', async () => {
    const anonymous = await apply(ps, 'webhook');
    const own = await applyLoggedIn(new Browser(ps.stack.url), 'elster');
    const overview = await overviewAs(new Browser(ps.stack.url), 'elster');
    const listed = [...overview.matchAll(/data-submission="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(listed, [own.id], 'only the application this account submitted');
    assert.ok(!overview.includes(anonymous.reference));
    const forged = await fetch(`${ps.stack.url}/${TENANT}/postfach`, { headers: { cookie: 'efa_session_postfach=not-a-signed-session' }, redirect: 'manual' });
    assert.equal(forged.status, 303, 'a cookie that is no signed session is no login');
  });
});
