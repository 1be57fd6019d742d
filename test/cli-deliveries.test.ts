import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { claimOne, processClaimed } from '../src/delivery/outbox.js';
import { applyOverHttp } from './support/apply.js';
import { startStack, unreachableDeliveryDeps, type TestStack } from './support/runtime.js';

interface Run { code: number; stdout: string; stderr: string }

/** The operator's command line, as a separate process on the same database (no Redis: outbox only). */
function efa(databaseUrl: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', LOG_LEVEL: 'silent' };
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'deliveries', ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('efa deliveries: the dead-letter list, attempts and redelivery from the command line', () => {
  let stack: TestStack;
  let db = '';
  before(async () => {
    stack = await startStack({ database: 'postgres' });
    await stack.rt.delivery?.stop();
    db = stack.rt.config.databaseUrl as string;
  });
  after(async () => stack.close());

  test('list --status failed, show by reference, redeliver once (then 409-like refusal), usage errors', async () => {
    const { id, reference } = await applyOverHttp(stack.url, 'sh', { strasse: 'Holstenstraße 1', plz: '24103', ort: 'Kiel' });
    // One attempt against an unreachable endpoint with a budget of one: a dead letter.
    const claimed = await claimOne(stack.rt.db, id, 60_000);
    assert.ok(claimed && 'lease' in claimed);
    assert.deepEqual(await processClaimed(unreachableDeliveryDeps(stack.rt), { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, id, claimed), { outcome: 'failed' });

    const list = await efa(db, ['list', '--status', 'failed', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { items: { id: string; lastError: string }[]; total: number };
    assert.equal(listed.total, 1);
    assert.equal(listed.items[0]?.id, id);
    assert.match(listed.items[0]?.lastError ?? '', /127\.0\.0\.1:9/);

    const table = await efa(db, ['list', '--status', 'failed']);
    assert.match(table.stdout, new RegExp(`${reference}\\s+failed`));

    const show = await efa(db, ['show', reference]);
    assert.equal(show.code, 0, show.stderr);
    const detail = JSON.parse(show.stdout) as { id: string; attempts: { outcome: string; transport: string }[] };
    assert.equal(detail.id, id);
    assert.deepEqual(detail.attempts.map((a) => `${a.transport}:${a.outcome}`), ['webhook:failed']);
    assert.doesNotMatch(show.stdout, /Holstenstraße|Kiosk/, 'no application data');

    const redeliver = await efa(db, ['redeliver', id]);
    assert.equal(redeliver.code, 0, redeliver.stderr);
    assert.match(redeliver.stdout, new RegExp(`${id}: redelivered`));
    const row = await stack.rt.db.query<{ status: string; attempts: number }>('SELECT s.status, o.attempts FROM submissions s JOIN outbox o ON o.submission_id = s.id WHERE s.id = $1', [id]);
    assert.deepEqual(row.rows[0], { status: 'submitted', attempts: 0 }, 'back in the outbox with a fresh budget');

    const again = await efa(db, ['redeliver', id]);
    assert.equal(again.code, 1, 'a submission that is not failed is not redelivered');
    assert.match(again.stdout, /not-failed/);

    const usage = await efa(db, ['redeliver']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /EFA_USAGE: give submission ids or --all-failed/);
    const badStatus = await efa(db, ['list', '--status', 'lost']);
    assert.equal(badStatus.code, 1);
    assert.match(badStatus.stderr, /--status must be one of/);
  });
});
