import { ValidationError } from '@tasker-bridge/core';

/**
 * The input every math workflow starts from: `even_number`, an even integer. An odd, missing or non-integer value
 * is a permanent `validation_error` (docs/upstream-workers.md §4.2), so orchestration does not retry it.
 */
export function requireEvenNumber(value: unknown): number {
  if (value === undefined || value === null) {
    throw new ValidationError("Missing required input 'even_number'", { field: 'even_number' });
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    // A bigint is an integer beyond 2^53 (JSON.stringify cannot write one): too large for these workflows.
    const shown = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
    throw new ValidationError(`even_number must be an integer, got ${shown}`, {
      field: 'even_number',
    });
  }
  if (value % 2 !== 0) {
    throw new ValidationError(`even_number must be even, got ${value}`, {
      field: 'even_number',
      errorCode: 'ODD_NUMBER',
    });
  }
  return value;
}
