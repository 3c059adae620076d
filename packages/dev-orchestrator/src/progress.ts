import type { Queryable } from './db.js';
import type { StepState } from './step-state-machine.js';
import { type TaskState, TERMINAL_TASK_STATES } from './task-state-machine.js';

/**
 * Live progress read back from the source of truth: every step and task transition row of the tracked tasks,
 * each reported once, in commit order — including the worker's own transitions (`in_progress`,
 * `enqueued_*_for_orchestration`), which orchestration never sees directly.
 *
 * Incremental: each scan reads only the transitions written since the previous one, and a task is forgotten
 * once nothing more can happen to it, so a scan costs the same late in a long run as early in it. The cursor is
 * each step's (and task's) highest `sort_key` reported. That is safe because every writer (orchestration, our
 * worker, upstream's) inserts a transition as the new `most_recent` row after clearing the previous one, and
 * the unique index on (`workflow_step_uuid`, `most_recent`) makes a transaction that has not seen sort_key n
 * committed fail rather than commit n + 1: per step, sort_key order is commit order, so nothing below the
 * cursor can appear later. `created_at` is no cursor: it is the writing transaction's start, not its commit.
 */

export type ProgressEvent =
  | {
      kind: 'step';
      task_uuid: string;
      step_uuid: string;
      step_name: string;
      from_state: StepState | null;
      to_state: StepState;
      attempts: number | null;
      at: string;
    }
  | { kind: 'task'; task_uuid: string; from_state: TaskState | null; to_state: TaskState; at: string }
  | { kind: 'result_rejected'; msg_id: string; reason: string };

/**
 * Step states in which a step still moves without orchestration enqueuing it: a worker holds or may claim it,
 * or its result waits to be processed. A step of a terminal task in any other state stays where it is.
 */
const MOVING_STEP_STATES: ReadonlySet<StepState> = new Set<StepState>([
  'enqueued',
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
]);

interface Row {
  kind: 'step' | 'task';
  task_uuid: string;
  step_uuid: string | null;
  step_name: string | null;
  from_state: string | null;
  to_state: string;
  attempts: number | null;
  at: string;
  sort_key: number;
}

/** What has been reported of one tracked task. */
interface TaskCursor {
  taskKey: number;
  taskState: TaskState | null;
  steps: Map<string, { key: number; state: StepState }>;
}

const NEW_TRANSITIONS = `
  WITH tracked AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS t(task_uuid, after_key)),
       known AS (SELECT * FROM unnest($3::uuid[], $4::int[]) AS k(step_uuid, after_key))
  SELECT kind, task_uuid, step_uuid, step_name, from_state, to_state, attempts, at::text AS at, sort_key FROM (
    SELECT 'step' AS kind, ws.task_uuid::text, ws.workflow_step_uuid::text AS step_uuid, ns.name AS step_name,
           wst.from_state, wst.to_state, ws.attempts, wst.created_at AS at, wst.sort_key,
           wst.workflow_step_transition_uuid AS id
      FROM tracked
      JOIN tasker.workflow_steps ws ON ws.task_uuid = tracked.task_uuid
      JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
      LEFT JOIN known ON known.step_uuid = ws.workflow_step_uuid
      JOIN tasker.workflow_step_transitions wst
        ON wst.workflow_step_uuid = ws.workflow_step_uuid AND wst.sort_key > COALESCE(known.after_key, 0)
    UNION ALL
    SELECT 'task', tt.task_uuid::text, NULL, NULL, tt.from_state, tt.to_state, NULL, tt.created_at, tt.sort_key,
           tt.task_transition_uuid
      FROM tracked
      JOIN tasker.task_transitions tt ON tt.task_uuid = tracked.task_uuid AND tt.sort_key > tracked.after_key
  ) t ORDER BY at, sort_key, id`;

export class ProgressTracker {
  private readonly cursors = new Map<string, TaskCursor>();
  /** Tasks forgotten because nothing more can happen to them: tracking them again reports nothing twice. */
  private readonly settled = new Set<string>();
  private scanning: Promise<unknown> = Promise.resolve();

  track(taskUuid: string): void {
    if (this.cursors.has(taskUuid) || this.settled.has(taskUuid)) return;
    this.cursors.set(taskUuid, { taskKey: 0, taskState: null, steps: new Map() });
  }

  /** Tasks whose transitions are still being read (tracked and not yet settled). */
  get tracked(): string[] {
    return [...this.cursors.keys()];
  }

  /** The transitions written since the previous scan. Scans run one at a time, so none reads a row twice. */
  scan(db: Queryable): Promise<ProgressEvent[]> {
    const run = this.scanning.then(() => this.readNew(db));
    this.scanning = run.catch(() => {});
    return run;
  }

  private async readNew(db: Queryable): Promise<ProgressEvent[]> {
    if (this.cursors.size === 0) return [];
    const taskUuids: string[] = [];
    const taskKeys: number[] = [];
    const stepUuids: string[] = [];
    const stepKeys: number[] = [];
    for (const [taskUuid, cursor] of this.cursors) {
      taskUuids.push(taskUuid);
      taskKeys.push(cursor.taskKey);
      for (const [stepUuid, step] of cursor.steps) {
        stepUuids.push(stepUuid);
        stepKeys.push(step.key);
      }
    }
    const { rows } = await db.query<Row>(NEW_TRANSITIONS, [taskUuids, taskKeys, stepUuids, stepKeys]);
    const events: ProgressEvent[] = [];
    const touched = new Set<string>();
    for (const row of rows) {
      const cursor = this.cursors.get(row.task_uuid);
      if (!cursor) continue; // not reached: the query reads tracked tasks only, and only a scan forgets one
      touched.add(row.task_uuid);
      if (row.kind === 'step') {
        const stepUuid = row.step_uuid as string;
        const toState = row.to_state as StepState;
        const step = cursor.steps.get(stepUuid);
        if (!step || row.sort_key > step.key)
          cursor.steps.set(stepUuid, { key: row.sort_key, state: toState });
        events.push({
          kind: 'step',
          task_uuid: row.task_uuid,
          step_uuid: stepUuid,
          step_name: row.step_name as string,
          from_state: row.from_state as StepState | null,
          to_state: toState,
          attempts: row.attempts,
          at: row.at,
        });
      } else {
        const toState = row.to_state as TaskState;
        if (row.sort_key > cursor.taskKey) {
          cursor.taskKey = row.sort_key;
          cursor.taskState = toState;
        }
        events.push({
          kind: 'task',
          task_uuid: row.task_uuid,
          from_state: row.from_state as TaskState | null,
          to_state: toState,
          at: row.at,
        });
      }
    }
    for (const taskUuid of touched) this.forgetIfSettled(taskUuid);
    return events;
  }

  /** A terminal task never moves again (TransitionGuard); its steps stop once none is with a worker. */
  private forgetIfSettled(taskUuid: string): void {
    const cursor = this.cursors.get(taskUuid);
    if (!cursor?.taskState || !TERMINAL_TASK_STATES.includes(cursor.taskState)) return;
    for (const step of cursor.steps.values()) if (MOVING_STEP_STATES.has(step.state)) return;
    this.cursors.delete(taskUuid);
    this.settled.add(taskUuid);
  }
}
