import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { claimOne, processClaimed, redeliver, type Claim } from '../src/delivery/outbox.js';
import { applyOverHttp } from './support/apply.js';
import { startStack, unreachableDeliveryDeps, type TestStack } from './support/runtime.js';

describe('the outbox entry of a queued delivery: lease and due time', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ database: 'postgres' });
    // This test plays the workers itself.
    await stack.rt.delivery?.stop();
  });
  after(async () => stack.close());

  test('a worker frozen past its lease neither reschedules nor dead-letters what another worker now holds', async () => {
    const { id } = await applyOverHttp(stack.url, 'sh', { strasse: 'Holstenstraße 1', plz: '24103', ort: 'Kiel' });
    // Every endpoint unreachable: each attempt ends in a retryable error.
    const deps = unreachableDeliveryDeps(stack.rt);
    const outbox = async () => (await stack.rt.db.query<{ attempts: number; leased: boolean }>('SELECT attempts, locked_until > now() AS leased FROM outbox WHERE submission_id = $1', [id])).rows[0];
    const status = async () => (await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [id])).rows[0]?.status;

    const claim = async (): Promise<Claim> => {
      const c = await claimOne(stack.rt.db, id, 60_000);
      assert.ok(c && 'lease' in c, `claimable: ${JSON.stringify(c)}`);
      return c;
    };
    const expire = () => stack.rt.db.query(`UPDATE outbox SET locked_until = now() - interval '1 second' WHERE submission_id = $1`, [id]);
    const policy = (maxAttempts: number) => ({ maxAttempts, baseDelayMs: 10, maxDelayMs: 10 });

    const a = await claim();
    assert.equal(a.attempt, 1);
    assert.ok('held' in ((await claimOne(stack.rt.db, id, 60_000)) ?? {}), 'a second worker must wait while the lease runs');
    // Worker A freezes past its lease; worker B takes over.
    await expire();
    const b = await claim();
    assert.equal(b.attempt, 2);

    // A wakes up and fails: it must not release B's lease...
    assert.deepEqual(await processClaimed(deps, policy(5), id, a), { outcome: 'superseded' });
    assert.deepEqual(await outbox(), { attempts: 2, leased: true });
    // ...nor, on what it thought its last attempt, turn the submission into a dead letter.
    assert.deepEqual(await processClaimed(deps, policy(1), id, a), { outcome: 'superseded' });
    assert.equal(await status(), 'submitted');
    assert.deepEqual(await outbox(), { attempts: 2, leased: true });

    // The holder settles as usual: at its limit the submission becomes a dead letter.
    assert.deepEqual(await processClaimed(deps, policy(2), id, b), { outcome: 'failed' });
    assert.equal(await status(), 'failed');
    assert.equal(await outbox(), undefined);

    // After a redelivery the attempt count starts again at 1: A's old attempt number matches the
    // new holder C's, but its lease token does not.
    assert.equal(await redeliver(stack.rt.db, id), true);
    const c = await claim();
    assert.equal(c.attempt, a.attempt);
    assert.deepEqual(await processClaimed(deps, policy(1), id, a), { outcome: 'superseded' });
    assert.equal(await status(), 'submitted');
    assert.deepEqual(await outbox(), { attempts: 1, leased: true });
    const attempts = await stack.rt.db.query<{ attempt: number; outcome: string }>('SELECT attempt, outcome FROM delivery_attempts WHERE submission_id = $1 ORDER BY id', [id]);
    // A's three attempts after it lost its lease are recorded as superseded, not as failures.
    assert.deepEqual(attempts.rows.map((r) => r.outcome), ['superseded', 'superseded', 'failed', 'superseded'], 'every attempt is recorded, the superseded ones as such');
  });

  test('a job that comes early (re-added after Redis lost its data) waits for the backoff instead of claiming', async () => {
    const { id } = await applyOverHttp(stack.url, 'sh', { strasse: 'Holstenstraße 2', plz: '24103', ort: 'Kiel' });
    const deps = unreachableDeliveryDeps(stack.rt);
    const claimed = await claimOne(stack.rt.db, id, 60_000);
    assert.ok(claimed && 'lease' in claimed && claimed.attempt === 1);
    const settled = await processClaimed(deps, { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 }, id, claimed);
    assert.equal(settled.outcome, 'retry');
    const early = await claimOne(stack.rt.db, id, 60_000);
    assert.ok(early && 'held' in early, 'not claimable before its backoff ran out');
    assert.ok(early.held.getTime() > Date.now() + 25_000, `held until the retry is due (${early.held.toISOString()})`);
    const row = await stack.rt.db.query<{ attempts: number }>('SELECT attempts FROM outbox WHERE submission_id = $1', [id]);
    assert.equal(row.rows[0]?.attempts, 1, 'an early job costs no attempt');
  });
});
