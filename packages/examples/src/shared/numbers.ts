import { PermanentError } from '@tasker-bridge/core';

/**
 * Exact integers for the squaring workflows (tree, mixed DAG), whose values pass 2^53 after a few steps
 * (docs/upstream-workers.md §4.2, §6.15). Values travel as JSON numbers while they are safe integers and as decimal
 * strings beyond (the form Rust's u128/BigUint examples write), so every language reads them back exactly.
 */
export type WireInteger = number | string;

/** Reads an integer written by `toWireInteger` (or any safe JSON integer) back as a bigint. */
export function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new PermanentError(`${what} must be an integer, got ${JSON.stringify(value)}`, {
    errorCode: 'NOT_AN_INTEGER',
    context: { what },
  });
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A JSON number while exact, else the decimal string. */
export function toWireInteger(value: bigint): WireInteger {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
}

/** Money in integer cents, so sums and rounding are exact (2.9 % of 209.97 is 6.09, not 6.089129999…). */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}
