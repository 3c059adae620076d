import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { DevOrchestrator, DuplicateTaskError, type ProgressEvent } from '../src/index.js';
import { SqlWorker } from './sql-worker.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let orch: DevOrchestrator;
const events: ProgressEvent[] = [];
const workers: SqlWorker[] = [];

const handler = (callable: string, initialization: Record<string, unknown> = {}) => ({
  callable,
  method: null,
  resolver: null,
  initialization,
});
const step = (name: string, dependencies: string[] = [], extra: Record<string, unknown> = {}) => ({
  name,
  description: null,
  handler: handler(`test.${name}`),
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
  ...extra,
});
const template = (namespace: string, name: string, steps: unknown[]) => ({
  name,
  namespace_name: namespace,
  version: '1.0.0',
  description: null,
  metadata: null,
  system_dependencies: { primary: 'default', secondary: [] },
  domain_events: [],
  input_schema: null,
  steps,
  environments: {},
  lifecycle: null,
});

async function worker(namespace: string, tpl: Record<string, unknown>): Promise<SqlWorker> {
  const w = new SqlWorker(db.url, namespace);
  await w.register(tpl);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  db = await createTestDatabase();
  orch = new DevOrchestrator({
    databaseUrl: db.url,
    pollIntervalMs: 100,
    backoff: { baseDelaySeconds: 0, jitterEnabled: false },
  });
  orch.on('progress', (e) => events.push(e));
  await orch.start();
});

afterAll(async () => {
  await orch?.stop();
  for (const w of workers) await w.close();
  await db?.drop();
});

