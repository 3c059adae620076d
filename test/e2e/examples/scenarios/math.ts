import { describe, expect, it } from 'vitest';
import type { ExampleFleet } from '../harness.js';

/** The scenarios of this group, under whichever orchestrator `fleet` runs (../harness.ts). */
export function mathScenarios(fleet: ExampleFleet): void {
  describe('linear workflow end to end', () => {
    it('n=6: 36 → 46 → 138 → 69, four steps complete', async () => {
      const run = await fleet.run('linear_workflow_ts', 'mathematical_sequence_ts', { even_number: 6 });
      expect(run.state).toBe('complete');
      expect(run.states).toEqual({
        linear_step_1: 'complete',
        linear_step_2: 'complete',
        linear_step_3: 'complete',
        linear_step_4: 'complete',
      });
      expect(run.value('linear_step_1')).toMatchObject({ squared_value: 36 });
      expect(run.value('linear_step_2')).toMatchObject({ added_value: 46 });
      expect(run.value('linear_step_3')).toMatchObject({ multiplied_value: 138 });
      expect(run.value('linear_step_4')).toMatchObject({ final_value: 69 });
      expect(run.history('linear_step_4')).toEqual([
        'pending',
        'enqueued',
        'in_progress',
        'enqueued_for_orchestration',
        'complete',
      ]);
    });

    it('n=10 ends at 165 and n=8 at 111', async () => {
      const ten = await fleet.run('linear_workflow_ts', 'mathematical_sequence_ts', { even_number: 10 });
      const eight = await fleet.run('linear_workflow_ts', 'mathematical_sequence_ts', { even_number: 8 });
      expect(ten.value('linear_step_4')).toMatchObject({ final_value: 165 });
      expect(eight.value('linear_step_4')).toMatchObject({ final_value: 111 });
    });

    it('an odd number fails step 1 permanently after one attempt and blocks the task', async () => {
      const run = await fleet.run('linear_workflow_ts', 'mathematical_sequence_ts', { even_number: 7 });
      expect(run.state).toBe('blocked_by_failures');
      expect(run.states.linear_step_1).toBe('error');
      expect(run.attempts.linear_step_1).toBe(1);
      expect(run.results('linear_step_1')).toMatchObject({
        success: false,
        error: { error_type: 'validation_error', retryable: false },
      });
    });
  });

  describe('diamond workflow end to end', () => {
    it('n=6: 36, 61, 72 → 66.5', async () => {
      const run = await fleet.run('diamond_workflow_ts', 'parallel_computation_ts', { even_number: 6 });
      expect(run.state).toBe('complete');
      expect(run.value('diamond_start_ts')).toMatchObject({ squared_value: 36 });
      expect(run.value('diamond_branch_b_ts')).toMatchObject({ branch_b_value: 61 });
      expect(run.value('diamond_branch_c_ts')).toMatchObject({ branch_c_value: 72 });
      expect(run.value('diamond_end_ts')).toMatchObject({ final_value: 66.5 });
    });
  });

  const SIX_TO_THE_64 = '63340286662973277706162286946811886609896461828096';

  describe('tree and mixed DAG end to end (exact big integers through the database)', () => {
    it('tree: 8 steps complete, the convergence is 6^64 as a decimal string', async () => {
      const run = await fleet.run('tree_workflow_ts', 'hierarchical_tree_ts', { even_number: 6 });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(8);
      expect(run.value('tree_leaf_d')).toMatchObject({ result: 1_679_616 });
      expect(run.value('tree_final_convergence')).toMatchObject({ result: SIX_TO_THE_64 });
    });

    it('mixed DAG: 7 steps complete, the finalize step is 6^64 exactly', async () => {
      const run = await fleet.run('mixed_dag_workflow_ts', 'complex_dag_ts', { even_number: 6 });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states).sort()).toEqual([
        'dag_analyze',
        'dag_finalize',
        'dag_init',
        'dag_process_left',
        'dag_process_right',
        'dag_transform',
        'dag_validate',
      ]);
      expect(run.value('dag_finalize')).toMatchObject({ result: SIX_TO_THE_64 });
    });
  });

  describe('order fulfillment end to end', () => {
    it('4 steps complete with total 209.97, a transaction and a tracking number', async () => {
      const run = await fleet.run('order_fulfillment_ts', 'business_workflow_ts', {
        customer_info: { id: 42, email: 'ada@example.com' },
        order_items: [
          { product_id: 'WIDGET-001', quantity: 2, price: 29.99 },
          { product_id: 'GADGET-002', quantity: 1, price: 149.99 },
        ],
        payment_info: { method: 'credit_card', token: 'tok_visa' },
        shipping_info: { address: '1 Main St' },
      });
      expect(run.state).toBe('complete');
      expect(run.value('validate_order')).toMatchObject({ order_total: 209.97 });
      expect(run.value('reserve_inventory')).toHaveProperty('reservation_id');
      expect(run.value('process_payment')).toMatchObject({ amount_charged: 209.97, gateway_fee: 6.09 });
      expect(run.value('ship_order')).toHaveProperty('tracking_number');
    });
  });
}
