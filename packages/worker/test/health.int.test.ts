import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { parsePrometheusText } from '../../../test/support/prometheus-text.js';
import { TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * The health server on the real database: upstream's endpoints, `/metrics` as a Prometheus parser reads it (queue
 * depth, leases, heartbeats), and health that cannot hurt — readiness from a probe on its own connection at most
 * once per second, no database error text, GET/HEAD only, loopback unless told otherwise.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let admin: pg.Client;
const workers: TaskerWorker[] = [];
const pools: pg.Pool[] = [];
const NS = 'health';
/** Resolves the running `hold` handlers. */
let releaseHeld: () => void = () => {};

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
  admin = new pg.Client({ connectionString: inject('devdb').adminUrl });
  admin.on('error', () => {});
  await admin.connect();
});
afterEach(async () => {
  releaseHeld();
  await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
  await Promise.all(pools.splice(0).map((p) => p.end()));
});
afterAll(async () => {
  await admin?.end();
  await rows?.close();
  await db?.drop();
});

function registry() {
  let held: Array<() => void> = [];
  releaseHeld = () => {
    for (const release of held) release();
    held = [];
  };
  return new HandlerRegistry()
    .register(
      `${NS}.ok`,
      defineHandler(`${NS}.ok`, () => ({ ok: true })),
    )
    .register(
      `${NS}.hold`,
      defineHandler(
        `${NS}.hold`,
        () => new Promise<{ held: boolean }>((resolve) => held.push(() => resolve({ held: true }))),
      ),
    );
}

