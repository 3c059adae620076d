import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type CheckpointYield,
  defineHandler,
  failure,
  type HandlerArgs,
  type HandlerResultOf,
  type JsonValue,
  type StepContext,
  StepHandler,
  type StepHandlerResult,
  success,
  type WireValue,
} from '../src/index.js';
import { runHandler } from '../src/testing/index.js';

/**
 * Type-level tests: `tsc -p tsconfig.tests.json` (part of `npm run typecheck`) fails when an `expectTypeOf`
 * assertion does not hold or an `@ts-expect-error` line compiles. The runs only make each case a real test.
 */

describe('types inferred without type arguments', () => {
  it('gives JSON types, never any, where no schema says more', async () => {
    const handler = defineHandler('a', { inputs: ['even_number'] }, ({ input, config, deps }) => {
      expectTypeOf(input.even_number).toEqualTypeOf<JsonValue | undefined>();
      expectTypeOf(config).toEqualTypeOf<import('../src/index.js').JsonObject>();
      expectTypeOf(deps).toEqualTypeOf<Record<never, never>>();
      // @ts-expect-error a JSON value is not a string until narrowed
      const s: string = input.even_number;
      return { s };
    });
    expect((await runHandler(handler, { input: { even_number: 'x' } })).value).toEqual({ s: 'x' });
  });

  it('types names listed in depends as unknown', () => {
    defineHandler('b', { depends: { order: 'validate_order' } }, ({ deps }) => {
      expectTypeOf(deps.order).toBeUnknown();
      // @ts-expect-error not declared
      deps.payment;
      return {};
    });
    defineHandler('c', { depends: ['x', 'y'] }, ({ deps }) => {
      expectTypeOf(deps).toEqualTypeOf<{ x: unknown; y: unknown }>();
      return {};
    });
  });

  it('infers input, config, deps and result from Zod schemas', () => {
    const handler = defineHandler(
      'd',
      {
        input: z.object({ even_number: z.number().int() }),
        config: z.object({ gateway_url: z.string() }),
        deps: { validate_order: z.object({ total: z.number() }) },
      },
      ({ input, config, deps, context }) => {
        expectTypeOf(input).toEqualTypeOf<{ even_number: number }>();
        expectTypeOf(context).toEqualTypeOf<StepContext<{ even_number: number }>>();
        expectTypeOf(config.gateway_url).toBeString();
        expectTypeOf(deps.validate_order.total).toBeNumber();
        // @ts-expect-error the schema says number
        const wrong: string = input.even_number;
        if (input.even_number < 0) return failure('negative');
        return success({ squared: input.even_number ** 2, total: deps.validate_order.total, wrong });
      },
    );
    expectTypeOf<HandlerResultOf<typeof handler>>().toEqualTypeOf<{
      squared: number;
      total: number;
      wrong: string;
    }>();
  });

  it('infers from Valibot schemas, the result type from the result schema', () => {
    const handler = defineHandler(
      'e',
      { input: v.object({ n: v.number() }), result: v.object({ doubled: v.number() }) },
      ({ input }) => ({ doubled: input.n * 2 }),
    );
    expectTypeOf<HandlerResultOf<typeof handler>>().toEqualTypeOf<{ doubled: number }>();
    // @ts-expect-error the function must return what the result schema describes
    defineHandler('f', { result: v.object({ doubled: v.number() }) }, () => ({ doubled: 'x' }));
  });

  it('infers the rest when the arguments are annotated (partial inference)', () => {
    const handler = defineHandler(
      'g',
      { depends: { order: 'validate_order' } },
      ({ input, deps }: HandlerArgs<{ n: number }, { order: { id: string } }>) => ({
        id: deps.order.id,
        n: input.n,
      }),
    );
    expectTypeOf<HandlerResultOf<typeof handler>>().toEqualTypeOf<{ id: string; n: number }>();
  });

  it('mixes schema-typed and depends-only dependencies', () => {
    defineHandler(
      'h',
      { deps: { order: z.object({ id: z.string() }) }, depends: { order: 'validate_order', audit: 'audit' } },
      ({ deps }) => {
        expectTypeOf(deps.order.id).toBeString();
        expectTypeOf(deps.audit).toBeUnknown();
        return {};
      },
    );
  });
});

describe('what defineHandler returns', () => {
  const handler = defineHandler('i', { methods: { refund: () => ({ refunded: true }) } }, () => ({
    charged: 1,
    at: new Date(0),
    id: 5n,
    note: undefined as string | undefined,
  }));

  it('keeps its result type, its declared methods and nothing else', () => {
    expectTypeOf<HandlerResultOf<typeof handler>>().toEqualTypeOf<{
      charged: number;
      at: Date;
      id: bigint;
      note: string | undefined;
    }>();
    expectTypeOf(handler.call).returns.resolves.toEqualTypeOf<
      | { charged: number; at: Date; id: bigint; note: string | undefined }
      | StepHandlerResult<{ charged: number; at: Date; id: bigint; note: string | undefined }>
      | CheckpointYield
    >();
    expectTypeOf(handler.refund).toBeFunction();
    // @ts-expect-error no such method
    handler.cal1;
  });

  it('gives runHandler the value as the wire holds it once success is checked', async () => {
    const run = await runHandler(handler);
    expectTypeOf(run.value).toBeUnknown();
    if (!run.success) throw new Error('expected a success');
    expectTypeOf(run.value).toEqualTypeOf<WireValue<HandlerResultOf<typeof handler>>>();
    expectTypeOf(run.value.at).toBeString();
    expectTypeOf(run.value.id).toEqualTypeOf<number | bigint | string>();
    expect(run.value).toEqual({ charged: 1, at: '1970-01-01T00:00:00.000Z', id: 5 });
  });

  it('types runHandler for class handlers from what call returns', async () => {
    class Square extends StepHandler {
      call(ctx: StepContext) {
        return this.success({ squared_value: Number(ctx.getInput('n')) ** 2 });
      }
    }
    const run = await runHandler(Square, { input: { n: 3 } });
    if (!run.success) throw new Error('expected a success');
    expectTypeOf(run.value).toEqualTypeOf<{ squared_value: number }>();
    expect(run.value.squared_value).toBe(9);
  });

  it('writes primitives and nothing as the wire does', () => {
    expectTypeOf<WireValue<number>>().toEqualTypeOf<{ result: number }>();
    expectTypeOf<WireValue<undefined>>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<WireValue<unknown>>().toBeUnknown();
    expectTypeOf<WireValue<{ f: () => void; n: number }>>().toEqualTypeOf<{ n: number }>();
  });
});

describe('explicit type arguments', () => {
  it('still type input, deps and result when all are given', () => {
    const handler = defineHandler<{ n: number }, { order: { id: string } }, { r: number }>(
      'j',
      { depends: { order: 'validate_order' } },
      ({ input, deps }) => ({ r: input.n + deps.order.id.length }),
    );
    expectTypeOf<HandlerResultOf<typeof handler>>().toEqualTypeOf<{ r: number }>();
  });
});
