import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TASKER_SESSION_OPTIONS, TaskerWorker } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * Measures the SQL round trips per step (README "Round trips"): every query the worker issues between the
 * orchestration-side send and the result message, through a counting pool. A step shorter than a third of the
 * visibility timeout costs no lease heartbeat; a longer one costs one `set_vt` per vt/3 per queue, shared by
 * every step in flight.
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

it('a step from a payload notification costs 5 round trips: lease read, hydrate, claim, complete, send + archive', async () => {
  const pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
  const issued: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (
    config: { text?: string } | string,
    ...rest: unknown[]
  ) => {
    const text = typeof config === 'string' ? config : (config.text ?? '');
    issued.push(text.replace(/\s+/g, ' ').trim());
    return query(config, ...rest);
  };
  const worker = new TaskerWorker({
    registry: new HandlerRegistry().register(
      'rt.a',
      defineHandler('rt.a', () => ({ ok: true })),
    ),
    databaseUrl: db.url, // for the LISTEN connection
    pool,
    logger: recordingLogger(),
    pollIntervalMs: 600_000, // the poller's first cycle runs at start; no poll reads during the measurement
    env: {},
    templates: [template('rt', 'rt', [{ name: 'a' }])],
  });
  await worker.start();
  try {
    await eventually(async () =>
      worker.readiness().then((r) => r.checks.queue_processing.status === 'healthy'),
    );
    const t = await rows.createTask({ namespace: 'rt', name: 'rt', steps: [{ name: 'a' }] });
    issued.length = 0;
    await rows.sendStepMessage('rt', {
      task_uuid: t.task_uuid,
      step_uuid: t.steps.a,
      correlation_id: t.correlation_id,
    });
    await eventually(async () => (await rows.messages('orchestration_step_results')).length === 1);
    const perStep = issued.filter((q) => q !== 'SELECT 1 AS ok');
    expect(perStep.map((q) => q.slice(0, 60))).toHaveLength(5);
    expect(perStep[0]).toMatch(/pgmq_read_specific_message/); // the lease (visibility timeout) first
    expect(perStep[1]).toMatch(/^WITH ids AS/); // hydrate
    expect(perStep[2]).toMatch(/to_state = 'enqueued'/); // claim, naming the lease
    expect(perStep[3]).toMatch(/workflow_step_transition_uuid = \$5::uuid/); // completion fenced to our claim
    expect(perStep[4]).toMatch(/pgmq_send_with_notify.*pgmq\.archive/); // result message + ack, one statement
  } finally {
    await worker.stop({ graceMs: 0 });
    await pool.end();
  }
});
