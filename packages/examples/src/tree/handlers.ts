import { defineHandler } from '@tasker-bridge/core';
import { requireEvenNumber } from '../shared/even-number.js';
import { toBigInt, toWireInteger } from '../shared/numbers.js';

/**
 * Tree workflow `tree_workflow_ts/hierarchical_tree_ts` (upstream has it in Ruby and Rust only, as
 * `rust_e2e_tree/hierarchical_tree`; every step squares, their convention):
 *
 *   tree_root = n² → tree_branch_left/right = root² → tree_leaf_d/e (left²), tree_leaf_f/g (right²)
 *   → tree_final_convergence = (d·e·f·g)²
 *
 * Each leaf is n^8, so the final value is (n^32)² = n^64: for n=6,
 * 63340286662973277706162286946811886609896461828096. (Upstream's handlers compute the same n^64 but their
 * "expected" metadata says n^32, which does not match; docs/upstream-workers.md §4.2.)
 * Values beyond 2^53 are exact bigints, written as decimal strings.
 */
const NS = 'tree_workflow.step_handlers';

function squareOf(name: string, parent: string) {
  return defineHandler(`${NS}.${name}`, { depends: [parent] }, ({ deps }) => {
    const value = toBigInt((deps as unknown as Record<string, { result: unknown }>)[parent]?.result, parent);
    return { result: toWireInteger(value * value), operation: 'square', input: toWireInteger(value) };
  });
}

export const TreeRootHandler = defineHandler(`${NS}.TreeRootHandler`, ({ input }) => {
  const n = BigInt(requireEvenNumber(input.even_number));
  return { result: toWireInteger(n * n), operation: 'square', input: Number(n) };
});
export const TreeBranchLeftHandler = squareOf('TreeBranchLeftHandler', 'tree_root');
export const TreeBranchRightHandler = squareOf('TreeBranchRightHandler', 'tree_root');
export const TreeLeafDHandler = squareOf('TreeLeafDHandler', 'tree_branch_left');
export const TreeLeafEHandler = squareOf('TreeLeafEHandler', 'tree_branch_left');
export const TreeLeafFHandler = squareOf('TreeLeafFHandler', 'tree_branch_right');
export const TreeLeafGHandler = squareOf('TreeLeafGHandler', 'tree_branch_right');

const LEAVES = ['tree_leaf_d', 'tree_leaf_e', 'tree_leaf_f', 'tree_leaf_g'] as const;

export const TreeFinalConvergenceHandler = defineHandler(
  `${NS}.TreeFinalConvergenceHandler`,
  { depends: LEAVES, inputs: ['even_number'] },
  ({ deps, input }) => {
    const product = LEAVES.reduce(
      (acc, leaf) =>
        acc * toBigInt((deps as unknown as Record<string, { result: unknown }>)[leaf]?.result, leaf),
      1n,
    );
    const result = product * product;
    const n = BigInt(requireEvenNumber(input.even_number));
    return {
      result: toWireInteger(result),
      operation: 'multiply_all_and_square',
      multiplied: toWireInteger(product),
      verification: { expected: toWireInteger(n ** 64n), matches: result === n ** 64n },
    };
  },
);

export const treeWorkflowHandlers = [
  TreeRootHandler,
  TreeBranchLeftHandler,
  TreeBranchRightHandler,
  TreeLeafDHandler,
  TreeLeafEHandler,
  TreeLeafFHandler,
  TreeLeafGHandler,
  TreeFinalConvergenceHandler,
] as const;
