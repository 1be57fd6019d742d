import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deliveryListQueries, type ListFilter } from '../src/delivery/admin.js';
import { encodeCursor } from '../src/storage/cursor.js';
import { pendingQueries } from '../src/submissions/pull.js';
import { startStack, type TestStack } from './support/runtime.js';
import { waitUntil } from './support/delivery-stack.js';

/**
 * Seeds `n` submissions straight into the table (the operator API reads only metadata), spread
 * over distinct and equal submission times so that ties are broken by id.
 */
async function seed(stack: TestStack, n: number, fields: { status: string; authority: string; mode?: 'push' | 'pull' }): Promise<void> {
  await stack.rt.db.query(
    `INSERT INTO submissions (id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, status,
                              payload_jwe, payload_media_type, payload_sha512, schema_uri, fee_cents, submitted_at, updated_at, delivery_mode)
     SELECT gen_random_uuid(), 'SEED-' || $1 || '-' || g, 'sh', 'gewerbeanmeldung', '1.0.0', '99050012104000', '010020000000', $1, 'Seed authority', $2,
            'x.y.z', 'application/json', 'sha', 'urn:seed', 0,
            timestamptz '2026-01-01' + make_interval(secs => g / 3), now(), $4
       FROM generate_series(1, $3) AS g`,
    [fields.authority, fields.status, n, fields.mode ?? 'push'],
  );
}

