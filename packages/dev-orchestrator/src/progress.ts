import type { Queryable } from './db.js';
import type { StepState } from './step-state-machine.js';
import type { TaskState } from './task-state-machine.js';

/**
 * Live progress read back from the source of truth: every step and task transition row of the tracked tasks,
 * each reported once, in commit order — including the worker's own transitions (`in_progress`,
 * `enqueued_*_for_orchestration`), which orchestration never sees directly.
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

interface Row {
  kind: 'step' | 'task';
  id: string;
  task_uuid: string;
  step_uuid: string | null;
  step_name: string | null;
  from_state: string | null;
  to_state: string;
  attempts: number | null;
  at: string;
}

export class ProgressTracker {
  private readonly seen = new Set<string>();
  private readonly tasks = new Set<string>();

  track(taskUuid: string): void {
    this.tasks.add(taskUuid);
  }

  untrack(taskUuid: string): void {
    this.tasks.delete(taskUuid);
  }

  get tracked(): string[] {
    return [...this.tasks];
  }

  async scan(db: Queryable): Promise<ProgressEvent[]> {
    if (this.tasks.size === 0) return [];
    const { rows } = await db.query<Row>(
      `SELECT * FROM (
         SELECT 'step' AS kind, wst.workflow_step_transition_uuid::text AS id, ws.task_uuid::text,
                ws.workflow_step_uuid::text AS step_uuid, ns.name AS step_name, wst.from_state, wst.to_state,
                ws.attempts, wst.created_at::text AS at, wst.sort_key
           FROM tasker.workflow_step_transitions wst
           JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = wst.workflow_step_uuid
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
          WHERE ws.task_uuid = ANY($1::uuid[])
         UNION ALL
         SELECT 'task', tt.task_transition_uuid::text, tt.task_uuid::text, NULL, NULL, tt.from_state, tt.to_state,
                NULL, tt.created_at::text, tt.sort_key
           FROM tasker.task_transitions tt
          WHERE tt.task_uuid = ANY($1::uuid[])
       ) t ORDER BY at, id`,
      [[...this.tasks]],
    );
    const events: ProgressEvent[] = [];
    for (const row of rows) {
      if (this.seen.has(row.id)) continue;
      this.seen.add(row.id);
      if (row.kind === 'step') {
        events.push({
          kind: 'step',
          task_uuid: row.task_uuid,
          step_uuid: row.step_uuid!,
          step_name: row.step_name!,
          from_state: row.from_state as StepState | null,
          to_state: row.to_state as StepState,
          attempts: row.attempts,
          at: row.at,
        });
      } else {
        events.push({
          kind: 'task',
          task_uuid: row.task_uuid,
          from_state: row.from_state as TaskState | null,
          to_state: row.to_state as TaskState,
          at: row.at,
        });
      }
    }
    return events;
  }
}
