import { SETTLED_TASK_STATES } from '@tasker-bridge/client';
import type pg from 'pg';
import { type StepHistory, stepHistories } from './harness.js';

/**
 * How the chaos scenarios wait for their tasks: until each is settled (terminal or `blocked_by_failures`) or
 * **stranded** — left by orchestration in one of its own transient states with nothing in flight for it, so that
 * nothing will ever move it again. Upstream's tasker-server 0.1.8 strands a task when it loses its database (or is
 * SIGKILLed) between the commits of one of its multi-step moves, e.g. after `enqueuing_steps` but before the step
 * enqueue (its ready-task discovery only looks at `pending` and waiting tasks, its staleness detector not at
 * `enqueuing_steps`; docs/protocol.md §5.3, §5.5). It also strands one when its connection dies inside a step's
 * enqueue: the step is committed `enqueued`, the send fails (`step_enqueuer`: "Failed to enqueue step"), and no
 * message for it is ever written — such a step is **unsent**, orchestration's, not a step a worker lost (a worker
 * can only lose a step whose message exists or existed, so the archives are searched too). A stranded task is
 * orchestration's to recover, not a worker's:
 * the scenarios that fault orchestration's database or process report such tasks, and every other scenario
 * requires there be none.
 */

/** Orchestration-owned states a task never leaves by itself once nothing is in flight for it. */
const STRANDABLE = ['initializing', 'enqueuing_steps', 'evaluating_results', 'steps_in_process'];
/** Step states a worker (or a message on its way to one) still has to move. */
const WORKER_OWNED = [
  'enqueued',
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
];
/** Longer than orchestration ever spends between the commits of one move, even on a loaded 2-core machine. */
const QUIET_SECONDS = 10;

const SETTLED: readonly string[] = SETTLED_TASK_STATES;

export interface StrandedTask {
  task_uuid: string;
  state: string;
  /** Its steps committed `enqueued` whose message orchestration never sent. */
  unsent_steps: string[];
}

export interface TaskOutcomes {
  /** Task uuid → its settled state. */
  settled: Map<string, string>;
  stranded: StrandedTask[];
  /**
   * Settled in `error` although none of their steps is failed: tasker-server 0.1.8 fails a task whose finalization
   * loses its database connection ("Task has no execution context and unclear state").
   */
  failedByOrchestration: string[];
}

interface TaskRow {
  task_uuid: string;
  state: string | null;
  quiet: boolean;
  /** Steps in a worker-owned state, unsent ones excepted. */
  worker_owned: number;
  messages: number;
  unsent_steps: string[];
}

