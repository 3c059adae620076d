import { randomUUID } from 'node:crypto';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSplitTestDatabases, type SplitTestDatabases } from '../../../test/support/db.js';
import { ConfigError, TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * Split databases (upstream `PGMQ_DATABASE_URL`, `[common.pgmq_database]`): the tasker tables in one database, the
 * pgmq extension with the `tasker.pgmq_*` functions in another, as upstream's migrator leaves them (every
 * migration named `*pgmq*` on the pgmq side). Claims, completions and recoveries go to the tasker database;
 * reads, LISTEN, leases, result messages and archives to the pgmq one; nothing spans both in one transaction.
 */

let split: SplitTestDatabases;
let rows: ProtocolRows;
let admin: pg.Client;
const workers: TaskerWorker[] = [];

const dbName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

beforeAll(async () => {
  split = await createSplitTestDatabases();
  rows = new ProtocolRows(split.taskerUrl, split.pgmqUrl);
  admin = new pg.Client({ connectionString: inject('devdb').adminUrl });
  admin.on('error', () => {});
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});
afterAll(async () => {
  await admin?.end();
  await rows?.close();
  await split?.drop();
});

async function startWorker(options: Partial<TaskerWorkerOptions> & Pick<TaskerWorkerOptions, 'registry'>) {
  const worker = new TaskerWorker({
    databaseUrl: split.taskerUrl,
    pgmqDatabaseUrl: split.pgmqUrl,
    logger: recordingLogger(),
    pollIntervalMs: 100,
    env: {},
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

const names = async (pool: pg.Pool, sql: string) =>
  (await pool.query<{ name: string }>(sql)).rows.map((r) => r.name);

describe('configuration', () => {
  it('a worker pointed at the wrong half of a split fails start() naming the setting', async () => {
    const registry = new HandlerRegistry();
    const templates = [template('split_cfg', 'flow', [{ name: 'a' }])];
    // Only the tasker database given: queues cannot be created there.
    const logger = recordingLogger();
    const taskerOnly = new TaskerWorker({
      registry,
      databaseUrl: split.taskerUrl,
      templates,
      logger,
      env: {},
    });
    const noPgmq = await taskerOnly.start().then(
      () => null,
      (error: unknown) => error,
    );
    expect(noPgmq).toBeInstanceOf(ConfigError);
    expect(noPgmq).toMatchObject({ setting: 'databaseUrl (DATABASE_URL)' });
    expect((noPgmq as Error).message).toMatch(/without the pgmq extension/);
    // Swapped: the "tasker" database has no tasker tables.
    const swapped = new TaskerWorker({
      registry,
      databaseUrl: split.pgmqUrl,
      pgmqDatabaseUrl: split.taskerUrl,
      templates,
      logger,
      env: {},
    });
    const noTables = await swapped.start().then(
      () => null,
      (error: unknown) => error,
    );
    expect(noTables).toMatchObject({ setting: 'databaseUrl (DATABASE_URL)' });
    expect((noTables as Error).message).toMatch(/without the tasker schema/);
    await Promise.all([taskerOnly.stop(), swapped.stop()]);
  });
});

describe('a workflow through our worker and the dev orchestrator, tasker and pgmq split', () => {
  const NS = 'split_flow';
  let orch: DevOrchestrator;
  const orchLogger = recordingLogger();
  const diamond = template(NS, 'diamond', [
    { name: 'a' },
    { name: 'b', depends_on: ['a'] },
    { name: 'c', depends_on: ['a'] },
    { name: 'd', depends_on: ['b', 'c'] },
  ]);
  const dep = (ctx: { getDependencyResult<T>(name: string): T | undefined }, name: string) =>
    (ctx.getDependencyResult<{ v: number }>(name) as { v: number }).v;
  const registry = () =>
    new HandlerRegistry()
      .register(defineHandler<{ n: number }>(`${NS}.a`, ({ input }) => ({ v: input.n * input.n })))
      .register(defineHandler(`${NS}.b`, ({ context }) => ({ v: dep(context, 'a') + 1 })))
      .register(defineHandler(`${NS}.c`, ({ context }) => ({ v: dep(context, 'a') * 2 })))
      .register(defineHandler(`${NS}.d`, ({ context }) => ({ v: dep(context, 'b') + dep(context, 'c') })));

  beforeAll(async () => {
    orch = new DevOrchestrator({
      databaseUrl: split.taskerUrl,
      pgmqDatabaseUrl: split.pgmqUrl,
      pollIntervalMs: 100,
      logger: orchLogger,
    });
    await orch.start();
  });
  afterAll(async () => {
    await orch?.stop();
  });

  it('runs every task to complete; each database holds only its half of the protocol', async () => {
    const worker = await startWorker({ registry: registry(), templates: [diamond] });
    const tasks = [];
    for (const n of [2, 3, 5]) {
      tasks.push({
        n,
        ...(await orch.createTask({ namespace: NS, name: 'diamond', version: '1.0.0', context: { n } })),
      });
    }
    for (const { n, task_uuid } of tasks) {
      const done = await orch.waitForTask(task_uuid, { timeoutMs: 20_000 });
      expect(done.state).toBe('complete');
      const values = Object.fromEntries(
        done.steps.map((s) => [s.name, (s.results as { result: { v: number } }).result.v]),
      );
      expect(values).toEqual({ a: n * n, b: n * n + 1, c: 2 * n * n, d: 3 * n * n + 1 });
      for (const s of done.steps) {
        expect(s.attempts).toBe(1);
        expect((await rows.transitions(s.step_uuid)).map((t) => t.to_state)).toEqual([
          'pending',
          'enqueued',
          'in_progress',
          'enqueued_for_orchestration',
          'complete',
        ]);
      }
    }
    const stepUuids = (
      await Promise.all(tasks.map(async (t) => (await orch.getTask(t.task_uuid))?.steps ?? []))
    )
      .flat()
      .map((s) => s.step_uuid)
      .sort();
    expect(stepUuids).toHaveLength(12);

    // pgmq database: one step message per step, archived with its result; one result message per step (a
    // StepMessage), archived by the orchestrator; nothing left live.
    const archived = async (queue: string) =>
      (
        await rows.queuePool.query<{ message: Record<string, string> }>(
          `SELECT message FROM pgmq.a_${queue} ORDER BY msg_id`,
        )
      ).rows.map((r) => r.message);
    const stepMessages = await archived(`worker_${NS}_queue`);
    expect(stepMessages.map((m) => m.step_uuid).sort()).toEqual(stepUuids);
    const resultMessages = await archived('orchestration_step_results');
    expect(resultMessages.map((m) => m.step_uuid).sort()).toEqual(stepUuids);
    for (const m of resultMessages)
      expect(Object.keys(m).sort()).toEqual(['correlation_id', 'step_uuid', 'task_uuid']);
    expect(await rows.messages(`worker_${NS}_queue`)).toEqual([]);
    expect(await rows.messages('orchestration_step_results')).toEqual([]);
    // Every step was claimed through a notification: LISTEN works on the pgmq database.
    await eventually(
      async () => worker.metrics.stepsClaimed.get({ namespace: NS, claim_method: 'event' }) > 0,
    );

    // The tasker database has no pgmq at all, the pgmq database no tasker tables.
    expect(await names(rows.pool, "SELECT nspname AS name FROM pg_namespace WHERE nspname = 'pgmq'")).toEqual(
      [],
    );
    expect(
      await names(
        rows.pool,
        "SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE 'q\\_%'",
      ),
    ).toEqual([]);
    expect(
      await names(
        rows.queuePool,
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'tasker'",
      ),
    ).toEqual([]);
    expect(
      await names(rows.queuePool, 'SELECT queue_name AS name FROM pgmq.list_queues() ORDER BY 1'),
    ).toEqual(
      expect.arrayContaining([
        `worker_${NS}_queue`,
        `${NS}_domain_events`,
        `${NS}_domain_events_dlq`,
        'orchestration_step_results',
        'orchestration_task_requests',
        'orchestration_task_finalizations',
      ]),
    );
  });

  it('a step message whose send fails after its enqueued transition is sent at the next cycle, once', async () => {
    await startWorker({ registry: registry(), templates: [diamond] });
    const queue = `worker_${NS}_queue`;
    // A real failure on the pgmq side after the tasker side committed: a trigger refuses inserts into the queue.
    await rows.queuePool.query(
      `CREATE FUNCTION public.refuse_send() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'sends refused by the test'; END $$`,
    );
    await rows.queuePool.query(
      `CREATE TRIGGER refuse_send BEFORE INSERT ON pgmq.q_${queue} FOR EACH ROW EXECUTE FUNCTION public.refuse_send()`,
    );
    let created: Awaited<ReturnType<DevOrchestrator['createTask']>>;
    try {
      created = await orch.createTask({
        namespace: NS,
        name: 'diamond',
        version: '1.0.0',
        context: { n: 7 },
      });
      const a = (await orch.getTask(created.task_uuid))?.steps.find((s) => s.name === 'a');
      expect(a?.state).toBe('enqueued');
      expect(await rows.messages(queue)).toEqual([]);
      expect(
        orchLogger.records.filter(
          (r) => r.fields.step_uuid === a?.step_uuid && /could not be sent/.test(r.msg ?? ''),
        ),
      ).toHaveLength(1);
    } finally {
      await rows.queuePool.query(`DROP TRIGGER refuse_send ON pgmq.q_${queue}`);
      await rows.queuePool.query('DROP FUNCTION public.refuse_send()');
    }
    const done = await orch.waitForTask(created.task_uuid, { timeoutMs: 20_000 });
    expect(done.state).toBe('complete');
    const a = done.steps.find((s) => s.name === 'a');
    expect(a?.results).toMatchObject({ result: { v: 49 } });
    const sentForA = await rows.queuePool.query(
      `SELECT msg_id FROM pgmq.a_${queue} WHERE message->>'step_uuid' = $1
       UNION ALL SELECT msg_id FROM pgmq.q_${queue} WHERE message->>'step_uuid' = $1`,
      [a?.step_uuid],
    );
    expect(sentForA.rows).toHaveLength(1);
    expect(orchLogger.records.filter((r) => r.msg === 'step message sent on retry')).toHaveLength(1);
  });
});

describe('intake, leases and recovery on the pgmq database', () => {
  const NS = 'split_lease';
  const QUEUE = `worker_${NS}_queue`;
  const flow = template(NS, 'flow', [{ name: 'ok' }, { name: 'slow' }]);
  const registry = (slow: (signal: AbortSignal) => Promise<unknown> = () => new Promise(() => {})) =>
    new HandlerRegistry()
      .register(defineHandler(`${NS}.ok`, () => ({ ok: true })))
      .register(defineHandler(`${NS}.slow`, ({ signal }) => slow(signal)));
  const stepMessage = (t: { task_uuid: string; correlation_id: string }, stepUuid: string) => ({
    task_uuid: t.task_uuid,
    step_uuid: stepUuid,
    correlation_id: t.correlation_id,
  });
  const resultMessagesFor = async (stepUuid: string) =>
    (await rows.messages('orchestration_step_results')).filter((m) => m.message.step_uuid === stepUuid);

  it('LISTENs on the pgmq database: a notified step is claimed and completed with no poll', async () => {
    const worker = await startWorker({
      registry: registry(),
      templates: [flow],
      pollIntervalMs: 3_600_000,
      applicationName: 'split-listen-test',
    });
    // The first poll runs at start: once it has completed, only a notification can take the step.
    await eventually(async () =>
      worker.readiness().then((r) => r.checks.queue_processing.status === 'healthy'),
    );
    const listening = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_stat_activity WHERE application_name = 'split-listen-test-listen'",
    );
    expect(listening.rows).toEqual([{ datname: dbName(split.pgmqUrl) }]);
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'ok' }] });
    const stepUuid = t.steps.ok!;
    const msgId = await rows.sendStepMessage(NS, stepMessage(t, stepUuid));
    await eventually(async () => (await rows.step(stepUuid)).state === 'enqueued_for_orchestration');
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    await eventually(
      async () => worker.metrics.stepsClaimed.get({ namespace: NS, claim_method: 'event' }) === 1,
    );
    expect(worker.metrics.stepsClaimed.get({ namespace: NS, claim_method: 'poll' })).toBe(0);
    expect(await resultMessagesFor(stepUuid)).toHaveLength(1);
  });

  it('an injected pgmq pool without its URL: no LISTEN on the tasker database, the poller finds the step', async () => {
    const worker = new TaskerWorker({
      registry: registry(),
      templates: [flow],
      databaseUrl: split.taskerUrl,
      pgmqPool: rows.queuePool,
      pollIntervalMs: 100,
      applicationName: 'split-injected-test',
      logger: recordingLogger(),
      env: {},
    });
    workers.push(worker);
    await worker.start();
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'ok' }] });
    await rows.sendStepMessage(NS, stepMessage(t, t.steps.ok!));
    await eventually(async () => (await rows.step(t.steps.ok!)).state === 'enqueued_for_orchestration');
    // A step's metrics are recorded once its processing ended (result sent): by then, one claim, by the poller.
    await eventually(async () => worker.metrics.resultsSubmitted.get({ result_type: 'completion' }) === 1);
    expect(worker.metrics.stepsClaimed.get({ namespace: NS, claim_method: 'poll' })).toBe(1);
    expect((await worker.readiness()).system_info.listener_connected).toBe(false);
    const listening = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'split-injected-test-listen'",
    );
    expect(listening.rows).toEqual([]);
  });

  it('the heartbeat on the pgmq database keeps a step running for 2.5 visibility timeouts leased', async () => {
    const worker = await startWorker({
      registry: registry(() => new Promise((resolve) => setTimeout(() => resolve({ slept: true }), 5_000))),
      templates: [flow],
      visibilityTimeoutSeconds: 2,
    });
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'slow' }] });
    const stepUuid = t.steps.slow!;
    const msgId = await rows.sendStepMessage(NS, stepMessage(t, stepUuid));
    const s = await eventually(
      async () => {
        const r = await rows.step(stepUuid);
        return r.state === 'enqueued_for_orchestration' ? r : null;
      },
      { timeoutMs: 20_000 },
    );
    expect(s.attempts).toBe(1);
    const { archived } = await eventually(async () => {
      const m = await rows.queueMessage(QUEUE, msgId);
      return m.archived ? m : null;
    });
    // Read once, by the claim; had the beats gone anywhere else the lease would have lapsed, the worker's own
    // poller would have read the message again and reported its own claim lost.
    expect(archived?.read_ct).toBe(1);
    expect(worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' })).toBe(0);
  });

  /** A claim of a dead worker through message `msgId` (tasker database), the message visible again (pgmq database). */
  async function abandonedClaim(completed: boolean) {
    const t = await rows.createTask({
      namespace: NS,
      name: 'flow',
      steps: [{ name: 'ok', state: completed ? 'enqueued_for_orchestration' : 'in_progress' }],
    });
    const stepUuid = t.steps.ok!;
    const msgId = await rows.sendSilently(QUEUE, stepMessage(t, stepUuid), { hidden: true });
    const deadWorker = randomUUID();
    await rows.query(
      `UPDATE tasker.workflow_step_transitions
          SET metadata = $2::jsonb, created_at = (now() AT TIME ZONE 'UTC') - interval '5 seconds'
        WHERE workflow_step_uuid = $1::uuid AND to_state = 'in_progress'`,
      [
        stepUuid,
        JSON.stringify({
          event: '{"type":"Start"}',
          timestamp: new Date().toISOString(),
          worker_uuid: deadWorker,
          lease: { queue: QUEUE, msg_id: msgId },
        }),
      ],
    );
    await rows.query(
      `UPDATE tasker.workflow_step_transitions SET created_at = (now() AT TIME ZONE 'UTC') - interval '5 seconds'
        WHERE workflow_step_uuid = $1::uuid AND most_recent`,
      [stepUuid],
    );
    await rows.query(
      `UPDATE tasker.workflow_steps SET attempts = 1, in_process = NOT $2::boolean,
              results = CASE WHEN $2::boolean THEN '{"success":true}'::jsonb END
        WHERE workflow_step_uuid = $1::uuid`,
      [stepUuid, completed],
    );
    await rows.makeVisible(QUEUE, msgId);
    return { t, stepUuid, msgId, deadWorker };
  }

  it('an abandoned in_progress claim: worker_lost written on the tasker side, result sent and message archived on the pgmq side', async () => {
    const worker = await startWorker({
      registry: registry(),
      templates: [flow],
      visibilityTimeoutSeconds: 1,
    });
    const { t, stepUuid, msgId, deadWorker } = await abandonedClaim(false);
    const s = await eventually(async () => {
      const r = await rows.step(stepUuid);
      return r.state === 'enqueued_as_error_for_orchestration' ? r : null;
    });
    expect(s).toMatchObject({ in_process: false, attempts: 1 });
    expect(s.results).toMatchObject({
      success: false,
      metadata: { retryable: true, error_type: 'worker_lost', context: { lost_worker_uuid: deadWorker } },
    });
    const last = (await rows.transitions(stepUuid)).at(-1);
    expect(last).toMatchObject({
      from_state: 'in_progress',
      to_state: 'enqueued_as_error_for_orchestration',
      metadata: { worker_uuid: worker.workerUuid, correlation_id: t.correlation_id },
    });
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    const results = await resultMessagesFor(stepUuid);
    expect(results.map((m) => m.message)).toEqual([stepMessage(t, stepUuid)]);
    // Counted once the message's processing has ended, a moment after its commit is visible here.
    await eventually(
      async () => worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'worker_lost' }) === 1,
    );
  });

  it('a completed claim whose result was never sent: the result message is re-sent on the pgmq side, once', async () => {
    const worker = await startWorker({
      registry: registry(),
      templates: [flow],
      visibilityTimeoutSeconds: 1,
    });
    const { t, stepUuid, msgId } = await abandonedClaim(true);
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived);
    expect((await resultMessagesFor(stepUuid)).map((m) => m.message)).toEqual([stepMessage(t, stepUuid)]);
    expect((await rows.step(stepUuid)).state).toBe('enqueued_for_orchestration');
    await eventually(
      async () => worker.metrics.stepsRecovered.get({ namespace: NS, kind: 'result_resent' }) === 1,
    );
  });

  it('readiness needs both databases: the pgmq database going away makes the worker not ready until it is back', async () => {
    const worker = await startWorker({ registry: registry(), templates: [flow] });
    const ready = await eventually(async () => {
      const r = await worker.readiness();
      return r.ready ? r : null;
    });
    expect(ready.checks.database).toMatchObject({
      status: 'healthy',
      message: 'tasker and pgmq databases answer',
    });
    const pgmqDb = dbName(split.pgmqUrl);
    try {
      await admin.query(`ALTER DATABASE "${pgmqDb}" ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [pgmqDb],
      );
      const down = await eventually(async () => {
        const r = await worker.readiness();
        return r.checks.database.status === 'unhealthy' ? r : null;
      });
      expect(down.ready).toBe(false);
      // Only the pgmq database is named, in the probe's words (no driver message).
      expect(down.checks.database.message).toMatch(/^pgmq database did not answer( \([A-Z0-9_]+\))?$/);
    } finally {
      await admin.query(`ALTER DATABASE "${pgmqDb}" ALLOW_CONNECTIONS true`);
    }
    await eventually(async () => (await worker.readiness()).ready, {
      timeoutMs: 20_000,
      what: 'ready again',
    });
    const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'ok' }] });
    await rows.sendStepMessage(NS, stepMessage(t, t.steps.ok!));
    await eventually(async () => (await rows.step(t.steps.ok!)).state === 'enqueued_for_orchestration', {
      timeoutMs: 20_000,
    });
  });
});
