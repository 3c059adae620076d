import {
  createBatches,
  createCursorConfigs,
  defineBatchAggregator,
  defineBatchWorker,
  defineHandler,
  failure,
  jsonSchema,
  noBatches,
} from '@tasker-bridge/core';

/**
 * Checkpoint / yield `ts_e2e_checkpoint/checkpoint_yield_test_ts`: the analyzer makes one batch over
 * `total_items` items; the worker processes item i (id `item_%04d`, value i + 1) one at a time and yields a
 * checkpoint every `items_per_checkpoint` items, so each invocation does a bounded amount of work and a retry
 * resumes from the last checkpoint instead of from the start (docs/upstream-workers.md §2.10, §4.2).
 *
 * Failure injection for the tests: `fail_after_items` (with `fail_on_attempt`, default 1) fails once that many
 * items are done on that attempt; `permanent_failure: true` makes it permanent. With 100 items, 20 per
 * checkpoint and a transient failure after 50, attempt 1 yields at 20 and 40 and fails at 50; attempt 2
 * resumes at 40 and completes: exactly 2 attempts, 100 items, running total 5050.
 */
const NS = 'checkpoint_yield.step_handlers';
export const CHECKPOINT_WORKER_TEMPLATE = 'checkpoint_yield_batch_ts';

interface CheckpointInput {
  total_items?: number;
  items_per_checkpoint?: number;
  fail_after_items?: number;
  fail_on_attempt?: number;
  permanent_failure?: boolean;
}

const count = { type: 'integer', minimum: 0 };

/** The task context, checked before the handlers run (a wrong type is a permanent validation_error). */
const checkpointInput = jsonSchema<CheckpointInput>({
  type: 'object',
  properties: {
    total_items: count,
    items_per_checkpoint: { type: 'integer', minimum: 1 },
    fail_after_items: count,
    fail_on_attempt: { type: 'integer', minimum: 1 },
    permanent_failure: { type: 'boolean' },
  },
});

/** The template's `initialization` of the analyzer and of the worker. */
const checkpointConfig = jsonSchema<{
  total_items?: number;
  items_per_checkpoint?: number;
  worker_template_name?: string;
}>({
  type: 'object',
  properties: {
    total_items: count,
    items_per_checkpoint: { type: 'integer', minimum: 1 },
    worker_template_name: { type: 'string', minLength: 1 },
  },
});

interface Accumulated {
  running_total: number;
  item_ids: string[];
}

export const CheckpointYieldAnalyzerHandler = defineHandler(
  `${NS}.CheckpointYieldAnalyzerHandler`,
  { input: checkpointInput, config: checkpointConfig },
  ({ input, config }) => {
    const total = input.total_items ?? config.total_items ?? 100;
    const template = config.worker_template_name ?? CHECKPOINT_WORKER_TEMPLATE;
    if (total <= 0) return noBatches('no_items_to_process', { extra: { total_items: 0 } });
    return createBatches(
      { workerTemplateName: template, cursorConfigs: createCursorConfigs(total, 1) },
      { extra: { total_items: total } },
    );
  },
);

export const CheckpointYieldWorkerHandler = defineBatchWorker(
  `${NS}.CheckpointYieldWorkerHandler`,
  { input: checkpointInput, config: checkpointConfig },
  ({ input, config, batch, context }) => {
    const perCheckpoint = input.items_per_checkpoint ?? config.items_per_checkpoint ?? 25;
    const end = Number(batch.endCursor);
    let cursor = Number(batch.resumeCursor);
    let processed = batch.itemsProcessed;
    // A copy: the checkpoint in the context is the step's input and stays as persisted.
    const previous = batch.accumulatedResults as Accumulated | undefined;
    const acc: Accumulated = {
      running_total: previous?.running_total ?? 0,
      item_ids: [...(previous?.item_ids ?? [])],
    };
    // Failure injection applies on one attempt only (`fail_on_attempt`, default the first).
    const failAfter = context.attempt === (input.fail_on_attempt ?? 1) ? input.fail_after_items : undefined;

    let inThisRun = 0;
    while (cursor < end) {
      if (failAfter !== undefined && processed >= failAfter) {
        const permanent = input.permanent_failure === true;
        return failure(`Injected ${permanent ? 'permanent' : 'transient'} failure after ${processed} items`, {
          errorType: permanent ? 'permanent_error' : 'retryable_error',
          retryable: !permanent,
          metadata: { items_processed: processed, cursor_at_failure: cursor },
        });
      }
      acc.running_total += cursor + 1;
      acc.item_ids.push(`item_${String(cursor).padStart(4, '0')}`);
      cursor++;
      processed++;
      inThisRun++;
      if (inThisRun >= perCheckpoint && cursor < end) return batch.checkpoint(cursor, processed, acc);
    }
    return {
      items_processed: processed,
      items_succeeded: processed,
      items_failed: 0,
      batch_metadata: {
        running_total: acc.running_total,
        item_ids: acc.item_ids,
        final_cursor: cursor,
        // Upstream TS reports floor(items / per checkpoint): 4 for 100 items at 25.
        checkpoints_used: Math.floor(processed / perCheckpoint),
        attempt: context.attempt,
      },
    };
  },
);

export const CheckpointYieldAggregatorHandler = defineBatchAggregator(
  `${NS}.CheckpointYieldAggregatorHandler`,
  { batchableStep: 'analyze_items_ts', workerPrefix: `${CHECKPOINT_WORKER_TEMPLATE}_` },
  ({ scenario }) => {
    if (scenario.type === 'no_batches')
      return { total_processed: 0, running_total: 0, test_passed: true, scenario: 'no_batches' };
    let totalProcessed = 0;
    let runningTotal = 0;
    let itemCount = 0;
    let checkpointsUsed = 0;
    for (const { value } of scenario.workers) {
      const r = value as {
        items_processed: number;
        batch_metadata: Accumulated & { checkpoints_used: number };
      };
      totalProcessed += r.items_processed;
      runningTotal += r.batch_metadata.running_total;
      itemCount += r.batch_metadata.item_ids.length;
      checkpointsUsed += r.batch_metadata.checkpoints_used;
    }
    return {
      total_processed: totalProcessed,
      running_total: runningTotal,
      item_count: itemCount,
      checkpoints_used: checkpointsUsed,
      worker_count: scenario.workerCount,
      test_passed: true,
      scenario: 'with_batches',
    };
  },
);

export const checkpointHandlers = [
  CheckpointYieldAnalyzerHandler,
  CheckpointYieldWorkerHandler,
  CheckpointYieldAggregatorHandler,
] as const;
