import type { TaskState } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { inTransaction, type Queryable } from './db.js';
import { rustDebugString } from './rust-encoding.js';

/**
 * tasker's task state machine as orchestration drives it (docs/wire-types.md §11; upstream
 * `tasker-shared/src/state_machine/task_state_machine.rs`, `guards.rs` `TransitionGuard`, persistence in
 * `models/core/task_transition.rs`).
 */

export type { TaskState };

export const TERMINAL_TASK_STATES: readonly TaskState[] = [
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
];

/** The task events this package sends. `metadata.event` is Rust's `{:?}` of the enum value. */
export type TaskEvent =
  | { type: 'Start' }
  | { type: 'ReadyStepsFound'; count: number }
  | { type: 'NoStepsFound' }
  | { type: 'NoDependenciesReady' }
  | { type: 'DependenciesReady' }
  | { type: 'StepsEnqueued'; stepUuids: string[] }
  | { type: 'StepCompleted'; stepUuid: string }
  | { type: 'AllStepsCompleted' }
  | { type: 'AllStepsSuccessful' }
  | { type: 'PermanentFailure'; reason: string }
  | { type: 'RetryReady' }
  | { type: 'GiveUp' }
  | { type: 'Complete' };

export function debugTaskEvent(event: TaskEvent): string {
  switch (event.type) {
    case 'ReadyStepsFound':
      return `ReadyStepsFound(${event.count})`;
    case 'StepsEnqueued':
      return `StepsEnqueued([${event.stepUuids.join(', ')}])`;
    case 'StepCompleted':
      return `StepCompleted(${event.stepUuid})`;
    case 'PermanentFailure':
      return `PermanentFailure(${rustDebugString(event.reason)})`;
    default:
      return event.type;
  }
}

/** `determine_target_state_internal` (the subset reachable from the events above). */
export function taskTargetState(from: TaskState, event: TaskEvent): TaskState | undefined {
  if (TERMINAL_TASK_STATES.includes(from)) return undefined; // TransitionGuard: terminal states never move
  switch (`${from}:${event.type}`) {
    case 'pending:Start':
      return 'initializing';
    case 'initializing:ReadyStepsFound':
    case 'evaluating_results:ReadyStepsFound':
    case 'waiting_for_retry:RetryReady':
      return 'enqueuing_steps';
    case 'initializing:NoStepsFound':
    case 'evaluating_results:AllStepsSuccessful':
    case 'steps_in_process:Complete':
      return 'complete';
    case 'initializing:NoDependenciesReady':
    case 'evaluating_results:NoDependenciesReady':
      return 'waiting_for_dependencies';
    case 'enqueuing_steps:StepsEnqueued':
      return 'steps_in_process';
    case 'steps_in_process:AllStepsCompleted':
    case 'steps_in_process:StepCompleted':
    case 'waiting_for_dependencies:DependenciesReady':
      return 'evaluating_results';
    case 'evaluating_results:PermanentFailure':
      return 'blocked_by_failures';
    case 'blocked_by_failures:GiveUp':
      return 'error';
    default:
      return undefined;
  }
}

export class TaskTransitionError extends Error {
  readonly code = 'task_transition_failed';
  constructor(
    message: string,
    readonly taskUuid: string,
  ) {
    super(message);
    this.name = 'TaskTransitionError';
  }
}

export async function currentTaskState(db: Queryable, taskUuid: string): Promise<TaskState> {
  const { rows } = await db.query<{ to_state: TaskState }>(
    `SELECT to_state FROM tasker.task_transitions
      WHERE task_uuid = $1::uuid AND most_recent = true
      ORDER BY sort_key DESC LIMIT 1`,
    [taskUuid],
  );
  return rows[0]?.to_state ?? 'pending';
}

/** `TaskTransition::create[_with_transaction]`: next sort_key, clear most_recent, insert. */
export async function insertTaskTransition(
  client: Queryable,
  taskUuid: string,
  fromState: TaskState | null,
  toState: TaskState,
  processorUuid: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  const { rows } = await client.query<{ next_sort_key: number }>(
    'SELECT COALESCE(MAX(sort_key), 0) + 1 AS next_sort_key FROM tasker.task_transitions WHERE task_uuid = $1::uuid',
    [taskUuid],
  );
  await client.query(
    `UPDATE tasker.task_transitions SET most_recent = false, updated_at = NOW()
      WHERE task_uuid = $1::uuid AND most_recent = true`,
    [taskUuid],
  );
  await client.query(
    `INSERT INTO tasker.task_transitions
       (task_uuid, to_state, from_state, processor_uuid, metadata, sort_key, most_recent, created_at, updated_at)
     VALUES ($1::uuid, $2, $3, $4::uuid, $5::jsonb, $6, true, NOW(), NOW())`,
    [taskUuid, toState, fromState, processorUuid, JSON.stringify(metadata), rows[0]?.next_sort_key ?? 1],
  );
}

/**
 * `TaskStateMachine::transition`: metadata `{"event": "<Debug>"}`, processor uuid in its own column, and
 * `UpdateTaskCompletionAction` (`complete = true`) when the task reaches `complete`.
 */
export async function transitionTask(
  pool: pg.Pool,
  taskUuid: string,
  event: TaskEvent,
  processorUuid: string,
): Promise<TaskState> {
  const from = await currentTaskState(pool, taskUuid);
  const to = taskTargetState(from, event);
  if (to === undefined) {
    throw new TaskTransitionError(`invalid task transition: ${from} + ${debugTaskEvent(event)}`, taskUuid);
  }
  await inTransaction(pool, (client) =>
    insertTaskTransition(client, taskUuid, from, to, processorUuid, { event: debugTaskEvent(event) }),
  );
  if (to === 'complete') {
    await pool.query(
      'UPDATE tasker.tasks SET complete = true, updated_at = NOW() WHERE task_uuid = $1::uuid',
      [taskUuid],
    );
  }
  return to;
}
