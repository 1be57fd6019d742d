/**
 * The relay's settings take effect: EFA_RELAY_INTERVAL_MS sets how soon an outbox entry that never
 * reached Redis is handed to the queue, EFA_RELAY_RECHECK_MS after how long a handed-over entry whose
 * job Redis lost gets a job again. The relay is built from the configuration as `efa worker` builds it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config/env.js';
import { OutboxRelay } from '../src/delivery/relay.js';
import type { DeliveryQueue } from '../src/delivery/queue.js';
import { startDeliveryStack, waitUntil, type DeliveryStack } from './support/delivery-stack.js';

async function withStack(fn: (stack: DeliveryStack, queue: DeliveryQueue) => Promise<void>): Promise<void> {
  const stack = await startDeliveryStack();
  try {
    await fn(stack, stack.rt.queue as DeliveryQueue);
  } finally {
    await stack.close();
  }
}

async function enqueued(stack: DeliveryStack, id: string): Promise<boolean> {
  const { rows } = await stack.rt.db.query<{ at: Date | null }>('SELECT enqueued_at AS at FROM outbox WHERE submission_id = $1', [id]);
  return rows[0]?.at != null;
}

const relayFor = (stack: DeliveryStack, queue: DeliveryQueue, env: Record<string, string>) => OutboxRelay.fromSettings(stack.rt.db, queue, loadConfig(env).delivery, (err) => { throw err; });

describe('the outbox relay follows EFA_RELAY_*', () => {
  test('EFA_RELAY_INTERVAL_MS: an entry stored without a hand-over is in the queue well before the default 5 s', async () => {
    await withStack(async (stack, queue) => {
      const relay = relayFor(stack, queue, { EFA_RELAY_INTERVAL_MS: '100' });
      relay.start();
      try {
        // The first pass runs at start; the second entry can only be found by a later pass.
        const [first] = await stack.storeMany(1, { dispatch: false });
        await waitUntil(() => enqueued(stack, first as string), 10_000, 'the first entry is handed over');
        const [second] = await stack.storeMany(1, { dispatch: false });
        await waitUntil(() => enqueued(stack, second as string), 2_500, 'the next pass, 100 ms later, hands over the second entry');
        assert.ok(await queue.queue.getJob(second as string), 'its job is in Redis');
      } finally {
        await relay.stop();
      }
    });
  });

  test('EFA_RELAY_RECHECK_MS: a handed-over entry whose job Redis lost gets a job again once it is older than the setting', async () => {
    await withStack(async (stack, queue) => {
      const [id] = (await stack.storeMany(1, { dispatch: true })) as [string];
      await waitUntil(() => enqueued(stack, id), 10_000, 'the submit handed it over');
      const short = relayFor(stack, queue, { EFA_RELAY_RECHECK_MS: '500' });
      const standard = relayFor(stack, queue, {});
      // A first pass notes that this Redis has its data (a new Redis counts as one that lost it).
      await short.runOnce();
      await (await queue.queue.getJob(id))?.remove();
      await stack.rt.db.query(`UPDATE outbox SET enqueued_at = now() - interval '2 seconds' WHERE submission_id = $1`, [id]);

      assert.equal(await standard.runOnce(), 0, 'by default (60 s here) a hand-over 2 s ago is not checked yet');
      assert.equal(await queue.queue.getJob(id), undefined);
      assert.equal(await short.runOnce(), 1, 'with 500 ms it is');
      assert.ok(await queue.queue.getJob(id), 'and the job is back in Redis');
    });
  });
});
