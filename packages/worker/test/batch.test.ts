import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batch.js';

/** Batching of per-step statements across the steps in flight, with per-step failure isolation (`batch.ts`). */

function recording(fail?: (inputs: readonly number[]) => boolean) {
  const calls: number[][] = [];
  const batcher = new Batcher<number, string>(async (inputs) => {
    calls.push([...inputs]);
    if (fail?.(inputs)) throw new Error(`refused ${inputs.join(',')}`);
    return inputs.map((n) => `row ${n}`);
  }, 3);
  return { calls, batcher };
}

describe('Batcher', () => {
  it('sends the requests of one event-loop turn as one statement, each answered with its own row', async () => {
    const { calls, batcher } = recording();
    const answers = await Promise.all([batcher.run(1), batcher.run(2), batcher.run(3)]);
    expect(answers).toEqual(['row 1', 'row 2', 'row 3']);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('sends a lone request alone, and requests of a later turn in a statement of their own', async () => {
    const { calls, batcher } = recording();
    expect(await batcher.run(1)).toBe('row 1');
    expect(await batcher.run(2)).toBe('row 2');
    expect(calls).toEqual([[1], [2]]);
  });

  it('sends after the work scheduled for the end of the same turn, such as the take refilling freed slots', async () => {
    const order: string[] = [];
    const batcher = new Batcher<number, string>(async (inputs) => {
      order.push(`statement ${inputs.join(',')}`);
      return inputs.map((n) => `row ${n}`);
    }, 10);
    const answered = batcher.run(1);
    setImmediate(() => order.push('take'));
    await answered;
    expect(order).toEqual(['take', 'statement 1']);
  });

  it('splits a turn larger than the largest batch into several statements', async () => {
    const { calls, batcher } = recording();
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.run(n)));
    expect(calls).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('a statement refused as a whole is run again once per input: only the input at fault fails', async () => {
    const { calls, batcher } = recording((inputs) => inputs.includes(2));
    const outcomes = await Promise.allSettled([batcher.run(1), batcher.run(2), batcher.run(3)]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'row 1' },
      { status: 'rejected', reason: new Error('refused 2') },
      { status: 'fulfilled', value: 'row 3' },
    ]);
    expect(calls).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('a lone request that fails is rejected with the statement error, not retried', async () => {
    const { calls, batcher } = recording(() => true);
    await expect(batcher.run(7)).rejects.toThrow('refused 7');
    expect(calls).toEqual([[7]]);
  });

  it('a statement answering the wrong number of rows fails its requests', async () => {
    const batcher = new Batcher<number, number>(async () => [], 10);
    await expect(batcher.run(1)).rejects.toThrow('answered 0 rows for 1 inputs');
  });
});
