import { formatRfc3339Offset } from '@tasker-bridge/schemas';
import type { OrchestrationContext } from './context.js';
import { inTransaction } from './db.js';
import {
  type EnqueuedStep,
  getTaskExecutionContext,
  getTaskReadyInfo,
  processTaskByState,
} from './step-enqueuer.js';
import {
  currentTaskState,
  debugTaskEvent,
  insertTaskTransition,
  type TaskEvent,
  type TaskState,
  transitionTask,
} from './task-state-machine.js';

/**
 * Task coordination and finalisation after a step result (upstream `result_processing/task_coordinator.rs`,
 * `task_finalization/{service,state_handlers,completion_handler}.rs`). Faithful consequence worth knowing: a
 * permanently failed step moves the task to `blocked_by_failures` (event `PermanentFailure`), not to `error`;
 * upstream only goes on to `error` (`GiveUp`) if finalisation runs again for a blocked task (an explicit
 * finalize request), which this harness does not issue.
 */

export type FinalizationAction = 'completed' | 'failed' | 'reenqueued' | 'no_action' | 'skipped';

export interface CoordinationOutcome {
  action: FinalizationAction;
  enqueued: EnqueuedStep[];
}

/** `TaskCoordinator::check_and_finalize_task`. */
export async function coordinateTaskFinalization(
  ctx: OrchestrationContext,
  taskUuid: string,
  stepUuid: string,
): Promise<CoordinationOutcome> {
  const state = await currentTaskState(ctx.pool, taskUuid);
  if (state === 'steps_in_process') {
    await transitionTask(ctx.pool, taskUuid, { type: 'StepCompleted', stepUuid }, ctx.processorUuid);
    return finalizeTask(ctx, taskUuid);
  }
  if (state === 'evaluating_results') return finalizeTask(ctx, taskUuid);
  if (state === 'pending' || state === 'initializing') {
    throw new Error(`step result for task ${taskUuid} received while the task is ${state}`);
  }
  ctx.logger.debug({ task_uuid: taskUuid, state }, 'task coordination: idempotent no-op');
  return { action: 'skipped', enqueued: [] };
}

/** `TaskFinalizer::finalize_task` → decision from `tasker.get_task_execution_context`. */
export async function finalizeTask(
  ctx: OrchestrationContext,
  taskUuid: string,
): Promise<CoordinationOutcome> {
  const execution = await getTaskExecutionContext(ctx, taskUuid);
  if (!execution) return { action: await errorTask(ctx, taskUuid), enqueued: [] };
  switch (execution.execution_status) {
    case 'all_complete':
      return { action: await completeTask(ctx, taskUuid), enqueued: [] };
    case 'blocked_by_failures':
      return { action: await errorTask(ctx, taskUuid), enqueued: [] };
    case 'has_ready_steps':
      return handleReadySteps(ctx, taskUuid);
    case 'waiting_for_dependencies':
      // handle_waiting_state: the SQL already reports blocked tasks as blocked_by_failures, so this is
      // equivalent to upstream's extra "independent verification" before delegating.
      return handleReadySteps(ctx, taskUuid);
    case 'processing':
      return { action: 'no_action', enqueued: [] };
  }
}

async function handleReadySteps(ctx: OrchestrationContext, taskUuid: string): Promise<CoordinationOutcome> {
  const state = await currentTaskState(ctx.pool, taskUuid);
  if (state === 'blocked_by_failures') return { action: await errorTask(ctx, taskUuid), enqueued: [] };
  const active: TaskState[] = ['enqueuing_steps', 'steps_in_process', 'evaluating_results'];
  if (!active.includes(state) && state !== 'complete') {
    await transitionTask(ctx.pool, taskUuid, { type: 'Start' }, ctx.processorUuid);
  }
  const info = await getTaskReadyInfo(ctx, taskUuid);
  if (!info) throw new Error(`no ready info for task ${taskUuid}`);
  const enqueued = await processTaskByState(ctx, info);
  return { action: enqueued ? 'reenqueued' : 'no_action', enqueued: enqueued ?? [] };
}

/** One finalisation transition inside the locked transaction (`create_transition_with_tx`). */
function finalizationMetadata(event: TaskEvent): Record<string, unknown> {
  return {
    event: debugTaskEvent(event),
    timestamp: formatRfc3339Offset(new Date()),
    atomic_finalization: true,
  };
}

/** `CompletionHandler::complete_task`: row lock, state-dependent transitions, `complete = true`. */
async function completeTask(ctx: OrchestrationContext, taskUuid: string): Promise<FinalizationAction> {
  await inTransaction(ctx.pool, async (client) => {
    await client.query('SELECT task_uuid FROM tasker.tasks WHERE task_uuid = $1::uuid FOR UPDATE', [
      taskUuid,
    ]);
    const state = await currentTaskState(client, taskUuid);
    if (state === 'complete') return;
    const move = (from: TaskState, to: TaskState, event: TaskEvent) =>
      insertTaskTransition(client, taskUuid, from, to, ctx.processorUuid, finalizationMetadata(event));
    if (state === 'evaluating_results') await move(state, 'complete', { type: 'AllStepsSuccessful' });
    else if (state === 'steps_in_process') {
      await move(state, 'evaluating_results', { type: 'AllStepsCompleted' });
      await move('evaluating_results', 'complete', { type: 'AllStepsSuccessful' });
    } else if (state === 'pending') {
      throw new Error(`task ${taskUuid} is still pending when trying to complete`);
    } else if (state === 'initializing') await move(state, 'complete', { type: 'NoStepsFound' });
    else await move(state, 'complete', { type: 'Complete' });
    await client.query(
      'UPDATE tasker.tasks SET complete = true, updated_at = NOW() WHERE task_uuid = $1::uuid',
      [taskUuid],
    );
  });
  return 'completed';
}

/** `CompletionHandler::error_task`: `blocked_by_failures → error` (GiveUp), anything else → `blocked_by_failures`. */
async function errorTask(ctx: OrchestrationContext, taskUuid: string): Promise<FinalizationAction> {
  await inTransaction(ctx.pool, async (client) => {
    await client.query('SELECT task_uuid FROM tasker.tasks WHERE task_uuid = $1::uuid FOR UPDATE', [
      taskUuid,
    ]);
    const state = await currentTaskState(client, taskUuid);
    if (state === 'error') return;
    const event: TaskEvent =
      state === 'blocked_by_failures'
        ? { type: 'GiveUp' }
        : { type: 'PermanentFailure', reason: 'Steps in error state' };
    const to: TaskState = state === 'blocked_by_failures' ? 'error' : 'blocked_by_failures';
    await insertTaskTransition(client, taskUuid, state, to, ctx.processorUuid, finalizationMetadata(event));
  });
  return 'failed';
}
