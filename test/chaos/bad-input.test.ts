import { randomUUID } from 'node:crypto';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import { TaskerWorker } from '@tasker-bridge/worker';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordingLogger } from '../../packages/worker/test/fixtures/protocol-rows.js';
import { createTestDatabase } from '../support/db.js';
import { FAST_BACKOFF, printFigures, SCALE, TEST_TIMEOUT, until, VT_SECONDS } from './support/harness.js';

/**
 * Bad input in bulk, mixed with good work: junk notifications, bodies that are not StepMessages, unknown ids,
 * messages for finished steps, a template step without a handler, handlers that throw non-Error values, hang
 * past their timeout, return non-serialisable, unstorable or enormous results. The worker stays up; each case
 * ends in the right state with one clear log line; every message is archived after ONE read (none re-read).
 */

const NS = 'badin';
const QUEUE = `worker_${NS}_queue`;
const ENORMOUS_BYTES = 8 * 1024 * 1024;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let orch: DevOrchestrator;
let worker: TaskerWorker;
const logger = recordingLogger();

/** Handler cases: callable → [what the handler does, expected final step state, expected error_type]. */
const CASES: Record<string, [() => unknown, string, string | null]> = {
  ok: [() => ({ fine: true }), 'complete', null],
  throws_string: [
    () => {
      throw 'plain string';
    },
    'error',
    'handler_error',
  ],
  throws_number: [
    () => {
      throw 42;
    },
    'error',
    'handler_error',
  ],
  throws_null: [
    () => {
      throw null;
    },
    'error',
    'handler_error',
  ],
  throws_undefined: [
    () => {
      throw undefined;
    },
    'error',
    'handler_error',
  ],
  throws_object: [
    () => {
      throw { code: 'E_WEIRD' };
    },
    'error',
    'handler_error',
  ],
  hangs: [() => new Promise(() => {}), 'error', 'handler_timeout'],
  bigint: [() => ({ n: 2n ** 64n }), 'complete', null], // core writes bigint as a JSON integer (u64 fields)
  circular: [
    () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    },
    'error',
    null,
  ],
  nul_char: [() => ({ s: 'a\u0000b' }), 'error', 'result_not_storable'],
  enormous: [() => ({ blob: 'x'.repeat(ENORMOUS_BYTES) }), 'complete', null],
};

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
  let registry = new HandlerRegistry();
  for (const [name, [fn]] of Object.entries(CASES))
    registry = registry.register(`${NS}.${name}`, defineHandler(`${NS}.${name}`, fn));
  const steps = [...Object.keys(CASES), 'missing'].map((name) => ({
    name,
    handler: { callable: `${NS}.${name}` }, // `badin.missing` is registered nowhere
    retry: { retryable: true, max_attempts: 1 },
  }));
  worker = new TaskerWorker({
    registry,
    databaseUrl: db.url,
    logger,
    pollIntervalMs: 100,
    handlerTimeoutMs: 300,
    visibilityTimeoutSeconds: VT_SECONDS,
    // `badin.missing` has no handler on purpose: start with a warning, fail that step when it runs.
    onMissingHandlers: 'warn',
    env: {},
    templates: steps.map((s) => ({ name: `t_${s.name}`, namespace_name: NS, version: '1.0.0', steps: [s] })),
  });
  await worker.start();
  orch = new DevOrchestrator({ databaseUrl: db.url, pollIntervalMs: 100, backoff: FAST_BACKOFF });
  await orch.start();
});
afterAll(async () => {
  await worker?.stop({ graceMs: 0 });
  await orch?.stop();
  await pool?.end();
  await db?.drop();
});

const send = async (jsonText: string) =>
  (await pool.query<{ id: string }>('SELECT pgmq.send($1::text, $2::jsonb)::text AS id', [QUEUE, jsonText]))
    .rows[0]!.id;

const archivedReads = async (ids: string[]) =>
  (
    await pool.query<{ msg_id: string; read_ct: number }>(
      `SELECT msg_id::text, read_ct FROM pgmq.a_${QUEUE} WHERE msg_id = ANY($1::bigint[])`,
      [ids],
    )
  ).rows;

