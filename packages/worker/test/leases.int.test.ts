import { randomUUID } from 'node:crypto';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * Claim leases (README "Leases"): the step message's visibility timeout is the lease, renewed by a heartbeat,
 * and whoever reads a message whose lease lapsed finishes its claim with a worker-owned transition only.
 * Dead owners are simulated by writing their rows by hand (the chaos suite kills real processes).
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
const workers: TaskerWorker[] = [];
const NS = 'lease';
const QUEUE = `worker_${NS}_queue`;
const VT = 1;

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

function registry(slow: (signal: AbortSignal) => Promise<unknown> = () => new Promise(() => {})) {
  return new HandlerRegistry()
    .register(
      'lease.ok',
      defineHandler('lease.ok', () => ({ ok: true })),
    )
    .register(
      'lease.slow',
      defineHandler('lease.slow', ({ signal }) => slow(signal)),
    );
}

async function startWorker(options: Partial<TaskerWorkerOptions> = {}) {
  const worker = new TaskerWorker({
    registry: registry(),
    databaseUrl: db.url,
    logger: recordingLogger(),
    pollIntervalMs: 50,
    visibilityTimeoutSeconds: VT,
    handlerTimeoutMs: 60_000,
    env: {},
    templates: [template(NS, 'flow', [{ name: 'ok' }, { name: 'slow' }])],
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

/**
 * What a worker that died leaves behind: a step claimed through message `msgId` (our claim metadata, made
 * `ageMs` ago) — optionally already completed — and the message itself, visible again.
 */
async function abandonedClaim(input: { ageMs: number; completed?: boolean }) {
  const t = await rows.createTask({
    namespace: NS,
    name: 'flow',
    steps: [{ name: 'ok', state: input.completed ? 'enqueued_for_orchestration' : 'in_progress' }],
  });
  const stepUuid = t.steps.ok!;
  const msgId = await rows.sendSilently(
    QUEUE,
    { task_uuid: t.task_uuid, step_uuid: stepUuid, correlation_id: t.correlation_id },
    { hidden: true }, // until the claim names it as its lease: a worker reading it earlier would archive it
  );
  const deadWorker = randomUUID();
  await rows.query(
    `UPDATE tasker.workflow_step_transitions
        SET metadata = $2::jsonb, created_at = (now() AT TIME ZONE 'UTC') - make_interval(secs => $3::float8 / 1000)
      WHERE workflow_step_uuid = $1::uuid AND to_state IN ('in_progress', 'enqueued_for_orchestration')`,
    [
      stepUuid,
      JSON.stringify({
        event: '{"type":"Start"}',
        timestamp: new Date().toISOString(),
        worker_uuid: deadWorker,
        lease: { queue: QUEUE, msg_id: msgId },
      }),
      input.ageMs,
    ],
  );
  if (input.completed) {
    await rows.query(
      `UPDATE tasker.workflow_step_transitions SET metadata = '{"event":"{}"}'::jsonb
        WHERE workflow_step_uuid = $1::uuid AND to_state = 'enqueued_for_orchestration'`,
      [stepUuid],
    );
    await rows.query(
      `UPDATE tasker.workflow_steps SET attempts = 1, in_process = false, results = '{"success":true}'::jsonb
        WHERE workflow_step_uuid = $1::uuid`,
      [stepUuid],
    );
  } else {
    await rows.query('UPDATE tasker.workflow_steps SET attempts = 1 WHERE workflow_step_uuid = $1::uuid', [
      stepUuid,
    ]);
  }
  await rows.makeVisible(QUEUE, msgId);
  return { task: t, stepUuid, msgId, deadWorker };
}

const resultMessagesFor = async (stepUuid: string) =>
  (await rows.messages('orchestration_step_results')).filter((m) => m.message.step_uuid === stepUuid);

describe('a live claim keeps its lease', () => {
  it('the heartbeat keeps a step running for several visibility timeouts invisible to other workers', async () => {
    let release: (value: unknown) => void = () => {};
    const slow = () => new Promise((r) => (release = r));
    // A 3 s lease here (1 s elsewhere): slack for event-loop lag when every suite runs at once on 2 cores.
    const owner = await startWorker({ registry: registry(slow), visibilityTimeoutSeconds: 3 });
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'slow' }] });
    const stepUuid = t.steps.slow!;
    const msgId = await rows.sendStepMessage(NS, {
      task_uuid: t.task_uuid,
      step_uuid: stepUuid,
      correlation_id: t.correlation_id,
    });
    await eventually(async () => (await rows.step(stepUuid)).state === 'in_progress');
    // The peer starts once the owner holds the claim (both would be notified of the message otherwise, and the
    // peer's slow handler never returns), then polls the queue every 50 ms.
    const peer = await startWorker({ visibilityTimeoutSeconds: 3 });
    // Observation window of 2.5 visibility timeouts (the workload, not synchronisation): the peer polls every 50 ms.
    await new Promise((r) => setTimeout(r, 7_500));
    const during = await rows.queueMessage(QUEUE, msgId);
    expect(during.live?.read_ct).toBe(1); // read once, by the owner; never visible since
    expect((await rows.step(stepUuid)).state).toBe('in_progress');
    release({ done: true });
    const s = await eventually(async () => {
      const r = await rows.step(stepUuid);
      return r.state === 'enqueued_for_orchestration' ? r : null;
    });
    expect(s.attempts).toBe(1);
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    expect(peer.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' })).toBe(0);
    expect(owner.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' })).toBe(0);
  });
});

describe('a claim whose lease lapsed is recovered with a worker-owned transition', () => {
  it('in_progress: reported as a retryable worker_lost failure naming the lost worker; result sent; message archived', async () => {
    const logger = recordingLogger();
    const worker = await startWorker({ logger });
    const { stepUuid, msgId, deadWorker, task } = await abandonedClaim({ ageMs: 5_000 });
    const s = await eventually(async () => {
      const r = await rows.step(stepUuid);
      return r.state === 'enqueued_as_error_for_orchestration' ? r : null;
    });
    expect(s.in_process).toBe(false);
    expect(s.attempts).toBe(1); // the dead claim consumed its attempt, as upstream
    expect(s.results).toMatchObject({
      step_uuid: stepUuid,
      success: false,
      status: 'error',
      metadata: { retryable: true, error_type: 'worker_lost', context: { lost_worker_uuid: deadWorker } },
      error: { retryable: true, error_type: 'worker_lost' },
    });
    expect(JSON.stringify(s.results?.error)).toContain(deadWorker);
    const transitions = await rows.transitions(stepUuid);
    expect(transitions.map((tr) => [tr.from_state, tr.to_state, tr.sort_key])).toEqual([
      [null, 'pending', 1],
      ['pending', 'enqueued', 2],
      ['enqueued', 'in_progress', 3],
      ['in_progress', 'enqueued_as_error_for_orchestration', 4],
    ]);
    expect(transitions[3]!.metadata).toMatchObject({
      worker_uuid: worker.workerUuid,
      correlation_id: task.correlation_id,
    });
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    // Counted and logged once the statement has answered, a moment after its commit is visible here.
    await eventually(
      async () => worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' }) === 1,
    );
    expect(await resultMessagesFor(stepUuid)).toHaveLength(1);
    // The outcome line and metrics are written once the recovery's processing ended (just after its archive).
    const lines = await eventually(async () => {
      const found = logger.records.filter((r) => r.fields.step_uuid === stepUuid && r.level !== 'debug');
      return found.length > 0 ? found : null;
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { lost_worker_uuid: deadWorker } });
    expect(lines[0]!.msg).toMatch(/abandoned claim recovered/);
    expect(worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' })).toBe(1);
  });

  it('enqueued_for_orchestration with its lease lapsed: the result message is re-sent once and the message archived', async () => {
    const logger = recordingLogger();
    const worker = await startWorker({ logger });
    const { stepUuid, msgId } = await abandonedClaim({ ageMs: 5_000, completed: true });
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    await eventually(
      async () => worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'result_resent' }) === 1,
    );
    expect(await resultMessagesFor(stepUuid)).toHaveLength(1);
    expect((await rows.step(stepUuid)).state).toBe('enqueued_for_orchestration'); // nothing rewritten
    await eventually(
      async () => worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'result_resent' }) === 1,
    );
    expect(logger.records.filter((r) => r.fields.step_uuid === stepUuid && r.level === 'warn')).toMatchObject(
      [{ msg: expect.stringMatching(/result message re-sent/) }],
    );
    expect(worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'result_resent' })).toBe(1);
  });

  it('a claim younger than vt/2 is left alone (its owner may be about to renew), then recovered once older', async () => {
    await startWorker();
    const { stepUuid, msgId } = await abandonedClaim({ ageMs: 0 });
    // The worker reads it (read_ct 1), sees a fresh claim and leaves it: not archived, not recovered.
    await eventually(async () => ((await rows.queueMessage(QUEUE, msgId)).live?.read_ct ?? 0) >= 1);
    expect((await rows.step(stepUuid)).state).toBe('in_progress');
    expect((await rows.queueMessage(QUEUE, msgId)).archived).toBeNull();
    // Nobody renews it: on a later read (after its visibility timeout) the claim is old enough.
    await eventually(
      async () => (await rows.step(stepUuid)).state === 'enqueued_as_error_for_orchestration',
      {
        timeoutMs: 5_000 * VT,
      },
    );
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
  });

  it('a visible message of a step claimed through ANOTHER message is a stale duplicate: archived, claim untouched', async () => {
    await startWorker();
    const { stepUuid, task } = await abandonedClaim({ ageMs: 0 });
    // Park the lease message out of reach (invisible for an hour): only the duplicate is visible.
    await rows.query(`UPDATE pgmq.q_${QUEUE} SET vt = now() + interval '1 hour'`);
    const duplicate = await rows.sendSilently(QUEUE, {
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
    });
    await eventually(async () => (await rows.queueMessage(QUEUE, duplicate)).archived);
    expect((await rows.step(stepUuid)).state).toBe('in_progress');
    await rows.query(`DELETE FROM pgmq.q_${QUEUE}`);
  });
});

