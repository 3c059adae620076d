import type { StepContext } from '../context.js';
import { PermanentError } from '../errors/classes.js';
import {
  type BaseHandlerOptions,
  type DefinedHandler,
  defineHandler,
  type HandlerArgs,
  type HandlerFn,
  type WithNames,
} from '../handler.js';
import { type StepHandlerResult, success } from '../results.js';
import {
  type BatchWorkerInputs,
  type CursorConfig,
  type JsonObject,
  type JsonValue,
  type StepExecutionResult,
  validate,
} from '../wire.js';
import { type CheckpointYield, checkpointYield } from './checkpoint.js';

/**
 * Batch ids are three-digit strings from `001`, as the Ruby, Python and TS SDKs write them (orchestration names
 * each worker `{worker_template_name}_{batch_id}`, and its own no-batches placeholder is `_000`). Rust's helpers
 * write `batch_001` instead; only the id differs, the split is Rust's (docs/upstream-workers.md §2.9).
 */
function batchId(index: number): string {
  return String(index + 1).padStart(3, '0');
}

/** `CursorConfig.batch_size` is a u32 on the wire. */
const MAX_BATCH_SIZE = 4_294_967_295;

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function requireItemCount(totalItems: number): void {
  if (!Number.isSafeInteger(totalItems) || totalItems < 0)
    throw new RangeError(`totalItems must be a non-negative integer, got ${totalItems}`);
}

function cursorConfig(index: number, start: number, end: number): CursorConfig {
  if (end - start > MAX_BATCH_SIZE) {
    throw new RangeError(`a batch of ${end - start} items is more than batch_size (a u32) can carry`);
  }
  return {
    batch_id: batchId(index),
    start_cursor: start,
    end_cursor: end,
    batch_size: end - start,
  } as CursorConfig;
}

/**
 * Splits `totalItems` among `workerCount` workers exactly as Rust's `BatchableCapable::create_cursor_configs`:
 * every worker gets `floor(total / workers)` items and the first `total % workers` one more, so 5 items over 4
 * workers are 2, 1, 1, 1 (the Ruby/Python/TS SDKs' ceiling split gives 2, 2, 1 and only 3 workers). There are
 * always `workerCount` configs, empty ones (start = end) when there are fewer items than workers; no items give
 * none. `test/conformance/cursor-splits.test.ts` compares it with vectors from upstream's own function.
 */
export function createCursorConfigs(totalItems: number, workerCount: number): CursorConfig[] {
  requirePositiveInteger('workerCount', workerCount);
  requireItemCount(totalItems);
  if (totalItems === 0) return [];
  const base = Math.floor(totalItems / workerCount);
  const remainder = totalItems % workerCount;
  const configs: CursorConfig[] = [];
  for (let i = 0, start = 0; i < workerCount; i++) {
    const end = start + base + (i < remainder ? 1 : 0);
    configs.push(cursorConfig(i, start, end));
    start = end;
  }
  return configs;
}

/**
 * Cuts `totalItems` into batches of `batchSize`, the last one shorter: Rust's `create_cursor_ranges(total, size,
 * None)`.
 */
export function createCursorConfigsBySize(totalItems: number, batchSize: number): CursorConfig[] {
  requirePositiveInteger('batchSize', batchSize);
  requireItemCount(totalItems);
  const configs: CursorConfig[] = [];
  for (let start = 0, i = 0; start < totalItems; start += batchSize, i++) {
    configs.push(cursorConfig(i, start, Math.min(start + batchSize, totalItems)));
  }
  return configs;
}

export interface BatchResultOptions {
  /** More keys written beside the outcome in `result`. */
  extra?: Record<string, unknown>;
  /** `metadata.custom`. */
  metadata?: Record<string, unknown>;
}

export interface CreateBatchesInput {
  /** The `type: batch_worker` template step the workers are created from. */
  workerTemplateName: string;
  cursorConfigs: readonly CursorConfig[];
  /** Defaults to the sum of the batch sizes. */
  totalItems?: number;
}

/**
 * An analyzer result that creates one worker per cursor config (`result.batch_processing_outcome`,
 * `type: create_batches`, docs/wire-types.md §7.2). Orchestration requires at least one config; use `noBatches`
 * for an empty dataset.
 */
