import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../src/auth/clients.js';
import { applyOverHttp } from './support/apply.js';
import { startStack, type TestStack } from './support/runtime.js';

const readOnly = { id: 'ops-read', secret: 'read-only-secret-0123456789abcdef' };
const metricsOnly = { id: 'prometheus', secret: 'metrics-secret-0123456789abcdefgh' };

describe('operator APIs: scoped tokens, delivery state and attempts, metrics', () => {
  let stack: TestStack;
  let reference = '';
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'efa-clients-'));
    const file = join(dir, 'api-clients.json');
    writeFileSync(file, JSON.stringify({ clients: [
      { id: readOnly.id, secretSha256: hashSecret(readOnly.secret), scopes: ['deliveries:read'] },
      { id: metricsOnly.id, secretSha256: hashSecret(metricsOnly.secret), scopes: ['metrics:read'] },
    ] }));
    stack = await startStack({ database: 'postgres', env: { EFA_API_CLIENTS: file } });
  });
  after(async () => stack.close());

  async function tokenFor(id: string, secret: string, scope?: string): Promise<Response> {
    return fetch(`${stack.url}/_efa/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
    });
  }
  async function token(id: string, secret: string, scope?: string): Promise<string> {
    const res = await tokenFor(id, secret, scope);
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const operator = () => {
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    return token(dev.clientId, dev.clientSecret);
  };
  const call = (method: string, path: string, bearer?: string) => fetch(`${stack.url}${path}`, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  test('the token endpoint: wrong secret 401, unknown grant 400, a scope beyond the client 400, narrowing works', async () => {
    assert.equal((await tokenFor(readOnly.id, 'wrong-secret-xxxxxxxxxxxxxxxxxxxxx')).status, 401);
    assert.equal((await tokenFor('nobody', readOnly.secret)).status, 401);
    assert.equal((await tokenFor('a%zz', 'b%')).status, 401, 'a malformed escape in Basic credentials is a wrong credential, not a crash');
    const bad = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=a&password=b' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'unsupported_grant_type');
    const beyond = await tokenFor(readOnly.id, readOnly.secret, 'deliveries:write');
    assert.equal(beyond.status, 400);
    assert.equal(((await beyond.json()) as { error: string }).error, 'invalid_scope');
    // An operator token narrowed to reading cannot redeliver.
    const narrowed = await token((stack.rt.devCredentials as { clientId: string }).clientId, (stack.rt.devCredentials as { clientSecret: string }).clientSecret, 'deliveries:read');
    assert.equal((await call('POST', '/_efa/admin/deliveries/redeliver-failed', narrowed)).status, 403);
  });

  test('delivery state: 401 without token, 403 without the scope, attempts of a delivered submission, 409/404 on redelivery', async () => {
    const submitted = await applyOverHttp(stack.url, 'sh', { strasse: 'Holstenstraße 1', plz: '24103', ort: 'Kiel' });
    await stack.rt.delivery?.drain();
    reference = submitted.reference;

    assert.equal((await call('GET', '/_efa/admin/deliveries')).status, 401);
    const metricsToken = await token(metricsOnly.id, metricsOnly.secret);
    const refused = await call('GET', '/_efa/admin/deliveries', metricsToken);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, 'insufficient_scope');

    const reader = await token(readOnly.id, readOnly.secret);
    const list = (await (await call('GET', '/_efa/admin/deliveries?status=delivered', reader)).json()) as { items: { id: string; status: string; attempts: number }[]; total: number };
    const item = list.items.find((i) => i.id === submitted.id);
    assert.ok(item, 'the delivered submission is listed');
    assert.equal(item.status, 'delivered');
    assert.equal(item.attempts, 1);
    assert.equal((await call('GET', '/_efa/admin/deliveries?status=lost', reader)).status, 400);
    assert.equal((await call('GET', '/_efa/admin/deliveries?limit=100000', reader)).status, 400);

    for (const key of [submitted.id, submitted.reference]) {
      const detail = (await (await call('GET', `/_efa/admin/deliveries/${key}`, reader)).json()) as { id: string; attempts: { outcome: string; transport: string; receipt: { verified: boolean } }[] };
      assert.equal(detail.id, submitted.id);
      assert.equal(detail.attempts.length, 1);
      assert.equal(detail.attempts[0]?.outcome, 'delivered');
      assert.equal(detail.attempts[0]?.transport, 'webhook');
      assert.equal(detail.attempts[0]?.receipt.verified, true);
      assert.doesNotMatch(JSON.stringify(detail), /Kiosk am Markt|Holstenstraße/, 'no application data in the operator view');
    }
    assert.equal((await call('GET', '/_efa/admin/deliveries/00000000-0000-4000-8000-000000000000', reader)).status, 404);
    assert.equal((await call('GET', '/_efa/admin/deliveries/%3Cscript%3E', reader)).status, 404);

    // Reading is not writing.
    assert.equal((await call('POST', `/_efa/admin/deliveries/${submitted.id}/redeliver`, reader)).status, 403);
    const op = await operator();
    const conflict = await call('POST', `/_efa/admin/deliveries/${submitted.id}/redeliver`, op);
    assert.equal(conflict.status, 409, 'a delivered submission is not redelivered');
    assert.equal((await call('POST', '/_efa/admin/deliveries/00000000-0000-4000-8000-000000000000/redeliver', op)).status, 404);
    const status = await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [submitted.id]);
    assert.equal(status.rows[0]?.status, 'delivered');
  });

  test('metrics: only with metrics:read; submissions and deliveries by outcome and transport are counted', async () => {
    assert.equal((await call('GET', '/_efa/metrics')).status, 401);
    assert.equal((await call('GET', '/_efa/metrics', await token(readOnly.id, readOnly.secret))).status, 403);
    const res = await call('GET', '/_efa/metrics', await token(metricsOnly.id, metricsOnly.secret));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /efa_submissions_total\{[^}]*tenant="sh"[^}]*service="gewerbeanmeldung"[^}]*\} [1-9]/);
    assert.match(text, /efa_deliveries_total\{[^}]*transport="webhook"[^}]*outcome="delivered"[^}]*\} [1-9]/);
    assert.match(text, /efa_delivery_duration_seconds_count\{[^}]*transport="webhook"[^}]*\} [1-9]/);
    assert.match(text, /efa_queue_depth\{[^}]*state="waiting"[^}]*\} 0/);
    assert.ok(reference !== '' && !text.includes(reference), 'no reference in metrics');
    assert.doesNotMatch(text, /Kiosk am Markt|Holstenstraße/, 'no application data in metrics');
  });
});
