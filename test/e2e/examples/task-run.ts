import pg from 'pg';

/**
 * What a settled example task left in the database, read straight from tasker's tables. Both orchestrators the
 * examples suite runs under (the development orchestrator and the real `tasker-server`) are judged by the same
 * reader, so a difference in what they write shows up as a failed expectation, not as a difference of harness.
 */
export interface TaskRun {
  taskUuid: string;
  /** The task's current state (its most recent `task_transitions` row). */
  state: string;
  /** Step name → current state. */
  states: Record<string, string>;
  /** Step name → attempts. */
  attempts: Record<string, number | null>;
  /** A step's value (`results.result`). */
  value<T = Record<string, unknown>>(step: string): T;
  /** A step's whole `StepExecutionResult` as stored in `workflow_steps.results`. */
  results(step: string): Record<string, unknown>;
  /** The `to_state` of every transition of a step, in `sort_key` order (commit order per step). */
  history(step: string): string[];
}

interface StepRow {
  name: string;
  state: string | null;
  attempts: number | null;
  results: unknown;
  history: string[] | null;
}

export async function readTaskRun(databaseUrl: string, taskUuid: string): Promise<TaskRun> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const task = await client.query<{ state: string | null }>(
      `SELECT (SELECT to_state FROM tasker.task_transitions tt WHERE tt.task_uuid = t.task_uuid AND tt.most_recent)
                AS state
         FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
      [taskUuid],
    );
    if (task.rowCount !== 1) throw new Error(`task ${taskUuid} not found`);
    const steps = await client.query<StepRow>(
      `SELECT ns.name, ws.attempts, ws.results,
              (SELECT to_state FROM tasker.workflow_step_transitions t
                WHERE t.workflow_step_uuid = ws.workflow_step_uuid AND t.most_recent) AS state,
              (SELECT array_agg(t.to_state ORDER BY t.sort_key) FROM tasker.workflow_step_transitions t
                WHERE t.workflow_step_uuid = ws.workflow_step_uuid) AS history
         FROM tasker.workflow_steps ws
         JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
        WHERE ws.task_uuid = $1::uuid
        ORDER BY ws.created_at, ws.workflow_step_uuid`,
      [taskUuid],
    );
    const byName = new Map(steps.rows.map((s) => [s.name, s]));
    const stepOf = (name: string): StepRow => {
      const found = byName.get(name);
      if (found === undefined) {
        throw new Error(`task has no step '${name}' (has ${[...byName.keys()].join(', ')})`);
      }
      return found;
    };
    return {
      taskUuid,
      state: task.rows[0]?.state ?? 'pending',
      // A step without a transition yet is `pending` (upstream's initial state, written by no transition).
      states: Object.fromEntries(steps.rows.map((s) => [s.name, s.state ?? 'pending'])),
      attempts: Object.fromEntries(steps.rows.map((s) => [s.name, s.attempts])),
      results: (step) => stepOf(step).results as Record<string, unknown>,
      value: <T>(step: string) => (stepOf(step).results as { result: T }).result,
      history: (step) => stepOf(step).history ?? [],
    };
  } finally {
    await client.end();
  }
}