describe('operator and pull APIs: keyset pages over indexes', () => {
  let stack: TestStack;
  let op = '';
  before(async () => {
    stack = await startStack({ database: 'postgres' });
    await stack.rt.delivery?.stop();
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    op = ((await res.json()) as { access_token: string }).access_token;
    // Enough rows that PostgreSQL would rather sort than walk an index if no index fitted.
    await seed(stack, 3000, { status: 'delivered', authority: 'seed-bulk' });
    await seed(stack, 137, { status: 'failed', authority: 'seed-dead' });
    await stack.rt.db.query('ANALYZE submissions');
  });
  after(async () => stack.close());

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${op}` } });
    return { status: res.status, body: (await res.json()) as T };
  };

  test('paging through the dead letters with ?after= returns each exactly once, newest first, and ends', async () => {
    type Page = { items: { id: string; submittedAt: string }[]; next: string | null; total: number; totalExact: boolean };
    const { rows } = await stack.rt.db.query<{ id: string }>(`SELECT id FROM submissions WHERE status = 'failed' ORDER BY submitted_at DESC, id DESC`);
    const seen: string[] = [];
    let path = '/_efa/admin/deliveries?status=failed&limit=25';
    let pages = 0;
    for (;;) {
      const page = await get<Page>(path);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 137);
      assert.equal(page.body.totalExact, true);
      seen.push(...page.body.items.map((i) => i.id));
      pages++;
      if (!page.body.next) break;
      path = `/_efa/admin/deliveries?status=failed&limit=25&after=${page.body.next}`;
    }
    assert.equal(pages, 6, '137 items at 25 a page');
    assert.equal(new Set(seen).size, seen.length, 'no item twice');
    assert.deepEqual(seen, rows.map((r) => r.id), 'every dead letter, in the order of (submitted_at, id) descending');
  });

  test('a forged cursor and an offset beyond the cap are refused with the API error shape', async () => {
    const forged = await get<{ error: string }>(`/_efa/admin/deliveries?after=${Buffer.from('yesterday|me').toString('base64url')}`);
    assert.equal(forged.status, 400);
    assert.equal(forged.body.error, 'bad_request');
    const badDate = await get<{ error: string }>(`/_efa/admin/deliveries?after=${Buffer.from('2026-13-01 00:00:00+00|00000000-0000-4000-8000-000000000000').toString('base64url')}`);
    assert.equal(badDate.status, 400, 'a cursor with an impossible date is refused before it reaches PostgreSQL');
    const far = await get<{ error: string }>('/_efa/admin/deliveries?offset=10001');
    assert.equal(far.status, 400);
    assert.equal(far.body.error, 'bad_request');
    const counted = await get<{ total: number; totalExact: boolean }>('/_efa/admin/deliveries?limit=1');
    assert.equal(counted.body.total, 3137);
    assert.equal(counted.body.totalExact, true);
  });

  /** The plan PostgreSQL chooses for exactly the query a route runs, with its arguments. */
  const explain = async (q: { sql: string; args: unknown[] }) => (await stack.rt.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.sql}`, q.args)).rows.map((r) => r['QUERY PLAN']).join('\n');

  test('the list queries walk an index: EXPLAIN of the route\'s own SQL shows an Index Scan on submissions and no Sort', async () => {
    const { rows: [last] } = await stack.rt.db.query<{ at: string; id: string }>(`SELECT submitted_at::text AS at, id FROM submissions ORDER BY submitted_at DESC, id DESC OFFSET 500 LIMIT 1`);
    assert.ok(last);
    const after = encodeCursor(last.at, last.id);
    const filters: Record<string, ListFilter> = {
      all: { limit: 50 },
      allAfter: { limit: 50, after },
      status: { status: 'delivered', limit: 50 },
      authority: { authorityId: 'seed-bulk', limit: 50, after },
    };
    for (const [name, filter] of Object.entries(filters)) {
      const plan = await explain(deliveryListQueries(filter).page);
      assert.match(plan, /Index (Only )?Scan (Backward )?using \S+ on submissions/, `${name} walks an index of submissions:\n${plan}`);
      assert.doesNotMatch(plan, /\bSort\b/, `${name} sorts nothing:\n${plan}`);
    }
  });

  test('the pull API pages with ?after= too: each pending submission once, oldest first', async () => {
    await seed(stack, 57, { status: 'submitted', authority: 'seed-pull', mode: 'pull' });
    const credentials = stack.pullCredentials[0];
    assert.ok(credentials, 'the demo directory has a pull authority');
    await stack.rt.db.query(`UPDATE submissions SET authority_id = $1 WHERE authority_id = 'seed-pull'`, [credentials.authorityId]);
    const tokenRes = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const { rows } = await stack.rt.db.query<{ id: string }>(`SELECT id FROM submissions WHERE authority_id = $1 AND delivery_mode = 'pull' AND status IN ('submitted', 'delivered') ORDER BY submitted_at, id`, [credentials.authorityId]);
    const seen: string[] = [];
    let query = 'limit=10';
    for (;;) {
      const res = await fetch(`${stack.url}/_efa/api/v1/submissions?${query}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const page = (await res.json()) as { submissions: { submissionId: string }[]; next: string | null };
      seen.push(...page.submissions.map((s) => s.submissionId));
      if (!page.next) break;
      query = `limit=10&after=${page.next}`;
    }
    assert.deepEqual(seen, rows.map((r) => r.id));
    const plan = await explain(pendingQueries(credentials.authorityId, { offset: 0, limit: 10, after: encodeCursor('2026-01-01 00:00:05+00', '00000000-0000-4000-8000-000000000000') }).page);
    assert.match(plan, /Index (Only )?Scan using submissions_pull_pending/, plan);
    assert.doesNotMatch(plan, /\bSort\b/, plan);
    const bad = await fetch(`${stack.url}/_efa/api/v1/submissions?after=bm9wZQ`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'request_invalid');
  });

  test('redeliver-failed answers 202 with a job at once; the job works in batches and its progress is readable', async () => {
    type Job = { id: string; status: string; total: number | null; done: number; href: string };
    const res = await fetch(`${stack.url}/_efa/admin/deliveries/redeliver-failed?authority=seed-dead`, { method: 'POST', headers: { authorization: `Bearer ${op}` } });
    assert.equal(res.status, 202);
    const job = (await res.json()) as Job;
    assert.equal(job.status, 'queued');
    assert.equal(res.headers.get('location'), `/_efa/admin/jobs/${job.id}`);
    let final: Job | undefined;
    await waitUntil(async () => {
      final = (await get<Job>(job.href)).body;
      return final.status === 'done';
    }, 60_000, 'the job finished', () => JSON.stringify(final));
    assert.equal(final?.total, 137);
    assert.equal(final?.done, 137);
    const { rows } = await stack.rt.db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM submissions WHERE authority_id = 'seed-dead' GROUP BY status`);
    assert.deepEqual(rows, [{ status: 'submitted', n: 137 }], 'every dead letter of that authority is back in delivery');
    const outbox = await stack.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox o JOIN submissions s ON s.id = o.submission_id WHERE s.authority_id = 'seed-dead'`);
    assert.equal(outbox.rows[0]?.n, 137);
    assert.equal((await get<{ error: string }>('/_efa/admin/jobs/00000000-0000-4000-8000-000000000000')).status, 404);
  });
});
