import { validate } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import {
  type BatchWorkerContext,
  CheckpointYield,
  checkpointYield,
  defineBatchWorker,
  HandlerRegistry,
  noopLogger,
  PermanentError,
  RetryableError,
  runStep,
} from '../src/index.js';
import { buildTaskSequenceStep } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

/** The checkpoint_yield test worker of docs/upstream-workers.md §4.2: item i has value i+1, yields every N items. */
function checkpointWorker(itemsPerCheckpoint: number, failAt?: { items: number; attempt: number }) {
  return defineBatchWorker('Checkpointed', {}, ({ batch, context }) => {
    const { sum } = (batch.accumulatedResults as { sum: number } | undefined) ?? { sum: 0 };
    let processed = batch.itemsProcessed;
    let total = sum;
    const end = batch.endCursor as number;
    for (let i = batch.resumeCursor as number; i < end; i++) {
      if (failAt !== undefined && processed === failAt.items && context.attempt === failAt.attempt) {
        throw new RetryableError(`transient failure after ${processed} items`);
      }
      total += i + 1;
      processed += 1;
      if (processed % itemsPerCheckpoint === 0 && i + 1 < end) return yieldAt(batch, i + 1, processed, total);
    }
    return { total_processed: processed, running_total: total };
  });
}

function yieldAt(batch: BatchWorkerContext, cursor: number, processed: number, total: number) {
  return batch.checkpoint(cursor, processed, { sum: total });
}

/** Plays the worker's part: persist each yield as the step's checkpoint and run again (docs/protocol.md §6.3). */
async function runToCompletion(registry: HandlerRegistry, attempts = 0, startCheckpoint: unknown = null) {
  const step = buildTaskSequenceStep({
    handler: { callable: 'Checkpointed' },
    stepDefinition: { name: 'checkpoint_yield_batch' },
    batch: { cursor: { batch_id: '001', start_cursor: 0, end_cursor: 100, batch_size: 100 } },
    attempts,
  });
  step.workflow_step.checkpoint = startCheckpoint;
  let yields = 0;
  for (;;) {
    const outcome = await runStep({
      registry,
      step,
      signal: new AbortController().signal,
      logger: noopLogger,
    });
    if (outcome.type === 'result')
      return { result: outcome.result, yields, checkpoint: step.workflow_step.checkpoint };
    expect(validate('CheckpointYieldData', outcome.checkpoint).ok).toBe(true);
    expect(outcome.checkpoint.step_uuid).toBe(step.workflow_step.workflow_step_uuid);
    yields += 1;
    const { step_uuid: _uuid, ...record } = outcome.checkpoint;
    step.workflow_step.checkpoint = { ...record, timestamp: new Date().toISOString(), history: [] };
  }
}

describe('checkpoint yield', () => {
  it('validates what it persists', () => {
    expect(checkpointYield({ cursor: 5, itemsProcessed: 5 })).toBeInstanceOf(CheckpointYield);
    expect(() => checkpointYield({ cursor: 5, itemsProcessed: -1 })).toThrow(PermanentError);
    expect(() => checkpointYield({ cursor: 5, itemsProcessed: 1.5 })).toThrow(/non-negative integer/);
    expect(() => checkpointYield({ cursor: undefined, itemsProcessed: 0 })).toThrow(/cursor/);
  });

  it('yields every 25 items and resumes until all 100 are processed (running total 5050)', async () => {
    const registry = new HandlerRegistry().register('Checkpointed', checkpointWorker(25));
    const { result, yields } = await runToCompletion(registry);
    expect(yields).toBe(3);
    expect(expectWireValid(result).result).toEqual({ total_processed: 100, running_total: 5050 });
  });

  it('resumes from the persisted checkpoint after a transient failure, on the next attempt', async () => {
    const registry = new HandlerRegistry().register(
      'Checkpointed',
      checkpointWorker(20, { items: 50, attempt: 1 }),
    );
    const first = await runToCompletion(registry, 0);
    expect(first.result).toMatchObject({ success: false, metadata: { retryable: true } });
    expect(first.checkpoint).toMatchObject({ cursor: 40, items_processed: 40 });
    const second = await runToCompletion(registry, 1, first.checkpoint);
    expect(second.result.result).toEqual({ total_processed: 100, running_total: 5050 });
  });
});
