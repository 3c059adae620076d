import type { StepExecutionResult } from '@tasker-bridge/schemas';
import { applyBackoff } from './backoff.js';
import { batchOutcomeFrom, processBatchOutcome } from './batch-workers.js';
import type { OrchestrationContext } from './context.js';
import { decisionOutcomeFrom, processDecisionOutcome } from './decision-points.js';
import {
  decodeStepResult,
  type HydratedResult,
  HydrationError,
  hydrateResult,
  normalizedStatus,
} from './result-hydrator.js';
import type { EnqueuedStep } from './step-enqueuer.js';
import { currentStepState, type StepEvent, type StepState, transitionStep } from './step-state-machine.js';
import { coordinateTaskFinalization, type FinalizationAction } from './task-finalizer.js';
import { findStep, loadTemplateForTask } from './template.js';

/**
 * What orchestration does with one `orchestration_step_results` message (docs/protocol.md §5.2; upstream
 * `orchestration/commands/service.rs` `step_result_from_message`, `result_processing/{message_handler,
 * state_transition_handler}.rs`): hydrate, apply backoff when `orchestration_metadata` is present, move the
 * step out of its `enqueued_*_for_orchestration` state, create decision/batch steps for completed steps,
 * coordinate the task, archive the message.
 */

export const STEP_RESULTS_QUEUE = 'orchestration_step_results';

/** What serde gives `results.step_uuid` when the key is absent. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface QueueMessage {
  msg_id: string;
  read_ct: number;
  message: unknown;
}

export type ResultOutcome =
  | {
      type: 'processed';
      task_uuid: string;
      step_uuid: string;
      step_state: StepState | 'unchanged';
      task_action: FinalizationAction;
      enqueued: EnqueuedStep[];
      created_steps: string[];
    }
  | { type: 'rejected'; reason: string };

/** Processes and archives one message. Throws only for errors worth a retry after the visibility timeout. */
export async function processResultMessage(
  ctx: OrchestrationContext,
  queued: QueueMessage,
): Promise<ResultOutcome> {
  let hydrated: HydratedResult;
  try {
    hydrated = await hydrateResult(ctx.pool, queued.message);
  } catch (error) {
    if (!(error instanceof HydrationError)) throw error;
    // Upstream leaves such a message unacknowledged and re-reads it every visibility timeout forever; a dev
    // tool says so loudly once and archives it instead.
    ctx.logger.error(
      { msg_id: queued.msg_id, queue_name: STEP_RESULTS_QUEUE, body: queued.message, err: error.message },
      'undecodable step result message archived',
    );
    await archive(ctx, queued.msg_id);
    return { type: 'rejected', reason: error.message };
  }
  const outcome = await handleStepExecutionResult(ctx, hydrated);
  await archive(ctx, queued.msg_id);
  return outcome;
}

async function archive(ctx: OrchestrationContext, msgId: string): Promise<void> {
  await ctx.pgmqPool.query('SELECT pgmq.archive($1::text, $2::bigint)', [STEP_RESULTS_QUEUE, msgId]);
}

/** `MessageHandler::handle_step_execution_result`. */
async function handleStepExecutionResult(
  ctx: OrchestrationContext,
  hydrated: HydratedResult,
): Promise<ResultOutcome> {
  const { result, step } = hydrated;
  const stepUuid = step.workflow_step_uuid;
  const taskUuid = step.task_uuid;
  const log = ctx.logger.child({
    task_uuid: taskUuid,
    step_uuid: stepUuid,
    correlation_id: hydrated.message.correlation_id,
  });
  if (result.step_uuid !== NIL_UUID && result.step_uuid !== stepUuid) {
    // Upstream would act on `results.step_uuid`; acting on the message's step is the safer reading here.
    log.warn({ results_step_uuid: result.step_uuid }, 'results.step_uuid differs from the message step_uuid');
  }
  const status = normalizedStatus(result);

  if (result.orchestration_metadata) {
    try {
      const delay = await applyBackoff(ctx, stepUuid, result.orchestration_metadata);
      log.debug({ delay_seconds: delay }, 'applied backoff');
    } catch (error) {
      log.error({ err: error }, 'failed to apply backoff (ignored, as upstream)');
    }
  }

  const stepState = await transitionFromNotificationState(ctx, stepUuid, status);
  log.info({ step_name: step.step_name, status, step_state: stepState }, 'step result processed');

  const created: string[] = [];
  if (status === 'completed') created.push(...(await processOutcomes(ctx, taskUuid, stepUuid, log)));

  const coordination = await coordinateTaskFinalization(ctx, taskUuid, stepUuid);
  return {
    type: 'processed',
    task_uuid: taskUuid,
    step_uuid: stepUuid,
    step_state: stepState,
    task_action: coordination.action,
    enqueued: coordination.enqueued,
    created_steps: created,
  };
}