describe('a worker that lost its lease', () => {
  it('has its handler cancelled and its late result discarded with one log line; the next attempt is not touched', async () => {
    let sawAbort = false;
    let finish: (value: unknown) => void = () => {};
    const logger = recordingLogger();
    const owner = await startWorker({
      logger,
      registry: registry(
        (signal) =>
          new Promise((resolve) => {
            finish = resolve;
            signal.addEventListener('abort', () => {
              sawAbort = true;
            });
          }),
      ),
    });
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'slow' }] });
    const stepUuid = t.steps.slow!;
    const msgId = await rows.sendStepMessage(NS, {
      task_uuid: t.task_uuid,
      step_uuid: stepUuid,
      correlation_id: t.correlation_id,
    });
    await eventually(async () => (await rows.step(stepUuid)).state === 'in_progress');
    // Another worker recovered the claim meanwhile (as after a partition longer than the vt) and orchestration
    // retried it: a new claim (attempt 2) now holds the step. Written by hand, as those workers would.
    const [claim] = await rows.query<{ uuid: string }>(
      `SELECT workflow_step_transition_uuid::text AS uuid FROM tasker.workflow_step_transitions
        WHERE workflow_step_uuid = $1::uuid AND to_state = 'in_progress'`,
      [stepUuid],
    );
    expect(claim).toBeDefined();
    const recoverer = randomUUID();
    for (const [from, to, metadata] of [
      ['in_progress', 'enqueued_as_error_for_orchestration', { worker_uuid: recoverer }],
      ['enqueued_as_error_for_orchestration', 'waiting_for_retry', {}],
      ['waiting_for_retry', 'pending', {}],
      ['pending', 'enqueued', {}],
      ['enqueued', 'in_progress', { worker_uuid: randomUUID() }],
    ] as const) {
      await rows.query(
        `WITH prior AS (UPDATE tasker.workflow_step_transitions SET most_recent = false
                          WHERE workflow_step_uuid = $1::uuid AND most_recent RETURNING sort_key)
         INSERT INTO tasker.workflow_step_transitions
           (workflow_step_uuid, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
         SELECT $1::uuid, $2, $3, $4::jsonb, sort_key + 1, true, NOW(), NOW() FROM prior`,
        [stepUuid, to, from, JSON.stringify(metadata)],
      );
    }
    await rows.query(`SELECT pgmq.archive($1::text, $2::bigint)`, [QUEUE, msgId]);
    // The heartbeat finds the message gone: the handler is cancelled.
    await eventually(async () => sawAbort, { timeoutMs: 5_000 * VT, what: 'handler cancelled' });
    finish({ late: true });
    const line = await eventually(async () =>
      logger.records.find(
        (r) => r.fields.step_uuid === stepUuid && /step result discarded/.test(r.msg ?? ''),
      ),
    );
    expect(line).toMatchObject({ level: 'warn', fields: { recovered_by: recoverer } });
    const transitions = await rows.transitions(stepUuid);
    expect(transitions.at(-1)).toMatchObject({ to_state: 'in_progress', most_recent: true }); // attempt 2 untouched
    expect(transitions.filter((tr) => tr.to_state === 'enqueued_for_orchestration')).toHaveLength(0);
    expect(await resultMessagesFor(stepUuid)).toHaveLength(0);
    expect(owner.state).toBe('running');
  });
});
