import type { OrchestrationContext } from './context.js';
import { queueExists, sendStepMessage } from './step-messages.js';
import { currentStepState, transitionStep } from './step-state-machine.js';
import { currentTaskState, type TaskState, transitionTask } from './task-state-machine.js';

/**
 * Enqueueing ready steps and the task-state handling around it (docs/protocol.md §2; upstream
 * `lifecycle/step_enqueuer.rs`, `lifecycle/step_enqueuer_services/state_handlers.rs`).
 */

export interface ReadyTaskInfo {
  task_uuid: string;
  namespace_name: string;
  ready_steps_count: number;
  current_state: TaskState;
}

export type ExecutionStatus =
  | 'has_ready_steps'
  | 'processing'
  | 'blocked_by_failures'
  | 'all_complete'
  | 'waiting_for_dependencies';

export interface TaskExecutionContext {
  execution_status: ExecutionStatus;
  ready_steps: number;
  failed_steps: number;
  total_steps: number;
}

export async function getTaskReadyInfo(
  ctx: OrchestrationContext,
  taskUuid: string,
): Promise<ReadyTaskInfo | undefined> {
  const { rows } = await ctx.pool.query<ReadyTaskInfo>(
    `SELECT task_uuid::text, namespace_name::text, ready_steps_count::int AS ready_steps_count, current_state::text
       FROM tasker.get_task_ready_info($1::uuid)`,
    [taskUuid],
  );
  return rows[0];
}

/**
 * Tasks this processor left in a working state (`initializing`, `enqueuing_steps`, `evaluating_results`)
 * because the database went away mid-operation. The dev orchestrator runs one operation at a time, so when this
 * runs none of its own tasks can legitimately be in those states; upstream leaves such tasks to its staleness
 * detector (hours), which would stall a dev loop or a chaos test.
 */
export async function findStrandedTasks(ctx: OrchestrationContext, limit: number): Promise<ReadyTaskInfo[]> {
  const { rows } = await ctx.pool.query<ReadyTaskInfo>(
    `SELECT info.task_uuid::text, info.namespace_name::text, info.ready_steps_count::int AS ready_steps_count,
            info.current_state::text
       FROM tasker.task_transitions tt
       CROSS JOIN LATERAL tasker.get_task_ready_info(tt.task_uuid) info
      WHERE tt.most_recent = true AND tt.processor_uuid = $1::uuid
        AND tt.to_state IN ('initializing', 'enqueuing_steps', 'evaluating_results')
      LIMIT $2::int`,
    [ctx.processorUuid, limit],
  );
  return rows;
}

export async function getTaskExecutionContext(
  ctx: OrchestrationContext,
  taskUuid: string,
): Promise<TaskExecutionContext | undefined> {
  const { rows } = await ctx.pool.query<TaskExecutionContext>(
    `SELECT execution_status, ready_steps::int AS ready_steps, failed_steps::int AS failed_steps,
            total_steps::int AS total_steps
       FROM tasker.get_task_execution_context($1::uuid)`,
    [taskUuid],
  );
  return rows[0];
}

export interface EnqueuedStep {
  task_uuid: string;
  step_uuid: string;
  step_name: string;
  queue_name: string;
  /** null: split databases, the send failed and is retried (step-messages.ts). */
  msg_id: string | null;
}

/** `StateHandlers::process_task_by_state`: drives the task forward from its current state. */
export async function processTaskByState(
  ctx: OrchestrationContext,
  info: ReadyTaskInfo,
): Promise<EnqueuedStep[] | undefined> {
  const { pool, processorUuid } = ctx;
  const state = await currentTaskState(pool, info.task_uuid);
  switch (state) {
    case 'pending':
      await transitionTask(pool, info.task_uuid, { type: 'Start' }, processorUuid);
      return handleInitializing(ctx, info);
    case 'initializing':
      return handleInitializing(ctx, info);
    case 'evaluating_results':
      return handleEvaluating(ctx, info);
    case 'waiting_for_dependencies':
      await transitionTask(pool, info.task_uuid, { type: 'DependenciesReady' }, processorUuid);
      return handleEvaluating(ctx, info);
    case 'waiting_for_retry':
      await transitionTask(pool, info.task_uuid, { type: 'RetryReady' }, processorUuid);
      return handleEnqueueing(ctx, info);
    case 'enqueuing_steps':
      // Only reached for a task stranded mid-enqueue (connection lost, see `findStrandedTasks`): enqueueing
      // picks the steps still ready, so the ones already sent are not sent twice.
      return handleEnqueueing(ctx, info);
    default:
      ctx.logger.warn({ task_uuid: info.task_uuid, state }, 'task in unexpected state for step enqueueing');
      return undefined;
  }
}

async function handleInitializing(
  ctx: OrchestrationContext,
  info: ReadyTaskInfo,
): Promise<EnqueuedStep[] | undefined> {
  if (info.ready_steps_count > 0) {
    await transitionTask(
      ctx.pool,
      info.task_uuid,
      { type: 'ReadyStepsFound', count: info.ready_steps_count },
      ctx.processorUuid,
    );
    return handleEnqueueing(ctx, info);
  }
  await transitionTask(ctx.pool, info.task_uuid, { type: 'NoStepsFound' }, ctx.processorUuid);
  return undefined;
}

async function handleEnqueueing(ctx: OrchestrationContext, info: ReadyTaskInfo): Promise<EnqueuedStep[]> {
  const enqueued = await enqueueReadySteps(ctx, info);
  await transitionTask(
    ctx.pool,
    info.task_uuid,
    { type: 'StepsEnqueued', stepUuids: enqueued.map((s) => s.step_uuid) },
    ctx.processorUuid,
  );
  return enqueued;
}

