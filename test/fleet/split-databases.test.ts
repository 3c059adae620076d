// Split databases with upstream's real orchestration server: the tasker tables in one database, pgmq and the
// tasker.pgmq_* functions in another (tasker-shared's `[common.pgmq_database]`, config/pgmq-database.toml, as its
// split migrator leaves them). Tasks created through the server's REST API run on our TS worker (the example
// linear and diamond workflows) and complete with the expected outputs; each database holds only its half.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskResponse } from '@tasker-bridge/client';
import { HandlerRegistry } from '@tasker-bridge/core';
import { exampleHandlers } from '@tasker-bridge/examples';
import { TaskerWorker } from '@tasker-bridge/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSplitTestDatabases, type SplitTestDatabases } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { snapshotTask, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, expectedExampleResults, LINEAR } from './support/examples.js';
import { decodeErrors } from './support/fleet.js';
import { FleetApi } from './support/fleet-api.js';
import { FLEET_CONFIG_DIR, fleetLogDir } from './support/paths.js';
import { fileLogger } from './support/ts-worker.js';
import {
  type OrchestrationServer,
  startOrchestrationServer,
  taskerDatabaseUrl,
} from './support/upstream-processes.js';

const EVEN_NUMBERS = [2, 4, 6];

describe('split databases: the real tasker-server with [common.pgmq_database] and our TS worker', () => {
  let split: SplitTestDatabases | undefined;
  let server: OrchestrationServer | undefined;
  let worker: TaskerWorker | undefined;
  let api: FleetApi;
  let tasker: pg.Pool;
  let pgmq: pg.Pool;

  beforeAll(async () => {
    const logDir = join(fleetLogDir(), `split-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(logDir, { recursive: true });
    split = await createSplitTestDatabases();
    tasker = new pg.Pool({ connectionString: split.taskerUrl, max: 2 });
    pgmq = new pg.Pool({ connectionString: split.pgmqUrl, max: 2 });
    tasker.on('error', () => {});
    pgmq.on('error', () => {});
    const pgmqSection = await readFile(join(FLEET_CONFIG_DIR, 'pgmq-database.toml'), 'utf8');
    server = await startOrchestrationServer({
      binary: inject('fleet').serverBinary,
      databaseUrl: split.taskerUrl,
      logDir,
      patchConfig: (toml) => `${toml}\n${pgmqSection}`,
      env: { PGMQ_DATABASE_URL: taskerDatabaseUrl(split.pgmqUrl) },
    });
    api = new FleetApi(server.baseUrl);
    const registry = new HandlerRegistry();
    for (const handler of exampleHandlers) registry.register(handler);
    worker = new TaskerWorker({
      registry,
      databaseUrl: split.taskerUrl,
      pgmqDatabaseUrl: split.pgmqUrl,
      templatePath: await exampleTemplates(join(logDir, 'ts-templates'), [
        LINEAR.namespace,
        DIAMOND.namespace,
      ]),
      concurrency: 4,
      healthAddress: null,
      shutdownGraceMs: 5_000,
      logger: fileLogger(join(logDir, 'ts-worker.log')),
      env: {},
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
    await Promise.all([tasker?.end(), pgmq?.end()]);
    await split?.drop();
  });

  it('runs the server split: its queues on the pgmq database, none on the tasker database', async () => {
    expect(await server?.process.log()).toMatch(/pgmq_is_separate=true/);
    const queues = (
      await pgmq.query<{ queue_name: string }>('SELECT queue_name FROM pgmq.list_queues()')
    ).rows.map((r) => r.queue_name);
    expect(queues).toEqual(
      expect.arrayContaining([
        'orchestration_task_requests',
        'orchestration_task_finalizations',
        'orchestration_step_results',
        `worker_${LINEAR.namespace}_queue`,
        `worker_${DIAMOND.namespace}_queue`,
      ]),
    );
    const pgmqOnTasker = await tasker.query("SELECT 1 FROM pg_namespace WHERE nspname = 'pgmq'");
    expect(pgmqOnTasker.rows).toEqual([]);
    const tablesOnPgmq = await pgmq.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tasker'",
    );
    expect(tablesOnPgmq.rows).toEqual([]);
  });

  it('completes tasks created through the REST API on our worker, with the expected outputs', async () => {
    const submissions = EVEN_NUMBERS.flatMap((n) => [
      { kind: 'linear' as const, n, request: LINEAR },
      { kind: 'diamond' as const, n, request: DIAMOND },
    ]);
    // The first task of each template alone (upstream creates its named steps then; NOTE.md), the rest together.
    const submit = async (s: (typeof submissions)[number]) => ({
      ...s,
      task: await api.createTask({ ...s.request, context: { even_number: s.n } }),
    });
    const created: Array<(typeof submissions)[number] & { task: TaskResponse }> = [];
    for (const s of submissions.slice(0, 2)) created.push(await submit(s));
    created.push(...(await Promise.all(submissions.slice(2).map(submit))));

    const finals = await Promise.all(
      created.map((c) => api.waitForTask(c.task.task_uuid, { timeoutMs: 90_000 })),
    );
    expect(finals.map((f) => f.status)).toEqual(finals.map(() => 'complete'));

    const stepUuids: string[] = [];
    await withClient(split!.taskerUrl, async (client) => {
      for (const { kind, n, task } of created) {
        const snapshot = await snapshotTask(client, task.task_uuid);
        const results = Object.fromEntries(
          snapshot.steps.map((step) => [
            step.name,
            (step.results as { result?: Record<string, unknown> }).result,
          ]),
        );
        const expected = expectedExampleResults(kind, n);
        for (const [step, fields] of Object.entries(expected)) expect(results[step]).toMatchObject(fields);
        expect(Object.keys(results).sort()).toEqual(Object.keys(expected).sort());
        for (const step of snapshot.steps) {
          expect(step.attempts).toBe(1);
          expect(step.transitions.map((t) => t.to_state)).toEqual([
            'pending',
            'enqueued',
            'in_progress',
            'enqueued_for_orchestration',
            'complete',
          ]);
          stepUuids.push(step.workflow_step_uuid);
        }
      }
    });
    expect(stepUuids).toHaveLength(created.length * 4);

    // pgmq database: every step message archived by our worker with its result, nothing left live; one result
    // message per step, all consumed by the server.
    const stepMessages = await pgmq.query<{ step_uuid: string }>(
      `SELECT message->>'step_uuid' AS step_uuid FROM pgmq.a_worker_${LINEAR.namespace}_queue
       UNION ALL SELECT message->>'step_uuid' FROM pgmq.a_worker_${DIAMOND.namespace}_queue`,
    );
    expect(stepMessages.rows.map((r) => r.step_uuid).sort()).toEqual([...stepUuids].sort());
    const live = async (queue: string) =>
      (await pgmq.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgmq.q_${queue}`)).rows[0]?.n;
    expect(await live(`worker_${LINEAR.namespace}_queue`)).toBe(0);
    expect(await live(`worker_${DIAMOND.namespace}_queue`)).toBe(0);
    await eventually(async () => (await live('orchestration_step_results')) === 0, {
      what: 'result messages consumed by the server',
    });
    expect(
      worker?.metrics.stepsClaimed.get({ namespace: LINEAR.namespace, claim_method: 'event' }),
    ).toBeGreaterThan(0);
  });

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors((await server?.process.log()) ?? '')).toEqual([]);
  });
});