export function createBatches(
  input: CreateBatchesInput,
  options: BatchResultOptions = {},
): StepHandlerResult {
  if (input.cursorConfigs.length === 0) {
    throw new PermanentError('createBatches needs at least one cursor config; return noBatches() instead', {
      errorCode: 'EMPTY_BATCHES',
    });
  }
  const totalItems = input.totalItems ?? input.cursorConfigs.reduce((sum, c) => sum + c.batch_size, 0);
  return success(
    {
      ...options.extra,
      batch_processing_outcome: {
        type: 'create_batches',
        worker_template_name: input.workerTemplateName,
        worker_count: input.cursorConfigs.length,
        cursor_configs: [...input.cursorConfigs],
        total_items: totalItems,
      },
    },
    options.metadata,
  );
}

/**
 * An analyzer result that creates no real workers (`type: no_batches`). Orchestration still creates one no-op
 * placeholder worker `{template}_000`, named after the batchable step's
 * `handler.initialization.worker_template_name`, which must therefore be set (docs/wire-types.md §7.2).
 */
export function noBatches(reason: string, options: BatchResultOptions = {}): StepHandlerResult {
  return success(
    { ...options.extra, batch_processing_outcome: { type: 'no_batches' }, reason },
    options.metadata,
  );
}

/** A batch worker's view of its `workflow_step.inputs` and of its checkpoint (docs/wire-types.md §7.3, §8.2). */
export interface BatchWorkerContext {
  readonly batchId: string;
  /** Inclusive; any JSON value (Rust's helpers write numbers). */
  readonly startCursor: JsonValue;
  /** Exclusive. */
  readonly endCursor: JsonValue;
  readonly batchSize: number;
  readonly cursorField: string;
  readonly failureStrategy: string;
  /** A placeholder created for `no_batches`: return `handleNoOpWorker`'s result without work. */
  readonly isNoOp: boolean;
  readonly hasCheckpoint: boolean;
  /** The checkpoint's cursor when resuming, else `startCursor`. */
  readonly resumeCursor: JsonValue;
  /** Items processed as of the checkpoint; 0 without one. */
  readonly itemsProcessed: number;
  /** State carried by the checkpoint, or undefined. */
  readonly accumulatedResults: JsonValue | undefined;
  /** Persist progress and continue in a new invocation (see `checkpointYield`). */
  checkpoint(cursor: unknown, itemsProcessed: number, accumulatedResults?: unknown): CheckpointYield;
}

/**
 * Reads the batch inputs of a worker step; a step without valid `BatchWorkerInputs` fails permanently, since
 * it was not created by batch orchestration.
 */
export function getBatchContext(context: StepContext<unknown>): BatchWorkerContext {
  const checked = validate('BatchWorkerInputs', context.stepInputs);
  if (!checked.ok) {
    throw new PermanentError(`Step '${context.stepName}' has no valid batch worker inputs`, {
      errorCode: 'INVALID_BATCH_INPUTS',
      context: { issues: checked.issues },
    });
  }
  const inputs = context.stepInputs as unknown as BatchWorkerInputs;
  const hasCheckpoint = context.hasCheckpoint();
  // Decoded from JSON (`stepInputs` is a JsonObject): the generated wire type says `unknown` for a serde Value.
  const start = inputs.cursor.start_cursor as JsonValue;
  return {
    batchId: inputs.cursor.batch_id,
    startCursor: start,
    endCursor: inputs.cursor.end_cursor as JsonValue,
    batchSize: inputs.cursor.batch_size,
    cursorField: inputs.batch_metadata.cursor_field,
    failureStrategy: inputs.batch_metadata.failure_strategy,
    isNoOp: inputs.is_no_op,
    hasCheckpoint,
    resumeCursor: hasCheckpoint ? (context.checkpointCursor() ?? null) : start,
    itemsProcessed: context.checkpointItemsProcessed,
    accumulatedResults: context.accumulatedResults(),
    checkpoint: (cursor, itemsProcessed, accumulatedResults) =>
      checkpointYield({ cursor, itemsProcessed, accumulatedResults }),
  };
}

