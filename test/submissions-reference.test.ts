/**
 * Reference numbers are random; two submissions may draw the same one. The unique constraint then
 * refuses the second, and submit draws again instead of answering 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newReference, storeSubmission } from '../src/submissions/submit.js';
import { startStack, type TestStack } from './support/runtime.js';
import { submittableExample, type SubmittableInput } from './support/submittable.js';

describe('reference numbers: a collision at submit is retried', () => {
  let stack: TestStack;
  let input: SubmittableInput;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    input = submittableExample(stack.rt);
  });
  after(() => stack.close());

  const counts = async () => (await stack.rt.db.query<{ s: number; o: number }>('SELECT (SELECT count(*) FROM submissions)::int AS s, (SELECT count(*) FROM outbox)::int AS o')).rows[0] as { s: number; o: number };

  /** Hands out the given references in turn, and records every one drawn. */
  function drawing(...refs: string[]): { next: (tenant: string) => string; drawn: string[] } {
    const drawn: string[] = [];
    return { drawn, next: () => { const r = refs[Math.min(drawn.length, refs.length - 1)] as string; drawn.push(r); return r; } };
  }

  test('a taken reference is drawn again; the submission is stored once, under the new one', async () => {
    const taken = `${input.tenant.toUpperCase()}-2026-TAKE-N001`;
    const first = await storeSubmission(stack.rt.db, { ...input, reference: drawing(taken).next });
    assert.equal(first.reference, taken);

    const before = await counts();
    const gen = drawing(taken, taken, `${input.tenant.toUpperCase()}-2026-FREE-0002`);
    const second = await storeSubmission(stack.rt.db, { ...input, reference: gen.next });
    assert.deepEqual(gen.drawn, [taken, taken, `${input.tenant.toUpperCase()}-2026-FREE-0002`], 'two collisions, then a free number');
    assert.equal(second.reference, `${input.tenant.toUpperCase()}-2026-FREE-0002`);
    assert.notEqual(second.id, first.id);
    const after = await counts();
    assert.equal(after.s, before.s + 1, 'one submission');
    assert.equal(after.o - before.o, second.deliveryMode === 'push' ? 1 : 0, 'and its one outbox entry');
    const { rows } = await stack.rt.db.query<{ reference: string }>('SELECT reference FROM submissions WHERE id = $1', [second.id]);
    assert.equal(rows[0]?.reference, second.reference);
  });

  test('after five collisions in a row the error goes up, and nothing is written', async () => {
    const taken = `${input.tenant.toUpperCase()}-2026-TAKE-N003`;
    await storeSubmission(stack.rt.db, { ...input, reference: drawing(taken).next });
    const before = await counts();
    const gen = drawing(taken);
    await assert.rejects(storeSubmission(stack.rt.db, { ...input, reference: gen.next }), (err: unknown) => (err as { code?: string }).code === '23505');
    assert.equal(gen.drawn.length, 5);
    assert.deepEqual(await counts(), before);
  });

  test('the default generator: Land, year, 8 characters without look-alikes', () => {
    const ref = newReference('sh', new Date('2026-06-01T00:00:00Z'));
    assert.match(ref, /^SH-2026-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  });
});
