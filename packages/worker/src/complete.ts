import { encodeJson, type StepExecutionResult, type StepMessage } from '@tasker-bridge/schemas';
import { STEP_RESULTS_QUEUE } from './queues.js';
import { type Queryable, run } from './sql/connections.js';
import { COMPLETE_STEP, CURRENT_STEP_STATE, SEND_WITH_NOTIFY } from './sql/statements.js';
import { completionMetadata } from './transition-metadata.js';

/**
 * Completion (queue-protocol.md §4.6, §4.7), in two round trips and in upstream's order:
 * 1. tasker DB, one statement: `in_progress → enqueued_for_orchestration` (success) or
 *    `→ enqueued_as_error_for_orchestration` (failure) with `{event, timestamp, worker_uuid, correlation_id}`,
 *    plus `in_process = false, results = <StepExecutionResult>`; committed before step 2 starts.
 * 2. pgmq DB: the `StepMessage` to `orchestration_step_results` through `tasker.pgmq_send_with_notify`.
 * Orchestration archives a result message whose step is not yet in an `enqueued_*_for_orchestration` state and
 * never looks at it again (§5.1), so the order is load-bearing.
 */

export const CompletionState = {
  SUCCESS: 'enqueued_for_orchestration',
  ERROR: 'enqueued_as_error_for_orchestration',
} as const;

export type WriteOutcome =
  /** Transition and results committed by this call, or by an earlier attempt of ours whose reply was lost. */
  | { kind: 'written'; toState: string }
  /** The step was not `in_progress` (upstream: InvalidTransition; nothing written, nothing sent). */
  | { kind: 'not_in_progress'; state: string | null };

export async function writeCompletion(
  db: Queryable,
  input: { stepUuid: string; result: StepExecutionResult; workerUuid: string; correlationId: string },
): Promise<WriteOutcome> {
  const toState = input.result.success ? CompletionState.SUCCESS : CompletionState.ERROR;
  const metadata = completionMetadata(input.result, input.workerUuid, input.correlationId);
  const rows = await run(db, COMPLETE_STEP, [
    input.stepUuid,
    toState,
    JSON.stringify(metadata),
    encodeJson('StepExecutionResult', input.result),
  ]);
  if (rows.length > 0) return { kind: 'written', toState };
  // Nothing written: was it us, on an earlier attempt whose COMMIT reply never arrived?
  const [current] = await run(db, CURRENT_STEP_STATE, [input.stepUuid]);
  if (current?.to_state === toState && current.metadata?.worker_uuid === input.workerUuid) {
    return { kind: 'written', toState };
  }
  return { kind: 'not_in_progress', state: current?.to_state ?? null };
}

/** Step 2: tell orchestration. Returns the result message's msg_id. */
export async function sendCompletion(db: Queryable, message: StepMessage): Promise<string> {
  const body: StepMessage = {
    task_uuid: message.task_uuid,
    step_uuid: message.step_uuid,
    correlation_id: message.correlation_id,
  };
  const [row] = await run(db, SEND_WITH_NOTIFY, [STEP_RESULTS_QUEUE, JSON.stringify(body), 0]);
  if (row === undefined) throw new Error('pgmq_send_with_notify returned no msg_id');
  return row.msg_id;
}