/** The success a no-op placeholder worker returns, or null for a real worker. */
export function handleNoOpWorker(context: StepContext<unknown>): StepHandlerResult | null {
  const batch = getBatchContext(context);
  if (!batch.isNoOp) return null;
  return success({ batch_id: batch.batchId, no_op: true, items_processed: 0 });
}

export interface BatchWorkerSummary {
  itemsProcessed: number;
  itemsSucceeded?: number;
  itemsFailed?: number;
  itemsSkipped?: number;
  /** Anything else the aggregator should see, e.g. partial sums. */
  extra?: Record<string, unknown>;
}

/** A worker's success with the flat counter keys Rust and Ruby workers write. */
export function batchWorkerSuccess(
  summary: BatchWorkerSummary,
  metadata?: Record<string, unknown>,
): StepHandlerResult {
  return success(
    {
      ...summary.extra,
      items_processed: summary.itemsProcessed,
      items_succeeded: summary.itemsSucceeded ?? summary.itemsProcessed,
      items_failed: summary.itemsFailed ?? 0,
      items_skipped: summary.itemsSkipped ?? 0,
    },
    metadata,
  );
}

export interface BatchWorkerResult {
  stepName: string;
  /** The worker's value (`.result`). */
  value: unknown;
  execution: StepExecutionResult;
}

export type BatchAggregationScenario =
  | { type: 'no_batches'; batchableResult: StepExecutionResult; workerCount: 0 }
  | {
      type: 'with_batches';
      batchableResult: StepExecutionResult;
      workers: BatchWorkerResult[];
      workerCount: number;
    };

/**
 * Tells an aggregator (a `deferred_convergence` step) which case it is in, the way Rust's
 * `BatchAggregationScenario::detect` does: `no_batches` when the analyzer said so (the placeholder worker's
 * result is ignored), otherwise every ancestor named `{workerPrefix}…`, in name order. Neither is a
 * configuration error and fails permanently.
 */
export function detectAggregationScenario(
  context: StepContext<unknown>,
  batchableStepName: string,
  workerPrefix: string,
): BatchAggregationScenario {
  const batchableResult = context.getDependencyExecutionResult(batchableStepName);
  if (batchableResult === undefined) {
    throw new PermanentError(
      `Aggregator '${context.stepName}' has no result from batchable step '${batchableStepName}'`,
      {
        errorCode: 'MISSING_DEPENDENCY',
        context: { dependency: batchableStepName },
      },
    );
  }
  const outcome = (batchableResult.result as { batch_processing_outcome?: { type?: unknown } } | null)
    ?.batch_processing_outcome;
  if (outcome?.type === 'no_batches') return { type: 'no_batches', batchableResult, workerCount: 0 };
  const workers = context
    .getDependencyResultKeys()
    .filter((name) => name.startsWith(workerPrefix))
    .map((stepName) => {
      const execution = context.dependencyResults[stepName] as StepExecutionResult;
      return { stepName, value: execution.result, execution };
    });
  if (workers.length === 0) {
    throw new PermanentError(
      `No batch workers named '${workerPrefix}*' and '${batchableStepName}' did not return no_batches`,
      { errorCode: 'NO_BATCH_WORKERS', context: { worker_prefix: workerPrefix } },
    );
  }
  return { type: 'with_batches', batchableResult, workers, workerCount: workers.length };
}

/** Sums the flat counters of `batchWorkerSuccess` results across the workers of a scenario. */
export function summarizeBatchWorkers(scenario: BatchAggregationScenario): {
  worker_count: number;
  total_processed: number;
  total_succeeded: number;
  total_failed: number;
  total_skipped: number;
} {
  const totals = {
    worker_count: scenario.workerCount,
    total_processed: 0,
    total_succeeded: 0,
    total_failed: 0,
    total_skipped: 0,
  };
  if (scenario.type === 'no_batches') return totals;
  const count = (value: unknown, key: string) => {
    const n = (value as Record<string, unknown> | null)?.[key];
    return typeof n === 'number' ? n : 0;
  };
  for (const { value } of scenario.workers) {
    totals.total_processed += count(value, 'items_processed');
    totals.total_succeeded += count(value, 'items_succeeded');
    totals.total_failed += count(value, 'items_failed');
    totals.total_skipped += count(value, 'items_skipped');
  }
  return totals;
}

