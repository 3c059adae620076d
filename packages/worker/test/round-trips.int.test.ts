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

/** A pool that records every statement it issues into `issued` (health pings excluded). */
function countingPool(issued: string[]): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (
    config: { text?: string } | string,
    ...rest: unknown[]
  ) => {
    const text = typeof config === 'string' ? config : (config.text ?? '');
    if (text !== 'SELECT 1 AS ok') issued.push(text.replace(/\s+/g, ' ').trim());
    return query(config, ...rest);
  };
  return pool;
}

/** Statement shapes, by the text the worker sends. */
const LEASE_AND_CLAIM = (queue: string) => new RegExp(`^WITH leased AS \\( ?UPDATE pgmq\\."q_${queue}" `);
const HYDRATE_AND_CLAIM = /^WITH ids AS .*to_state = 'enqueued'/;
const COMPLETE = /jsonb_array_elements\(\$1::jsonb\).*workflow_step_transition_uuid = input\.claim_uuid/;
/** The completion with the result messages and the archives in the same statement (one database). */
const COMPLETE_AND_REPORT = new RegExp(`${COMPLETE.source}.*pgmq_send_with_notify.*pgmq\\.archive`);
const SEND_AND_ARCHIVE = /^WITH sent AS .*pgmq_send_with_notify.*pgmq\.archive/;
const TASK_STATE =
  /^SELECT to_state FROM tasker\.task_transitions WHERE task_uuid = \$1::uuid AND most_recent$/;

/**
 * A worker whose statements are recorded (heartbeats excluded). `separatePgmqPool`: a second pool to the same
 * database for pgmq, which the worker treats as split databases (lease read and claim kept apart).
 * `handler` replaces the no-op handler.
 */
