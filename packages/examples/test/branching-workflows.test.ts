import { dependencyResult } from '@tasker-bridge/core/testing';
import { describe, expect, it } from 'vitest';
import { emptyCsv, loadTemplate, productsCsv, runTemplateStep } from './support.js';

describe('conditional approval routing', () => {
  const template = loadTemplate('conditional_approval_ts', 'approval_routing_ts');

  async function route(amount: number) {
    const request = { amount, requester: 'ada', purpose: 'laptop' };
    const validated = await runTemplateStep(template, 'validate_request_ts', { input: request });
    expect(validated.success).toBe(true);
    const decision = await runTemplateStep(template, 'routing_decision_ts', {
      input: request,
      dependencies: { validate_request_ts: validated.value },
    });
    expect(decision.problems).toEqual([]);
    const outcome = (decision.value as { decision_point_outcome: { step_names: string[] } })
      .decision_point_outcome;
    const branches: Record<string, unknown> = {};
    for (const step of outcome.step_names) {
      const run = await runTemplateStep(template, step, {
        dependencies: { validate_request_ts: validated.value },
      });
      branches[step] = run.value;
    }
    const final = await runTemplateStep(template, 'finalize_approval_ts', { dependencies: branches });
    return { steps: outcome.step_names, final: final.value };
  }

  it.each([
    [500, ['auto_approve_ts'], 1],
    [999.99, ['auto_approve_ts'], 1],
    [1000, ['manager_approval_ts'], 1],
    [2500, ['manager_approval_ts'], 1],
    [4999.99, ['manager_approval_ts'], 1],
    [5000, ['manager_approval_ts', 'finance_review_ts'], 2],
    [10_000, ['manager_approval_ts', 'finance_review_ts'], 2],
  ])('amount %d activates %j and finalizes with %i approvals', async (amount, steps, count) => {
    const { steps: created, final } = await route(amount);
    expect(created).toEqual(steps);
    expect(final).toMatchObject({ final_approved: true, approval_count: count });
  });

  it.each([
    [{ amount: 0, requester: 'ada', purpose: 'x' }],
    [{ amount: -5, requester: 'ada', purpose: 'x' }],
    [{ amount: 100, requester: ' ', purpose: 'x' }],
    [{ amount: 100, requester: 'ada', purpose: '' }],
  ])('rejects %j with a non-retryable validation_error', async (input) => {
    const run = await runTemplateStep(template, 'validate_request_ts', { input });
    expect(run.errorType).toBe('validation_error');
    expect(run.retryable).toBe(false);
  });
});

describe('CSV batch processing over the real products.csv', () => {
  const template = loadTemplate('csv_processing_ts', 'csv_product_inventory_analyzer_ts');
  const input = { csv_file_path: productsCsv, analysis_mode: 'inventory' };

  it('creates 5 workers of 200 rows and aggregates the reference totals', async () => {
    const analyzed = await runTemplateStep(template, 'analyze_csv_ts', { input });
    const outcome = (analyzed.value as { batch_processing_outcome: Record<string, unknown> })
      .batch_processing_outcome;
    expect(outcome).toMatchObject({
      type: 'create_batches',
      worker_template_name: 'process_csv_batch_ts',
      worker_count: 5,
      total_items: 1000,
    });
    const cursors = outcome.cursor_configs as {
      batch_id: string;
      start_cursor: number;
      end_cursor: number;
    }[];
    expect(cursors.map((c) => [c.batch_id, c.start_cursor, c.end_cursor])).toEqual([
      ['001', 0, 200],
      ['002', 200, 400],
      ['003', 400, 600],
      ['004', 600, 800],
      ['005', 800, 1000],
    ]);

    const workers: Record<string, unknown> = {};
    for (const cursor of cursors as never[]) {
      const run = await runTemplateStep(template, 'process_csv_batch_ts', {
        input,
        batch: { cursor, cursorField: 'row_number' },
        dependencies: { analyze_csv_ts: analyzed.value },
      });
      expect(run.success).toBe(true);
      expect(run.value).toMatchObject({ rows_processed: 200, inventory_value_cents: 711_760_940 });
      workers[`process_csv_batch_ts_${(cursor as { batch_id: string }).batch_id}`] = run.value;
    }
    const aggregate = await runTemplateStep(template, 'aggregate_csv_results_ts', {
      dependencyResults: {
        analyze_csv_ts: dependencyResult(analyzed.value),
        ...Object.fromEntries(Object.entries(workers).map(([k, v]) => [k, dependencyResult(v)])),
      },
    });
    expect(aggregate.value).toMatchObject({
      scenario: 'with_batches',
      total_processed: 1000,
      worker_count: 5,
      valid_products: 1000,
      invalid_products: 0,
      low_stock_items: 110,
      out_of_stock_items: 0,
      total_inventory_value: 35_588_047,
      max_price: 13_999.99,
      max_price_product: 'Rolex Submariner Watch',
      overall_average_rating: 3.8517,
    });
    const categories = (aggregate.value as { category_counts: Record<string, number> }).category_counts;
    expect(Object.keys(categories)).toHaveLength(11);
    expect(categories).toMatchObject({
      'kitchen-accessories': 300,
      groceries: 270,
      'mens-watches': 60,
      beauty: 50,
    });
  });

  it('a header-only file gives no_batches (empty_dataset)', async () => {
    const run = await runTemplateStep(template, 'analyze_csv_ts', { input: { csv_file_path: emptyCsv } });
    expect(run.value).toMatchObject({
      batch_processing_outcome: { type: 'no_batches' },
      reason: 'empty_dataset',
    });
  });

  it('a missing file is a permanent failure naming the path', async () => {
    const run = await runTemplateStep(template, 'analyze_csv_ts', {
      input: { csv_file_path: '/nonexistent.csv' },
    });
    expect(run.retryable).toBe(false);
    expect(run.result?.error?.message).toContain('/nonexistent.csv');
  });
});

