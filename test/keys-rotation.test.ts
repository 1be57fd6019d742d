/**
 * Keys per purpose (cookies, API tokens, drafts), each a list whose first entry signs or encrypts
 * and whose every entry verifies or decrypts: rotating one keeps applicants' drafts and cookies
 * and operators' tokens working, and new data moves to the new key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/env.js';
import { loadSecrets } from '../src/config/secrets.js';
import { formOf } from '../src/http/applicant/view.js';
import { setAt } from '../src/forms/pointer.js';
import { buildApp } from '../src/http/app.js';
import type { Runtime } from '../src/runtime.js';
import { DraftStore } from '../src/submissions/drafts.js';
import type { Tenant } from '../src/tenants/registry.js';
import { Browser } from './support/browser.js';
import { startStack, type TestStack } from './support/runtime.js';

const OLD = { cookie: 'old-cookie-key-'.padEnd(40, 'c'), token: 'old-token-key-'.padEnd(40, 't'), draft: 'old-draft-key-'.padEnd(40, 'd') };
const NEW = { cookie: 'new-cookie-key-'.padEnd(40, 'C'), token: 'new-token-key-'.padEnd(40, 'T'), draft: 'new-draft-key-'.padEnd(40, 'D') };

describe('key rotation', () => {
  let stack: TestStack;
  let tenant: Tenant;
  let serviceId: string;
  const apps: FastifyInstance[] = [];

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    tenant = [...stack.rt.tenants.values()][0] as Tenant;
    serviceId = [...tenant.serviceTexts.keys()][0] as string;
  });
  after(async () => {
    for (const app of apps) await app.close();
    await stack.close();
  });

  /** An API process of the same installation, configured with these key lists. */
  async function processWith(keys: { cookie: string[]; token: string[]; draft: string[] }): Promise<{ url: string; rt: Runtime }> {
    const rt = { ...stack.rt, secrets: { ...stack.rt.secrets, cookieKeys: keys.cookie, tokenKeys: keys.token, draftKeys: keys.draft }, drafts: new DraftStore(stack.rt.db, keys.draft, 30) } as Runtime;
    const app = await buildApp(rt);
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, rt };
  }

  /** Which of `store`'s keys the stored draft is encrypted with (undefined: the format without key ids). */
  async function storedKeyId(draftId: string, store: DraftStore): Promise<string | undefined> {
    const { rows } = await stack.rt.db.query<{ data_enc: Uint8Array }>('SELECT data_enc FROM drafts WHERE id = $1', [draftId]);
    return store.keyIdOf(rows[0]?.data_enc ?? new Uint8Array());
  }

  test('a draft saved under the old keys opens after rotation, and its next save uses the new draft key', async () => {
    const before = await processWith({ cookie: [OLD.cookie], token: [OLD.token], draft: [OLD.draft] });
    const step = formOf(tenant, serviceId).steps[0];
    assert.ok(step);
    const field = step.fields.find((f) => f.kind.name === 'text' && !f.showIf);
    assert.ok(field, 'the first step has a text field');

    // An applicant starts on the old keys (signed cookies, encrypted draft) and an answer is saved.
    const browser = new Browser(before.url);
    await browser.get(`/${tenant.id}/${serviceId}`);
    assert.equal((await browser.submit({}, '/start')).status, 303);
    const { rows } = await stack.rt.db.query<{ id: string }>('SELECT id FROM drafts ORDER BY updated_at DESC LIMIT 1');
    const draftId = rows[0]?.id as string;
    const draft = await before.rt.drafts.find(draftId, tenant.id, serviceId);
    assert.ok(draft);
    setAt(draft.data, field.pointer, 'Vor der Rotation');
    await before.rt.drafts.save(draft);
    assert.equal(await storedKeyId(draftId, before.rt.drafts), before.rt.drafts.currentKeyId, 'saved under the old draft key');
    await browser.get(`/${tenant.id}/${serviceId}/${step.id}`);

    // The installation rotates: new keys first, the old ones still accepted. The same browser goes on.
    const after = await processWith({ cookie: [NEW.cookie, OLD.cookie], token: [NEW.token, OLD.token], draft: [NEW.draft, OLD.draft] });
    const rotated = new Browser(after.url);
    for (const name of [`efa_draft_${serviceId}`, '_csrf', 'efa_csrf']) if (browser.cookie(name)) rotated.setCookie(name, browser.cookie(name) as string);
    const resumed = await rotated.get(`/${tenant.id}/${serviceId}/${step.id}`);
    assert.equal(resumed.status, 200, 'the cookie signed with the old key and the old draft still open');
    assert.ok(resumed.html.includes('Vor der Rotation'), 'with the answer saved before the rotation');

    // A post with the CSRF cookie signed under the old key is taken (a step error, not a 403).
    const posted = await rotated.submit({ [field.name]: 'Nach der Rotation' });
    assert.notEqual(posted.status, 403, 'the old CSRF cookie is accepted');
    const again = await after.rt.drafts.find(draftId, tenant.id, serviceId);
    assert.ok(again);
    setAt(again.data, field.pointer, 'Nach der Rotation');
    await after.rt.drafts.save(again);
    assert.equal(await storedKeyId(draftId, after.rt.drafts), after.rt.drafts.currentKeyId, 'the next save encrypted it with the new draft key');
    assert.notEqual(after.rt.drafts.currentKeyId, before.rt.drafts.currentKeyId);

    // Once the old draft key is gone, a process with only the new one still reads it; the old one alone does not.
    assert.equal((await new DraftStore(stack.rt.db, [NEW.draft], 30).find(draftId, tenant.id, serviceId))?.data ? 'open' : 'closed', 'open');
    assert.equal(await new DraftStore(stack.rt.db, [OLD.draft], 30).find(draftId, tenant.id, serviceId), undefined, 'unreadable without its key: treated as gone, not a 500');
  });

  test('a draft from before key ids (IV, tag, ciphertext; key from EFA_SECRET) still opens and moves to the new format', async () => {
    const secret = 'the-old-efa-secret-'.padEnd(40, 's');
    const id = randomUUID();
    const key = Buffer.from(hkdfSync('sha256', secret, 'efa-drafts', 'draft-encryption-v1', 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(JSON.stringify({ legacy: true }), 'utf8'), cipher.final()]);
    await stack.rt.db.query(`INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, $2, $3, '1', $4, now() + interval '1 day')`, [id, tenant.id, serviceId, Buffer.concat([iv, cipher.getAuthTag(), body])]);

    // Without EFA_DRAFT_KEYS, the draft key list is [EFA_SECRET]: the same key as before.
    const secrets = await loadSecrets(loadConfig({ EFA_SECRET: secret, EFA_SIGNING_KEY: JSON.stringify((await import('../src/crypto/keys.js').then((m) => m.generateSigningKeyPair())).privateJwk) }));
    assert.deepEqual(secrets.draftKeys, [secret]);
    const store = new DraftStore(stack.rt.db, [NEW.draft, ...secrets.draftKeys], 30);
    const draft = await store.find(id, tenant.id, serviceId);
    assert.deepEqual(draft?.data, { legacy: true });
    assert.equal(await storedKeyId(id, store), undefined, 'still the old format until saved');
    await store.save(draft as NonNullable<typeof draft>);
    assert.equal(await storedKeyId(id, store), store.currentKeyId);
  });

  test('an API token issued under the old token key is accepted after rotation, and refused once that key is removed', async () => {
    const before = await processWith({ cookie: [OLD.cookie], token: [OLD.token], draft: [OLD.draft] });
    const creds = stack.rt.devCredentials;
    assert.ok(creds);
    const res = await fetch(`${before.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const metrics = async (url: string) => (await fetch(`${url}/_efa/metrics`, { headers: { authorization: `Bearer ${token}` } })).status;
    assert.equal(await metrics(before.url), 200);
    assert.equal(await metrics((await processWith({ cookie: [NEW.cookie], token: [NEW.token, OLD.token], draft: [NEW.draft] })).url), 200, 'old token, rotated list');
    assert.equal(await metrics((await processWith({ cookie: [NEW.cookie], token: [NEW.token], draft: [NEW.draft] })).url), 401, 'old key removed');
  });

  test('the purposes have separate keys: without lists each is derived from EFA_SECRET, and none equals another', async () => {
    const secret = 'one-master-secret-'.padEnd(40, 'm');
    const secrets = await loadSecrets(loadConfig({ EFA_SECRET: secret, EFA_SIGNING_KEY: JSON.stringify((await import('../src/crypto/keys.js').then((m) => m.generateSigningKeyPair())).privateJwk) }));
    assert.notEqual(secrets.cookieKeys[0], secret, 'cookies are signed with a derived key');
    assert.equal(secrets.cookieKeys[1], secret, 'the master still verifies cookies signed before this version');
    const draftId = new DraftStore(stack.rt.db, secrets.draftKeys, 1).currentKeyId;
    const fromCookieKey = new DraftStore(stack.rt.db, [secrets.cookieKeys[0] as string], 1).currentKeyId;
    assert.notEqual(draftId, fromCookieKey);
    const listed = await loadSecrets(loadConfig({ EFA_SECRET: secret, EFA_DRAFT_KEYS: `${NEW.draft},${OLD.draft}`, EFA_SIGNING_KEY: JSON.stringify((await import('../src/crypto/keys.js').then((m) => m.generateSigningKeyPair())).privateJwk) }));
    assert.deepEqual(listed.draftKeys, [NEW.draft, OLD.draft], 'EFA_DRAFT_KEYS replaces the derived draft key');
    assert.deepEqual(listed.tokenKeys, [secret], 'and leaves the others alone');
  });
});
