import { defineHandler } from '@tasker-bridge/core';
import { requireEvenNumber } from '../shared/even-number.js';
import { toBigInt, toWireInteger } from '../shared/numbers.js';

/**
 * Mixed DAG `mixed_dag_workflow_ts/complex_dag_ts` (upstream: Ruby and Rust only, `rust_e2e_mixed_dag/complex_dag`):
 *
 *   dag_init = n² → dag_process_left/right = init²
 *   dag_validate = (left·right)²   dag_transform = left²   dag_analyze = right²
 *   dag_finalize = (validate·transform·analyze)² = n^64
 *
 * For n=6 that is 63340286662973277706162286946811886609896461828096, exact, as Ruby's bignums give it. Rust's
 * example saturates at u128::MAX instead (docs/upstream-workers.md §4.2); we do not.
 */
const NS = 'mixed_dag_workflow.step_handlers';

type Results = Record<string, { result: unknown }>;
const read = (deps: unknown, step: string) => toBigInt((deps as Results)[step]?.result, step);
const out = (value: bigint, operation: string) => ({ result: toWireInteger(value), operation });

export const DagInitHandler = defineHandler(`${NS}.DagInitHandler`, ({ input }) => {
  const n = BigInt(requireEvenNumber(input.even_number));
  return out(n * n, 'square');
});

export const DagProcessLeftHandler = defineHandler(
  `${NS}.DagProcessLeftHandler`,
  { depends: ['dag_init'] },
  ({ deps }) => out(read(deps, 'dag_init') ** 2n, 'square'),
);

export const DagProcessRightHandler = defineHandler(
  `${NS}.DagProcessRightHandler`,
  { depends: ['dag_init'] },
  ({ deps }) => out(read(deps, 'dag_init') ** 2n, 'square'),
);

export const DagValidateHandler = defineHandler(
  `${NS}.DagValidateHandler`,
  { depends: ['dag_process_left', 'dag_process_right'] },
  ({ deps }) =>
    out((read(deps, 'dag_process_left') * read(deps, 'dag_process_right')) ** 2n, 'multiply_and_square'),
);

export const DagTransformHandler = defineHandler(
  `${NS}.DagTransformHandler`,
  { depends: ['dag_process_left'] },
  ({ deps }) => out(read(deps, 'dag_process_left') ** 2n, 'square'),
);

export const DagAnalyzeHandler = defineHandler(
  `${NS}.DagAnalyzeHandler`,
  { depends: ['dag_process_right'] },
  ({ deps }) => out(read(deps, 'dag_process_right') ** 2n, 'square'),
);

export const DagFinalizeHandler = defineHandler(
  `${NS}.DagFinalizeHandler`,
  { depends: ['dag_validate', 'dag_transform', 'dag_analyze'], inputs: ['even_number'] },
  ({ deps, input }) => {
    const product = read(deps, 'dag_validate') * read(deps, 'dag_transform') * read(deps, 'dag_analyze');
    const result = product ** 2n;
    const expected = BigInt(requireEvenNumber(input.even_number)) ** 64n;
    return {
      ...out(result, 'multiply_all_and_square'),
      verification: { expected: toWireInteger(expected), matches: result === expected },
    };
  },
);

export const mixedDagWorkflowHandlers = [
  DagInitHandler,
  DagProcessLeftHandler,
  DagProcessRightHandler,
  DagValidateHandler,
  DagTransformHandler,
  DagAnalyzeHandler,
  DagFinalizeHandler,
] as const;