describe('checkpoint / yield worker', () => {
  const template = loadTemplate('ts_e2e_checkpoint', 'checkpoint_yield_test_ts');
  const cursor = { batch_id: '001', start_cursor: 0, end_cursor: 100, batch_size: 100 };

  /** Runs the worker as the worker runtime does: re-invoke after each yield with the persisted checkpoint. */
  async function runWorker(
    input: Record<string, unknown>,
    attempts = 0,
    from?: { cursor: unknown; items_processed: number; accumulated_results: unknown },
  ) {
    let checkpoint = from;
    const yields: number[] = [];
    for (;;) {
      const run = await runTemplateStep(template, 'checkpoint_yield_batch_ts', {
        input,
        attempts,
        batch: { cursor },
        ...(checkpoint === undefined ? {} : { checkpoint: checkpoint as never }),
      });
      if (run.checkpoint === undefined) return { run, yields, checkpoint };
      yields.push(Number(run.checkpoint.items_processed));
      checkpoint = {
        cursor: run.checkpoint.cursor,
        items_processed: Number(run.checkpoint.items_processed),
        accumulated_results: run.checkpoint.accumulated_results,
      };
    }
  }

  it('100 items at 25 per checkpoint: yields at 25, 50, 75 and totals 5050', async () => {
    const { run, yields } = await runWorker({ total_items: 100, items_per_checkpoint: 25 });
    expect(yields).toEqual([25, 50, 75]);
    expect(run.value).toMatchObject({
      items_processed: 100,
      batch_metadata: { running_total: 5050, checkpoints_used: 4, final_cursor: 100 },
    });
  });

  it('a transient failure after 50 items resumes from the last checkpoint on attempt 2', async () => {
    const input = { total_items: 100, items_per_checkpoint: 20, fail_after_items: 50 };
    const first = await runWorker(input, 0);
    expect(first.yields).toEqual([20, 40]);
    expect(first.run).toMatchObject({ success: false, retryable: true, errorType: 'retryable_error' });
    const second = await runWorker(input, 1, first.checkpoint);
    expect(second.yields).toEqual([60, 80]);
    expect(second.run.value).toMatchObject({ items_processed: 100, batch_metadata: { running_total: 5050 } });
  });

  it('a permanent failure is not retryable', async () => {
    const { run } = await runWorker({
      total_items: 100,
      items_per_checkpoint: 25,
      fail_after_items: 30,
      permanent_failure: true,
    });
    expect(run).toMatchObject({ success: false, retryable: false, errorType: 'permanent_error' });
  });
});

describe('error scenarios', () => {
  it('success_only echoes the message', async () => {
    const run = await runTemplateStep(loadTemplate('test_scenarios_ts', 'success_only_ts'), 'success_step', {
      input: { message: 'hi' },
    });
    expect(run.value).toMatchObject({ message: 'hi', handler: 'SuccessStepHandler', language: 'typescript' });
  });

  it('permanent_error_only fails with permanent_error, not retryable', async () => {
    const run = await runTemplateStep(
      loadTemplate('test_scenarios_ts', 'permanent_error_only_ts'),
      'permanent_error_step_ts',
    );
    expect(run).toMatchObject({ success: false, errorType: 'permanent_error', retryable: false });
  });

  it('retryable_error_only fails with retryable_error, retryable', async () => {
    const run = await runTemplateStep(
      loadTemplate('test_scenarios_ts', 'retryable_error_only_ts'),
      'retryable_error_step_ts',
    );
    expect(run).toMatchObject({ success: false, errorType: 'retryable_error', retryable: true });
  });

  it('the demo flaky step fails retryably on attempt 1 and succeeds on attempt 2', async () => {
    const template = loadTemplate('demo_ts', 'flaky_once_demo_ts');
    const first = await runTemplateStep(template, 'fetch_quote', { attempts: 0 });
    expect(first).toMatchObject({ success: false, retryable: true });
    const second = await runTemplateStep(template, 'fetch_quote', { attempts: 1 });
    expect(second.value).toMatchObject({ recovered: true, attempt: 2 });
  });
});
