import { randomUUID } from 'node:crypto';
import { createPool } from '@tasker-bridge/worker/internal';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { inTransaction, type Queryable } from '../src/db.js';
import { type ProgressEvent, ProgressTracker } from '../src/progress.js';
import { insertStepTransition, type StepState } from '../src/step-state-machine.js';
import { initializeTask } from '../src/task-initializer.js';
import { insertTaskTransition, type TaskState } from '../src/task-state-machine.js';
import { SqlWorker } from './sql-worker.js';

/**
 * The progress tracker against the real tasker schema: every transition reported once, each scan reading only
 * what is new, and settled tasks forgotten, so a scan's cost does not grow with the run.
 */

const NS = 'progress_ns';
const processorUuid = randomUUID();
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let registrar: SqlWorker;
let taskCount = 0;

const step = (name: string, dependencies: string[] = []) => ({
  name,
  description: null,
  handler: { callable: `test.${name}`, method: null, resolver: null, initialization: {} },
  type: 'standard',
  system_dependency: null,
  dependencies,
  retry: {
    retryable: true,
    max_attempts: 3,
    backoff: 'exponential',
    backoff_base_ms: 1000,
    max_backoff_ms: 30000,
  },
  timeout_seconds: null,
  publishes_events: [],
  batch_config: null,
});

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({
    connectionString: db.url,
    applicationName: 'progress-test',
    max: 5,
    connectionTimeoutMillis: 10_000,
    onError: () => {},
  });
  registrar = new SqlWorker(db.url, NS);
  await registrar.register({
    name: 'pair',
    namespace_name: NS,
    version: '1.0.0',
    description: null,
    metadata: null,
    system_dependencies: { primary: 'default', secondary: [] },
    domain_events: [],
    input_schema: null,
    steps: [step('a'), step('b', ['a'])],
    environments: {},
    lifecycle: null,
  });
});

afterAll(async () => {
  await registrar?.close();
  await pool?.end();
  await db?.drop();
});

/** A fresh task (pending, then initializing) and its step uuids by name. */
async function newTask(): Promise<{ task: string; a: string; b: string }> {
  taskCount += 1;
  const created = await initializeTask(
    pool,
    { namespace: NS, name: 'pair', version: '1.0.0', context: { n: taskCount } },
    processorUuid,
  );
  return {
    task: created.task_uuid,
    a: created.step_mapping.a as string,
    b: created.step_mapping.b as string,
  };
}

const stepTo = (stepUuid: string, from: StepState, to: StepState) =>
  inTransaction(pool, (client) => insertStepTransition(client, stepUuid, from, to, {}));
const taskTo = (taskUuid: string, from: TaskState, to: TaskState) =>
  inTransaction(pool, (client) => insertTaskTransition(client, taskUuid, from, to, processorUuid, {}));

/** Drives both steps of a task to `complete` and the task to `complete`. */
async function runToCompletion(t: { task: string; a: string; b: string }): Promise<void> {
  for (const s of [t.a, t.b]) {
    await stepTo(s, 'pending', 'enqueued');
    await stepTo(s, 'enqueued', 'in_progress');
    await stepTo(s, 'in_progress', 'enqueued_for_orchestration');
    await stepTo(s, 'enqueued_for_orchestration', 'complete');
  }
  await taskTo(t.task, 'initializing', 'complete');
}

/** Every transition row of the task, as (kind, step, from, to), straight from the tables. */
async function history(taskUuid: string): Promise<string[]> {
  const { rows } = await pool.query<{ line: string }>(
    `SELECT 'step ' || t.workflow_step_uuid || ' ' || COALESCE(t.from_state, '-') || ' ' || t.to_state AS line
       FROM tasker.workflow_step_transitions t JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
      WHERE ws.task_uuid = $1::uuid
     UNION ALL
     SELECT 'task ' || task_uuid || ' ' || COALESCE(from_state, '-') || ' ' || to_state
       FROM tasker.task_transitions WHERE task_uuid = $1::uuid`,
    [taskUuid],
  );
  return rows.map((r) => r.line).sort();
}

const lines = (events: ProgressEvent[]) =>
  events
    .map((e) =>
      e.kind === 'step'
        ? `step ${e.step_uuid} ${e.from_state ?? '-'} ${e.to_state}`
        : e.kind === 'task'
          ? `task ${e.task_uuid} ${e.from_state ?? '-'} ${e.to_state}`
          : `rejected ${e.msg_id}`,
    )
    .sort();

/** The pool, recording each scan query's task list and row count (a real query, only observed). */
function observed(): { db: Queryable; reads: { tasks: string[]; rows: number }[] } {
  const reads: { tasks: string[]; rows: number }[] = [];
  const db = {
    async query(text: string, values: unknown[]) {
      const result = await pool.query(text, values);
      reads.push({ tasks: values[0] as string[], rows: result.rowCount ?? 0 });
      return result;
    },
  } as unknown as Queryable;
  return { db, reads };
}