async function startWorker(options: Partial<TaskerWorkerOptions> = {}) {
  const worker = new TaskerWorker({
    registry: registry(),
    databaseUrl: db.url,
    logger: recordingLogger(),
    pollIntervalMs: 100,
    env: {},
    templates: [template(NS, 'flow', [{ name: 'ok' }, { name: 'hold' }])],
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function enqueue(step: 'ok' | 'hold') {
  return (await rows.enqueueStep({ namespace: NS, name: 'flow', step })).stepUuid;
}

const baseUrl = (worker: TaskerWorker) => `http://127.0.0.1:${worker.healthAddress!.port}`;

async function backends(applicationName: string): Promise<number> {
  const res = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
    [db.name, applicationName],
  );
  return res.rows[0]?.n ?? 0;
}

describe('endpoints', () => {
  it('serves /health, /health/live, /health/ready with upstream shapes, and 404 elsewhere', async () => {
    const worker = await startWorker({ healthAddress: '127.0.0.1:0' });
    const base = baseUrl(worker);
    const health = (await (await fetch(`${base}/health`)).json()) as { timestamp: string };
    expect(health).toMatchObject({ status: 'healthy', worker_id: worker.workerId });
    expect(health.timestamp).toMatch(/Z$/);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, { what: 'ready' });
    expect(await (await fetch(`${base}/health/ready`)).json()).toMatchObject({
      status: 'healthy',
      checks: {
        database: { status: 'healthy', message: 'database answers' },
        command_processor: { status: 'healthy' },
        queue_processing: { status: 'healthy' },
      },
      system_info: { supported_namespaces: [NS], worker_type: 'typescript' },
    });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('accepts GET and HEAD only', async () => {
    const worker = await startWorker({ healthAddress: '127.0.0.1:0' });
    const base = baseUrl(worker);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(`${base}/health/ready`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow'), method).toBe('GET, HEAD');
    }
    await eventually(async () => (await fetch(`${base}/health/ready`, { method: 'HEAD' })).status === 200, {
      what: 'ready (HEAD)',
    });
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('binds an address without a host to 127.0.0.1', async () => {
    const worker = await startWorker({ healthAddress: ':0' });
    expect(worker.healthAddress?.address).toBe('127.0.0.1');
    expect((await fetch(`${baseUrl(worker)}/health/live`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('exposes step, queue depth, lease and heartbeat figures that a Prometheus parser reads', async () => {
    const worker = await startWorker({
      healthAddress: '127.0.0.1:0',
      concurrency: 1,
      visibilityTimeoutSeconds: 1, // a heartbeat every ~333 ms
    });
    const base = baseUrl(worker);
    const scrape = async () => parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    const queue = { namespace: NS, queue: `worker_${NS}_queue` };

    const okStep = await enqueue('ok');
    await eventually(async () => (await rows.step(okStep)).state === 'enqueued_for_orchestration');
    // The result message follows the completion's commit; its counter with it.
    const done = await eventually(async () => {
      const s = await scrape();
      return s.value('tasker_steps_results_submitted_total', { result_type: 'completion' }) === 1 ? s : null;
    });
    // By its notification or by the 100 ms poll, whichever read it first on a busy box; counted once.
    const claimed = (method: string) =>
      done.value('tasker_steps_claimed_total', { namespace: NS, claim_method: method });
    expect(claimed('event') + claimed('poll')).toBe(1);
    expect(done.value('tasker_steps_successes_total', { namespace: NS })).toBe(1);
    expect(done.value('tasker_steps_results_submitted_total', { result_type: 'completion' })).toBe(1);
    expect(
      done.value('tasker_step_execution_duration_milliseconds_count', { namespace: NS, result: 'success' }),
    ).toBe(1);
    expect(done.family('tasker_step_claim_duration_milliseconds').type).toBe('histogram');

    // One step holds the only slot (and its lease); a second waits in the queue, visible, unread.
    const held = await enqueue('hold');
    await eventually(async () => (await rows.step(held)).state === 'in_progress', { what: 'hold claimed' });
    const waiting = await enqueue('ok');
    const busy = await eventually(
      async () => {
        const s = await scrape();
        return s.value('tasker_bridge_lease_heartbeats_total', { result: 'ok' }) > 0 &&
          s.value('tasker_bridge_queue_visible_messages', queue) === 1
          ? s
          : null;
      },
      { what: 'a heartbeat and a waiting message in the scrape' },
    );
    expect(busy.value('tasker_health_queue_depth_current', queue)).toBe(2); // leased + waiting
    expect(busy.value('tasker_bridge_queue_oldest_message_age_seconds', queue)).toBeGreaterThanOrEqual(0);
    expect(busy.value('tasker_bridge_leases_held')).toBe(1);
    expect(busy.value('tasker_steps_active_executions', { namespace: NS })).toBe(1);
    expect(busy.value('tasker_bridge_lease_heartbeat_duration_milliseconds_count')).toBeGreaterThan(0);
    expect(busy.value('tasker_bridge_leases_lost_total')).toBe(0);

    releaseHeld(); // leave nothing in the queue for the next test's worker
    await eventually(async () => (await rows.step(waiting)).state === 'enqueued_for_orchestration');
  });
});

describe('health that cannot hurt', () => {
  it('answers 1,000 concurrent /health/ready from at most one database probe per second, on its own connection', async () => {
    // An injected pool, so the test sees every connection the steps' pool hands out; the poller sleeps meanwhile.
    const pool = new pg.Pool({ connectionString: db.url, application_name: 'health-flood', max: 4 });
    pools.push(pool);
    const worker = await startWorker({
      pool,
      healthAddress: '127.0.0.1:0',
      pollIntervalMs: 60_000,
      readinessStaleMs: 120_000,
    });
    const base = baseUrl(worker);
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, { what: 'ready' });
    let acquired = 0;
    pool.on('acquire', () => {
      acquired += 1;
    });

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, async () => {
        const res = await fetch(`${base}/health/ready`);
        return {
          status: res.status,
          body: (await res.json()) as { checks: { database: { last_checked: string } } },
        };
      }),
    );
    const elapsedSeconds = (performance.now() - started) / 1000;

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // Each probe stamps its start: the number of distinct stamps is the number of probes the flood caused.
    const probes = new Set(answers.map((a) => a.body.checks.database.last_checked));
    expect(probes.size).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    expect(acquired).toBe(0); // not one connection of the steps' pool
    expect(await backends('tasker-bridge-worker-health')).toBe(1); // the probe's own, made from the pool's settings
  });

  it('stays ready when its own idle connection is killed (a server restart): the check reconnects', async () => {
    const worker = await startWorker({ readinessStaleMs: 60_000 });
    await eventually(async () => (await worker.readiness()).ready, { what: 'ready' });
    const probePid = async () =>
      (
        await admin.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
          [db.name, 'tasker-bridge-worker-health'],
        )
      ).rows[0]?.pid;
    const killed = await probePid();
    await admin.query('SELECT pg_terminate_backend($1)', [killed]);
    // Until the check has run on a new connection, every answer must still be "healthy".
    const statuses: string[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      statuses.push((await worker.readiness()).checks.database.status);
      const now = await probePid();
      if (now !== undefined && now !== killed) break;
      if (Date.now() > deadline) throw new Error('the probe did not reconnect within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(new Set(statuses)).toEqual(new Set(['healthy']));
  });

  it('reports a database that refuses connections without its error text, and recovers', async () => {
    const worker = await startWorker({ healthAddress: '127.0.0.1:0', readinessStaleMs: 60_000 });
    const base = baseUrl(worker);
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, { what: 'ready' });

    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db.name],
    );
    const down = await eventually(
      async () => {
        const res = await fetch(`${base}/health/ready`);
        return res.status === 503
          ? ((await res.json()) as { checks: { database: { message: string } } })
          : null;
      },
      { what: 'not ready' },
    );
    const message = down.checks.database.message;
    expect(message).toMatch(/^database did not answer( \([A-Z0-9_]+\))?$/);
    expect(message).not.toContain(db.name);
    // /metrics still answers: the queue figures are left out of the scrape.
    expect((await fetch(`${base}/metrics`)).status).toBe(200);

    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, {
      timeoutMs: 20_000,
      what: 'ready again',
    });
  });
});
