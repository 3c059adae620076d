import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TaskerWorker } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

// docs/protocol.md §5.5: orchestration drops a result it processes while the task is still `enqueuing_steps`, and
// nothing evaluates the task again. The worker holds the result message back until the enqueue has ended (for a
// step of a batch whose neighbour's task is not enqueuing: `round-trips.int.test.ts`).

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let worker: TaskerWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
  worker = new TaskerWorker({
    registry: new HandlerRegistry().register(
      'window.only',
      defineHandler('window.only', () => ({ done: true })),
    ),
    templates: [template('window', 'fast', [{ name: 'only' }])],
    databaseUrl: db.url,
    logger: recordingLogger(),
    pollIntervalMs: 100,
    env: {},
  });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop({ graceMs: 0 });
  await rows?.close();
  await db?.drop();
});

async function resultMessagesFor(taskUuid: string) {
  return (await rows.messages('orchestration_step_results')).filter((m) => m.message.task_uuid === taskUuid);
}

describe('a result during orchestration enqueuing (§5.5)', () => {
  it('is sent only once the task has left enqueuing_steps', async () => {
    const task = await rows.createTask({ namespace: 'window', name: 'fast', steps: [{ name: 'only' }] });
    const stepUuid = task.steps.only as string;
    await rows.taskTransition(task.task_uuid, null, 'pending');
    await rows.taskTransition(task.task_uuid, 'pending', 'initializing');
    await rows.taskTransition(task.task_uuid, 'initializing', 'enqueuing_steps');
    await rows.sendStepMessage('window', {
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });

    // The completion is committed at once; the result message waits for the enqueue to end.
    await eventually(async () => (await rows.step(stepUuid)).state === 'enqueued_for_orchestration');
    expect(await resultMessagesFor(task.task_uuid)).toEqual([]);
    const enqueueEndedAt = await rows.taskTransition(task.task_uuid, 'enqueuing_steps', 'steps_in_process');

    const [sent] = await eventually(async () => {
      const found = await resultMessagesFor(task.task_uuid);
      return found.length > 0 ? found : null;
    });
    expect(sent?.message).toEqual({
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });
    const [order] = await rows.query<{ after: boolean }>(
      `SELECT enqueued_at >= $2::timestamp AT TIME ZONE 'UTC' AS after
         FROM pgmq.q_orchestration_step_results WHERE message->>'task_uuid' = $1`,
      [task.task_uuid, enqueueEndedAt],
    );
    expect(order?.after).toBe(true);
  });

  it('is sent at once when the task is already steps_in_process', async () => {
    const task = await rows.createTask({ namespace: 'window', name: 'fast', steps: [{ name: 'only' }] });
    const stepUuid = task.steps.only as string;
    await rows.taskTransition(task.task_uuid, null, 'steps_in_process');
    await rows.sendStepMessage('window', {
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });
    const [sent] = await eventually(async () => {
      const found = await resultMessagesFor(task.task_uuid);
      return found.length > 0 ? found : null;
    });
    expect(sent?.message.step_uuid).toBe(stepUuid);
    expect((await rows.step(stepUuid)).state).toBe('enqueued_for_orchestration');
  });
});
