import { describe, expect, it } from 'vitest';
import { loadTemplate, runTemplateStep } from './support.js';

/** Runs a template's steps in order, feeding each step its ancestors' values, as orchestration would. */
async function runChain(
  namespace: string,
  name: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const template = loadTemplate(namespace, name);
  const values: Record<string, unknown> = {};
  for (const step of template.steps) {
    const ancestors = new Set<string>();
    const visit = (s: string) => {
      for (const dep of template.steps.find((x) => x.name === s)?.dependencies ?? []) {
        ancestors.add(dep);
        visit(dep);
      }
    };
    visit(step.name);
    const dependencies = Object.fromEntries([...ancestors].map((a) => [a, values[a]]));
    const run = await runTemplateStep(template, step.name, { input, dependencies });
    expect(run.result?.error ?? null, step.name).toBeNull();
    values[step.name] = run.value;
  }
  return values;
}

describe('linear workflow (TS/Python convention)', () => {
  it.each([
    [6, 36, 46, 138, 69],
    [10, 100, 110, 330, 165],
    [8, 64, 74, 222, 111],
  ])('n=%i gives %i → %i → %i → %i', async (n, s1, s2, s3, s4) => {
    const v = await runChain('linear_workflow_ts', 'mathematical_sequence_ts', { even_number: n });
    expect(v.linear_step_1).toMatchObject({ squared_value: s1 });
    expect(v.linear_step_2).toMatchObject({ added_value: s2 });
    expect(v.linear_step_3).toMatchObject({ multiplied_value: s3 });
    expect(v.linear_step_4).toMatchObject({ final_value: s4 });
  });

  it.each([[{ even_number: 7 }], [{}], [{ even_number: '6' }]])(
    'rejects %j with a non-retryable validation_error',
    async (input) => {
      const run = await runTemplateStep(
        loadTemplate('linear_workflow_ts', 'mathematical_sequence_ts'),
        'linear_step_1',
        { input },
      );
      expect(run.success).toBe(false);
      expect(run.errorType).toBe('validation_error');
      expect(run.retryable).toBe(false);
    },
  );
});

describe('diamond workflow (TS/Python convention)', () => {
  it.each([
    [6, 36, 61, 72, 66.5],
    [4, 16, 41, 32, 36.5],
    [10, 100, 125, 200, 162.5],
  ])('n=%i gives %i, %i, %i → %d', async (n, start, b, c, end) => {
    const v = await runChain('diamond_workflow_ts', 'parallel_computation_ts', { even_number: n });
    expect(v.diamond_start_ts).toMatchObject({ squared_value: start });
    expect(v.diamond_branch_b_ts).toMatchObject({ branch_b_value: b });
    expect(v.diamond_branch_c_ts).toMatchObject({ branch_c_value: c });
    expect(v.diamond_end_ts).toMatchObject({ final_value: end });
  });
});

const SIX_TO_THE_64 = '63340286662973277706162286946811886609896461828096';

describe('tree and mixed DAG (Ruby/Rust squaring convention, exact big integers)', () => {
  it('tree: n=6 ends at 6^64 as a decimal string; values stay numbers while below 2^53', async () => {
    const v = await runChain('tree_workflow_ts', 'hierarchical_tree_ts', { even_number: 6 });
    expect(v.tree_root).toMatchObject({ result: 36 });
    expect(v.tree_branch_left).toMatchObject({ result: 1296 });
    expect(v.tree_leaf_g).toMatchObject({ result: 1679616 });
    expect(v.tree_final_convergence).toMatchObject({
      result: SIX_TO_THE_64,
      multiplied: (6n ** 32n).toString(),
      verification: { matches: true },
    });
    expect((6n ** 32n).toString()).toBe('7958661109946400884391936');
  });

  it('mixed DAG: n=6 ends at 6^64 exactly (no u128 saturation)', async () => {
    const v = await runChain('mixed_dag_workflow_ts', 'complex_dag_ts', { even_number: 6 });
    expect(v.dag_init).toMatchObject({ result: 36 });
    expect(v.dag_validate).toMatchObject({ result: 2_821_109_907_456 }); // 6^16, still below 2^53
    expect(v.dag_transform).toMatchObject({ result: 1679616 });
    expect(v.dag_finalize).toMatchObject({ result: SIX_TO_THE_64, verification: { matches: true } });
  });
});

describe('order fulfillment', () => {
  const order = {
    customer_info: { id: 42, email: 'ada@example.com', name: 'Ada' },
    order_items: [
      { product_id: 'WIDGET-001', quantity: 2, price: 29.99 },
      { product_id: 'GADGET-002', quantity: 1, price: 149.99 },
    ],
    payment_info: { method: 'credit_card', token: 'tok_visa' },
    shipping_info: { address: '1 Main St', method: 'standard' },
  };

  it('totals 209.97, charges a 6.09 gateway fee and ships with a tracking number', async () => {
    const v = await runChain('order_fulfillment_ts', 'business_workflow_ts', order);
    expect(v.validate_order).toMatchObject({ order_total: 209.97, total_amount: 209.97, item_count: 3 });
    expect(v.reserve_inventory).toMatchObject({ reservation_id: expect.stringMatching(/^RES-/) });
    expect(v.process_payment).toMatchObject({
      amount_charged: 209.97,
      gateway_fee: 6.09,
      net_amount: 203.88,
    });
    expect(v.process_payment).toHaveProperty('transaction_id');
    expect(v.ship_order).toHaveProperty('tracking_number');
  });

  it('refuses an order above 50,000 permanently', async () => {
    const run = await runTemplateStep(
      loadTemplate('order_fulfillment_ts', 'business_workflow_ts'),
      'validate_order',
      {
        input: { ...order, order_items: [{ product_id: 'X', quantity: 2, price: 25_000.01 }] },
      },
    );
    expect(run.success).toBe(false);
    expect(run.retryable).toBe(false);
    expect(run.result?.metadata.error_code).toBe('ORDER_TOO_LARGE');
  });
});