it(
  'bad input of every kind, in bulk: worker stays up, right outcome and one log line each, nothing re-read',
  async () => {
    const t0 = Date.now();
    let inputs = 0;

    // 1. Junk notifications on the namespace channel: ignored, nothing breaks.
    const junk = [
      'not json at all',
      '[]',
      '"a string"',
      '{"event_type":"message_ready"}',
      `{"event_type":"message_ready","queue_name":"${QUEUE}"}`,
      `{"event_type":"message_ready","queue_name":"${QUEUE}","msg_id":987654321}`,
      `{"event_type":"message_with_payload","queue_name":"${QUEUE}","msg_id":"x"}`,
      `{"event_type":"batch_ready","queue_name":"${QUEUE}","msg_ids":[]}`,
      '{"event_type":"something_new","queue_name":"other_queue"}',
    ];
    for (let c = 0; c < SCALE.badCopies; c++) {
      for (const payload of junk) {
        await pool.query('SELECT pg_notify($1, $2)', [`pgmq_message_ready.${NS}`, payload]);
        inputs += 1;
      }
    }

    // 2. Step-queue messages that can never be claimed.
    const malformed = [
      '"just a string"',
      '42',
      'null',
      '[]',
      '{}',
      '{"task_uuid":"not-a-uuid","step_uuid":"x","correlation_id":"y"}',
      '{"task_uuid":1,"step_uuid":2,"correlation_id":3}',
      JSON.stringify({ step_uuid: randomUUID(), correlation_id: randomUUID() }),
    ];
    const badIds: string[] = [];
    for (let c = 0; c < SCALE.badCopies; c++) {
      for (const body of malformed) badIds.push(await send(body));
      badIds.push(
        await send(
          JSON.stringify({ task_uuid: randomUUID(), step_uuid: randomUUID(), correlation_id: randomUUID() }),
        ),
      );
    }
    inputs += badIds.length;

    // 3. Handler cases (and a step whose handler exists nowhere), each a one-step task through orchestration.
    const runs: { name: string; task_uuid: string }[] = [];
    for (let c = 0; c < SCALE.badCopies; c++) {
      for (const name of [...Object.keys(CASES), 'missing']) {
        const created = await orch.createTask({
          namespace: NS,
          name: `t_${name}`,
          version: '1.0.0',
          context: { c },
        });
        runs.push({ name, task_uuid: created.task_uuid });
        inputs += 1;
      }
    }
    const outcomes: Record<string, { state: string; error_type: unknown }[]> = {};
    for (const run of runs) {
      const snap = await orch.waitForTask(run.task_uuid, { timeoutMs: 60_000 });
      const step = snap.steps[0]!;
      const results = step.results as { metadata?: { error_type?: unknown } } | null;
      const seen = outcomes[run.name] ?? [];
      seen.push({ state: step.state, error_type: results?.metadata?.error_type ?? null });
      outcomes[run.name] = seen;
      const [want, wantType] =
        run.name === 'missing' ? ['error', 'handler_not_found'] : CASES[run.name]!.slice(1);
      expect(step.state, run.name).toBe(want);
      if (wantType !== null) expect(results?.metadata?.error_type, run.name).toBe(wantType);
      // One clear line at warn or above per failing case (none for a success).
      const lines = logger.records.filter(
        (r) => r.fields.step_uuid === step.step_uuid && (r.level === 'warn' || r.level === 'error'),
      );
      expect(lines.length, `${run.name}: ${lines.map((l) => l.msg).join(' | ')}`).toBe(
        want === 'complete' ? 0 : 1,
      );
    }

    // 4. Messages for steps that are finished: archived without touching the steps.
    const stale: string[] = [];
    for (const run of runs.slice(0, 5)) {
      const snap = await orch.getTask(run.task_uuid);
      const step = snap!.steps[0]!;
      stale.push(
        await send(
          JSON.stringify({
            task_uuid: run.task_uuid,
            step_uuid: step.step_uuid,
            correlation_id: snap!.correlation_id,
          }),
        ),
      );
    }
    inputs += stale.length;

    // Every queue message archived after exactly one read; one warn line each; nothing left in the queue.
    const all = [...badIds, ...stale];
    await until(async () => (await archivedReads(all)).length === all.length, {
      what: 'bad messages archived',
    });
    expect((await archivedReads(all)).filter((r) => r.read_ct !== 1)).toEqual([]);
    for (const id of all) {
      const lines = logger.records.filter((r) => r.fields.msg_id === id && r.level === 'warn');
      expect(lines, `msg ${id}`).toHaveLength(1);
    }
    await until(async () => (await pool.query(`SELECT 1 FROM pgmq.q_${QUEUE} LIMIT 1`)).rowCount === 0, {
      what: 'queue empty',
    });
    expect(worker.state).toBe('running');
    expect((await worker.readiness()).checks.database.status).toBe('healthy');
    for (const s of await pool
      .query<{ n: number }>(`SELECT count(*)::int AS n FROM tasker.workflow_steps WHERE in_process`)
      .then((r) => r.rows))
      expect(s.n).toBe(0);

    printFigures('bad-input', {
      inputs_tried: inputs,
      junk_notifications: junk.length * SCALE.badCopies,
      unclaimable_messages: all.length,
      handler_cases: runs.length,
      outcomes: Object.fromEntries(
        Object.entries(outcomes).map(([k, v]) => [
          k,
          `${v[0]?.state}/${String(v[0]?.error_type)} ×${v.length}`,
        ]),
      ),
      re_read: 0,
      worker_restarts: 0,
      duration_s: Math.round((Date.now() - t0) / 1000),
    });
  },
  TEST_TIMEOUT,
);
