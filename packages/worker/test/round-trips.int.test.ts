import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TaskerWorker } from '../src/index.js';
import { TASKER_SESSION_OPTIONS } from '../src/internal.js';
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

/** A worker whose pool records every statement it issues (heartbeats excluded). */
async function countingWorker(namespace: string, steps: string[]) {
  const pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
  const issued: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (
    config: { text?: string } | string,
    ...rest: unknown[]
  ) => {
    const text = typeof config === 'string' ? config : (config.text ?? '');
    if (text !== 'SELECT 1 AS ok') issued.push(text.replace(/\s+/g, ' ').trim());
    return query(config, ...rest);
  };
  const worker = new TaskerWorker({
    registry: new HandlerRegistry().register(
      `${namespace}.step`,
      defineHandler(`${namespace}.step`, () => ({ ok: true })),
    ),
    databaseUrl: db.url, // for the LISTEN connection
    pool,
    logger: recordingLogger(),
    pollIntervalMs: 600_000, // the poller's first cycle runs at start; no poll reads during the measurement
    env: {},
    templates: [
      template(
        namespace,
        'flow',
        steps.map((name) => ({ name, handler: { callable: `${namespace}.step` } })),
      ),
    ],
  });
  await worker.start();
  await eventually(async () =>
    worker.readiness().then((r) => r.checks.queue_processing.status === 'healthy'),
  );
  return {
    issued,
    async stop() {
      await worker.stop({ graceMs: 0 });
      await pool.end();
    },
  };
}

it('a step from a payload notification costs 4 round trips: lease read, hydrate + claim, complete, send + archive', async () => {
  const worker = await countingWorker('rt', ['a']);
  try {
    const t = await rows.createTask({ namespace: 'rt', name: 'flow', steps: [{ name: 'a' }] });
    worker.issued.length = 0;
    await rows.sendStepMessage('rt', {
      task_uuid: t.task_uuid,
      step_uuid: t.steps.a,
      correlation_id: t.correlation_id,
    });
    await eventually(async () => (await rows.messages('orchestration_step_results')).length === 1);
    const perStep = worker.issued;
    expect(perStep.map((q) => q.slice(0, 60))).toHaveLength(4);
    expect(perStep[0]).toMatch(/pgmq_read_specific_message/); // the lease (visibility timeout) first
    expect(perStep[1]).toMatch(/^WITH ids AS .*to_state = 'enqueued'/); // hydrate and claim, naming the lease
    expect(perStep[2]).toMatch(/workflow_step_transition_uuid = \$5::uuid/); // completion fenced to our claim
    expect(perStep[3]).toMatch(/pgmq_send_with_notify.*pgmq\.archive/); // result message + ack, one statement
  } finally {
    await worker.stop();
  }
});

it('a burst of notifications (steps enqueued in one transaction) is read with one pgmq.read, not one read per step', async () => {
  const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
  const worker = await countingWorker('burst', names);
  try {
    const t = await rows.createTask({
      namespace: 'burst',
      name: 'flow',
      steps: names.map((name) => ({ name })),
    });
    worker.issued.length = 0;
    const bodies = names.map((n) => ({
      task_uuid: t.task_uuid,
      step_uuid: t.steps[n],
      correlation_id: t.correlation_id,
    }));
    // One statement, one transaction: the notifications are delivered together at commit.
    await rows.query(
      `SELECT tasker.pgmq_send_with_notify('worker_burst_queue', m, 0) FROM jsonb_array_elements($1::jsonb) m`,
      [JSON.stringify(bodies)],
    );
    await eventually(async () => {
      const sent = await rows.messages('orchestration_step_results');
      return sent.filter((m) => m.message.task_uuid === t.task_uuid).length === names.length;
    });
    const reads = worker.issued.filter((q) => /pgmq\.read\(|pgmq_read_specific_message/.test(q));
    expect(reads.length).toBeLessThan(names.length);
    expect(reads.some((q) => /pgmq\.read\(/.test(q))).toBe(true);
    expect(worker.issued.filter((q) => /^WITH ids AS/.test(q))).toHaveLength(names.length); // each step hydrated and claimed
  } finally {
    await worker.stop();
  }
});
