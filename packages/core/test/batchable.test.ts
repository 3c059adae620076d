import { type CursorConfig, validate } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import {
  BatchableHandler,
  batchWorkerSuccess,
  createBatches,
  createCursorConfigs,
  createCursorConfigsBySize,
  defineBatchAggregator,
  defineBatchAnalyzer,
  defineBatchWorker,
  getBatchContext,
  noBatches,
  type StepContext,
  summarizeBatchWorkers,
} from '../src/index.js';
import { createStepContext, dependencyResult, runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

const template = {
  name: 'csv_product_inventory_analyzer',
  namespace_name: 'csv_processing',
  version: '1.0.0',
  steps: [
    {
      name: 'analyze_csv',
      type: 'batchable' as const,
      handler: {
        callable: 'Analyze',
        initialization: { batch_size: 200, max_workers: 5, worker_template_name: 'process_csv_batch' },
      },
    },
    {
      name: 'process_csv_batch',
      type: 'batch_worker' as const,
      dependencies: ['analyze_csv'],
      handler: { callable: 'Process', initialization: { processing_mode: 'inventory' } },
    },
    {
      name: 'aggregate_csv_results',
      type: 'deferred_convergence' as const,
      dependencies: ['process_csv_batch'],
      handler: { callable: 'Aggregate' },
    },
  ],
};

describe('cursor configs', () => {
  it("splits by worker count as Rust's create_cursor_configs: remainder to the first workers", () => {
    expect(createCursorConfigs(1000, 3)).toEqual([
      { batch_id: '001', start_cursor: 0, end_cursor: 334, batch_size: 334 },
      { batch_id: '002', start_cursor: 334, end_cursor: 667, batch_size: 333 },
      { batch_id: '003', start_cursor: 667, end_cursor: 1000, batch_size: 333 },
    ]);
    // The case: 5 items over 4 workers are 4 workers (the ceiling split gave 3).
    expect(createCursorConfigs(5, 4).map((c) => c.batch_size)).toEqual([2, 1, 1, 1]);
    // Fewer items than workers: every worker still gets a config, the last ones empty (start = end).
    expect(createCursorConfigs(2, 3).map((c) => [c.start_cursor, c.end_cursor])).toEqual([
      [0, 1],
      [1, 2],
      [2, 2],
    ]);
    expect(createCursorConfigs(0, 3)).toEqual([]);
  });

  it('rejects what no split can carry', () => {
    expect(() => createCursorConfigs(10, 0)).toThrow(RangeError);
    expect(() => createCursorConfigs(-1, 2)).toThrow(/totalItems/);
    expect(() => createCursorConfigs(1.5, 2)).toThrow(/totalItems/);
    expect(() => createCursorConfigs(2 ** 33, 1)).toThrow(/u32/);
    expect(() => createCursorConfigsBySize(10, 0)).toThrow(/batchSize/);
  });

  it('splits by batch size', () => {
    expect(createCursorConfigsBySize(350, 200)).toEqual([
      { batch_id: '001', start_cursor: 0, end_cursor: 200, batch_size: 200 },
      { batch_id: '002', start_cursor: 200, end_cursor: 350, batch_size: 150 },
    ]);
  });
});

describe('batch analyzer', () => {
  const analyzer = defineBatchAnalyzer('Analyze', { workerTemplate: 'process_csv_batch' }, ({ context }) => ({
    totalItems: context.getInput<number>('rows'),
    extra: { source: 'products.csv' },
  }));

  it('creates cursor configs from the step config (batch_size 200, max_workers 5)', async () => {
    const run = await runHandler(analyzer, { template, input: { rows: 1000 } });
    const value = expectWireValid(run.result).result as { batch_processing_outcome: unknown; source: string };
    expect(value.source).toBe('products.csv');
    expect(validate('BatchProcessingOutcome', value.batch_processing_outcome).ok).toBe(true);
    expect(value.batch_processing_outcome).toMatchObject({
      type: 'create_batches',
      worker_template_name: 'process_csv_batch',
      worker_count: 5,
      total_items: 1000,
    });
    const capped = await runHandler(analyzer, { template, input: { rows: 5000 } });
    expect(
      (capped.value as { batch_processing_outcome: { worker_count: number } }).batch_processing_outcome
        .worker_count,
    ).toBe(5);
  });

  it('returns an explicit no_batches for an empty dataset', async () => {
    const run = await runHandler(analyzer, { template, input: { rows: 0 } });
    expect(expectWireValid(run.result).result).toEqual({
      source: 'products.csv',
      batch_processing_outcome: { type: 'no_batches' },
      reason: 'empty_dataset',
    });
  });

  it('fails permanently when no_batches lacks worker_template_name, or batches are empty', async () => {
    const bare = { ...template, steps: [{ ...template.steps[0], handler: { callable: 'Analyze' } }] };
    const run = await runHandler(analyzer, { template: bare as never, input: { rows: 0 } });
    expect(run).toMatchObject({ success: false, retryable: false, errorType: 'invalid_outcome' });
    expect(() => createBatches({ workerTemplateName: 'w', cursorConfigs: [] })).toThrow(/noBatches/);
    expect(noBatches('r').result).toEqual({ batch_processing_outcome: { type: 'no_batches' }, reason: 'r' });
  });
});

describe('batch worker', () => {
  const cursor = { batch_id: '002', start_cursor: 200, end_cursor: 400, batch_size: 200 };
  const worker = defineBatchWorker('Process', {}, ({ batch }) =>
    batchWorkerSuccess({
      itemsProcessed: batch.batchSize,
      itemsFailed: 1,
      extra: { batch_id: batch.batchId },
    }),
  );

  it('reads the cursor, metadata and initialization from the worker inputs', () => {
    const ctx = createStepContext({ template, stepName: 'process_csv_batch', batch: { cursor } });
    expect(ctx.stepName).toBe('process_csv_batch_002');
    expect(ctx.templateStepName).toBe('process_csv_batch');
    expect(ctx.stepInputs.processing_mode).toBe('inventory');
    expect(getBatchContext(ctx)).toMatchObject({
      batchId: '002',
      startCursor: 200,
      endCursor: 400,
      batchSize: 200,
      cursorField: 'id',
      failureStrategy: 'continue_on_failure',
      isNoOp: false,
      hasCheckpoint: false,
      resumeCursor: 200,
      itemsProcessed: 0,
    });
  });

  it('exposes the checkpoint to resume from', () => {
    const ctx = createStepContext({
      template,
      stepName: 'process_csv_batch',
      batch: { cursor },
      checkpoint: { cursor: 250, items_processed: 50, accumulated_results: { sum: 3 } },
    });
    expect(getBatchContext(ctx)).toMatchObject({
      hasCheckpoint: true,
      resumeCursor: 250,
      itemsProcessed: 50,
      accumulatedResults: { sum: 3 },
    });
  });

  it('writes flat counters', async () => {
    const run = await runHandler(worker, { template, stepName: 'process_csv_batch', batch: { cursor } });
    expect(expectWireValid(run.result).result).toEqual({
      batch_id: '002',
      items_processed: 200,
      items_succeeded: 200,
      items_failed: 1,
      items_skipped: 0,
    });
  });

  it('short-circuits a no-op placeholder worker', async () => {
    const run = await runHandler(worker, {
      template,
      stepName: 'process_csv_batch',
      batch: { cursor: { batch_id: '000', start_cursor: 0, end_cursor: 0, batch_size: 0 }, isNoOp: true },
    });
    expect(run.value).toEqual({ batch_id: '000', no_op: true, items_processed: 0 });
  });

  it('fails permanently when the step is not a batch worker instance', async () => {
    const run = await runHandler(worker, { template, stepName: 'process_csv_batch' });
    expect(run).toMatchObject({ success: false, retryable: false });
    expect(run.result?.metadata.error_code).toBe('INVALID_BATCH_INPUTS');
  });
});

describe('batch aggregator', () => {
  const aggregator = defineBatchAggregator(
    'Aggregate',
    { batchableStep: 'analyze_csv', workerPrefix: 'process_csv_batch_' },
    ({ scenario }) => ({ scenario: scenario.type, ...summarizeBatchWorkers(scenario) }),
  );
  const counters = (n: number) => ({
    items_processed: n,
    items_succeeded: n - 1,
    items_failed: 1,
    items_skipped: 0,
  });

  it('detects the with-batches scenario and sums the workers', async () => {
    const run = await runHandler(aggregator, {
      template,
      stepName: 'aggregate_csv_results',
      dependencies: {
        analyze_csv: { batch_processing_outcome: { type: 'create_batches' } },
        process_csv_batch_001: counters(200),
        process_csv_batch_002: counters(150),
      },
    });
    expect(expectWireValid(run.result).result).toEqual({
      scenario: 'with_batches',
      worker_count: 2,
      total_processed: 350,
      total_succeeded: 348,
      total_failed: 2,
      total_skipped: 0,
    });
  });

  it('detects the no-batches scenario and ignores the placeholder worker', async () => {
    const run = await runHandler(aggregator, {
      template,
      stepName: 'aggregate_csv_results',
      dependencies: {
        analyze_csv: { batch_processing_outcome: { type: 'no_batches' } },
        process_csv_batch_000: { no_op: true, items_processed: 0 },
      },
    });
    expect(run.value).toMatchObject({ scenario: 'no_batches', worker_count: 0, total_processed: 0 });
  });

  it('fails permanently on a configuration error (no analyzer result, or no workers)', async () => {
    const noAnalyzer = await runHandler(aggregator, { template, stepName: 'aggregate_csv_results' });
    expect(noAnalyzer.result?.metadata.error_code).toBe('MISSING_DEPENDENCY');
    const noWorkers = await runHandler(aggregator, {
      template,
      stepName: 'aggregate_csv_results',
      dependencyResults: {
        analyze_csv: dependencyResult({ batch_processing_outcome: { type: 'create_batches' } }),
      },
    });
    expect(noWorkers).toMatchObject({ success: false, retryable: false });
    expect(noWorkers.result?.metadata.error_code).toBe('NO_BATCH_WORKERS');
  });
});

describe('BatchableHandler (the class form)', () => {
  class Analyze extends BatchableHandler {
    call(ctx: StepContext) {
      const rows = Number(ctx.getInput('rows'));
      if (rows === 0) return this.noBatches('empty_dataset');
      return this.createBatches({
        workerTemplateName: 'process_csv_batch',
        cursorConfigs: this.createCursorConfigs(rows, 4),
      });
    }
  }
  class Process extends BatchableHandler {
    call(ctx: StepContext) {
      const noOp = this.handleNoOpWorker(ctx);
      if (noOp !== null) return noOp;
      const batch = this.getBatchContext(ctx);
      const items = Number(batch.endCursor) - Number(batch.startCursor);
      return this.batchWorkerSuccess({ itemsProcessed: items, extra: { batch_id: batch.batchId } });
    }
  }
  class Aggregate extends BatchableHandler {
    call(ctx: StepContext) {
      return this.summarizeBatchWorkers(
        this.detectAggregationScenario(ctx, 'analyze_csv', 'process_csv_batch_'),
      );
    }
  }

  it('runs analyzer, workers and aggregator with the Rust split', async () => {
    const analyzed = await runHandler(Analyze, { template, input: { rows: 5 } });
    const outcome = (
      expectWireValid(analyzed.result).result as {
        batch_processing_outcome: { cursor_configs: CursorConfig[] };
      }
    ).batch_processing_outcome;
    expect(outcome.cursor_configs.map((c) => c.batch_size)).toEqual([2, 1, 1, 1]);

    const workers: Record<string, unknown> = {};
    for (const cursor of outcome.cursor_configs) {
      const run = await runHandler(Process, { template, stepName: 'process_csv_batch', batch: { cursor } });
      workers[`process_csv_batch_${cursor.batch_id}`] = run.value;
    }
    expect(workers.process_csv_batch_001).toMatchObject({ batch_id: '001', items_processed: 2 });

    const totals = await runHandler(Aggregate, {
      template,
      stepName: 'aggregate_csv_results',
      dependencies: { analyze_csv: analyzed.value, ...workers },
    });
    expect(totals.value).toEqual({
      worker_count: 4,
      total_processed: 5,
      total_succeeded: 5,
      total_failed: 0,
      total_skipped: 0,
    });
  });

  it('keeps its helpers out of method dispatch', async () => {
    const run = await runHandler(Analyze, {
      template,
      input: { rows: 5 },
      handler: { callable: 'Analyze', method: 'createCursorConfigs' },
    });
    expect(run.errorType).toBe('method_not_found');
  });
});