export type DefineBatchAnalyzerOptions<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
> = BaseHandlerOptions<TInput, TDeps, unknown, TConfig, TNames> & {
  /** The `type: batch_worker` template step to create workers from. */
  workerTemplate: string;
  /** Items per worker; defaults to the step config's `batch_size`, else 100. */
  batchSize?: number;
  /** Upper bound on workers; defaults to the step config's `max_workers`, else unbounded. */
  maxWorkers?: number;
};

export interface BatchAnalysis {
  totalItems: number;
  /** More keys beside the outcome in `result`. */
  extra?: Record<string, unknown>;
}

/**
 * A functional analyzer: the function counts the work, the helper cuts it into cursor configs (bounded by
 * `maxWorkers`), and zero items become an explicit `no_batches` (upstream's DSL made zero workers instead,
 * docs/upstream-workers.md §2.9). The function may also return its own `createBatches`/`noBatches` result.
 */
export function defineBatchAnalyzer<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: DefineBatchAnalyzerOptions<TInput, TDeps, TConfig, TNames>,
  fn: (
    args: HandlerArgs<TInput, WithNames<TDeps, TNames>, TConfig>,
  ) => BatchAnalysis | StepHandlerResult | Promise<BatchAnalysis | StepHandlerResult>,
): DefinedHandler<TInput, unknown> {
  const { workerTemplate, batchSize, maxWorkers, ...handlerOptions } = options;
  return defineHandler<TInput, TDeps, unknown, TConfig, never, TNames>(name, handlerOptions, async (args) => {
    const analysis = await fn(args);
    if (!('totalItems' in analysis)) return analysis;
    const extra = analysis.extra === undefined ? {} : { extra: analysis.extra };
    if (analysis.totalItems <= 0) return noBatches('empty_dataset', extra);
    const stepConfig = args.context.stepConfig;
    const size = batchSize ?? numberOr(stepConfig.batch_size, 100);
    const cap = maxWorkers ?? numberOr(stepConfig.max_workers, Number.POSITIVE_INFINITY);
    const cursorConfigs =
      Math.ceil(analysis.totalItems / size) > cap
        ? createCursorConfigs(analysis.totalItems, cap)
        : createCursorConfigsBySize(analysis.totalItems, size);
    return createBatches(
      { workerTemplateName: workerTemplate, cursorConfigs, totalItems: analysis.totalItems },
      extra,
    );
  });
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * A functional batch worker: no-op placeholders succeed without calling the function, and the function gets
 * the batch context (cursor range, checkpoint, `checkpoint()` to yield).
 */
export function defineBatchWorker<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: BaseHandlerOptions<TInput, TDeps, TResult, TConfig, TNames>,
  fn: HandlerFn<TInput, WithNames<TDeps, TNames>, TResult, TConfig, { batch: BatchWorkerContext }>,
): DefinedHandler<TInput, TResult> {
  return defineHandler<TInput, TDeps, TResult, TConfig, never, TNames>(name, options, (args) => {
    const noOp = handleNoOpWorker(args.context);
    // A placeholder's fixed no-op value is not the worker's result type, and no schema describes it.
    if (noOp !== null) return noOp as StepHandlerResult<never>;
    return fn({ ...args, batch: getBatchContext(args.context) });
  });
}

export type DefineBatchAggregatorOptions<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
> = BaseHandlerOptions<TInput, TDeps, TResult, TConfig, TNames> & {
  batchableStep: string;
  workerPrefix: string;
};

/** A functional aggregator: the function gets the detected scenario. */
export function defineBatchAggregator<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: DefineBatchAggregatorOptions<TInput, TDeps, TResult, TConfig, TNames>,
  fn: HandlerFn<TInput, WithNames<TDeps, TNames>, TResult, TConfig, { scenario: BatchAggregationScenario }>,
): DefinedHandler<TInput, TResult> {
  const { batchableStep, workerPrefix, ...handlerOptions } = options;
  return defineHandler<TInput, TDeps, TResult, TConfig, never, TNames>(name, handlerOptions, (args) =>
    fn({ ...args, scenario: detectAggregationScenario(args.context, batchableStep, workerPrefix) }),
  );
}
