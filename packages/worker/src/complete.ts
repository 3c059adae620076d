import { setTimeout } from 'node:timers/promises';
import type { Logger } from '@tasker-bridge/core';
import type { StepExecutionResult, StepMessage } from '@tasker-bridge/schemas';
import { backoffDelay, sleep } from './backoff.js';
import { Batcher } from './batch.js';
import { workerFailureResult } from './failure-result.js';
import { type ResultAndLease, sendResultsAndArchive, sendResultsParams } from './pgmq.js';
import { type Queryable, run, sqlState } from './sql/connections.js';
import { CLAIM_SUCCESSOR, COMPLETE_AND_REPORT, COMPLETE_CLAIMS, TASK_STATE } from './sql/statements.js';
import { completionMetadataOf, stringifySorted } from './transition-metadata.js';

/**
 * Completion (docs/protocol.md §4.6, §4.7), in upstream's order:
 * 1. tasker DB: `in_progress → enqueued_for_orchestration` (success) or `→ enqueued_as_error_for_orchestration`
 *    (failure) with `{event, timestamp, worker_uuid, correlation_id}`, plus `in_process = false,
 *    results = <StepExecutionResult>`. Fenced: only the claim this worker made can be completed (`COMPLETE_CLAIMS`).
 * 2. pgmq DB: the `StepMessage` to the results queue (`orchestration_step_results`) through
 *    `tasker.pgmq_send_with_notify`, and the archive of the step message (the claim's lease, package README
 *    "Leases"; `pgmq.ts`).
 * Orchestration archives a result message whose step is not yet in an `enqueued_*_for_orchestration` state and
 * never looks at it again (§5.1), so step 2 must never become visible before step 1. With pgmq in a database of
 * its own they are two statements, step 1 committed before step 2 starts; with one database they are one
 * statement (`COMPLETE_AND_REPORT`), both visible at the same commit. Step 2 also waits while the task is still
 * `enqueuing_steps` (§5.5): such a step is written alone, and its result sent once the enqueue is over. Both
 * forms are batched across the steps finishing together (`CompletionStatements`), each row fenced to its own
 * claim, and each step held back on its own task's state: a batch is never delayed for one step's task.
 *
 * After a claim the step must end in a completion: transient database errors are retried with backoff until it
 * is written and sent, or until the hard stop of a shutdown (then the lease lapses and another worker finishes
 * the report, `recover.ts`).
 */

export const CompletionState = {
  SUCCESS: 'enqueued_for_orchestration',
  ERROR: 'enqueued_as_error_for_orchestration',
} as const;

export type WriteOutcome =
  /**
   * Transition and results committed by this call, or by an earlier attempt of ours whose reply was lost.
   * `resultMsgId`: the result message's msg_id when the same statement sent it; null when it is still to send
   * (`CompletionStatements.send`).
   */
  | { kind: 'written'; toState: string; resultMsgId: string | null }
  /**
   * Our claim is no longer the step's current `in_progress` row: nothing written, nothing to send (upstream:
   * InvalidTransition). `recoveredBy` is set when another worker recovered the claim after our lease lapsed.
   */
  | { kind: 'not_in_progress'; state: string | null; recoveredBy: string | null };

/** One completion to write (`CompletionStatements.write`). */
export interface CompletionWrite {
  stepUuid: string;
  /** The claim it is fenced to: the `in_progress` transition this worker (or the lost owner) made. */
  claimTransitionUuid: string;
  result: StepExecutionResult;
  workerUuid: string;
  correlationId: string;
}

/** A completion and the result message that reports it, with the step message to archive (its lease). */
export type CompletionReport = CompletionWrite & ResultAndLease;

/** Largest batch per statement: a bound on one statement's size, far above the steps one worker runs at once. */
const MAX_BATCH = 100;

/**
 * A completion written: its task, the task's state read in the same statement, and the result message's msg_id
 * when the statement sent it too (`COMPLETE_AND_REPORT`).
 */
interface Written {
  taskUuid: string;
  taskState: string | null;
  resultMsgId: string | null;
}

/**
 * The completion statements of every step in flight, each batched across steps (`batch.ts`): the completion write
 * on the tasker database and the result message with the archive of the step message on the pgmq one — one
 * statement for both when they are the same database. Steps finishing together share a statement; a lone step
 * gets one of its own at once.
 */
export class CompletionStatements {
  readonly #taskerDb: Queryable;
  readonly #writes: Batcher<CompletionReport, Written | null>;
  readonly #sends: Batcher<ResultAndLease, string>;

  constructor(taskerDb: Queryable, pgmqDb: Queryable, resultsQueue: string) {
    this.#taskerDb = taskerDb;
    const report = taskerDb === pgmqDb ? resultsQueue : null;
    this.#writes = new Batcher((inputs) => writeCompletions(taskerDb, inputs, report), MAX_BATCH);
    this.#sends = new Batcher((items) => sendResultsAndArchive(pgmqDb, resultsQueue, items), MAX_BATCH);
  }

