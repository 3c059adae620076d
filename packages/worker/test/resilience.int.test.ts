import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/** Connection discipline, outage recovery and graceful shutdown, on the real database (health: health.int.test.ts). */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let admin: pg.Client;
const workers: TaskerWorker[] = [];
const NS = 'res';

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
  admin = new pg.Client({ connectionString: inject('devdb').adminUrl });
  admin.on('error', () => {});
  await admin.connect();
});
afterEach(async () => {
  await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});
afterAll(async () => {
  await admin?.end();
  await rows?.close();
  await db?.drop();
});

function registry(onSlow?: (signal: AbortSignal) => Promise<unknown>) {
  return new HandlerRegistry()
    .register(
      'res.ok',
      defineHandler('res.ok', () => ({ ok: true })),
    )
    .register(
      'res.slow',
      defineHandler('res.slow', ({ signal }) => (onSlow ? onSlow(signal) : new Promise(() => {}))),
    );
}

async function startWorker(options: Partial<TaskerWorkerOptions> = {}) {
  const worker = new TaskerWorker({
    registry: registry(),
    databaseUrl: db.url,
    logger: recordingLogger(),
    pollIntervalMs: 100,
    env: {},
    templates: [template(NS, 'flow', [{ name: 'ok' }, { name: 'slow' }])],
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function enqueue(name: 'ok' | 'slow') {
  const t = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name }] });
  const stepUuid = t.steps[name]!;
  const msgId = await rows.sendStepMessage(NS, {
    task_uuid: t.task_uuid,
    step_uuid: stepUuid,
    correlation_id: t.correlation_id,
  });
  return { stepUuid, msgId };
}

const stateOf = async (stepUuid: string) => (await rows.step(stepUuid)).state;

async function backendPids(applicationName: string): Promise<number[]> {
  const res = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
    [db.name, applicationName],
  );
  return res.rows.map((r) => r.pid);
}

describe('LISTEN connection', () => {
  it('reconnects after pg_terminate_backend, re-LISTENs and gets notifications again', async () => {
    // Polling effectively off: only a working LISTEN can deliver the step quickly.
    const worker = await startWorker({ pollIntervalMs: 600_000, applicationName: 'res-listen-test' });
    const [before] = await backendPids('res-listen-test-listen');
    expect(before).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [before]);
    await eventually(
      async () => {
        const pids = await backendPids('res-listen-test-listen');
        return (
          pids.length === 1 && pids[0] !== before && (await worker.readiness()).system_info.listener_connected
        );
      },
      { what: 'a new LISTEN connection' },
    );
    const { stepUuid } = await enqueue('ok');
    await eventually(async () => (await stateOf(stepUuid)) === 'enqueued_for_orchestration', {
      timeoutMs: 5_000,
    });
  });
});

