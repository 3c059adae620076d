import {
  formatNaiveTimestamp,
  formatRfc3339Offset,
  type StepState,
  stringifyJson,
} from '@tasker-bridge/schemas';
import type pg from 'pg';
import { inTransaction, type Queryable } from './db.js';
import { serdeTaggedEvent } from './rust-encoding.js';

/**
 * The orchestration-owned part of tasker's step state machine (docs/protocol.md §5.1; upstream
 * `tasker-shared/src/state_machine/step_state_machine.rs`, persistence in `models/core/workflow_step_transition.rs`,
 * side effects in `state_machine/actions.rs`).
 */

export type { StepState };

/** The step events orchestration sends; serialised like serde's `#[serde(tag = "type", content = "data")]`. */
export type StepEvent =
  | { type: 'Enqueue' }
  | { type: 'Retry' }
  | { type: 'Complete'; data: unknown }
  | { type: 'Fail'; data: string }
  | { type: 'WaitForRetry'; data: string };

const TRANSITIONS: Record<StepEvent['type'], Partial<Record<StepState, StepState>>> = {
  Enqueue: { pending: 'enqueued' },
  Retry: { waiting_for_retry: 'pending', error: 'pending' },
  Complete: {
    enqueued_for_orchestration: 'complete',
    enqueued_as_error_for_orchestration: 'complete',
    in_progress: 'complete',
  },
  Fail: {
    enqueued_for_orchestration: 'error',
    enqueued_as_error_for_orchestration: 'error',
    in_progress: 'error',
    pending: 'error',
    enqueued: 'error',
  },
  WaitForRetry: {
    enqueued_as_error_for_orchestration: 'waiting_for_retry',
    in_progress: 'waiting_for_retry',
    enqueued: 'waiting_for_retry',
    pending: 'waiting_for_retry',
  },
};

export class StepTransitionError extends Error {
  readonly code = 'step_transition_failed';
  constructor(
    message: string,
    readonly stepUuid: string,
  ) {
    super(message);
    this.name = 'StepTransitionError';
  }
}

/** Current state: the most recent transition, `pending` when there is none (`WorkflowStepState::default`). */
export async function currentStepState(db: Queryable, stepUuid: string): Promise<StepState> {
  const { rows } = await db.query<{ to_state: StepState }>(
    `SELECT to_state FROM tasker.workflow_step_transitions
      WHERE workflow_step_uuid = $1::uuid AND most_recent = true
      ORDER BY sort_key DESC LIMIT 1`,
    [stepUuid],
  );
  return rows[0]?.to_state ?? 'pending';
}

/**
 * Inserts one transition row exactly as `WorkflowStepTransition::create[_with_transaction]` does: next
 * sort_key, clear `most_recent`, insert the new most-recent row. Runs on the caller's client (inside its
 * transaction).
 */
export async function insertStepTransition(
  client: Queryable,
  stepUuid: string,
  fromState: StepState | null,
  toState: StepState,
  metadata: Record<string, unknown>,
): Promise<void> {
  const { rows } = await client.query<{ next_sort_key: number }>(
    `SELECT COALESCE(MAX(sort_key), 0) + 1 AS next_sort_key
       FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = $1::uuid`,
    [stepUuid],
  );
  await client.query(
    `UPDATE tasker.workflow_step_transitions SET most_recent = false, updated_at = NOW()
      WHERE workflow_step_uuid = $1::uuid AND most_recent = true`,
    [stepUuid],
  );
  await client.query(
    `INSERT INTO tasker.workflow_step_transitions
       (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
     VALUES ($1::uuid, $2, $3, $4::jsonb, $5, true, NOW(), NOW())`,
    [stepUuid, toState, fromState, JSON.stringify(metadata), rows[0]?.next_sort_key ?? 1],
  );
}

/**
 * `StepStateMachine::transition`: resolve the current state, pick the target, check the guards, persist
 * with `{event, timestamp}` metadata, then run the post-transition side effects. Returns the new state.
 */
/**
 * `alsoInTransaction` runs after the transition row is written and commits with it: the step enqueuer sends the
 * step message there, so a connection lost in between cannot leave a step `enqueued` with no message.
 */
export async function transitionStep(
  pool: pg.Pool,
  stepUuid: string,
  event: StepEvent,
  alsoInTransaction?: (client: pg.PoolClient) => Promise<void>,
): Promise<StepState> {
  const from = await currentStepState(pool, stepUuid);
  const to = TRANSITIONS[event.type][from];
  if (to === undefined) {
    throw new StepTransitionError(`invalid step transition: ${from} + ${event.type}`, stepUuid);
  }
  if (from === 'pending' && event.type === 'Enqueue') await checkEnqueueGuards(pool, stepUuid);

  const metadata = { event: serdeTaggedEvent(event), timestamp: formatRfc3339Offset(new Date()) };
  await inTransaction(pool, async (client) => {
    await insertStepTransition(client, stepUuid, from, to, metadata);
    await alsoInTransaction?.(client);
  });
  await applySideEffects(pool, stepUuid, to, event);
  return to;
}

/** `StepDependenciesMetGuard` + `StepNotInProgressGuard` on `pending → enqueued` (guards.rs). */
async function checkEnqueueGuards(db: Queryable, stepUuid: string): Promise<void> {
  const { rows } = await db.query<{ unmet: number }>(
    `SELECT COUNT(*)::int AS unmet
       FROM tasker.workflow_step_edges e
       LEFT JOIN tasker.workflow_step_transitions t
         ON t.workflow_step_uuid = e.from_step_uuid AND t.most_recent = true
      WHERE e.to_step_uuid = $1::uuid
        AND (t.to_state IS NULL OR t.to_state NOT IN ('complete', 'resolved_manually'))`,
    [stepUuid],
  );
  const unmet = rows[0]?.unmet ?? 0;
  if (unmet > 0) throw new StepTransitionError(`Step ${stepUuid} has ${unmet} unmet dependencies`, stepUuid);
  if ((await currentStepState(db, stepUuid)) === 'in_progress') {
    throw new StepTransitionError(`Step ${stepUuid} is already in progress`, stepUuid);
  }
}

/** `UpdateStepResultsAction` for the states orchestration moves a step into. */
async function applySideEffects(
  db: Queryable,
  stepUuid: string,
  to: StepState,
  event: StepEvent,
): Promise<void> {
  if (to === 'complete') {
    // mark_processed: processed_at is the client's naive UTC clock; results come from the event's data.
    const results = event.type === 'Complete' ? event.data : null;
    await db.query(
      `UPDATE tasker.workflow_steps
          SET processed = true, in_process = false, processed_at = $2::timestamp, results = $3::jsonb, updated_at = NOW()
        WHERE workflow_step_uuid = $1::uuid`,
      [
        stepUuid,
        formatNaiveTimestamp(new Date()),
        results === null || results === undefined ? null : stringifyJson(results),
      ],
    );
  } else if (to === 'error') {
    await db.query(
      `UPDATE tasker.workflow_steps SET in_process = false, updated_at = NOW() WHERE workflow_step_uuid = $1::uuid`,
      [stepUuid],
    );
  }
}
