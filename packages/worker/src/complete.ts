import { setTimeout } from 'node:timers/promises';
import type { StepExecutionResult, StepMessage } from '@tasker-bridge/schemas';
import { type Queryable, run } from './sql/connections.js';
import { CLAIM_SUCCESSOR, COMPLETE_CLAIM, SEND_RESULT_AND_ARCHIVE, TASK_STATE } from './sql/statements.js';
import { completionMetadataOf, stringifySorted } from './transition-metadata.js';

/**
 * Completion (docs/protocol.md §4.6, §4.7), in two round trips and in upstream's order:
 * 1. tasker DB, one statement: `in_progress → enqueued_for_orchestration` (success) or
 *    `→ enqueued_as_error_for_orchestration` (failure) with `{event, timestamp, worker_uuid, correlation_id}`,
 *    plus `in_process = false, results = <StepExecutionResult>`; committed before step 2 starts. Fenced: only
 *    the claim this worker made can be completed (`COMPLETE_CLAIM`).
 * 2. pgmq DB, one statement: the `StepMessage` to the results queue (`orchestration_step_results`) through
 *    `tasker.pgmq_send_with_notify`, and the archive of the step message (the claim's lease, README "Leases").
 * Orchestration archives a result message whose step is not yet in an `enqueued_*_for_orchestration` state and
 * never looks at it again (§5.1), so the order is load-bearing. For the same reason step 2 waits while the task is
 * still `enqueuing_steps` (§5.5): `writeCompletion` returns only once the result may be sent.
 */

export const CompletionState = {
  SUCCESS: 'enqueued_for_orchestration',
  ERROR: 'enqueued_as_error_for_orchestration',
} as const;

export type WriteOutcome =
  /** Transition and results committed by this call, or by an earlier attempt of ours whose reply was lost. */
  | { kind: 'written'; toState: string }
  /**
   * Our claim is no longer the step's current `in_progress` row: nothing written, nothing to send (upstream:
   * InvalidTransition). `recoveredBy` is set when another worker recovered the claim after our lease lapsed.
   */
  | { kind: 'not_in_progress'; state: string | null; recoveredBy: string | null };

export async function writeCompletion(
  db: Queryable,
  input: {
    stepUuid: string;
    claimTransitionUuid: string;
    result: StepExecutionResult;
    workerUuid: string;
    correlationId: string;
  },
): Promise<WriteOutcome> {
  const toState = input.result.success ? CompletionState.SUCCESS : CompletionState.ERROR;
  // One serialisation for both places the result goes: the transition's event data must be serde_json::Value's
  // sorted form, and `results` is jsonb, which keeps no key order, so the same text serves. The result is already
  // canonical and validated (core's `runStep`, or `workerFailureResult`).
  const resultText = stringifySorted(input.result);
  const metadata = completionMetadataOf(
    input.result.success,
    resultText,
    input.workerUuid,
    input.correlationId,
  );
  const [written] = await run(db, COMPLETE_CLAIM, [
    input.stepUuid,
    toState,
    JSON.stringify(metadata),
    resultText,
    input.claimTransitionUuid,
  ]);
  if (written !== undefined) {
    if (written.task_state === ENQUEUING_STEPS) await untilEnqueued(db, written.task_uuid);
    return { kind: 'written', toState };
  }
  // Nothing written: was it us, on an earlier attempt whose COMMIT reply never arrived? The transition right
  // after our claim tells (it is ours, or a recovery by another worker, or nothing when an operator moved it).
  const [row] = await run(db, CLAIM_SUCCESSOR, [input.stepUuid, input.claimTransitionUuid]);
  const nextWorker = row?.next_metadata?.worker_uuid;
  if (row?.next_state === toState && nextWorker === input.workerUuid) return { kind: 'written', toState };
  return {
    kind: 'not_in_progress',
    state: row?.current_state ?? null,
    recoveredBy: typeof nextWorker === 'string' && nextWorker !== input.workerUuid ? nextWorker : null,
  };
}

const ENQUEUING_STEPS = 'enqueuing_steps';
/** How long a result is held back for an enqueue in progress (§5.5): far beyond any enqueue, short of a lease. */
const ENQUEUE_WAIT_LIMIT_MS = 10_000;

/**
 * Re-reads the task's state until orchestration has finished enqueuing (§5.5), a few milliseconds apart: the window
 * is orchestration's own commits, typically tens of milliseconds. Past the limit the result goes out anyway (an
 * orchestrator that died mid-enqueue leaves the task `enqueuing_steps` for good, and holding the result back
 * would not help it).
 */
async function untilEnqueued(db: Queryable, taskUuid: string): Promise<void> {
  const deadline = performance.now() + ENQUEUE_WAIT_LIMIT_MS;
  for (let pauseMs = 2; performance.now() < deadline; pauseMs = Math.min(pauseMs * 2, 50)) {
    await setTimeout(pauseMs);
    const [task] = await run(db, TASK_STATE, [taskUuid]);
    if (task?.to_state !== ENQUEUING_STEPS) return;
  }
}

/**
 * Step 2: tell orchestration (on `resultsQueue`) and ack the step message, in one statement. Returns the result
 * message's msg_id.
 * Re-running it after a lost reply only sends a duplicate result message, which orchestration ignores (it acts
 * only while the step is in an `enqueued_*_for_orchestration` state, §5.2).
 */
export async function sendCompletion(
  db: Queryable,
  message: StepMessage,
  stepMessage: { queue: string; msgId: string },
  resultsQueue: string,
): Promise<string> {
  const body: StepMessage = {
    task_uuid: message.task_uuid,
    step_uuid: message.step_uuid,
    correlation_id: message.correlation_id,
  };
  const [row] = await run(db, SEND_RESULT_AND_ARCHIVE, [
    resultsQueue,
    JSON.stringify(body),
    stepMessage.queue,
    stepMessage.msgId,
  ]);
  if (row === undefined) throw new Error('pgmq_send_with_notify returned no msg_id');
  return row.msg_id;
}