describe('ProgressTracker', () => {
  it('reports every transition once, then only the new ones, with the step row fields', async () => {
    const t = await newTask();
    const tracker = new ProgressTracker();
    tracker.track(t.task);

    const first = await tracker.scan(pool);
    expect(lines(first)).toEqual(await history(t.task));
    expect(await tracker.scan(pool)).toEqual([]);

    await stepTo(t.a, 'pending', 'enqueued');
    await pool.query('UPDATE tasker.workflow_steps SET attempts = 1 WHERE workflow_step_uuid = $1::uuid', [
      t.a,
    ]);
    const next = await tracker.scan(pool);
    expect(next).toEqual([
      {
        kind: 'step',
        task_uuid: t.task,
        step_uuid: t.a,
        step_name: 'a',
        from_state: 'pending',
        to_state: 'enqueued',
        attempts: 1,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/),
      },
    ]);
    expect(await tracker.scan(pool)).toEqual([]);
  });

  it('orders events as they were written: per step and per task, in sort_key order', async () => {
    const t = await newTask();
    const tracker = new ProgressTracker();
    tracker.track(t.task);
    // Several transitions of one step in ONE transaction share created_at: sort_key decides.
    await inTransaction(pool, async (client) => {
      await insertStepTransition(client, t.a, 'pending', 'enqueued', {});
      await insertStepTransition(client, t.a, 'enqueued', 'in_progress', {});
      await insertStepTransition(client, t.a, 'in_progress', 'enqueued_for_orchestration', {});
    });
    const events = await tracker.scan(pool);
    const ofA = events
      .filter((e) => e.kind === 'step' && e.step_uuid === t.a)
      .map((e) => e.kind === 'step' && e.to_state);
    expect(ofA).toEqual(['pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration']);
    const ofTask = events.filter((e) => e.kind === 'task').map((e) => e.kind === 'task' && e.to_state);
    expect(ofTask).toEqual(['pending', 'initializing']);
  });

  it('a task tracked late is reported from its first transition', async () => {
    const t = await newTask();
    await stepTo(t.a, 'pending', 'enqueued');
    const tracker = new ProgressTracker();
    tracker.track(t.task);
    expect(lines(await tracker.scan(pool))).toEqual(await history(t.task));
  });

  it('forgets a settled task: no more reads for it, and tracking it again reports nothing twice', async () => {
    const t = await newTask();
    const tracker = new ProgressTracker();
    const { db: observedDb, reads } = observed();
    tracker.track(t.task);
    await tracker.scan(observedDb);
    await runToCompletion(t);

    const last = await tracker.scan(observedDb);
    expect(last.filter((e) => e.kind === 'task').map((e) => e.kind === 'task' && e.to_state)).toEqual([
      'complete',
    ]);
    expect(tracker.tracked).toEqual([]);

    tracker.track(t.task); // as waitForTask and every processed result do
    expect(await tracker.scan(observedDb)).toEqual([]);
    expect(reads).toHaveLength(2); // the two scans before it settled; none since
  });

  it('keeps a terminal task while one of its steps is with a worker, until that step stops', async () => {
    const t = await newTask();
    const tracker = new ProgressTracker();
    tracker.track(t.task);
    await stepTo(t.a, 'pending', 'enqueued');
    await stepTo(t.a, 'enqueued', 'in_progress');
    await taskTo(t.task, 'initializing', 'error');
    await tracker.scan(pool);
    expect(tracker.tracked).toEqual([t.task]);

    // The worker finishes after the task ended; orchestration then records the result.
    await stepTo(t.a, 'in_progress', 'enqueued_as_error_for_orchestration');
    const late = await tracker.scan(pool);
    expect(late.map((e) => e.kind === 'step' && e.to_state)).toEqual(['enqueued_as_error_for_orchestration']);
    expect(tracker.tracked).toEqual([t.task]);
    await stepTo(t.a, 'enqueued_as_error_for_orchestration', 'error');
    expect((await tracker.scan(pool)).map((e) => e.kind === 'step' && e.to_state)).toEqual(['error']);
    expect(tracker.tracked).toEqual([]);
  });

  it("a scan's work stays with the live tasks however many have settled", async () => {
    const tracker = new ProgressTracker();
    const { db: observedDb, reads } = observed();
    const settled = [];
    for (let i = 0; i < 20; i++) settled.push(await newTask());
    for (const t of settled) tracker.track(t.task);
    await tracker.scan(observedDb);
    for (const t of settled) await runToCompletion(t);
    await tracker.scan(observedDb);
    expect(tracker.tracked).toEqual([]);

    const live = await newTask();
    tracker.track(live.task);
    for (const t of settled) tracker.track(t.task);
    await tracker.scan(observedDb); // its history so far
    await stepTo(live.a, 'pending', 'enqueued');
    reads.length = 0;
    const events = await tracker.scan(observedDb);
    expect(events).toHaveLength(1);
    expect(reads).toEqual([{ tasks: [live.task], rows: 1 }]);
  });

  it('overlapping scans report each transition once', async () => {
    const t = await newTask();
    const tracker = new ProgressTracker();
    tracker.track(t.task);
    await stepTo(t.a, 'pending', 'enqueued');
    const [one, two] = await Promise.all([tracker.scan(pool), tracker.scan(pool)]);
    expect(lines([...one, ...two])).toEqual(await history(t.task));
  });
});