/** `StateTransitionHandler::process_state_transition` (idempotent: other states are left alone). */
async function transitionFromNotificationState(
  ctx: OrchestrationContext,
  stepUuid: string,
  status: string,
): Promise<StepState | 'unchanged'> {
  const state = await currentStepState(ctx.pool, stepUuid);
  if (state !== 'enqueued_for_orchestration' && state !== 'enqueued_as_error_for_orchestration')
    return 'unchanged';
  const { rows } = await ctx.pool.query<{
    results: unknown;
    attempts: number | null;
    max_attempts: number | null;
  }>(
    'SELECT results, attempts, max_attempts FROM tasker.workflow_steps WHERE workflow_step_uuid = $1::uuid',
    [stepUuid],
  );
  const row = rows[0]!;
  const decoded = row.results === null ? undefined : decodeStepResult(row.results);
  const event =
    state === 'enqueued_for_orchestration'
      ? successEvent(row.results, decoded, status)
      : errorEvent(row, decoded, status);
  return transitionStep(ctx.pool, stepUuid, event);
}

function successEvent(results: unknown, decoded: StepExecutionResult | undefined, status: string): StepEvent {
  if (decoded) {
    // A failure reported through the success state is permanent: no retry from here.
    return decoded.success
      ? { type: 'Complete', data: results }
      : { type: 'Fail', data: `Step failed: ${decoded.error?.message ?? 'Unknown error'}` };
  }
  const lower = status.toLowerCase();
  const success = lower.includes('success') || lower === 'complete' || lower === 'completed';
  return success
    ? { type: 'Complete', data: results ?? null }
    : { type: 'Fail', data: `Step failed with status: ${status}` };
}

/**
 * Retry iff the worker said `metadata.retryable` and attempts remain (`attempts < max_attempts`); neither
 * `error.retryable` nor the `retryable` column is consulted (docs/protocol.md §5.2).
 */
function errorEvent(
  row: { attempts: number | null; max_attempts: number | null },
  decoded: StepExecutionResult | undefined,
  status: string,
): StepEvent {
  const attemptsLeft = (row.attempts ?? 0) < (row.max_attempts ?? 0);
  const retry = decoded ? decoded.metadata.retryable && attemptsLeft : attemptsLeft;
  const message = decoded
    ? (decoded.error?.message ?? 'Step execution failed')
    : `Step failed with status: ${status}`;
  return retry ? { type: 'WaitForRetry', data: `${message} - retryable` } : { type: 'Fail', data: message };
}

/** Decision-point and batch outcomes of a completed step; failures are logged and not fatal (as upstream). */
async function processOutcomes(
  ctx: OrchestrationContext,
  taskUuid: string,
  stepUuid: string,
  log: OrchestrationContext['logger'],
): Promise<string[]> {
  try {
    const { rows } = await ctx.pool.query<{ name: string; results: { result?: unknown } | null }>(
      `SELECT ns.name, ws.results FROM tasker.workflow_steps ws
         JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
        WHERE ws.workflow_step_uuid = $1::uuid`,
      [stepUuid],
    );
    const row = rows[0];
    if (!row) return [];
    const template = await loadTemplateForTask(ctx.pool, taskUuid);
    const definition = findStep(template, row.name);
    if (!definition) return [];
    const result = row.results?.result;
    if (definition.type === 'decision') {
      const outcome = decisionOutcomeFrom(result);
      if (!outcome) {
        log.warn(
          { step_name: row.name },
          'decision step completed without a valid decision_point_outcome; no steps created',
        );
        return [];
      }
      const mapping = await processDecisionOutcome(
        ctx,
        template,
        { task_uuid: taskUuid },
        { step_uuid: stepUuid, name: row.name },
        outcome,
      );
      return Object.keys(mapping);
    }
    if (definition.type === 'batchable') {
      const outcome = batchOutcomeFrom(result);
      if (!outcome) {
        log.warn(
          { step_name: row.name },
          'batchable step completed without a valid batch_processing_outcome; no workers created',
        );
        return [];
      }
      return await processBatchOutcome(
        ctx,
        template,
        { task_uuid: taskUuid },
        { step_uuid: stepUuid, name: row.name },
        outcome,
      );
    }
    return [];
  } catch (error) {
    log.warn(
      { err: error },
      'decision/batch outcome processing failed (non-fatal, continuing with task coordination)',
    );
    return [];
  }
}