  /**
   * Step 1 for one claim: the transition and the results, fenced to the claim — and step 2 with it when the
   * databases are one and the task is not `enqueuing_steps`. Returns once the result may be sent: while the
   * step's task is `enqueuing_steps` (§5.5) this step alone waits for it, after the batch's statement answered,
   * so its neighbours in the batch go on at once.
   */
  async write(input: CompletionReport): Promise<WriteOutcome> {
    const toState = input.result.success ? CompletionState.SUCCESS : CompletionState.ERROR;
    const written = await this.#writes.run(input);
    if (written !== null) {
      if (written.taskState === ENQUEUING_STEPS) await untilEnqueued(this.#taskerDb, written.taskUuid);
      return { kind: 'written', toState, resultMsgId: written.resultMsgId };
    }
    // Nothing written: was it us, on an earlier attempt whose COMMIT reply never arrived? The transition right
    // after our claim tells (it is ours, or a recovery by another worker, or nothing when an operator moved it).
    // Ours: whether that attempt also sent the result is unknown, so it is sent (again): orchestration ignores a
    // duplicate (`sendResultsAndArchive`).
    const [row] = await run(this.#taskerDb, CLAIM_SUCCESSOR, [input.stepUuid, input.claimTransitionUuid]);
    const nextWorker = row?.next_metadata?.worker_uuid;
    if (row?.next_state === toState && nextWorker === input.workerUuid) {
      return { kind: 'written', toState, resultMsgId: null };
    }
    return {
      kind: 'not_in_progress',
      state: row?.current_state ?? null,
      recoveredBy: typeof nextWorker === 'string' && nextWorker !== input.workerUuid ? nextWorker : null,
    };
  }

  /** Step 2 for one step: its result message and the archive of its step message. Returns the result's msg_id. */
  send(message: StepMessage, lease: { queue: string; msgId: string }): Promise<string> {
    return this.#sends.run({ message, lease });
  }
}

/**
 * The completions of a batch: `COMPLETE_AND_REPORT` when `resultsQueue` is given (one database), else
 * `COMPLETE_CLAIMS`. Per input, what was written for it (null: nothing).
 */
async function writeCompletions(
  db: Queryable,
  inputs: readonly CompletionReport[],
  resultsQueue: string | null,
): Promise<(Written | null)[]> {
  const rows =
    resultsQueue === null
      ? await run(db, COMPLETE_CLAIMS, [completionsParam(inputs)])
      : await run(db, COMPLETE_AND_REPORT, [
          completionsParam(inputs),
          ...sendResultsParams(resultsQueue, inputs),
        ]);
  const written = new Map(
    rows.map((r): [string, Written] => [
      r.step_uuid,
      { taskUuid: r.task_uuid, taskState: r.task_state, resultMsgId: r.result_msg_id ?? null },
    ]),
  );
  return inputs.map((input) => written.get(input.stepUuid) ?? null);
}

const ENQUEUING_STEPS = 'enqueuing_steps';
/** How long a result is held back for an enqueue in progress (§5.5): far beyond any enqueue, short of a lease. */
const ENQUEUE_WAIT_LIMIT_MS = 10_000;

/**
 * Re-reads the task's state until orchestration has finished enqueuing (§5.5), a few milliseconds apart (2, 4, 8 …
 * capped at 50 ms): the window is orchestration's own commits, typically tens of milliseconds. Past the limit the
 * result goes out anyway (an orchestrator that died mid-enqueue leaves the task `enqueuing_steps` for good, and
 * holding the result back would not help it). A re-read that fails is retried like the others within the limit:
 * a transient error must not let the result overtake the enqueue.
 */
async function untilEnqueued(db: Queryable, taskUuid: string): Promise<void> {
  const deadline = performance.now() + ENQUEUE_WAIT_LIMIT_MS;
  for (let pauseMs = 2; performance.now() < deadline; pauseMs = Math.min(pauseMs * 2, 50)) {
    await setTimeout(pauseMs);
    try {
      const [task] = await run(db, TASK_STATE, [taskUuid]);
      if (task?.to_state !== ENQUEUING_STEPS) return;
    } catch {
      // Looked at again after the next pause.
    }
  }
}

/** `COMPLETE_CLAIMS`'s parameter: the JSON array of the completions, built from their texts without re-parsing. */
export function completionsParam(inputs: readonly CompletionWrite[]): string {
  const entries = inputs.map((input) => {
    // One serialisation for both places the result goes: the transition's event data must be serde_json::Value's
    // sorted form, and `results` is jsonb, which keeps no key order, so the same text serves. The result is
    // already canonical and validated (core's `runStep`, or `workerFailureResult`).
    const resultText = stringifySorted(input.result);
    const metadata = completionMetadataOf(
      input.result.success,
      resultText,
      input.workerUuid,
      input.correlationId,
    );
    const toState = input.result.success ? CompletionState.SUCCESS : CompletionState.ERROR;
    return (
      `{"step_uuid":${JSON.stringify(input.stepUuid)},"to_state":"${toState}",` +
      `"claim_uuid":${JSON.stringify(input.claimTransitionUuid)},"metadata":${JSON.stringify(metadata)},` +
      `"results":${resultText}}`
    );
  });
  return `[${entries.join(',')}]`;
}

export interface CompletionContext {
  completions: CompletionStatements;
  workerUuid: string;
  workerId: string;
  /** Aborted when even completion retries must give up (second signal / final deadline of a shutdown). */
  hardStopSignal: AbortSignal;
}

export type Completion =
  /** Written and sent; `replaced` when the database refused the handler's result (see `completeStep`). */
  | {
      kind: 'sent';
      toState: string;
      resultMsgId: string;
      submissionMs: number;
      replaced: { error: string; code: string | undefined } | null;
    }
  /** Nothing written: our claim is no longer the step's `in_progress` row (see `WriteOutcome`). */
  | { kind: 'not_in_progress'; state: string | null; recoveredBy: string | null }
  /** Given up at the hard stop of a shutdown, during `stage`: the lease lapses and another worker reports. */
  | { kind: 'abandoned'; stage: 'completion write' | 'result message'; error: string };

/**
 * Completes a claim the worker ran: the completion write, then the result message with the archive of the step
 * message (in the write's statement when the databases are one), each retried on transient errors (one log line
 * per retry). A result the database refuses itself (SQLSTATE class 22 or 54: a `\u0000` in a string, a document
 * past jsonb's limits) can never be written: it is replaced by a permanent `result_not_storable` failure, written
 * instead, so the step does not stay `in_progress`. `result` is the result written (the handler's, or that
 * replacement).
 */
export async function completeStep(
  ctx: CompletionContext,
  input: {
    stepMessage: StepMessage;
    claimTransitionUuid: string;
    result: StepExecutionResult;
    lease: { queue: string; msgId: string };
  },
  logger: Logger,
): Promise<{ completion: Completion; result: StepExecutionResult }> {
  const { stepMessage } = input;
  const submitStarted = performance.now();
  const write = (result: StepExecutionResult) =>
    retryTransient(ctx.hardStopSignal, logger, 'completion write', () =>
      ctx.completions.write({
        stepUuid: stepMessage.step_uuid,
        claimTransitionUuid: input.claimTransitionUuid,
        result,
        workerUuid: ctx.workerUuid,
        correlationId: stepMessage.correlation_id,
        message: stepMessage,
        lease: input.lease,
      }),
    );
  let result = input.result;
  let replaced: { error: string; code: string | undefined } | null = null;
  let written: Awaited<ReturnType<typeof write>>;
  try {
    written = await write(result);
  } catch (error) {
    replaced = { error: (error as Error).message, code: sqlState(error) };
    result = workerFailureResult({
      stepUuid: stepMessage.step_uuid,
      message: `Handler result could not be stored: ${replaced.error}`,
      errorType: 'result_not_storable',
      retryable: false,
      workerId: ctx.workerId,
    });
    written = await write(result);
  }
  if (!written.ok) {
    return { completion: { kind: 'abandoned', stage: 'completion write', error: written.error }, result };
  }
  if (written.value.kind === 'not_in_progress') return { completion: written.value, result };
  let resultMsgId = written.value.resultMsgId;
  if (resultMsgId === null) {
    const sent = await retryTransient(ctx.hardStopSignal, logger, 'result message', () =>
      ctx.completions.send(stepMessage, input.lease),
    );
    if (!sent.ok) {
      return { completion: { kind: 'abandoned', stage: 'result message', error: sent.error }, result };
    }
    resultMsgId = sent.value;
  }
  return {
    completion: {
      kind: 'sent',
      toState: written.value.toState,
      resultMsgId,
      submissionMs: performance.now() - submitStarted,
      replaced,
    },
    result,
  };
}

/**
 * Retries `work` on transient errors until it succeeds or `hardStop` is aborted (then `ok: false` with the last
 * error). Errors the database raises about the data itself are thrown: retrying cannot help.
 */
async function retryTransient<T>(
  hardStop: AbortSignal,
  logger: Logger,
  what: string,
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      if (isDataError(error)) throw error;
      if (hardStop.aborted) return { ok: false, error: (error as Error).message };
      const delay = backoffDelay(attempt, { initialMs: 200, maxMs: 10_000 });
      logger.warn(
        { error: (error as Error).message, retry_in_ms: delay, attempt: attempt + 1 },
        `${what} failed; retrying`,
      );
      await sleep(delay, hardStop);
    }
  }
}

/** SQLSTATE classes 22 (data exception) and 54 (program limit exceeded): the statement can never succeed. */
function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('54'));
}
