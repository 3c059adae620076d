import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { ConfigError, TaskerWorker } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * Queue names from configuration (upstream `[common.queues]`: `worker_namespace`,
 * `orchestration_queues.step_results`; README "Configuration"). Orchestration's side is played by hand here: the
 * dev orchestrator, like upstream's, sends to `worker_{ns}_queue` only.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
});
afterAll(async () => {
  await rows?.close();
  await db?.drop();
});

const queueNames = async () =>
  (await rows.query<{ queue_name: string }>('SELECT queue_name FROM pgmq.meta ORDER BY 1')).map(
    (r) => r.queue_name,
  );

it('a worker with its own step queue prefix and results queue creates, hears and answers on those names', async () => {
  const worker = new TaskerWorker({
    registry: new HandlerRegistry().register(
      'billing.charge',
      defineHandler('billing.charge', () => ({ charged: true })),
    ),
    databaseUrl: db.url,
    logger: recordingLogger(),
    // Only a notification can deliver the step within the deadline: the poller's next cycle is a minute away.
    pollIntervalMs: 60_000,
    env: { TASKER_WORKER_QUEUE_NAMESPACE: 'acme', TASKER_STEP_RESULTS_QUEUE: 'acme_step_results' },
    templates: [template('billing', 'flow', [{ name: 'charge' }])],
  });
  await worker.start();
  try {
    const queues = await queueNames();
    expect(queues).toEqual(expect.arrayContaining(['acme_billing_queue', 'acme_step_results']));
    expect(queues).not.toContain('worker_billing_queue');
    expect(queues).not.toContain('orchestration_step_results');

    const t = await rows.createTask({ namespace: 'billing', name: 'flow', steps: [{ name: 'charge' }] });
    const body = { task_uuid: t.task_uuid, step_uuid: t.steps.charge!, correlation_id: t.correlation_id };
    // tasker's notifying send on `acme_billing_queue` notifies `pgmq_message_ready.acme_billing`.
    await rows.sendRaw('acme_billing_queue', JSON.stringify(body));
    await eventually(async () => (await rows.messages('acme_step_results')).length === 1, {
      what: 'the result message on acme_step_results',
    });
    expect((await rows.messages('acme_step_results')).map((m) => m.message)).toEqual([body]);
    expect((await rows.step(t.steps.charge!)).state).toBe('enqueued_for_orchestration');
  } finally {
    await worker.stop();
  }
});

it('a prefix that makes a served namespace’s step queue longer than 47 characters fails start() naming the setting', async () => {
  const worker = new TaskerWorker({
    registry: new HandlerRegistry(),
    databaseUrl: db.url,
    logger: recordingLogger(),
    workerQueueNamespace: 'p'.repeat(21), // `p…p_n…n_queue`: 21 + 1 + 20 + 6 = 48 characters
    env: {},
    templates: [template('n'.repeat(20), 'flow', [{ name: 'a' }])],
  });
  const error = await worker.start().then(
    () => null,
    (e: unknown) => e,
  );
  await worker.stop();
  expect(error).toBeInstanceOf(ConfigError);
  expect(error).toMatchObject({ setting: 'workerQueueNamespace (TASKER_WORKER_QUEUE_NAMESPACE)' });
  expect((error as Error).message).toMatch(/longer than 47/);
});
