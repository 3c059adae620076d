import { PermanentError } from '../errors/classes.js';

const YIELD_BRAND = Symbol.for('@tasker-bridge/core/checkpoint-yield');

/**
 * A handler's request to persist progress and be called again (docs/wire-types.md §8, docs/protocol.md §6.3):
 * `runStep` returns it as `{type: 'checkpoint_yield'}`; the worker stores it in `workflow_steps.checkpoint`
 * without a state transition or an attempt, then runs the step again with the new checkpoint in the context.
 */
export class CheckpointYield {
  declare readonly [YIELD_BRAND]: true;
  /** Where to resume; any JSON value (a row number, a key, an object). */
  readonly cursor: unknown;
  /** Items processed so far, cumulative across yields (`items_processed`, a u64). */
  readonly itemsProcessed: number;
  /** State carried across yields (`accumulated_results`), e.g. running totals. */
  readonly accumulatedResults: unknown;

  constructor(cursor: unknown, itemsProcessed: number, accumulatedResults: unknown) {
    if (!Number.isSafeInteger(itemsProcessed) || itemsProcessed < 0) {
      // `items_processed` is a u64 in Rust: a negative or fractional value fails the whole yield.
      throw new PermanentError(
        `checkpointYield: itemsProcessed must be a non-negative integer, got ${itemsProcessed}`,
      );
    }
    if (cursor === undefined) {
      throw new PermanentError('checkpointYield: cursor is required (use null for "no position")');
    }
    this.cursor = cursor;
    this.itemsProcessed = itemsProcessed;
    this.accumulatedResults = accumulatedResults;
    Object.defineProperty(this, YIELD_BRAND, { value: true, enumerable: false });
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[YIELD_BRAND] === true
    );
  }
}

export interface CheckpointYieldInput {
  cursor: unknown;
  itemsProcessed: number;
  accumulatedResults?: unknown;
}

/** Returns the yield a handler hands back to persist progress and continue in a fresh invocation. */
export function checkpointYield(input: CheckpointYieldInput): CheckpointYield {
  return new CheckpointYield(input.cursor, input.itemsProcessed, input.accumulatedResults ?? null);
}
