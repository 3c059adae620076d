import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler, type StandardSchemaV1, success } from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

/** A failed run's error, checked to be a decodable wire failure with these facts. */
async function expectFailure(
  run: Promise<{ result: Parameters<typeof expectWireValid>[0] }>,
  errorType: string,
  message: RegExp,
) {
  const result = expectWireValid((await run).result);
  expect(result).toMatchObject({ success: false, metadata: { retryable: false, error_type: errorType } });
  expect(result.error?.message).toMatch(message);
  return result;
}

describe('defineHandler with Zod schemas', () => {
  const charge = defineHandler(
    'Charge',
    {
      input: z.object({ order_id: z.string(), quantity: z.coerce.number().int().positive() }),
      config: z.object({ gateway_url: z.url(), fee_percent: z.number().default(2.9) }),
      deps: { validate_order: z.object({ total: z.number().nonnegative() }) },
      result: z.object({ order_id: z.string(), charged: z.number() }),
    },
    ({ input, config, deps, context }) => ({
      order_id: input.order_id,
      charged: Math.round(deps.validate_order.total * input.quantity * (100 + config.fee_percent)) / 100,
      // Not in the result schema: Zod strips it from what reaches the wire.
      quantity_seen_by_context: context.inputData.quantity,
    }),
  );
  const valid = {
    input: { order_id: 'o-1', quantity: '2' },
    handler: { callable: 'Charge', initialization: { gateway_url: 'https://pay.example/v1' } },
    dependencies: { validate_order: { total: 10 } },
  };

  it('passes validated values (coerced, defaulted) to the function and writes the validated result', async () => {
    const run = await runHandler(charge, valid);
    expect(run.success).toBe(true);
    expect(run.value).toEqual({ order_id: 'o-1', charged: 20.58 });
  });

  it('gives the function a context whose inputData is the validated input', async () => {
    const seen = defineHandler(
      'Seen',
      { input: z.object({ quantity: z.coerce.number() }) },
      ({ context }) => ({ quantity: context.inputData.quantity, raw: context.step.task.task.context }),
    );
    expect((await runHandler(seen, { input: { quantity: '3' } })).value).toEqual({
      quantity: 3,
      raw: { quantity: '3' },
    });
  });

  it('fails a bad task input permanently with validation_error naming the path', async () => {
    const result = await expectFailure(
      runHandler(charge, { ...valid, input: { order_id: 7, quantity: 'many' } }),
      'validation_error',
      /input\/order_id: .*; input\/quantity: /,
    );
    expect(result.error?.context).toMatchObject({
      field: 'input/order_id',
      schema: 'input',
      issues: [{ path: '/order_id' }, { path: '/quantity' }],
    });
  });

  it('fails a bad handler.initialization permanently naming the config path', async () => {
    await expectFailure(
      runHandler(charge, {
        ...valid,
        handler: { callable: 'Charge', initialization: { gateway_url: 'nope' } },
      }),
      'validation_error',
      /config\/gateway_url: /,
    );
  });

  it("fails a dependency value that breaks its schema permanently naming the step's path", async () => {
    await expectFailure(
      runHandler(charge, { ...valid, dependencies: { validate_order: { total: -1 } } }),
      'validation_error',
      /deps\/validate_order\/total: /,
    );
  });

  it('still fails a missing dependency with MISSING_DEPENDENCY', async () => {
    const run = await runHandler(charge, { ...valid, dependencies: {} });
    expect(run.result?.metadata).toMatchObject({ retryable: false, error_code: 'MISSING_DEPENDENCY' });
  });

  it('fails a result that breaks the result schema as a permanent result_schema_violation', async () => {
    const lying = defineHandler(
      'Lying',
      { result: z.object({ total: z.number() }) },
      // A cast is how a wrong value slips past the compiler; the check at the edge still catches it.
      () => JSON.parse('{"total":"12"}') as { total: number },
    );
    const result = await expectFailure(
      runHandler(lying),
      'result_schema_violation',
      /result\/total: .*expected number/,
    );
    expect(result.error?.context).toMatchObject({ issues: [{ path: '/total' }] });
  });

  it('checks the value of a returned success() and keeps its metadata; failures pass unchecked', async () => {
    const handler = defineHandler(
      'Wrapped',
      { input: z.object({ ok: z.boolean() }), result: z.object({ n: z.number() }) },
      ({ input }) =>
        input.ok ? success({ n: 1 }, { source: 'test' }) : success({ n: 'x' as unknown as number }),
    );
    const good = await runHandler(handler, { input: { ok: true } });
    expect(good.value).toEqual({ n: 1 });
    expect(good.result?.metadata.custom).toEqual({ source: 'test' });
    expect((await runHandler(handler, { input: { ok: false } })).errorType).toBe('result_schema_violation');
  });

  it('applies the schemas to declared methods as well', async () => {
    const handler = defineHandler(
      'Methods',
      {
        input: z.object({ amount: z.number() }),
        methods: { refund: ({ input }) => ({ refunded: -input.amount }) },
      },
      ({ input }) => ({ charged: input.amount }),
    );
    const options = { handler: { callable: 'Methods', method: 'refund' }, input: { amount: 5 } };
    expect((await runHandler(handler, options)).value).toEqual({ refunded: -5 });
    expect((await runHandler(handler, { ...options, input: { amount: '5' } })).errorType).toBe(
      'validation_error',
    );
  });
});

describe('defineHandler with Valibot schemas', () => {
  it('validates input and result, synchronously and asynchronously', async () => {
    const knownSkus = new Set(['sku-1', 'sku-2']);
    const reserve = defineHandler(
      'Reserve',
      {
        input: v.objectAsync({
          sku: v.pipeAsync(
            v.string(),
            v.checkAsync(async (sku) => knownSkus.has(sku), 'unknown sku'),
          ),
          count: v.pipe(v.number(), v.integer(), v.minValue(1)),
        }),
        result: v.object({ reserved: v.number() }),
      },
      ({ input }) => ({ reserved: input.count }),
    );
    expect((await runHandler(reserve, { input: { sku: 'sku-1', count: 3 } })).value).toEqual({ reserved: 3 });
    await expectFailure(
      runHandler(reserve, { input: { sku: 'sku-9', count: 0 } }),
      'validation_error',
      /input\/sku: unknown sku; input\/count: /,
    );
  });
});

describe('defineHandler with a schema written by hand (no library)', () => {
  /** The whole Standard Schema contract: a `~standard` object with a validate function. */
  const evenNumber: StandardSchemaV1<unknown, { even_number: number }> = {
    '~standard': {
      version: 1,
      vendor: 'hand-written',
      validate(value) {
        const n = (value as { even_number?: unknown } | null)?.even_number;
        if (typeof n === 'number' && Number.isInteger(n) && n % 2 === 0) return { value: { even_number: n } };
        return { issues: [{ message: 'must be an even integer', path: [{ key: 'even_number' }] }] };
      },
    },
  };
  const square = defineHandler('Square', { input: evenNumber }, ({ input }) => ({
    squared_value: input.even_number ** 2,
  }));

  it('runs with the validated input and fails an odd number permanently', async () => {
    expect((await runHandler(square, { input: { even_number: 6 } })).value).toEqual({ squared_value: 36 });
    await expectFailure(
      runHandler(square, { input: { even_number: 7 } }),
      'validation_error',
      /input\/even_number: must be an even integer/,
    );
  });
});