describe('DevOrchestrator plays orchestration against a SQL worker', () => {
  it('runs a linear workflow to completion with upstream task transitions', async () => {
    const w = await worker(
      'dev_linear',
      template('dev_linear', 'linear', [step('a'), step('b', ['a']), step('c', ['b'])]),
    );
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_linear',
      name: 'linear',
      version: '1.0.0',
      context: { n: 1 },
    });
    const handled = await w.run(3, (s) => ({ success: true, result: { from: s.name } }));
    expect(handled.map((s) => s.name)).toEqual(['a', 'b', 'c']);

    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    expect(final.complete).toBe(true);
    expect(final.steps.map((s) => [s.name, s.state, s.attempts, s.processed])).toEqual([
      ['a', 'complete', 1, true],
      ['b', 'complete', 1, true],
      ['c', 'complete', 1, true],
    ]);
    expect((final.steps[2]!.results as { result: unknown }).result).toEqual({ from: 'c' });

    const taskStates = await w.query<{ to_state: string; event: string }>(
      `SELECT to_state, metadata->>'event' AS event FROM tasker.task_transitions WHERE task_uuid = $1::uuid ORDER BY sort_key`,
      [task_uuid],
    );
    expect(taskStates.rows.map((r) => r.to_state)).toEqual([
      'pending',
      'initializing',
      'enqueuing_steps',
      'steps_in_process',
      'evaluating_results',
      'enqueuing_steps',
      'steps_in_process',
      'evaluating_results',
      'enqueuing_steps',
      'steps_in_process',
      'evaluating_results',
      'complete',
    ]);
    expect(taskStates.rows[2]!.event).toBe('ReadyStepsFound(1)');
    expect(taskStates.rows[3]!.event).toBe(`StepsEnqueued([${handled[0]!.step_uuid}])`);

    const enqueue = await w.query<{ metadata: { event: string; timestamp: string } }>(
      `SELECT metadata FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = $1::uuid AND to_state = 'enqueued'`,
      [handled[0]!.step_uuid],
    );
    expect(enqueue.rows[0]!.metadata.event).toBe('{"type":"Enqueue"}');
    expect(enqueue.rows[0]!.metadata.timestamp).toMatch(/\+00:00$/);

    const stepEvents = events.filter(
      (e) => e.kind === 'step' && e.task_uuid === task_uuid && e.step_name === 'a',
    );
    expect(stepEvents.map((e) => (e.kind === 'step' ? e.to_state : ''))).toEqual([
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_for_orchestration',
      'complete',
    ]);
    expect(
      events.some((e) => e.kind === 'task' && e.task_uuid === task_uuid && e.to_state === 'complete'),
    ).toBe(true);
  });

  it('runs a diamond: both branches enqueued together, the join only after both complete', async () => {
    const w = await worker(
      'dev_diamond',
      template('dev_diamond', 'diamond', [
        step('d_start'),
        step('d_left', ['d_start']),
        step('d_right', ['d_start']),
        step('d_join', ['d_left', 'd_right']),
      ]),
    );
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_diamond',
      name: 'diamond',
      version: '1.0.0',
    });
    await w.run(1, () => ({ success: true }));
    const left = await w.claimNext();
    const right = await w.claimNext();
    expect([left.name, right.name].sort()).toEqual(['d_left', 'd_right']);
    await w.complete(left, { success: true });
    await w.complete(right, { success: true, result: { side: 'right' } });
    const [join] = await w.run(1, () => ({ success: true }));
    expect(join!.name).toBe('d_join');
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    const edges = await w.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasker.workflow_step_edges e JOIN tasker.workflow_steps s ON s.workflow_step_uuid = e.to_step_uuid WHERE s.task_uuid = $1::uuid AND e.name = 'provides'`,
      [task_uuid],
    );
    expect(edges.rows[0]!.n).toBe(4);
  });

  it('retries a retryable failure (waiting_for_retry → pending → enqueued) and then succeeds', async () => {
    const w = await worker('dev_retry', template('dev_retry', 'retry', [step('flaky')]));
    const { task_uuid } = await orch.createTask({ namespace: 'dev_retry', name: 'retry', version: '1.0.0' });
    const handled = await w.run(2, (s) =>
      s.attempts === 1
        ? { success: false, retryable: true, message: 'try again', headers: { 'retry-after': '0' } }
        : { success: true },
    );
    expect(handled.map((s) => s.attempts)).toEqual([1, 2]);
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    const transitions = await w.query<{ to_state: string; event: string }>(
      `SELECT to_state, metadata->>'event' AS event FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = $1::uuid ORDER BY sort_key`,
      [handled[0]!.step_uuid],
    );
    expect(transitions.rows.map((r) => r.to_state)).toEqual([
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_as_error_for_orchestration',
      'waiting_for_retry',
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_for_orchestration',
      'complete',
    ]);
    expect(transitions.rows[4]!.event).toBe('{"type":"WaitForRetry","data":"try again - retryable"}');
    expect(transitions.rows[5]!.event).toBe('{"type":"Retry"}');
    const row = await w.query<{ backoff_request_seconds: number }>(
      'SELECT backoff_request_seconds FROM tasker.workflow_steps WHERE workflow_step_uuid = $1::uuid',
      [handled[0]!.step_uuid],
    );
    expect(row.rows[0]!.backoff_request_seconds).toBe(0);
  });

  it('honours a Retry-After delay: the ready-task cycle re-enqueues once the backoff has passed', async () => {
    const w = await worker('dev_backoff', template('dev_backoff', 'backoff', [step('slow_flaky')]));
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_backoff',
      name: 'backoff',
      version: '1.0.0',
    });
    const [first] = await w.run(1, () => ({
      success: false,
      retryable: true,
      headers: { 'Retry-After': '1' },
    }));
    const failedAt = Date.now();
    const second = await w.claimNext(10_000);
    expect(second.step_uuid).toBe(first!.step_uuid);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(500); // not re-enqueued immediately
    await w.complete(second, { success: true });
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    const states = await w.query<{ to_state: string }>(
      'SELECT to_state FROM tasker.task_transitions WHERE task_uuid = $1::uuid ORDER BY sort_key',
      [task_uuid],
    );
    expect(states.rows.map((r) => r.to_state)).toContain('waiting_for_dependencies');
  });

  it('stops at max_attempts and on non-retryable failures: step error, task blocked_by_failures', async () => {
    const w = await worker(
      'dev_fail',
      template('dev_fail', 'fail', [
        step('doomed', [], { retry: { retryable: true, max_attempts: 2 } }),
        step('after', ['doomed']),
      ]),
    );
    const { task_uuid } = await orch.createTask({ namespace: 'dev_fail', name: 'fail', version: '1.0.0' });
    const handled = await w.run(2, () => ({ success: false, retryable: true, message: 'still broken' }));
    expect(handled.map((s) => s.attempts)).toEqual([1, 2]);
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('blocked_by_failures');
    expect(final.steps.map((s) => [s.name, s.state])).toEqual([
      ['doomed', 'error'],
      ['after', 'pending'],
    ]);
    const last = await w.query<{ event: string }>(
      `SELECT metadata->>'event' AS event FROM tasker.task_transitions WHERE task_uuid = $1::uuid AND most_recent`,
      [task_uuid],
    );
    expect(last.rows[0]!.event).toBe('PermanentFailure("Steps in error state")');

    const w2 = await worker('dev_fail2', template('dev_fail2', 'fail2', [step('fatal')]));
    const t2 = await orch.createTask({ namespace: 'dev_fail2', name: 'fail2', version: '1.0.0' });
    await w2.run(1, () => ({ success: false, retryable: false, message: 'fatal' }));
    const f2 = await orch.waitForTask(t2.task_uuid, { timeoutMs: 10_000 });
    expect([f2.state, f2.steps[0]!.state, f2.steps[0]!.attempts]).toEqual([
      'blocked_by_failures',
      'error',
      1,
    ]);
  });

  it('creates only the chosen branch of a decision point', async () => {
    const w = await worker(
      'dev_decision',
      template('dev_decision', 'decision', [
        step('dp_check'),
        step('dp_route', ['dp_check'], { type: 'decision' }),
        step('dp_small', ['dp_route']),
        step('dp_large', ['dp_route']),
        step('dp_large_audit', ['dp_large']),
      ]),
    );
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_decision',
      name: 'decision',
      version: '1.0.0',
    });
    const before = await orch.getTask(task_uuid);
    expect(before!.steps.map((s) => s.name)).toEqual(['dp_check', 'dp_route']);
    const handled = await w.run(3, (s) =>
      s.name === 'dp_route'
        ? {
            success: true,
            result: { decision_point_outcome: { type: 'create_steps', step_names: ['dp_large'] } },
          }
        : { success: true },
    );
    expect(handled.map((s) => s.name)).toEqual(['dp_check', 'dp_route', 'dp_large']);
    await w.run(1, () => ({ success: true }));
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    expect(final.steps.map((s) => s.name).sort()).toEqual([
      'dp_check',
      'dp_large',
      'dp_large_audit',
      'dp_route',
    ]);
  });

  it('creates batch workers with cursor inputs and a convergence step that waits for all of them', async () => {
    const tpl = template('dev_batch', 'batch', [
      step('b_analyze', [], {
        type: 'batchable',
        handler: handler('test.analyze', { worker_template_name: 'b_process' }),
      }),
      step('b_process', ['b_analyze'], {
        type: 'batch_worker',
        handler: handler('test.process', { mode: 'fast' }),
        batch_config: {
          batch_size: 100,
          parallelism: 2,
          cursor_field: 'id',
          worker_template: 'b_process',
          failure_strategy: 'continue_on_failure',
        },
      }),
      step('b_summarize', ['b_process'], { type: 'deferred_convergence' }),
    ]);
    const w = await worker('dev_batch', tpl);
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_batch',
      name: 'batch',
      version: '1.0.0',
      context: { rows: 150 },
    });
    const outcome = {
      type: 'create_batches',
      worker_template_name: 'b_process',
      worker_count: 2,
      cursor_configs: [
        { batch_id: '001', start_cursor: 0, end_cursor: 100, batch_size: 100 },
        { batch_id: '002', start_cursor: 100, end_cursor: 150, batch_size: 50 },
      ],
      total_items: 150,
    };
    await w.run(1, () => ({ success: true, result: { batch_processing_outcome: outcome } }));
    const workersRun = await w.run(2, (s) => ({ success: true, result: { processed: s.name } }));
    expect(workersRun.map((s) => s.name).sort()).toEqual(['b_process_001', 'b_process_002']);
    const first = workersRun.find((s) => s.name === 'b_process_001')!;
    expect(first.template_step_name).toBe('b_process');
    expect(first.inputs).toEqual({
      mode: 'fast',
      cursor: outcome.cursor_configs[0],
      batch_metadata: { cursor_field: 'id', failure_strategy: 'continue_on_failure' },
      is_no_op: false,
      __template_step_name: 'b_process',
    });
    const [summary] = await w.run(1, () => ({ success: true }));
    expect(summary!.name).toBe('b_summarize');
    const final = await orch.waitForTask(task_uuid, { timeoutMs: 10_000 });
    expect(final.state).toBe('complete');
    const edges = await w.query<{ name: string; n: number }>(
      `SELECT e.name, count(*)::int AS n FROM tasker.workflow_step_edges e JOIN tasker.workflow_steps s ON s.workflow_step_uuid = e.to_step_uuid
        WHERE s.task_uuid = $1::uuid GROUP BY e.name ORDER BY e.name`,
      [task_uuid],
    );
    expect(edges.rows).toEqual([
      { name: 'batch_dependency', n: 2 },
      { name: 'worker_to_convergence', n: 2 },
    ]);

    // no_batches: one no-op placeholder worker named {template}_000.
    const t2 = await orch.createTask({
      namespace: 'dev_batch',
      name: 'batch',
      version: '1.0.0',
      context: { rows: 0 },
    });
    await w.run(1, () => ({ success: true, result: { batch_processing_outcome: { type: 'no_batches' } } }));
    const [noop] = await w.run(1, () => ({ success: true }));
    expect(noop!.name).toBe('b_process_000');
    expect(noop!.inputs).toMatchObject({
      is_no_op: true,
      cursor: { batch_id: '000', start_cursor: 0, end_cursor: 0, batch_size: 0 },
    });
    await w.run(1, () => ({ success: true }));
    expect((await orch.waitForTask(t2.task_uuid, { timeoutMs: 10_000 })).state).toBe('complete');
  });

  it('resumes a task stranded mid-enqueue (connection lost) without sending its steps twice', async () => {
    const w = await worker('dev_strand', template('dev_strand', 'strand', [step('s1'), step('s2', ['s1'])]));
    const { task_uuid } = await orch.createTask({
      namespace: 'dev_strand',
      name: 'strand',
      version: '1.0.0',
      context: {},
    });
    // What a connection lost between "steps sent" and `StepsEnqueued` leaves behind: the task's current state is
    // `enqueuing_steps` (owned by this orchestrator) although s1 was already sent.
    await w.query(
      `WITH gone AS (
         DELETE FROM tasker.task_transitions WHERE task_uuid = $1::uuid AND most_recent AND to_state = 'steps_in_process'
         RETURNING task_uuid)
       UPDATE tasker.task_transitions tt SET most_recent = true FROM gone
        WHERE tt.task_uuid = gone.task_uuid AND tt.to_state = 'enqueuing_steps'`,
      [task_uuid],
    );
    // The ready-task cycle finds it and finishes the enqueue; only then is s1 run (a result arriving while the
    // task is stranded would wait for the message's redelivery).
    await vi.waitFor(async () => expect((await orch.getTask(task_uuid))?.state).toBe('steps_in_process'), {
      timeout: 10_000,
      interval: 50,
    });
    const handled = await w.run(2, (s) => ({ success: true, result: { from: s.name } }));
    expect(handled.map((s) => s.name)).toEqual(['s1', 's2']);
    expect((await orch.waitForTask(task_uuid, { timeoutMs: 10_000 })).state).toBe('complete');

    const resumed = await w.query<{ event: string }>(
      `SELECT metadata->>'event' AS event FROM tasker.task_transitions
        WHERE task_uuid = $1::uuid AND to_state = 'steps_in_process' ORDER BY sort_key LIMIT 1`,
      [task_uuid],
    );
    expect(resumed.rows[0]!.event).toBe('StepsEnqueued([])'); // nothing re-sent
    const sent = await w.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgmq.a_worker_dev_strand_queue WHERE message->>'task_uuid' = $1`,
      [task_uuid],
    );
    expect(sent.rows[0]!.n).toBe(2);
  });

  it('archives an undecodable result message instead of re-reading it forever', async () => {
    const w = await worker('dev_poison', template('dev_poison', 'poison', [step('p_only')]));
    const rejected = new Promise<string>((resolve) => orch.on('result_rejected', (e) => resolve(e.reason)));
    await w.sendResult({ step_uuid: 'not-a-uuid' });
    await expect(rejected).resolves.toMatch(/Invalid StepMessage/);
    const archived = await w.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgmq.a_orchestration_step_results WHERE message->>'step_uuid' = 'not-a-uuid'`,
    );
    expect(archived.rows[0]!.n).toBe(1);
  });

  it('rejects a duplicate task (same template and context) like upstream strict identity', async () => {
    await expect(
      orch.createTask({ namespace: 'dev_linear', name: 'linear', version: '1.0.0', context: { n: 1 } }),
    ).rejects.toBeInstanceOf(DuplicateTaskError);
  });
});
