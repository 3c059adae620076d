import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExampleFleet } from '../harness.js';

/** The scenarios of this group, under whichever orchestrator `fleet` runs (../harness.ts). */
export function branchingScenarios(fleet: ExampleFleet): void {
  const fixture = (name: string) =>
    fileURLToPath(new URL(`../../../../packages/examples/test/fixtures/${name}`, import.meta.url));

  describe('conditional approval end to end: every boundary', () => {
    it.each([
      [500, ['auto_approve_ts'], 4],
      [999.99, ['auto_approve_ts'], 4],
      [1000, ['manager_approval_ts'], 4],
      [2500, ['manager_approval_ts'], 4],
      [4999.99, ['manager_approval_ts'], 4],
      [5000, ['finance_review_ts', 'manager_approval_ts'], 5],
      [10_000, ['finance_review_ts', 'manager_approval_ts'], 5],
    ])('amount %d creates %j (%i steps) and finalizes approved', async (amount, branches, stepCount) => {
      const run = await fleet.run('conditional_approval_ts', 'approval_routing_ts', {
        amount,
        requester: 'ada',
        purpose: 'conference travel',
      });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(stepCount);
      const created = Object.keys(run.states)
        .filter((s) => ['auto_approve_ts', 'manager_approval_ts', 'finance_review_ts'].includes(s))
        .sort();
      expect(created).toEqual(branches);
      expect(Object.values(run.states).every((s) => s === 'complete')).toBe(true);
      expect(run.value('finalize_approval_ts')).toMatchObject({
        final_approved: true,
        approval_count: branches.length,
      });
    });

    it('a non-positive amount fails validation permanently; no branch is created', async () => {
      const run = await fleet.run('conditional_approval_ts', 'approval_routing_ts', {
        amount: 0,
        requester: 'ada',
        purpose: 'x',
      });
      expect(run.state).toBe('blocked_by_failures');
      expect(run.states.validate_request_ts).toBe('error');
      expect(run.results('validate_request_ts')).toMatchObject({ error: { error_type: 'validation_error' } });
      expect(Object.keys(run.states)).not.toContain('auto_approve_ts');
    });
  });

  describe('CSV batch processing end to end over products.csv', () => {
    it('5 workers of 200 rows; the aggregate has the reference totals', async () => {
      const run = await fleet.run('csv_processing_ts', 'csv_product_inventory_analyzer_ts', {
        csv_file_path: fixture('products.csv'),
        analysis_mode: 'inventory',
      });
      expect(run.state).toBe('complete');
      const workers = Object.keys(run.states).filter((s) => s.startsWith('process_csv_batch_ts_'));
      expect(workers.sort()).toEqual(
        ['001', '002', '003', '004', '005'].map((i) => `process_csv_batch_ts_${i}`),
      );
      for (const w of workers) expect(run.value(w)).toMatchObject({ rows_processed: 200 });
      expect(run.value('aggregate_csv_results_ts')).toMatchObject({
        total_processed: 1000,
        worker_count: 5,
        valid_products: 1000,
        invalid_products: 0,
        total_inventory_value: 35_588_047,
        max_price: 13_999.99,
        max_price_product: 'Rolex Submariner Watch',
        overall_average_rating: 3.8517,
      });
      const categories = run.value<{ category_counts: Record<string, number> }>(
        'aggregate_csv_results_ts',
      ).category_counts;
      expect(Object.keys(categories)).toHaveLength(11);
      expect(categories['kitchen-accessories']).toBe(300);
    });

    it('a header-only CSV takes the no_batches path: one no-op worker, task complete', async () => {
      const run = await fleet.run('csv_processing_ts', 'csv_product_inventory_analyzer_ts', {
        csv_file_path: fixture('products_empty.csv'),
      });
      expect(run.state).toBe('complete');
      expect(run.value('analyze_csv_ts')).toMatchObject({ batch_processing_outcome: { type: 'no_batches' } });
      expect(run.value('process_csv_batch_ts_000')).toMatchObject({ no_op: true });
      expect(run.value('aggregate_csv_results_ts')).toMatchObject({
        scenario: 'no_batches',
        total_processed: 0,
      });
    });
  });

  describe('checkpoint / yield end to end', () => {
    it('100 items at 25 per checkpoint: running total 5050 in one attempt', async () => {
      const run = await fleet.run('ts_e2e_checkpoint', 'checkpoint_yield_test_ts', {
        total_items: 100,
        items_per_checkpoint: 25,
      });
      expect(run.state).toBe('complete');
      expect(run.attempts.checkpoint_yield_batch_ts_001).toBe(1);
      expect(run.value('aggregate_results_ts')).toMatchObject({
        total_processed: 100,
        running_total: 5050,
        item_count: 100,
        checkpoints_used: 4,
        test_passed: true,
        scenario: 'with_batches',
      });
    });

    it('a transient failure after 50 items ends COMPLETE after exactly 2 attempts, resuming from the checkpoint', async () => {
      const run = await fleet.run('ts_e2e_checkpoint', 'checkpoint_yield_test_ts', {
        total_items: 100,
        items_per_checkpoint: 20,
        fail_after_items: 50,
      });
      expect(run.state).toBe('complete');
      expect(run.states.checkpoint_yield_batch_ts_001).toBe('complete');
      expect(run.attempts.checkpoint_yield_batch_ts_001).toBe(2);
      expect(run.history('checkpoint_yield_batch_ts_001')).toContain('waiting_for_retry');
      expect(run.value('checkpoint_yield_batch_ts_001')).toMatchObject({
        items_processed: 100,
        batch_metadata: { running_total: 5050, attempt: 2 },
      });
      expect(run.value('aggregate_results_ts')).toMatchObject({ total_processed: 100, running_total: 5050 });
    });

    it('a permanent failure errors the worker without a retry', async () => {
      const run = await fleet.run('ts_e2e_checkpoint', 'checkpoint_yield_test_ts', {
        total_items: 100,
        items_per_checkpoint: 25,
        fail_after_items: 30,
        permanent_failure: true,
      });
      expect(run.state).toBe('blocked_by_failures');
      expect(run.states.checkpoint_yield_batch_ts_001).toBe('error');
      expect(run.attempts.checkpoint_yield_batch_ts_001).toBeLessThanOrEqual(3);
      expect(run.attempts.checkpoint_yield_batch_ts_001).toBe(1);
    });
  });

  describe('error scenarios end to end', () => {
    it('success_only: one step complete with the echoed message', async () => {
      const run = await fleet.run('test_scenarios_ts', 'success_only_ts', { message: 'hello' });
      expect(run.state).toBe('complete');
      expect(run.value('success_step')).toMatchObject({
        message: 'hello',
        handler: 'SuccessStepHandler',
        language: 'typescript',
      });
    });

    it('permanent_error_only: ERROR on the first attempt, no retry', async () => {
      const run = await fleet.run('test_scenarios_ts', 'permanent_error_only_ts', {});
      expect(run.states.permanent_error_step_ts).toBe('error');
      expect(run.attempts.permanent_error_step_ts).toBe(1);
      // Straight to error: never waiting for a retry.
      expect(run.history('permanent_error_step_ts')).toEqual([
        'pending',
        'enqueued',
        'in_progress',
        'enqueued_as_error_for_orchestration',
        'error',
      ]);
      expect(run.results('permanent_error_step_ts')).toMatchObject({
        error: { error_type: 'permanent_error', retryable: false },
        metadata: { retryable: false },
      });
    });

    it('retryable_error_only: retried until max_attempts (3) are spent, then ERROR', async () => {
      const run = await fleet.run('test_scenarios_ts', 'retryable_error_only_ts', {});
      expect(run.states.retryable_error_step_ts).toBe('error');
      expect(run.attempts.retryable_error_step_ts).toBe(3);
      // Each failed attempt but the last waits for its retry (the backoff) and goes back to pending before it is
      // enqueued again; the third ends in error. The order of transitions proves it, not the wall time (which a
      // busy machine stretches).
      const attempt = ['pending', 'enqueued', 'in_progress', 'enqueued_as_error_for_orchestration'];
      expect(run.history('retryable_error_step_ts')).toEqual([
        ...attempt,
        'waiting_for_retry',
        ...attempt,
        'waiting_for_retry',
        ...attempt,
        'error',
      ]);
      expect(run.results('retryable_error_step_ts')).toMatchObject({
        error: { error_type: 'retryable_error', retryable: true },
      });
    });

    it('error_testing_handler: upstream callable spellings resolve; each step fails or succeeds as its kind should', async () => {
      const run = await fleet.run('test_errors_ts', 'error_testing_handler_ts', {});
      // The permanent error blocks the task at once (blocked_by_failures). Orchestration does not re-enqueue the
      // retryable step of a blocked task, so it stays failed-retryably rather than using its 3 attempts.
      expect(run.state).toBe('blocked_by_failures');
      expect(run.states.success_step).toBe('complete');
      expect(run.states.permanent_error_step).toBe('error');
      expect(run.attempts.permanent_error_step).toBe(1);
      expect(run.results('permanent_error_step')).toMatchObject({
        error: { error_type: 'permanent_error', retryable: false },
      });
      // The retryable step runs beside the others, so the task can be blocked at any point of its life: before a
      // worker took its message (`enqueued`, no result yet), while it runs, after it failed retryably, or when its
      // retry is already on its way back (`pending`, `enqueued`). Once it has failed, its result says so.
      const retryable = run.history('retryable_error_step');
      expect([
        'in_progress',
        'enqueued_as_error_for_orchestration',
        'waiting_for_retry',
        'pending',
        'enqueued',
        'error',
      ]).toContain(run.states.retryable_error_step);
      if (retryable.includes('enqueued_as_error_for_orchestration')) {
        expect(run.results('retryable_error_step')).toMatchObject({
          error: { error_type: 'retryable_error', retryable: true },
        });
      } else {
        expect(['enqueued', 'in_progress']).toContain(run.states.retryable_error_step);
        expect(run.results('retryable_error_step')).toBeNull();
      }
    });

    it('the demo flaky step fails once, is retried and succeeds on attempt 2', async () => {
      const run = await fleet.run('demo_ts', 'flaky_once_demo_ts', {});
      expect(run.state).toBe('complete');
      expect(run.attempts.fetch_quote).toBe(2);
      expect(run.value('fetch_quote')).toMatchObject({ recovered: true, attempt: 2 });
    });
  });
}
