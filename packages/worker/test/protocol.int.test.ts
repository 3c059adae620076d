import { checkpointYield, defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { decodeParsed, validate } from '@tasker-bridge/schemas';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { MissingHandlersError, TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
const workers: TaskerWorker[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});
afterAll(async () => {
  await rows?.close();
  await db?.drop();
});

async function startWorker(
  options: Partial<TaskerWorkerOptions> & Pick<TaskerWorkerOptions, 'registry' | 'templates'>,
) {
  const worker = new TaskerWorker({
    databaseUrl: db.url,
    logger: recordingLogger(),
    pollIntervalMs: 100,
    // Test mode: templates whose other steps have no handler here start with a warning.
    env: { TASKER_ENV: 'test' },
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

const PARENT_RESULT = {
  step_uuid: '00000000-0000-7000-8000-000000000001',
  success: true,
  result: { ok: 1 },
  metadata: { execution_time_ms: 3, retryable: false, custom: {}, context: {} },
  status: 'completed',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('startup', () => {
  it('registers templates into task_namespaces/named_tasks as upstream does and creates the queues', async () => {
    const registry = new HandlerRegistry().register(
      'reg.a',
      defineHandler('reg.a', () => ({})),
    );
    const tpl = { ...template('reg', 'registration', [{ name: 'a' }]), description: 'first' };
    const worker = await startWorker({ registry, templates: [tpl] });
    expect(worker.namespaces).toEqual(['reg']);

    const [ns] = await rows.query<{ description: string }>(
      "SELECT description FROM tasker.task_namespaces WHERE name = 'reg'",
    );
    expect(ns?.description).toBe('Auto-created namespace: reg');
    const [nt] = await rows.query<{ description: string; identity_strategy: string; configuration: unknown }>(
      "SELECT description, identity_strategy::text, configuration FROM tasker.named_tasks WHERE name = 'registration'",
    );
    expect(nt?.description).toBe('first');
    expect(nt?.identity_strategy).toBe('strict');
    // The stored configuration is the full serde form and decodes as Rust's TaskTemplate.
    const config = decodeParsed('TaskTemplate', nt?.configuration);
    expect(config.steps[0]?.handler.callable).toBe('reg.a');
    expect(nt?.configuration).toMatchObject({
      system_dependencies: { primary: 'default', secondary: [] },
      environments: {},
      steps: [{ type: 'standard', retry: { retryable: true, max_attempts: 3 } }],
    });

    const queues = (await rows.query<{ queue_name: string }>('SELECT queue_name FROM pgmq.meta')).map(
      (q) => q.queue_name,
    );
    expect(queues).toEqual(
      expect.arrayContaining([
        'worker_reg_queue',
        'reg_domain_events',
        'reg_domain_events_dlq',
        'orchestration_step_results',
        'orchestration_task_requests',
        'orchestration_task_finalizations',
      ]),
    );

    // Re-registration (a second worker, new description) updates in place: still one row.
    await worker.stop();
    await startWorker({ registry, templates: [{ ...tpl, description: 'second' }] });
    const again = await rows.query<{ description: string }>(
      "SELECT description FROM tasker.named_tasks WHERE name = 'registration'",
    );
    expect(again).toEqual([{ description: 'second' }]);
  });
});

describe('template-time checks', () => {
  const registry = () =>
    new HandlerRegistry().register(
      'chk.a',
      defineHandler('chk.a', { methods: { refund: () => ({}) } }, () => ({})),
    );
  const templates = [
    template('chk', 'flow', [
      { name: 'a' },
      { name: 'b' }, // chk.b: registered nowhere
      { name: 'c', handler: { callable: 'chk.a', method: 'toString' } }, // not a declared method
      { name: 'd', handler: { callable: 'chk.a', method: 'refund' } },
    ]),
  ];

  it('start() refuses templates whose callables or methods this worker cannot run (production default)', async () => {
    const worker = new TaskerWorker({ databaseUrl: db.url, registry: registry(), templates, env: {} });
    workers.push(worker);
    const error = await worker.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MissingHandlersError);
    expect(error).toMatchObject({
      code: 'missing_handlers',
      missing: [{ namespace: 'chk', name: 'flow', version: '1.0.0', callables: ['chk.a', 'chk.b'] }],
    });
    expect((error as Error).message).toMatch(/chk\/flow@1\.0\.0: chk\.a, chk\.b/);
    expect(worker.state).toBe('idle');
  });

  it("onMissingHandlers: 'warn' starts and names them in one warning", async () => {
    const logger = recordingLogger();
    await startWorker({ registry: registry(), templates, logger, onMissingHandlers: 'warn' });
    expect(
      logger.records.filter((r) => r.level === 'warn' && r.msg?.includes('have no handler in this worker')),
    ).toMatchObject([{ fields: { namespace: 'chk', callables: ['chk.a', 'chk.b'] } }]);
  });
});

describe('input_schema enforcement', () => {
  it("inputSchemaMode: 'enforce' fails a step whose task context violates the template's input_schema", async () => {
    let ran = 0;
    const registry = new HandlerRegistry().register(
      'inp.a',
      defineHandler('inp.a', () => {
        ran += 1;
        return {};
      }),
    );
    const tpl = {
      ...template('inp', 'flow', [{ name: 'a' }]),
      input_schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
    };
    await startWorker({ registry, templates: [tpl], inputSchemaMode: 'enforce' });
    const run = async (context: unknown) => {
      const task = await rows.createTask({ namespace: 'inp', name: 'flow', context, steps: [{ name: 'a' }] });
      const step = task.steps.a!;
      await rows.sendStepMessage('inp', {
        task_uuid: task.task_uuid,
        step_uuid: step,
        correlation_id: task.correlation_id,
      });
      return eventually(async () => {
        const s = await rows.step(step);
        return s.state === 'enqueued_for_orchestration' || s.state === 'enqueued_as_error_for_orchestration'
          ? s
          : null;
      });
    };
    const bad = await run({ n: 'x' });
    expect(bad.state).toBe('enqueued_as_error_for_orchestration');
    expect(bad.results).toMatchObject({
      metadata: { retryable: false, error_type: 'validation_error' },
      error: { message: expect.stringMatching(/input\/n: must be integer/) },
    });
    expect(ran).toBe(0);
    expect((await run({ n: 3 })).state).toBe('enqueued_for_orchestration');
    expect(ran).toBe(1);
  });
});

describe('claim → execute → complete', () => {
  it('runs a step from a payload notification and writes exactly what the Rust worker writes', async () => {
    const seen: unknown[] = [];
    const registry = new HandlerRegistry().register(
      'happy.charge',
      defineHandler('happy.charge', ({ context }) => {
        seen.push(context.step);
        return { charged: context.inputData, from_parent: context.dependencyResults.validate?.result };
      }),
    );
    const worker = await startWorker({
      registry,
      templates: [
        template('happy', 'checkout', [{ name: 'validate' }, { name: 'charge', depends_on: ['validate'] }]),
      ],
      // The notification must be what takes the step: a 100 ms poll could win the race on a loaded machine. The
      // first poll runs at start; once it has completed, the next is ten minutes away.
      pollIntervalMs: 600_000,
    });
    await eventually(async () =>
      worker.readiness().then((r) => r.checks.queue_processing.status === 'healthy'),
    );
    const task = await rows.createTask({
      namespace: 'happy',
      name: 'checkout',
      context: { amount: 10.5 },
      steps: [
        { name: 'validate', state: 'complete', results: PARENT_RESULT },
        { name: 'charge', dependsOn: ['validate'] },
      ],
    });
    const stepUuid = task.steps.charge!;
    const msgId = await rows.sendStepMessage('happy', {
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });

    const done = await eventually(async () => {
      const s = await rows.step(stepUuid);
      return s.state === 'enqueued_for_orchestration' ? s : null;
    });
    expect(done.in_process).toBe(false);
    expect(done.attempts).toBe(1);
    expect(done.last_attempted_at).not.toBeNull();
    expect(done.results).toMatchObject({
      step_uuid: stepUuid,
      success: true,
      status: 'completed',
      result: { charged: { amount: 10.5 }, from_parent: { ok: 1 } },
      metadata: { retryable: false, worker_id: worker.workerId },
    });

    // Hydration: the handler got the full TaskSequenceStep (pre-claim snapshot, dependency results by name).
    const step = decodeParsed('TaskSequenceStep', seen[0]);
    expect(step.task).toMatchObject({
      task_name: 'checkout',
      task_version: '1.0.0',
      namespace_name: 'happy',
    });
    expect(step.task.task.correlation_id).toBe(task.correlation_id);
    expect(step.workflow_step).toMatchObject({
      name: 'charge',
      template_step_name: 'charge',
      attempts: null,
      in_process: false,
    });
    expect(step.task.task.requested_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/);
    expect(Object.keys(step.dependency_results)).toEqual(['validate']);
    expect(step.step_definition.handler.callable).toBe('happy.charge');

    // Transitions: enqueued → in_progress (Start) → enqueued_for_orchestration, upstream metadata shapes.
    const transitions = await rows.transitions(stepUuid);
    expect(transitions.map((t) => [t.from_state, t.to_state, t.sort_key, t.most_recent])).toEqual([
      [null, 'pending', 1, false],
      ['pending', 'enqueued', 2, false],
      ['enqueued', 'in_progress', 3, false],
      ['in_progress', 'enqueued_for_orchestration', 4, true],
    ]);
    const claim = transitions[2]!.metadata;
    // Upstream's {event, timestamp} plus ours: the claiming worker and the lease message (README "Leases").
    expect(Object.keys(claim).sort()).toEqual(['event', 'lease', 'timestamp', 'worker_uuid']);
    expect(claim.worker_uuid).toBe(worker.workerUuid);
    expect(claim.lease).toEqual({ queue: 'worker_happy_queue', msg_id: msgId });
    expect(claim.event).toBe('{"type":"Start"}');
    expect(claim.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,9}\+00:00$/);
    const completion = transitions[3]!.metadata;
    expect(Object.keys(completion).sort()).toEqual(['correlation_id', 'event', 'timestamp', 'worker_uuid']);
    expect(completion.worker_uuid).toBe(worker.workerUuid);
    expect(completion.worker_uuid).toMatch(UUID);
    expect(completion.correlation_id).toBe(task.correlation_id);
    const event = completion.event as string;
    expect(
      event.startsWith('{"type":"EnqueueForOrchestration","data":{"error":null,"metadata":{"completed_at":'),
    ).toBe(true);
    expect(JSON.parse(event).data).toEqual(done.results);

    // Audit trigger fired with attribution, as for Rust's metadata shape.
    const audit = await rows.query<{ worker_uuid: string; correlation_id: string; success: boolean }>(
      'SELECT worker_uuid::text, correlation_id::text, success FROM tasker.workflow_step_result_audit WHERE workflow_step_uuid = $1',
      [stepUuid],
    );
    expect(audit).toEqual([
      { worker_uuid: worker.workerUuid, correlation_id: task.correlation_id, success: true },
    ]);

    // The step message (read once by id for its lease) was archived with the result message to orchestration.
    const ack = await eventually(async () => {
      const m = await rows.queueMessage('worker_happy_queue', msgId);
      return m.archived ? m : null;
    });
    expect(ack).toMatchObject({ live: null, archived: { read_ct: 1 } });
    const results = await rows.messages('orchestration_step_results');
    expect(results.map((m) => m.message)).toContainEqual({
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });
    // Its metrics are recorded once its processing ended (result sent): one claim, through the notification.
    await eventually(
      async () => worker.metrics.stepsClaimed.get({ namespace: 'happy', claim_method: 'event' }) === 1,
    );
  });

  it('reports failures through enqueued_as_error_for_orchestration with retryable metadata', async () => {
    const registry = new HandlerRegistry().register(
      'fail.boom',
      defineHandler('fail.boom', () => {
        throw new Error('gateway down');
      }),
    );
    await startWorker({ registry, templates: [template('fail', 'boom', [{ name: 'boom' }])] });
    const task = await rows.createTask({ namespace: 'fail', name: 'boom', steps: [{ name: 'boom' }] });
    await rows.sendStepMessage('fail', {
      task_uuid: task.task_uuid,
      step_uuid: task.steps.boom,
      correlation_id: task.correlation_id,
    });
    const s = await eventually(async () => {
      const r = await rows.step(task.steps.boom!);
      return r.state === 'enqueued_as_error_for_orchestration' ? r : null;
    });
    expect(s.results).toMatchObject({
      success: false,
      metadata: { retryable: true },
      error: { message: 'gateway down' },
    });
    const [, , , last] = await rows.transitions(task.steps.boom!);
    expect(
      (last!.metadata.event as string).startsWith('{"type":"EnqueueAsErrorForOrchestration","data":{'),
    ).toBe(true);
  });

  it('takes messages through the poller in polling-only mode (no notification), never reading beyond free slots', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const registry = new HandlerRegistry().register(
      'poll.slow',
      defineHandler('poll.slow', async () => {
        await gate;
        return { done: true };
      }),
    );
    const worker = await startWorker({
      registry,
      templates: [
        template(
          'poll',
          'slow',
          [{ name: 'one' }, { name: 'two' }].map((s) => ({ ...s, handler: { callable: 'poll.slow' } })),
        ),
      ],
      deploymentMode: 'polling_only',
      concurrency: 1,
    });
    const t1 = await rows.createTask({ namespace: 'poll', name: 'slow', steps: [{ name: 'one' }] });
    const t2 = await rows.createTask({ namespace: 'poll', name: 'slow', steps: [{ name: 'two' }] });
    const m1 = await rows.sendSilently('worker_poll_queue', {
      task_uuid: t1.task_uuid,
      step_uuid: t1.steps.one,
      correlation_id: t1.correlation_id,
    });
    await eventually(async () => (await rows.step(t1.steps.one!)).state === 'in_progress');
    const m2 = await rows.sendSilently('worker_poll_queue', {
      task_uuid: t2.task_uuid,
      step_uuid: t2.steps.two,
      correlation_id: t2.correlation_id,
    });
    // While the only slot is busy, several poll cycles pass and the second message is never read.
    const cycles = (await worker.readiness()).system_info;
    expect(cycles.handler_slots).toEqual({ capacity: 1, in_use: 1 });
    await new Promise((r) => setTimeout(r, 400)); // 4 poll intervals: observation window, not synchronisation
    expect((await rows.queueMessage('worker_poll_queue', m2)).live?.read_ct).toBe(0);
    expect((await rows.step(t2.steps.two!)).state).toBe('enqueued');
    release();
    await eventually(async () => (await rows.step(t2.steps.two!)).state === 'enqueued_for_orchestration');
    await eventually(async () => (await rows.queueMessage('worker_poll_queue', m1)).archived);
    await eventually(
      async () => worker.metrics.stepsClaimed.get({ namespace: 'poll', claim_method: 'poll' }) === 2,
    );
  });

  it('drains a backlog larger than its handler slots without waiting for the poll interval', async () => {
    const registry = new HandlerRegistry().register(
      'backlog.step',
      defineHandler('backlog.step', () => ({ ok: true })),
    );
    // A poll interval far longer than the deadline below: only reading again as soon as slots free up (after a
    // full read) can drain twelve notified messages through two slots in time.
    await startWorker({
      registry,
      templates: [template('backlog', 'many', [{ name: 's', handler: { callable: 'backlog.step' } }])],
      concurrency: 2,
      pollIntervalMs: 600_000,
    });
    const tasks: Awaited<ReturnType<typeof rows.createTask>>[] = [];
    for (let i = 0; i < 12; i += 1) {
      tasks.push(await rows.createTask({ namespace: 'backlog', name: 'many', steps: [{ name: 's' }] }));
    }
    await Promise.all(
      tasks.map((task) =>
        rows.sendStepMessage('backlog', {
          task_uuid: task.task_uuid,
          step_uuid: task.steps.s,
          correlation_id: task.correlation_id,
        }),
      ),
    );
    await eventually(
      async () => {
        const states = await Promise.all(tasks.map(async (task) => (await rows.step(task.steps.s!)).state));
        return states.every((state) => state === 'enqueued_for_orchestration');
      },
      { timeoutMs: 20_000 },
    );
  });

  it('fetches signal-only notifications (message ≥ 7000 chars) by id', async () => {
    const registry = new HandlerRegistry().register(
      'big.s',
      defineHandler('big.s', () => ({ ok: true })),
    );
    await startWorker({
      registry,
      templates: [template('big', 'signal', [{ name: 's' }])],
      pollIntervalMs: 60_000,
    });
    const task = await rows.createTask({ namespace: 'big', name: 'signal', steps: [{ name: 's' }] });
    // Unknown keys are ignored by StepMessage decoding (serde), so padding makes a signal-only notification.
    await rows.sendStepMessage('big', {
      task_uuid: task.task_uuid,
      step_uuid: task.steps.s,
      correlation_id: task.correlation_id,
      padding: 'x'.repeat(7500),
    });
    await eventually(async () => (await rows.step(task.steps.s!)).state === 'enqueued_for_orchestration', {
      timeoutMs: 5_000,
    });
  });

  it('carries decision outcomes in results, persists checkpoint yields and publishes domain events after completion', async () => {
    let calls = 0;
    const resumedFrom: unknown[] = [];
    const events: unknown[] = [];
    const registry = new HandlerRegistry()
      .register(
        'ev.decide',
        defineHandler('ev.decide', () => ({
          decision_point_outcome: { type: 'create_steps', step_names: ['b'] },
        })),
      )
      .register(
        'ev.b',
        defineHandler('ev.b', () => ({})),
      )
      .register(
        'ev.batch',
        defineHandler('ev.batch', ({ context }) => {
          calls += 1;
          if (context.checkpoint !== null) resumedFrom.push(context.checkpoint);
          const cursor = context.checkpointCursor<number>() ?? 0;
          if (cursor < 2) return checkpointYield({ cursor: cursor + 1, itemsProcessed: cursor + 1 });
          return { processed: cursor, paid: true };
        }),
      );
    await startWorker({
      registry,
      onDomainEvent: (e) => events.push(e),
      templates: [
        template('ev', 'flow', [
          { name: 'start', handler: { callable: 'ev.b' } },
          { name: 'decide', type: 'decision', depends_on: ['start'] },
          { name: 'b' },
          {
            name: 'batch',
            publishes_events: [
              {
                name: 'payment.done',
                description: 'paid',
                condition: 'success',
                schema: { type: 'object', required: ['paid'] },
                delivery_mode: 'broadcast',
              },
              {
                name: 'payment.failed',
                description: 'failed',
                condition: 'failure',
                schema: { type: 'object' },
              },
            ],
          },
        ]),
      ],
    });
    const task = await rows.createTask({
      namespace: 'ev',
      name: 'flow',
      steps: [
        { name: 'start', state: 'complete', results: PARENT_RESULT },
        { name: 'decide', dependsOn: ['start'] },
        { name: 'batch' },
      ],
    });
    for (const name of ['decide', 'batch']) {
      await rows.sendStepMessage('ev', {
        task_uuid: task.task_uuid,
        step_uuid: task.steps[name],
        correlation_id: task.correlation_id,
      });
    }
    const decided = await eventually(async () => {
      const s = await rows.step(task.steps.decide!);
      return s.state === 'enqueued_for_orchestration' ? s : null;
    });
    expect(decided.results?.result).toEqual({
      decision_point_outcome: { type: 'create_steps', step_names: ['b'] },
    });

    const batch = await eventually(async () => {
      const s = await rows.step(task.steps.batch!);
      return s.state === 'enqueued_for_orchestration' ? s : null;
    });
    expect(calls).toBe(3);
    expect(batch.attempts).toBe(1); // yields do not consume attempts
    expect(batch.checkpoint).toMatchObject({ cursor: 2, items_processed: 2 });
    expect(batch.checkpoint?.history).toHaveLength(2);
    // Each re-invocation sees the checkpoint as stored (a CheckpointRecord), not the yielded data.
    expect(resumedFrom).toHaveLength(2);
    for (const checkpoint of resumedFrom)
      expect(validate('CheckpointRecord', checkpoint)).toMatchObject({ ok: true });
    expect(resumedFrom[1]).toMatchObject({
      cursor: 2,
      items_processed: 2,
      history: [{ cursor: 1 }, { cursor: 2 }],
    });

    const domain = await eventually(async () => {
      const m = await rows.messages('ev_domain_events');
      return m.length > 0 ? m : null;
    });
    expect(domain).toHaveLength(1);
    const published = decodeParsed('DomainEvent', domain[0]!.message);
    expect(published).toMatchObject({
      event_name: 'payment.done',
      event_version: '1.0',
      payload: { payload: { processed: 2, paid: true }, execution_result: { success: true } },
      metadata: {
        task_uuid: task.task_uuid,
        step_uuid: task.steps.batch,
        step_name: 'batch',
        namespace: 'ev',
        fired_by: 'DefaultDomainEventPublisher',
      },
    });
    expect(published.event_id).toMatch(UUID);
    await eventually(async () => events.length > 0, { what: 'the in-process broadcast' }); // after the send
    expect(events).toHaveLength(1); // broadcast also goes in-process
  });
});
