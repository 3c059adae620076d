import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createSplitTestDatabases, type SplitTestDatabases } from '../support/db.js';
import {
  CHAOS_NS,
  CHAOS_QUEUE,
  checkInvariants,
  FAST_BACKOFF,
  invariantFigures,
  liveMessages,
  printFigures,
  SCALE,
  seededRandom,
  spawnWorker,
  stepHistories,
  TEST_TIMEOUT,
  until,
  VT_SECONDS,
  type WorkerProcess,
} from './support/harness.js';

/**
 * kill -9 under load with the tasker tables and pgmq in separate databases (worker README "Configuration",
 * `PGMQ_DATABASE_URL`): claims and completions commit on the tasker database, leases, result messages and archives
 * on the pgmq one, so a process killed between the two leaves each half in its own state. Every third kill also
 * terminates every backend of the pgmq database (the workers' pools and LISTEN, the dev orchestrator's), so sends
 * fail after their tasker-side commit. Afterwards the same invariants as kill.test.ts: every step `complete`, none
 * completed twice, transition chains intact, attempts = claims, no message left in either queue.
 */

let split: SplitTestDatabases;
let tasker: pg.Pool;
let pgmq: pg.Pool;
let admin: pg.Pool;
let orch: DevOrchestrator | undefined;
const workers = new Set<WorkerProcess>();

beforeAll(async () => {
  split = await createSplitTestDatabases();
  const pool = (url: string) => {
    const p = new pg.Pool({ connectionString: url, options: TASKER_SESSION_OPTIONS, max: 4 });
    p.on('error', () => {});
    return p;
  };
  tasker = pool(split.taskerUrl);
  pgmq = pool(split.pgmqUrl);
  admin = new pg.Pool({ connectionString: inject('devdb').adminUrl, max: 1 });
  admin.on('error', () => {});
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await orch?.stop();
  await Promise.all([tasker?.end(), pgmq?.end(), admin?.end()]);
  await split?.drop();
});

/** Counts the dev orchestrator's log lines by message (the figures report how often a send was retried). */
const orchestratorLines = new Map<string, number>();
const countingLogger = {
  debug() {},
  info: (_obj: object, msg?: string) => count(msg),
  warn: (_obj: object, msg?: string) => count(msg),
  error: (_obj: object, msg?: string) => count(msg),
  child: () => countingLogger,
};
function count(msg: string | undefined): void {
  if (msg !== undefined) orchestratorLines.set(msg, (orchestratorLines.get(msg) ?? 0) + 1);
}

async function start(): Promise<WorkerProcess> {
  const w = await spawnWorker({ databaseUrl: split.taskerUrl, pgmqDatabaseUrl: split.pgmqUrl });
  workers.add(w);
  void w.exited.then(() => workers.delete(w));
  return w;
}

const inProgressOf = async (workerUuid: string) =>
  (
    await tasker.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions
        WHERE most_recent AND to_state = 'in_progress' AND metadata->>'worker_uuid' = $1`,
      [workerUuid],
    )
  ).rows[0]?.n ?? 0;

/** pg_terminate_backend of every connection to the pgmq database (not the tasker one). */
async function terminatePgmqBackends(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [new URL(split.pgmqUrl).pathname.slice(1)],
  );
  return rows[0]?.n ?? 0;
}

it(
  'split databases: kill -9 under load, plus pgmq-side connection kills: every step completes exactly once',
  async () => {
    const rnd = seededRandom('split kill -9');
    const t0 = Date.now();
    let fleet = await Promise.all(Array.from({ length: SCALE.workers }, () => start()));
    orch = new DevOrchestrator({
      databaseUrl: split.taskerUrl,
      pgmqDatabaseUrl: split.pgmqUrl,
      pollIntervalMs: 100,
      backoff: FAST_BACKOFF,
      logger: countingLogger,
    });
    await orch.start();

    const taskUuids: string[] = [];
    const perBatch = Math.ceil(SCALE.tasks / SCALE.kills);
    let abandoned = 0;
    let terminated = 0;
    for (let k = 0; k < SCALE.kills; k++) {
      for (let i = 0; i < perBatch; i++) {
        const created = await orch.createTask({
          namespace: CHAOS_NS,
          name: 'diamond',
          version: '1.0.0',
          context: { tag: `split-${rnd.seed}-${k}`, i },
        });
        taskUuids.push(created.task_uuid);
      }
      // The workload: let the fleet work for a random while, then kill one process mid-whatever.
      await new Promise((r) => setTimeout(r, rnd.between(150, 900)));
      const victim = fleet[Math.floor(rnd.next() * fleet.length)] as WorkerProcess;
      abandoned += await inProgressOf(victim.workerUuid);
      victim.child.kill('SIGKILL');
      if (k % 3 === 2) terminated += await terminatePgmqBackends();
      await victim.exited;
      const replacement = await start();
      fleet = fleet.map((w) => (w === victim ? replacement : w));
    }

    const deadline = Date.now() + 120_000;
    const snapshots = [];
    for (const uuid of taskUuids) {
      snapshots.push(await orch.waitForTask(uuid, { timeoutMs: Math.max(1_000, deadline - Date.now()) }));
    }
    expect(snapshots.filter((s) => s.state !== 'complete').map((s) => `${s.task_uuid}: ${s.state}`)).toEqual(
      [],
    );
    const report = checkInvariants(await stepHistories(tasker, taskUuids), {
      orchestrator: 'dev-orchestrator',
    });
    expect(report.violations).toEqual([]);
    expect(report.steps).toBe(taskUuids.length * 4);
    await until(async () => (await liveMessages(pgmq, CHAOS_QUEUE)) === 0, {
      timeoutMs: 5_000 * VT_SECONDS,
      what: 'worker queue empty',
    });
    await until(async () => (await liveMessages(pgmq, 'orchestration_step_results')) === 0, {
      what: 'results queue empty',
    });
    // Nothing of pgmq on the tasker side.
    expect((await tasker.query("SELECT 1 FROM pg_namespace WHERE nspname = 'pgmq'")).rows).toEqual([]);

    printFigures('split-kill-9', {
      seed: rnd.seed,
      kills: SCALE.kills,
      pgmq_backends_terminated: terminated,
      step_sends_retried: orchestratorLines.get('step message sent on retry') ?? 0,
      tasks: taskUuids.length,
      steps: report.steps,
      claims: report.steps + report.reexecutions,
      claims_abandoned_at_kill: abandoned,
      ...invariantFigures(report),
      vt_s: VT_SECONDS,
      duration_s: Math.round((Date.now() - t0) / 1000),
    });
    expect(report.errorTypes.worker_lost ?? 0).toBeGreaterThan(0);

    for (const w of fleet) w.child.kill('SIGTERM');
    await Promise.all(fleet.map((w) => w.exited));
  },
  TEST_TIMEOUT,
);
