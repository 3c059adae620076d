import type { StepContext } from '../context.js';
import { markHandlerBase, StepHandler } from '../handler.js';
import type { StepHandlerResult } from '../results.js';
import type { CursorConfig } from '../wire.js';
import {
  type BatchAggregationScenario,
  type BatchResultOptions,
  type BatchWorkerContext,
  type BatchWorkerSummary,
  batchWorkerSuccess,
  type CreateBatchesInput,
  createBatches,
  createCursorConfigs,
  createCursorConfigsBySize,
  detectAggregationScenario,
  getBatchContext,
  handleNoOpWorker,
  noBatches,
  summarizeBatchWorkers,
} from './batchable.js';

/**
 * Base class for the three roles of a batch (docs/upstream-workers.md §2.9), as upstream's `Batchable` mixins
 * offer them to class handlers: the analyzer (`createCursorConfigs` / `createBatches` / `noBatches`), the worker
 * (`getBatchContext`, `handleNoOpWorker`, `batchWorkerSuccess`, `this.checkpointYield`) and the aggregator
 * (`detectAggregationScenario`, `summarizeBatchWorkers`). Each method is the function of the same name in
 * `handlers/batchable.ts`; the functional forms are `defineBatchAnalyzer`, `defineBatchWorker` and
 * `defineBatchAggregator`. None of them is a `handler.method` entry point.
 */
export abstract class BatchableHandler extends StepHandler {
  static {
    markHandlerBase(BatchableHandler);
  }

  /** Rust's split: `floor(total / workers)` each, the remainder to the first workers (`createCursorConfigs`). */
  protected createCursorConfigs(totalItems: number, workerCount: number): CursorConfig[] {
    return createCursorConfigs(totalItems, workerCount);
  }

  /** Batches of `batchSize`, the last one shorter. */
  protected createCursorConfigsBySize(totalItems: number, batchSize: number): CursorConfig[] {
    return createCursorConfigsBySize(totalItems, batchSize);
  }

  /** The analyzer's `create_batches` outcome; at least one cursor config. */
  protected createBatches(input: CreateBatchesInput, options?: BatchResultOptions): StepHandlerResult {
    return createBatches(input, options);
  }

  /** The analyzer's `no_batches` outcome (the batchable step needs `initialization.worker_template_name`). */
  protected noBatches(reason: string, options?: BatchResultOptions): StepHandlerResult {
    return noBatches(reason, options);
  }

  /** The worker's cursor, metadata and checkpoint; a step without batch inputs fails permanently. */
  protected getBatchContext(context: StepContext<unknown>): BatchWorkerContext {
    return getBatchContext(context);
  }

  /** The result for a no-op placeholder worker, or null for a real one. */
  protected handleNoOpWorker(context: StepContext<unknown>): StepHandlerResult | null {
    return handleNoOpWorker(context);
  }

  /** A worker's success with the flat counters Rust and Ruby workers write. */
  protected batchWorkerSuccess(
    summary: BatchWorkerSummary,
    metadata?: Record<string, unknown>,
  ): StepHandlerResult {
    return batchWorkerSuccess(summary, metadata);
  }

  /** The aggregator's view: `no_batches`, or every worker named `{workerPrefix}…` in name order. */
  protected detectAggregationScenario(
    context: StepContext<unknown>,
    batchableStep: string,
    workerPrefix: string,
  ): BatchAggregationScenario {
    return detectAggregationScenario(context, batchableStep, workerPrefix);
  }

  /** The workers' counters summed. */
  protected summarizeBatchWorkers(
    scenario: BatchAggregationScenario,
  ): ReturnType<typeof summarizeBatchWorkers> {
    return summarizeBatchWorkers(scenario);
  }
}
