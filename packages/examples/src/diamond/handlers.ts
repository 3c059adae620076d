import { defineHandler } from '@tasker-bridge/core';
import { requireEvenNumber } from '../shared/even-number.js';

/**
 * Diamond workflow `diamond_workflow_ts/parallel_computation_ts`: start = n², branch B = start + 25,
 * branch C = start × 2 (B and C run in parallel), end = (B + C) / 2. TS/Python convention
 * (docs/upstream-workers.md §4.2): n=6 gives 36, 61, 72 → 66.5. Ruby and Rust square in both branches and end with
 * (B × C)²; we follow TS/Python.
 */
export const DiamondStartHandler = defineHandler(
  'diamond_workflow.step_handlers.DiamondStartHandler',
  ({ input }) => {
    const n = requireEvenNumber(input.even_number);
    return { squared_value: n * n, operation: 'square', input: n };
  },
);

export const DiamondBranchBHandler = defineHandler<
  Record<string, unknown>,
  { start: { squared_value: number } }
>(
  'diamond_workflow.step_handlers.DiamondBranchBHandler',
  { depends: { start: 'diamond_start_ts' } },
  ({ deps, config }) => {
    const constant = typeof config.constant === 'number' ? config.constant : 25;
    const value = deps.start.squared_value;
    return { branch_b_value: value + constant, operation: 'add', constant, input: value };
  },
);

export const DiamondBranchCHandler = defineHandler<
  Record<string, unknown>,
  { start: { squared_value: number } }
>(
  'diamond_workflow.step_handlers.DiamondBranchCHandler',
  { depends: { start: 'diamond_start_ts' } },
  ({ deps, config }) => {
    const factor = typeof config.factor === 'number' ? config.factor : 2;
    const value = deps.start.squared_value;
    return { branch_c_value: value * factor, operation: 'multiply', factor, input: value };
  },
);

export const DiamondEndHandler = defineHandler<
  Record<string, unknown>,
  { b: { branch_b_value: number }; c: { branch_c_value: number } }
>(
  'diamond_workflow.step_handlers.DiamondEndHandler',
  { depends: { b: 'diamond_branch_b_ts', c: 'diamond_branch_c_ts' } },
  ({ deps }) => {
    const b = deps.b.branch_b_value;
    const c = deps.c.branch_c_value;
    return { final_value: (b + c) / 2, operation: 'average', branch_b_value: b, branch_c_value: c };
  },
);

export const diamondWorkflowHandlers = [
  DiamondStartHandler,
  DiamondBranchBHandler,
  DiamondBranchCHandler,
  DiamondEndHandler,
] as const;
