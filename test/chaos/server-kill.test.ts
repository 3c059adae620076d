import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import {
  CHAOS_QUEUE,
  checkInvariants,
  invariantFigures,
  liveMessages,
  printFigures,
  SCALE,
  seededRandom,
  spawnWorker,
  stepHistories,
  TEST_TIMEOUT,
  until,
  type WorkerProcess,
} from './support/harness.js';
import { type ServerOrchestration, startLoad, startServerOrchestration } from './support/orchestration.js';
import { expectedStepState, orchestrationFigures, settleTasks, unfinishedTasks } from './support/settle.js';

/**
 * Upstream's orchestration server itself killed with SIGKILL under load and started again on the same database,
 * while our worker processes keep serving the namespace. Orchestration keeps no state outside PostgreSQL: what a
 * killed server was doing rolls back with its transactions, result messages it had read come back once their
 * visibility timeout passes, and the new server's readiness cycle finds every task with ready steps. Afterwards
 * every task is complete, or stranded by the kill in an orchestration state 0.1.8 never resumes (support/settle.ts),
 * and every step completed exactly once, with the chaos suite's invariants.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let orch: ServerOrchestration | undefined;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await orch?.stop();
  await pool?.end();
  await db?.drop();
});

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Step completions orchestration has processed (`complete` is only ever written by orchestration). */
async function completedSteps(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions WHERE to_state = 'complete'`,
  );
  return rows[0]?.n ?? 0;
}

it(
  'tasker-server SIGKILLed and restarted under load: every task completes or is stranded by the kill; nothing lost, nothing duplicated',
  async () => {
    const rnd = seededRandom('server kill -9');
    const t0 = Date.now();
    for (let i = 0; i < 2; i++) workers.push(await spawnWorker({ databaseUrl: db.url }));
    const server = await startServerOrchestration(db.url, 'server-kill');
    orch = server;

    // Load: a task every ~40 ms until told to stop; creations refused while the server is down are counted.
    const load = startLoad(server, { server_kill: rnd.seed }, rnd.between);
    const { taskUuids } = load;
    await until(async () => (await completedSteps()) > 20, { what: 'steady load' });

    const kills: { downMs: number; resumeMs: number; inFlightTasks: number }[] = [];
    for (let k = 0; k < SCALE.serverKills; k++) {
      await sleepFor(rnd.between(500, 2_000));
      // Kill with work in flight: the load's tasks can all be finished at one instant on a busy machine.
      let inFlightTasks = 0;
      await until(
        async () => {
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM tasker.tasks t
              WHERE NOT t.complete AND t.task_uuid = ANY($1::uuid[])`,
            [taskUuids],
          );
          inFlightTasks = rows[0]?.n ?? 0;
          return inFlightTasks > 0;
        },
        { intervalMs: 5, what: 'an unfinished task to kill the server under' },
      );
      const at = Date.now();
      const { downMs } = await server.killAndRestart();
      // Resumed = the new server has processed a step result it did not see before it started.
      const before = await completedSteps();
      await until(async () => (await completedSteps()) > before, {
        timeoutMs: 90_000,
        intervalMs: 20,
        what: 'orchestration processing results again after the restart',
      });
      kills.push({ downMs, resumeMs: Date.now() - at, inFlightTasks });
    }

    await load.stop();
    // A server killed between the commits of one of its moves may strand that task for good (support/settle.ts):
    // reported, with nothing of ours lost.
    const outcomes = await settleTasks(pool, taskUuids, [CHAOS_QUEUE, 'orchestration_step_results'], 120_000);
    const unfinished = await unfinishedTasks(pool, outcomes);
    expect(unfinished.tasks, unfinished.histories).toEqual([]);
    const report = checkInvariants(await stepHistories(pool, taskUuids), {
      orchestrator: 'tasker-server',
      expected: expectedStepState(outcomes),
    });
    expect(report.violations).toEqual([]);
    expect(report.steps).toBe(taskUuids.length * 4);
    await until(async () => (await liveMessages(pool, CHAOS_QUEUE)) === 0, { what: 'worker queue empty' });
    await until(async () => (await liveMessages(pool, 'orchestration_step_results')) === 0, {
      timeoutMs: 60_000,
      what: 'results queue empty',
    });
    const log = await server.server.process.log();
    printFigures('server-kill-9', {
      seed: rnd.seed,
      server_kills: kills.length,
      tasks: taskUuids.length,
      ...orchestrationFigures(outcomes),
      steps: report.steps,
      creations_refused_while_down: load.refused,
      unfinished_tasks_at_kill: kills.map((k) => k.inFlightTasks),
      down_ms: kills.map((k) => k.downMs),
      resume_ms: kills.map((k) => k.resumeMs),
      reexecutions: report.reexecutions,
      ...invariantFigures(report),
      server_log_bytes: log.length,
      duration_s: Math.round((Date.now() - t0) / 1000),
    });
    expect(kills).toHaveLength(SCALE.serverKills);
  },
  TEST_TIMEOUT,
);