async function handleEvaluating(
  ctx: OrchestrationContext,
  info: ReadyTaskInfo,
): Promise<EnqueuedStep[] | undefined> {
  const execution = await getTaskExecutionContext(ctx, info.task_uuid);
  if (!execution) throw new Error(`no execution context for task ${info.task_uuid}`);
  const { pool, processorUuid } = ctx;
  switch (execution.execution_status) {
    case 'has_ready_steps':
      await transitionTask(
        pool,
        info.task_uuid,
        { type: 'ReadyStepsFound', count: execution.ready_steps },
        processorUuid,
      );
      return handleEnqueueing(ctx, info);
    case 'all_complete':
      await transitionTask(pool, info.task_uuid, { type: 'AllStepsSuccessful' }, processorUuid);
      return undefined;
    case 'blocked_by_failures':
      await transitionTask(
        pool,
        info.task_uuid,
        { type: 'PermanentFailure', reason: 'Too many step failures' },
        processorUuid,
      );
      return undefined;
    case 'waiting_for_dependencies':
      await transitionTask(pool, info.task_uuid, { type: 'NoDependenciesReady' }, processorUuid);
      return undefined;
    case 'processing':
      return undefined;
  }
}

/**
 * `StepEnqueuer::enqueue_ready_steps`: ready steps from `tasker.get_step_readiness_status`; `waiting_for_retry`
 * steps first go back to `pending` (event `Retry`); each step is marked `enqueued` and its `StepMessage` sent with
 * `tasker.pgmq_send_with_notify`. Upstream commits the transition first and sends after (the "TAS-29 Phase 5.4"
 * ordering), which a lost connection can leave as an `enqueued` step with no message. With one database the dev
 * orchestrator commits both in one transaction. With split databases that is impossible: it commits the
 * transition, then sends, and a failed send is kept and retried (step-messages.ts). A worker sees the same
 * thing either way: the notification arrives after the step is `enqueued`.
 */
export async function enqueueReadySteps(
  ctx: OrchestrationContext,
  info: ReadyTaskInfo,
): Promise<EnqueuedStep[]> {
  const { pool, logger } = ctx;
  const task = await pool.query<{ correlation_id: string }>(
    'SELECT correlation_id::text FROM tasker.tasks WHERE task_uuid = $1::uuid',
    [info.task_uuid],
  );
  const correlationId = task.rows[0]?.correlation_id ?? '00000000-0000-0000-0000-000000000000';
  const ready = await pool.query<{ workflow_step_uuid: string; name: string }>(
    `SELECT workflow_step_uuid::text, name FROM tasker.get_step_readiness_status($1::uuid, NULL)
      WHERE ready_for_execution = true`,
    [info.task_uuid],
  );
  const queueName = `worker_${info.namespace_name}_queue`;
  const enqueued: EnqueuedStep[] = [];
  if (ctx.unsent !== null && ready.rows.length > 0 && !(await queueExists(ctx.pgmqPool, queueName))) {
    // Split databases: the transition would commit before the send could fail, so check first; the steps stay
    // `pending`, as a failed send leaves them in one database (the readiness cycle tries again).
    logger.warn(
      { task_uuid: info.task_uuid, queue_name: queueName, steps: ready.rows.map((r) => r.name) },
      'failed to enqueue steps: queue does not exist (no worker of the namespace has started)',
    );
    return enqueued;
  }
  for (const step of ready.rows) {
    const log = logger.child({
      task_uuid: info.task_uuid,
      step_uuid: step.workflow_step_uuid,
      correlation_id: correlationId,
    });
    const state = await currentStepState(pool, step.workflow_step_uuid);
    try {
      if (state === 'waiting_for_retry')
        await transitionStep(pool, step.workflow_step_uuid, { type: 'Retry' });
      else if (state !== 'pending') {
        log.debug({ state }, 'skipping step not in an enqueueable state');
        continue;
      }
      const message = {
        task_uuid: info.task_uuid,
        step_uuid: step.workflow_step_uuid,
        correlation_id: correlationId,
      };
      let msgId: string | null = null;
      if (ctx.unsent === null) {
        await transitionStep(pool, step.workflow_step_uuid, { type: 'Enqueue' }, async (client) => {
          msgId = await sendStepMessage(client, queueName, message);
        });
      } else {
        await transitionStep(pool, step.workflow_step_uuid, { type: 'Enqueue' });
        try {
          msgId = await sendStepMessage(ctx.pgmqPool, queueName, message);
        } catch (error) {
          ctx.unsent.keep(queueName, message, step.name);
          log.warn(
            { step_name: step.name, queue_name: queueName, err: error },
            'step enqueued but its message could not be sent (pgmq database); retried at the next ready-task cycle',
          );
        }
      }
      log.info({ step_name: step.name, queue_name: queueName, msg_id: msgId }, 'step enqueued');
      enqueued.push({
        task_uuid: info.task_uuid,
        step_uuid: step.workflow_step_uuid,
        step_name: step.name,
        queue_name: queueName,
        msg_id: msgId,
      });
    } catch (error) {
      // A lost connection fails the whole operation: the task stays `enqueuing_steps` and the stranded-task
      // sweep (`findStrandedTasks`) enqueues again. A statement the database rejected (typically: no worker has
      // created `worker_<ns>_queue` yet, docs/protocol.md §1.2) is counted and skipped as upstream does; the
      // rolled-back transition leaves the step `pending`.
      if (!isStatementError(error)) throw error;
      log.warn({ step_name: step.name, queue_name: queueName, err: error }, 'failed to enqueue step');
    }
  }
  return enqueued;
}

/** An error PostgreSQL reported about a statement (a SQLSTATE outside the connection classes 08 and 57). */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57)/.test(code);
}