async function countingWorker(
  namespace: string,
  steps: string[],
  options: {
    separatePgmqPool?: boolean;
    concurrency?: number;
    pollIntervalMs?: number;
    handler?: (step: string) => unknown;
  } = {},
) {
  const issued: string[] = [];
  const pool = countingPool(issued);
  const pgmqPool = options.separatePgmqPool === true ? countingPool(issued) : undefined;
  const handler = options.handler ?? (() => ({ ok: true }));
  const worker = new TaskerWorker({
    registry: new HandlerRegistry().register(
      `${namespace}.step`,
      defineHandler(`${namespace}.step`, ({ context }) => handler(context.stepName)),
    ),
    databaseUrl: db.url, // for the LISTEN connection
    pool,
    ...(pgmqPool === undefined ? {} : { pgmqPool, pgmqDatabaseUrl: db.url }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    logger: recordingLogger(),
    // By default the poller's first cycle runs at start, and no poll reads happen during the measurement.
    pollIntervalMs: options.pollIntervalMs ?? 600_000,
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
      await Promise.all([pool.end(), pgmqPool?.end()]);
    },
  };
}

/** A task of `names` in `namespace`; its step messages, as orchestration sends them. */
async function task(namespace: string, names: string[]) {
  const t = await rows.createTask({ namespace, name: 'flow', steps: names.map((name) => ({ name })) });
  const bodies = names.map((n) => ({
    task_uuid: t.task_uuid,
    step_uuid: t.steps[n] as string,
    correlation_id: t.correlation_id,
  }));
  const resultsFor = async () =>
    (await rows.messages('orchestration_step_results')).filter((m) => m.message.task_uuid === t.task_uuid);
  return { t, bodies, resultsFor };
}

it('a step from a payload notification costs 2 round trips: lease + hydrate + claim, complete + send + archive', async () => {
  const worker = await countingWorker('rt', ['a']);
  try {
    const { t, bodies, resultsFor } = await task('rt', ['a']);
    worker.issued.length = 0;
    const msgId = await rows.sendStepMessage('rt', bodies[0]);
    await eventually(async () => (await resultsFor()).length === 1);
    const perStep = worker.issued;
    expect(perStep.map((q) => q.slice(0, 60))).toHaveLength(2);
    // The lease (visibility timeout) is taken in the statement that hydrates and claims, and the claim names it.
    expect(perStep[0]).toMatch(LEASE_AND_CLAIM('worker_rt_queue'));
    expect(perStep[0]).toMatch(/s\.msg_id = ANY\(\$1::bigint\[\]\).*to_state = 'enqueued'/);
    // Completion fenced to our claim, result message and ack: one statement.
    expect(perStep[1]).toMatch(COMPLETE_AND_REPORT);
    expect((await rows.queueMessage('worker_rt_queue', msgId)).archived).not.toBeNull();
    const [claim] = await rows.query<{ metadata: { lease: unknown; worker_uuid: unknown } }>(
      `SELECT metadata FROM tasker.workflow_step_transitions
        WHERE workflow_step_uuid = $1::uuid AND to_state = 'in_progress'`,
      [t.steps.a],
    );
    expect(claim?.metadata.lease).toEqual({ queue: 'worker_rt_queue', msg_id: msgId });
    expect(claim?.metadata.worker_uuid).toEqual(expect.any(String));
  } finally {
    await worker.stop();
  }
});

it('with pgmq in a database of its own (split), a notified step costs 4: lease read, hydrate + claim, complete, send + archive', async () => {
  const worker = await countingWorker('rtsplit', ['a'], { separatePgmqPool: true });
  try {
    const { bodies, resultsFor } = await task('rtsplit', ['a']);
    worker.issued.length = 0;
    await rows.sendStepMessage('rtsplit', bodies[0]);
    await eventually(async () => (await resultsFor()).length === 1);
    const perStep = worker.issued;
    expect(perStep).toHaveLength(4);
    expect(perStep[0]).toMatch(/pgmq_read_specific_message/); // pgmq database: the lease first
    expect(perStep[1]).toMatch(HYDRATE_AND_CLAIM); // tasker database: hydrate and claim
    expect(perStep[2]).toMatch(COMPLETE);
    expect(perStep[2]).not.toMatch(/pgmq_send_with_notify/); // no transaction spans the two databases
    expect(perStep[3]).toMatch(SEND_AND_ARCHIVE);
  } finally {
    await worker.stop();
  }
});

it('a poll leases, hydrates and claims the next messages in one statement (2 round trips for a step)', async () => {
  const worker = await countingWorker('rtpoll', ['a'], { concurrency: 1, pollIntervalMs: 100 });
  try {
    const { bodies, resultsFor } = await task('rtpoll', ['a']);
    worker.issued.length = 0;
    await rows.sendSilently('worker_rtpoll_queue', bodies[0]);
    await eventually(async () => (await resultsFor()).length === 1);
    // Empty polls before the message arrived are the same statement, answering with no row.
    const next = /LIMIT \$1::integer FOR UPDATE SKIP LOCKED/;
    const polls = worker.issued.filter((q) => LEASE_AND_CLAIM('worker_rtpoll_queue').test(q));
    expect(polls.length).toBeGreaterThan(0);
    for (const q of polls) expect(q).toMatch(next);
    const perStep = worker.issued.filter((q) => !polls.includes(q));
    expect(perStep).toHaveLength(1);
    expect(perStep[0]).toMatch(COMPLETE_AND_REPORT);
  } finally {
    await worker.stop();
  }
});

const BURST = ['s1', 's2', 's3', 's4', 's5', 's6'];

/** Orchestration enqueues a task's ready steps in one transaction: their notifications arrive together. */
async function sendTogether(queue: string, bodies: unknown[]) {
  await rows.query(
    `SELECT tasker.pgmq_send_with_notify($1::text, m, 0) FROM jsonb_array_elements($2::jsonb) m`,
    [queue, JSON.stringify(bodies)],
  );
}

it('six steps enqueued together cost 2 statements in all: one lease + hydrate + claim, one completion + send + archive', async () => {
  const worker = await countingWorker('burst', BURST);
  try {
    const { t, bodies, resultsFor } = await task('burst', BURST);
    worker.issued.length = 0;
    await sendTogether('worker_burst_queue', bodies);
    await eventually(async () => (await resultsFor()).length === BURST.length);
    expect(worker.issued).toHaveLength(2);
    expect(worker.issued[0]).toMatch(LEASE_AND_CLAIM('worker_burst_queue'));
    expect(worker.issued[1]).toMatch(COMPLETE_AND_REPORT);
    for (const name of BURST) {
      expect((await rows.step(t.steps[name] as string)).state).toBe('enqueued_for_orchestration');
    }
    // Each claim names its own message as its lease, and each message was archived with its result.
    const claims = await rows.query<{ msg_id: string }>(
      `SELECT metadata->'lease'->>'msg_id' AS msg_id FROM tasker.workflow_step_transitions tr
         JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
        WHERE ws.task_uuid = $1::uuid AND tr.to_state = 'in_progress'`,
      [t.task_uuid],
    );
    expect(new Set(claims.map((c) => c.msg_id)).size).toBe(BURST.length);
    for (const { msg_id } of claims) {
      expect((await rows.queueMessage('worker_burst_queue', msg_id)).archived).not.toBeNull();
    }
  } finally {
    await worker.stop();
  }
});

it('a step whose task is still enqueuing holds back only its own result; its neighbour in the batch is sent at once (docs/protocol.md §5.5)', async () => {
  const worker = await countingWorker('hold', ['only']);
  try {
    const held = await task('hold', ['only']);
    const free = await task('hold', ['only']);
    await rows.taskTransition(held.t.task_uuid, null, 'enqueuing_steps');
    await rows.taskTransition(free.t.task_uuid, null, 'steps_in_process');
    worker.issued.length = 0;
    await sendTogether('worker_hold_queue', [held.bodies[0], free.bodies[0]]);

    await eventually(async () => (await free.resultsFor()).length === 1, { what: "the free step's result" });
    // Both completions were written by one statement, which sent only the free step's result.
    expect(worker.issued[0]).toMatch(LEASE_AND_CLAIM('worker_hold_queue'));
    expect(worker.issued.filter((text) => COMPLETE_AND_REPORT.test(text))).toHaveLength(1);
    expect((await rows.step(held.t.steps.only as string)).state).toBe('enqueued_for_orchestration');
    expect(await held.resultsFor()).toEqual([]);
    // Meanwhile the held step re-reads its own task's state.
    await eventually(async () => worker.issued.some((text) => TASK_STATE.test(text)), {
      what: 'a re-read of the task state',
    });

    const enqueueEndedAt = await rows.taskTransition(held.t.task_uuid, 'enqueuing_steps', 'steps_in_process');
    await eventually(async () => (await held.resultsFor()).length === 1, { what: "the held step's result" });
    const [order] = await rows.query<{ after: boolean }>(
      `SELECT enqueued_at >= $2::timestamp AT TIME ZONE 'UTC' AS after
         FROM pgmq.q_orchestration_step_results WHERE message->>'task_uuid' = $1`,
      [held.t.task_uuid, enqueueEndedAt],
    );
    expect(order?.after).toBe(true);
    expect(worker.issued.filter((text) => COMPLETE.test(text))).toHaveLength(1);
    // The held result went out on its own, once the enqueue had ended.
    expect(worker.issued.filter((text) => SEND_AND_ARCHIVE.test(text))).toHaveLength(1);
  } finally {
    await worker.stop();
  }
});

it('split databases: six steps enqueued together cost 4 statements: one pgmq.read, one hydrate + claim, one completion, one send + archive', async () => {
  const worker = await countingWorker('burstsplit', BURST, { separatePgmqPool: true });
  try {
    const { bodies, resultsFor } = await task('burstsplit', BURST);
    worker.issued.length = 0;
    await sendTogether('worker_burstsplit_queue', bodies);
    await eventually(async () => (await resultsFor()).length === BURST.length);
    expect(worker.issued).toHaveLength(4);
    expect(worker.issued[0]).toMatch(/pgmq\.read\(/);
    expect(worker.issued[1]).toMatch(HYDRATE_AND_CLAIM);
    expect(worker.issued[2]).toMatch(COMPLETE);
    expect(worker.issued[2]).not.toMatch(/pgmq_send_with_notify/);
    expect(worker.issued[3]).toMatch(SEND_AND_ARCHIVE);
  } finally {
    await worker.stop();
  }
});

it('a result the database refuses fails only its own step: the batch falls back to one completion per step', async () => {
  const worker = await countingWorker('isolate', BURST, {
    // s3's result holds a NUL character, which jsonb refuses (SQLSTATE 22P05): the batched completion fails.
    handler: (step) => (step === 's3' ? { s: 'a\u0000b' } : { ok: step }),
  });
  try {
    const { t, bodies, resultsFor } = await task('isolate', BURST);
    worker.issued.length = 0;
    await sendTogether('worker_isolate_queue', bodies);
    await eventually(async () => (await resultsFor()).length === BURST.length);
    for (const name of BURST) {
      const step = await rows.step(t.steps[name] as string);
      if (name === 's3') {
        expect(step.state).toBe('enqueued_as_error_for_orchestration');
        expect(step.results).toMatchObject({
          error: { error_type: 'result_not_storable', retryable: false },
        });
      } else {
        expect(step.state).toBe('enqueued_for_orchestration');
        expect(step.results).toMatchObject({ success: true, result: { ok: name } });
      }
    }
    // One batched completion for the six, refused as a whole; then one per step; then s3's replacement.
    const completions = worker.issued.filter((q) => COMPLETE.test(q));
    expect(completions).toHaveLength(1 + BURST.length + 1);
  } finally {
    await worker.stop();
  }
});
