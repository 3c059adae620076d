// TypeScript twins of the fleet Rust worker's own handlers (test/fleet/rust/src/handlers/interop.rs, hold.rs),
// same callables and same result documents, so both workers can serve one namespace:
//   fleet_interop.*  the big-number workflow (templates/interop/big_numbers.yaml): every integer must arrive
//                    exactly, as an integer, whichever language wrote it, else the step fails permanently
//   fleet_hold.hold  runs for the context's `hold_ms`

import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { defineHandler, failure } from '@tasker-bridge/core';

export const U64_MAX = 2n ** 64n - 1n;
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
/** The first integer a JavaScript number cannot hold. */
export const BEYOND_DOUBLE = 2n ** 53n + 1n;

/** What `fleet_interop.extremes` writes, in both languages. */
export const EXTREMES = {
  u64_max: U64_MAX,
  i64_min: I64_MIN,
  i64_max: I64_MAX,
  beyond_double: BEYOND_DOUBLE,
  nested: {
    list: [U64_MAX, I64_MIN, BEYOND_DOUBLE, -BEYOND_DOUBLE],
    deep: { u64_max_minus_one: U64_MAX - 1n, small: 7 },
  },
};

type Doc = Record<string, unknown>;

class Mismatch extends Error {}

function mismatch(message: string) {
  return failure(message, { errorType: 'permanent_error', retryable: false, errorCode: 'FLEET_MISMATCH' });
}

function exact(doc: Doc, step: string, key: string, min: bigint, max: bigint): bigint {
  const where = `${step}.${key}`;
  const value = doc[key];
  // A decoder that rounded would hand over a number, a lossy encoder a string: both are mismatches.
  if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value))) {
    throw new Mismatch(`${where} is not an exact integer: ${typeof value} ${String(value)}`);
  }
  const big = BigInt(value);
  if (big < min || big > max) throw new Mismatch(`${where} = ${big} is out of range`);
  return big;
}

function guarded<T>(body: () => T) {
  try {
    return body();
  } catch (error) {
    if (error instanceof Mismatch) return mismatch(error.message);
    throw error;
  }
}

export const extremesStep = defineHandler('fleet_interop.extremes', () => EXTREMES);

export const deriveStep = defineHandler('fleet_interop.derive', ({ context }) =>
  guarded(() => {
    const source = context.requireDependencyResult<Doc>('extremes');
    return {
      u64_max_minus_one: exact(source, 'extremes', 'u64_max', 0n, U64_MAX) - 1n,
      i64_min_plus_one: exact(source, 'extremes', 'i64_min', I64_MIN, I64_MAX) + 1n,
      echo: source.nested,
    };
  }),
);

export const verifyStep = defineHandler('fleet_interop.verify', ({ context }) =>
  guarded(() => {
    const source = context.requireDependencyResult<Doc>('extremes');
    const derived = context.requireDependencyResult<Doc>('derive');
    const u64Max = exact(source, 'extremes', 'u64_max', 0n, U64_MAX);
    const i64Min = exact(source, 'extremes', 'i64_min', I64_MIN, I64_MAX);
    const u64MaxMinusOne = exact(derived, 'derive', 'u64_max_minus_one', 0n, U64_MAX);
    const i64MinPlusOne = exact(derived, 'derive', 'i64_min_plus_one', I64_MIN, I64_MAX);
    if (u64MaxMinusOne !== u64Max - 1n || i64MinPlusOne !== i64Min + 1n) {
      throw new Mismatch(`derive wrote ${u64MaxMinusOne} and ${i64MinPlusOne} for ${u64Max} and ${i64Min}`);
    }
    if (!isDeepStrictEqual(derived.echo, source.nested)) {
      throw new Mismatch('derive.echo differs from extremes.nested');
    }
    return {
      verified: true,
      u64_max_minus_one: u64MaxMinusOne,
      i64_min_plus_one: i64MinPlusOne,
      nested: derived.echo,
    };
  }),
);

export const holdStep = defineHandler<{ hold_ms?: number }>('fleet_hold.hold', async ({ input, signal }) => {
  const holdMs = Number(input.hold_ms ?? 0);
  await sleep(holdMs, undefined, { signal });
  return { held_ms: holdMs };
});
