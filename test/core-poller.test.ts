/**
 * The loop every background poller runs on (src/core/poller.ts). The interval is an hour in each
 * test: any tick beyond the first comes from 'more', kick() or nothing, never from the clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Poller, type TickOutcome } from '../src/core/poller.js';

const HOUR = 3_600_000;

/** A promise with its resolve function outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

async function until(what: string, ok: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('Poller', () => {
  it('ticks at once on start and again at once while a tick reports more work', async () => {
    const outcomes: TickOutcome[] = ['more', 'more', 'idle'];
    let ticks = 0;
    const poller = new Poller({ intervalMs: HOUR, tick: async () => outcomes[ticks++] ?? 'idle', onError: (err) => { throw err; } });
    poller.start();
    await until('three ticks', () => ticks === 3);
    await poller.settled();
    assert.equal(ticks, 3, 'an idle tick waits for the interval');
    await poller.stop();
  });

  it('stop() waits for the running tick, and no tick starts after it', async () => {
    const gate = deferred();
    let ticks = 0;
    let finished = false;
    const poller = new Poller({ intervalMs: HOUR, tick: async () => { ticks++; await gate.promise; finished = true; return 'more'; }, onError: (err) => { throw err; } });
    poller.start();
    await until('the first tick', () => ticks === 1);
    assert.equal(poller.stopping, false);
    const stopped = poller.stop().then(() => finished);
    assert.equal(poller.stopping, true, 'a long tick can see the stop and end early');
    gate.resolve();
    assert.equal(await stopped, true, 'stop() resolved before the tick finished');
    poller.kick();
    await new Promise((r) => setImmediate(r));
    assert.equal(ticks, 1, 'the tick reported more work, but the poller was stopped');
  });

  it('a failing tick is reported and the loop goes on; a kick during a tick runs another after it', async () => {
    const errors: unknown[] = [];
    const gate = deferred();
    let ticks = 0;
    const poller = new Poller({
      intervalMs: HOUR,
      tick: async () => {
        ticks++;
        if (ticks === 1) throw new Error('database gone');
        if (ticks === 3) await gate.promise;
        return 'idle';
      },
      onError: (err) => errors.push(err),
    });
    poller.start();
    await until('the failed tick is reported', () => errors.length === 1);
    assert.match(String(errors[0]), /database gone/);
    poller.kick();
    await until('a second tick after the kick', () => ticks === 2);
    await poller.settled();
    poller.kick();
    await until('a third tick', () => ticks === 3);
    poller.kick(); // while the third runs
    gate.resolve();
    await until('a fourth tick, asked for during the third', () => ticks === 4);
    await poller.stop();
    assert.equal(errors.length, 1);
  });
});
