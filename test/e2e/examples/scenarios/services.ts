import { describe, expect, it } from 'vitest';
import type { ExampleFleet } from '../harness.js';

/** The scenarios of this group, under whichever orchestrator `fleet` runs (../harness.ts). */
export function serviceScenarios(fleet: ExampleFleet): void {
  describe('domain events end to end', () => {
    it('4 steps complete; fast events reach the in-process bus, durable ones the namespace queue', async () => {
      const run = await fleet.run('domain_events_ts', 'domain_event_publishing_ts', {
        order_id: 'ORD-7',
        customer_id: 'CUST-1',
        amount: 99.5,
        items: [{ sku: 'A' }, { sku: 'B' }],
      });
      expect(run.state).toBe('complete');
      expect(Object.values(run.states)).toEqual(['complete', 'complete', 'complete', 'complete']);
      const mine = fleet.domainEvents.filter((e) => e.metadata.task_uuid === run.taskUuid);
      expect(mine.map((e) => e.event_name).sort()).toEqual([
        'inventory.updated',
        'notification.sent',
        'order.validated',
      ]);
      expect(mine.find((e) => e.event_name === 'inventory.updated')?.payload.payload).toMatchObject({
        order_id: 'ORD-7',
        items_updated: 2,
      });
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: fleet.url });
      await client.connect();
      try {
        const { rows } = await client.query<{
          message: { event_name: string; payload: { payload: unknown } };
        }>(
          "SELECT message FROM pgmq.q_domain_events_ts_domain_events WHERE message->'metadata'->>'task_uuid' = $1",
          [run.taskUuid],
        );
        expect(rows.map((r) => r.message.event_name)).toEqual(['payment.processed']);
        expect(rows[0]?.message.payload.payload).toMatchObject({ order_id: 'ORD-7', amount: 99.5 });
      } finally {
        await client.end();
      }
    });
  });

  describe('method dispatch and resolver hints end to end', () => {
    it('each step runs the method its template names', async () => {
      const run = await fleet.run('resolver_tests_ts', 'method_dispatch_ts', {
        data: { amount: 100, reason: 'damaged' },
      });
      expect(run.state).toBe('complete');
      expect(run.value('validate_step')).toMatchObject({ invoked_method: 'validate', validated: true });
      expect(run.value('process_step')).toMatchObject({
        invoked_method: 'process',
        processed_amount: 110,
        processing_fee: 10,
      });
      expect(run.value('refund_step')).toMatchObject({
        invoked_method: 'refund',
        refund_amount: 100,
        refund_reason: 'damaged',
      });
      expect(run.value('default_call_step')).toMatchObject({ invoked_method: 'call' });
    });

    it('resolver hint + method: combined_hint_step runs execute_action', async () => {
      const run = await fleet.run('resolver_tests_ts', 'resolver_hints_ts', { action_type: 'sync' });
      expect(run.state).toBe('complete');
      expect(run.value('explicit_resolver_step')).toMatchObject({ invoked_method: 'call' });
      expect(run.value('combined_hint_step')).toMatchObject({
        invoked_method: 'execute_action',
        action_type: 'sync',
      });
      expect(run.value('chain_resolution_step')).toMatchObject({ invoked_method: 'call' });
    });
  });

  const cart = {
    cart_items: [
      { product_id: 1, quantity: 2 },
      { product_id: 2, quantity: 1 },
    ],
    customer_info: { email: 'ada@example.com', name: 'Ada' },
    payment_info: { method: 'credit_card', token: 'tok_test_success', amount: 124.76 },
  };

  describe('e-commerce end to end', () => {
    it('5 steps complete: subtotal 109.97, tax 8.80, total 124.76 charged', async () => {
      const run = await fleet.run('ecommerce_ts', 'ecommerce_order_processing_ts', cart);
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(5);
      expect(run.value('validate_cart')).toMatchObject({
        subtotal: 109.97,
        tax: 8.8,
        shipping: 5.99,
        total: 124.76,
      });
      expect(run.value('process_payment')).toMatchObject({ amount_charged: 124.76, status: 'succeeded' });
      expect(run.value('create_order')).toMatchObject({ total_amount: 124.76, status: 'confirmed' });
      expect(run.value('send_confirmation')).toMatchObject({
        email_sent: true,
        recipient: 'ada@example.com',
      });
    });

    it('a declined card fails process_payment permanently', async () => {
      const run = await fleet.run('ecommerce_ts', 'ecommerce_order_processing_ts', {
        ...cart,
        payment_info: { ...cart.payment_info, token: 'tok_test_declined' },
      });
      expect(run.states.process_payment).toBe('error');
      expect(run.attempts.process_payment).toBe(1);
      expect(run.results('process_payment')).toMatchObject({ error: { retryable: false } });
    });

    it('a gateway timeout is retried until max_attempts (2)', async () => {
      const run = await fleet.run('ecommerce_ts', 'ecommerce_order_processing_ts', {
        ...cart,
        payment_info: { ...cart.payment_info, token: 'tok_test_network_error' },
      });
      expect(run.states.process_payment).toBe('error');
      expect(run.attempts.process_payment).toBe(2);
    });
  });

  describe('blog examples end to end', () => {
    it('data pipeline: 8 steps complete with the sample totals', async () => {
      const run = await fleet.run('data_pipeline_ts', 'analytics_pipeline_ts', {
        pipeline_id: 'daily',
        date_range: { start_date: '2026-01-01', end_date: '2026-01-07' },
      });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(8);
      expect(run.value('aggregate_metrics')).toMatchObject({
        total_revenue: 1549.85,
        order_count: 5,
        inventory_value: 14_552.48,
        customer_count: 4,
        premium_customers: 2,
        best_selling_product: 'P-1',
        reorder_needed: ['P-1'],
      });
      expect(run.value('generate_insights')).toMatchObject({ insight_count: 4 });
    });

    it('microservices registration: 5 steps complete with a diamond in the middle', async () => {
      const run = await fleet.run('microservices_ts', 'user_registration_ts', {
        user_info: { email: 'ada@example.com', name: 'Ada', plan: 'pro', source: 'web' },
      });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(5);
      expect(run.value('setup_billing_profile')).toMatchObject({ billing_required: true, monthly_price: 29 });
      expect(run.value('send_welcome_sequence')).toMatchObject({
        messages_sent: ['welcome', 'billing_confirmation'],
      });
      expect(run.value('update_user_status')).toMatchObject({ status: 'active', onboarding_complete: true });
    });

    it('customer success refund: 5 steps complete; a gold customer needs no manager', async () => {
      const run = await fleet.run('customer_success_ts', 'customer_success_process_refund_ts', {
        ticket_id: 'TKT-1',
        customer_id: 'cust_gold_1',
        refund_amount: 120,
        customer_email: 'ada@example.com',
      });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(5);
      expect(run.value('get_manager_approval')).toMatchObject({ approval_required: false });
      expect(run.value('update_ticket_status')).toMatchObject({ new_status: 'resolved' });
    });

    it('customer success refund over the standard limit fails the policy check permanently', async () => {
      const run = await fleet.run('customer_success_ts', 'customer_success_process_refund_ts', {
        ticket_id: 'TKT-2',
        customer_id: 'cust_1',
        refund_amount: 150,
        customer_email: 'ada@example.com',
      });
      expect(run.states.check_refund_policy).toBe('error');
    });

    it('payments refund: 4 steps complete', async () => {
      const run = await fleet.run('payments_ts', 'payments_process_refund_ts', {
        payment_id: 'pay_123',
        refund_amount: 49.99,
        refund_reason: 'customer_request',
        customer_email: 'ada@example.com',
      });
      expect(run.state).toBe('complete');
      expect(Object.keys(run.states)).toHaveLength(4);
      expect(run.value('process_gateway_refund')).toMatchObject({
        refund_id: 'rfnd_123',
        refund_amount: 49.99,
      });
      expect(run.value('notify_customer')).toMatchObject({ notification_sent: true });
    });
  });
}