describe('database outage', () => {
  it('pauses intake, reports not ready, and recovers without a restart', async () => {
    const worker = await startWorker({ healthAddress: '127.0.0.1:0', readinessStaleMs: 500 });
    const base = `http://127.0.0.1:${worker.healthAddress!.port}`;
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, { what: 'ready' });

    // Outage: no new connections, every existing one killed (pool and LISTEN).
    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db.name],
    );
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 503, {
      what: 'not ready during outage',
    });
    expect((await fetch(`${base}/health/live`)).status).toBe(200); // alive: do not restart it

    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
    const { stepUuid } = await enqueue('ok');
    await eventually(async () => (await stateOf(stepUuid)) === 'enqueued_for_orchestration', {
      timeoutMs: 20_000,
      what: 'step processed after the outage',
    });
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, {
      timeoutMs: 20_000,
      what: 'ready again',
    });
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight steps finish within the grace period', async () => {
    let release: () => void = () => {};
    const started = new Promise<void>((resolveStarted) => {
      const worker = startWorker({
        registry: registry(
          () =>
            new Promise((r) => {
              resolveStarted();
              release = () => r({ finished: true });
            }),
        ),
      });
      void worker;
    });
    const { stepUuid } = await enqueue('slow');
    await started;
    const worker = workers[0]!;
    const stopping = worker.stop({ graceMs: 10_000 });
    expect(worker.state).toBe('stopping');
    release();
    await stopping;
    const s = await rows.step(stepUuid);
    expect(s.state).toBe('enqueued_for_orchestration');
    expect(s.results).toMatchObject({ success: true, result: { finished: true } });
  });

  it('after the grace period aborts the handler signal and reports a retryable failure; nothing stays in_progress', async () => {
    let sawAbort = false;
    const worker = await startWorker({
      registry: registry(
        (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => {
              sawAbort = true;
              reject(signal.reason);
            });
          }),
      ),
    });
    const { stepUuid } = await enqueue('slow');
    await eventually(async () => (await stateOf(stepUuid)) === 'in_progress');
    const t0 = Date.now();
    await worker.stop({ graceMs: 200 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(sawAbort).toBe(true);
    const s = await rows.step(stepUuid);
    expect(s.state).toBe('enqueued_as_error_for_orchestration');
    expect(s.in_process).toBe(false);
    expect(s.results).toMatchObject({
      success: false,
      metadata: { retryable: true, error_type: 'handler_cancelled' },
    });
    const results = await rows.messages('orchestration_step_results');
    expect(results.some((m) => m.message.step_uuid === stepUuid)).toBe(true);

    // Intake is closed: a message sent now stays in the queue.
    const late = await enqueue('ok');
    expect((await rows.queueMessage(`worker_${NS}_queue`, late.msgId)).live).not.toBeNull();
    expect(await stateOf(late.stepUuid)).toBe('enqueued');
  });

  it('a second stop request cancels immediately (second signal), and start/stop are idempotent', async () => {
    const worker = await startWorker();
    await Promise.all([worker.start(), worker.start()]);
    const { stepUuid } = await enqueue('slow');
    await eventually(async () => (await stateOf(stepUuid)) === 'in_progress');
    const first = worker.stop({ graceMs: 60_000 });
    const second = worker.stop({ graceMs: 0 });
    const t0 = Date.now();
    await Promise.all([first, second]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await stateOf(stepUuid)).toBe('enqueued_as_error_for_orchestration');
    await worker.stop();
    expect(worker.state).toBe('stopped');
    await expect(worker.start()).rejects.toThrow(/cannot be restarted/);
  });
});

describe('a step whose claim cannot be written', () => {
  it('does not block the queue behind it: the next message is taken and run (concurrency 1, polling)', async () => {
    await startWorker({ concurrency: 1, deploymentMode: 'polling_only' });
    const poisoned = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'ok' }] });
    const poisonUuid = poisoned.steps.ok!;
    // The claim's transition INSERT fails for this one step, whichever statement carries it.
    await rows.query(`
      CREATE FUNCTION refuse_claim_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.workflow_step_uuid = '${poisonUuid}'::uuid AND NEW.to_state = 'in_progress' THEN
          RAISE EXCEPTION 'claim refused for this step (test)';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_claim BEFORE INSERT ON tasker.workflow_step_transitions
        FOR EACH ROW EXECUTE FUNCTION refuse_claim_for_test();`);
    try {
      const queue = `worker_${NS}_queue`;
      const poison = await rows.sendSilently(queue, {
        task_uuid: poisoned.task_uuid,
        step_uuid: poisonUuid,
        correlation_id: poisoned.correlation_id,
      });
      const good = await rows.createTask({ namespace: NS, name: 'flow', steps: [{ name: 'ok' }] });
      await rows.sendSilently(queue, {
        task_uuid: good.task_uuid,
        step_uuid: good.steps.ok!,
        correlation_id: good.correlation_id,
      });
      await eventually(async () => (await stateOf(good.steps.ok!)) === 'enqueued_for_orchestration', {
        what: 'the step behind the one that cannot be claimed completed',
      });
      // The refused one is untouched and still queued: its lease decides when it is looked at again.
      expect(await stateOf(poisonUuid)).toBe('enqueued');
      const message = await rows.queueMessage(queue, poison);
      expect(message.archived).toBeNull();
      expect(message.live?.read_ct).toBeGreaterThanOrEqual(1);
    } finally {
      await rows.query(`DROP TRIGGER refuse_claim ON tasker.workflow_step_transitions;
        DROP FUNCTION refuse_claim_for_test();`);
    }
  });
});