export async function settleTasks(
  pool: pg.Pool,
  taskUuids: readonly string[],
  queues: readonly string[],
  timeoutMs: number,
): Promise<TaskOutcomes> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await taskRows(pool, taskUuids, queues);
    const settled = new Map(
      rows.filter((r) => SETTLED.includes(r.state ?? '')).map((r) => [r.task_uuid, r.state as string]),
    );
    const stranded = rows
      .filter((r) => !settled.has(r.task_uuid))
      .filter(
        (r) => STRANDABLE.includes(r.state ?? '') && r.quiet && r.worker_owned === 0 && r.messages === 0,
      )
      .map((r) => ({ task_uuid: r.task_uuid, state: r.state as string, unsent_steps: r.unsent_steps }));
    if (settled.size + stranded.length === taskUuids.length) {
      const failed = [...settled].filter(([, state]) => state === 'error').map(([uuid]) => uuid);
      return { settled, stranded, failedByOrchestration: await withoutFailedSteps(pool, failed) };
    }
    if (Date.now() > deadline) {
      const moving = rows.filter(
        (r) => !settled.has(r.task_uuid) && !stranded.some((s) => s.task_uuid === r.task_uuid),
      );
      throw new Error(`tasks still moving after ${timeoutMs} ms: ${JSON.stringify(moving.slice(0, 5))}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function taskRows(
  pool: pg.Pool,
  taskUuids: readonly string[],
  queues: readonly string[],
): Promise<TaskRow[]> {
  const { rows } = await pool.query<TaskRow>(
    `WITH steps AS (
       SELECT ws.task_uuid, ws.workflow_step_uuid, wst.to_state, wst.most_recent, wst.created_at
         FROM tasker.workflow_steps ws
         JOIN tasker.workflow_step_transitions wst ON wst.workflow_step_uuid = ws.workflow_step_uuid
        WHERE ws.task_uuid = ANY($1::uuid[]))
     SELECT t.task_uuid::text,
            (SELECT tt.to_state FROM tasker.task_transitions tt WHERE tt.task_uuid = t.task_uuid AND tt.most_recent)
              AS state,
            GREATEST((SELECT max(tt.created_at) FROM tasker.task_transitions tt WHERE tt.task_uuid = t.task_uuid),
                     (SELECT max(s.created_at) FROM steps s WHERE s.task_uuid = t.task_uuid))
              < NOW() - make_interval(secs => $3) AS quiet,
            (SELECT count(*) FROM steps s
              WHERE s.task_uuid = t.task_uuid AND s.most_recent AND s.to_state = ANY($2::text[]))::int AS worker_owned,
            0 AS messages,
            ARRAY(SELECT s.workflow_step_uuid::text FROM steps s
                   WHERE s.task_uuid = t.task_uuid AND s.most_recent AND s.to_state = 'enqueued') AS unsent_steps
       FROM tasker.tasks t WHERE t.task_uuid = ANY($1::uuid[])`,
    [taskUuids, WORKER_OWNED, QUIET_SECONDS],
  );
  // Live messages that name the task (a step message not yet read, a result not yet processed).
  for (const queue of queues) {
    const { rows: live } = await pool.query<{ task_uuid: string; n: number }>(
      `SELECT message->>'task_uuid' AS task_uuid, count(*)::int AS n FROM pgmq.q_${queue}
        WHERE message->>'task_uuid' = ANY($1::text[]) GROUP BY 1`,
      [taskUuids],
    );
    for (const { task_uuid, n } of live) {
      const row = rows.find((r) => r.task_uuid === task_uuid);
      if (row) row.messages += n;
    }
  }
  // An `enqueued` step is unsent when no message for it was ever written, live or archived.
  const enqueued = rows.flatMap((r) => r.unsent_steps);
  if (enqueued.length > 0) {
    const sent = new Set<string>();
    for (const queue of queues) {
      const { rows: found } = await pool.query<{ step_uuid: string }>(
        `SELECT message->>'step_uuid' AS step_uuid FROM pgmq.q_${queue} WHERE message->>'step_uuid' = ANY($1::text[])
         UNION
         SELECT message->>'step_uuid' FROM pgmq.a_${queue} WHERE message->>'step_uuid' = ANY($1::text[])`,
        [enqueued],
      );
      for (const { step_uuid } of found) sent.add(step_uuid);
    }
    for (const row of rows) {
      row.unsent_steps = row.unsent_steps.filter((step) => !sent.has(step));
      row.worker_owned -= row.unsent_steps.length;
    }
  }
  return rows;
}

/**
 * The tasks among `taskUuids` none of whose steps is failed now: no step's latest transition is `error`, nor a
 * failure reported and not yet processed. A step that failed once and completed on its retry (one recovered from a
 * claim lost in the fault) does not make its task's `error` a step's: orchestration failed it on its own.
 */
async function withoutFailedSteps(pool: pg.Pool, taskUuids: readonly string[]): Promise<string[]> {
  if (taskUuids.length === 0) return [];
  const { rows } = await pool.query<{ task_uuid: string }>(
    `SELECT t.task_uuid::text FROM unnest($1::uuid[]) AS t(task_uuid)
      WHERE NOT EXISTS (
        SELECT 1 FROM tasker.workflow_steps ws
          JOIN tasker.workflow_step_transitions wst ON wst.workflow_step_uuid = ws.workflow_step_uuid
         WHERE ws.task_uuid = t.task_uuid AND wst.most_recent
           AND wst.to_state IN ('enqueued_as_error_for_orchestration', 'error'))`,
    [taskUuids],
  );
  return rows.map((r) => r.task_uuid);
}

/** What a scenario reports of the tasks orchestration left unfinished on its own. */
export function orchestrationFigures(outcomes: TaskOutcomes): Record<string, unknown> {
  return {
    stranded_by_orchestration: outcomes.stranded,
    failed_by_orchestration: outcomes.failedByOrchestration,
  };
}

/**
 * Settled tasks that did not complete, those orchestration failed on its own excepted (`[uuid, state]`), and their
 * steps' histories as JSON: the message of the assertion that there are none, so a failure says which step did what.
 */
export async function unfinishedTasks(
  pool: pg.Pool,
  outcomes: TaskOutcomes,
): Promise<{ tasks: [string, string][]; histories: string }> {
  const failed = new Set(outcomes.failedByOrchestration);
  const tasks = [...outcomes.settled].filter(([uuid, state]) => state !== 'complete' && !failed.has(uuid));
  const histories =
    tasks.length === 0
      ? ''
      : JSON.stringify(
          await stepHistories(
            pool,
            tasks.map(([uuid]) => uuid),
          ),
        );
  return { tasks, histories };
}

/**
 * The final state each step must be in: `complete`; for a task stranded or failed by orchestration, its
 * never-dispatched steps `pending`; for a stranded task, its unsent steps `enqueued`.
 */
export function expectedStepState(outcomes: TaskOutcomes): (h: StepHistory) => string {
  const stranded = new Set([...outcomes.stranded.map((s) => s.task_uuid), ...outcomes.failedByOrchestration]);
  const unsent = new Set(outcomes.stranded.flatMap((s) => s.unsent_steps));
  return (h) => {
    if (unsent.has(h.step_uuid)) return 'enqueued';
    return stranded.has(h.task_uuid) && h.states.at(-1) === 'pending' ? 'pending' : 'complete';
  };
}
