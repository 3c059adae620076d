import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import {
  CHAOS_QUEUE,
  checkInvariants,
  invariantFigures,
  liveMessages,
  percentile,
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
import { type ChaosOrchestration, ORCHESTRATORS, startOrchestration } from './support/orchestration.js';

/**
 * kill -9 of real worker processes at random points of their steps' lives, under load, many times; then
 * SIGTERM under load. Afterwards every step must be `complete`, none completed twice, no transition duplicated
 * (sort_keys 1..n, one most_recent, each from_state = the previous to_state), attempts = claims ≤ max_attempts,
 * and no step message left in the worker queue. Recovery of abandoned claims is the lease (worker README
 * "Leases"): each killed worker's claims come back as retryable `worker_lost` failures about vt later.
 */

describe.each(ORCHESTRATORS)('under %s', (kind) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let orch: ChaosOrchestration;
  const workers = new Set<WorkerProcess>();

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
    pool.on('error', () => {});
    orch = await startOrchestration(kind, db.url, `kill-${kind}`);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await orch?.stop();
    await pool?.end();
    await db?.drop();
  });

  async function start(options: Parameters<typeof spawnWorker>[0]) {
    const w = await spawnWorker(options);
    workers.add(w);
    void w.exited.then(() => workers.delete(w));
    return w;
  }

  async function createTasks(n: number, tag: string): Promise<string[]> {
    const uuids: string[] = [];
    for (let i = 0; i < n; i++) uuids.push(await orch.createTask({ tag, i }));
    return uuids;
  }

  async function settleAll(taskUuids: readonly string[], timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const settled: { task_uuid: string; state: string }[] = [];
    for (const uuid of taskUuids) {
      const state = await orch.waitForTask(uuid, Math.max(1_000, deadline - Date.now()));
      settled.push({ task_uuid: uuid, state });
    }
    return settled;
  }

  it(
    'kill -9 at random points under load: every step completes exactly once, nothing lost, nothing duplicated',
    async () => {
      const rnd = seededRandom(`kill -9 under ${kind}`);
      const t0 = Date.now();
      let pool0 = await Promise.all(
        Array.from({ length: SCALE.workers }, () => start({ databaseUrl: db.url })),
      );

      const kills: { at: number; workerUuid: string; inFlight: number }[] = [];
      const taskUuids: string[] = [];
      const perBatch = Math.ceil(SCALE.tasks / SCALE.kills);
      for (let k = 0; k < SCALE.kills; k++) {
        taskUuids.push(...(await createTasks(perBatch, `kill-${rnd.seed}-${k}`)));
        // The workload: let the fleet work for a random while, then kill one process mid-whatever.
        await new Promise((r) => setTimeout(r, rnd.between(150, 900)));
        const victim = pool0[Math.floor(rnd.next() * pool0.length)] as WorkerProcess;
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions
          WHERE most_recent AND to_state = 'in_progress' AND metadata->>'worker_uuid' = $1`,
          [victim.workerUuid],
        );
        victim.child.kill('SIGKILL');
        kills.push({ at: Date.now(), workerUuid: victim.workerUuid, inFlight: rows[0]?.n ?? 0 });
        await victim.exited;
        // A fresh process takes its place (new worker_uuid: what a restarted pod looks like).
        const replacement = await start({ databaseUrl: db.url });
        pool0 = pool0.map((w) => (w === victim ? replacement : w));
      }

      const snapshots = await settleAll(taskUuids, 120_000);
      expect(
        snapshots.filter((s) => s.state !== 'complete').map((s) => `${s.task_uuid}: ${s.state}`),
      ).toEqual([]);

      const histories = await stepHistories(pool, taskUuids);
      const report = checkInvariants(histories, { orchestrator: kind });
      expect(report.violations).toEqual([]);
      expect(report.steps).toBe(taskUuids.length * 4);
      // Every step message is archived (stale ones once their visibility timeout lets a worker look at them).
      await until(async () => (await liveMessages(pool, CHAOS_QUEUE)) === 0, {
        timeoutMs: 5_000 * VT_SECONDS,
        what: 'worker queue empty',
      });
      await until(async () => (await liveMessages(pool, 'orchestration_step_results')) === 0, {
        what: 'results queue empty',
      });

      // Recovery time: kill → the `worker_lost` transition written for each claim the killed worker held.
      const { rows: recovered } = await pool.query<{ lost: string; at_ms: string }>(
        `SELECT ((t.metadata->>'event')::jsonb)->'data'->'metadata'->'context'->>'lost_worker_uuid' AS lost,
              (EXTRACT(EPOCH FROM t.created_at) * 1000)::bigint::text AS at_ms
         FROM tasker.workflow_step_transitions t JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
        WHERE ws.task_uuid = ANY($1::uuid[]) AND t.to_state = 'enqueued_as_error_for_orchestration'
          AND ((t.metadata->>'event')::jsonb)->'data'->'metadata'->>'error_type' = 'worker_lost'`,
        [taskUuids],
      );
      const killAt = new Map(kills.map((k) => [k.workerUuid, k.at]));
      const recoveryMs = recovered
        .map((r) => Number(r.at_ms) - (killAt.get(r.lost) ?? Number.NaN))
        .filter((ms) => Number.isFinite(ms));
      const abandoned = kills.reduce((n, k) => n + k.inFlight, 0);
      printFigures(`kill-9@${kind}`, {
        seed: rnd.seed,
        kills: kills.length,
        worker_processes: kills.length + SCALE.workers,
        tasks: taskUuids.length,
        steps: report.steps,
        claims: report.steps + report.reexecutions,
        claims_abandoned_at_kill: abandoned,
        recovered_worker_lost: recovered.length,
        ...invariantFigures(report),
        recovery_ms: {
          min: Math.min(...recoveryMs),
          p50: percentile(recoveryMs, 50),
          max: Math.max(...recoveryMs),
        },
        vt_s: VT_SECONDS,
        duration_s: Math.round((Date.now() - t0) / 1000),
      });
      expect(recovered.length).toBeGreaterThan(0);
      // Bound: lease expiry (≤ vt after the last beat) + a poll + vt/2 for a claim made just before the kill.
      expect(Math.max(...recoveryMs)).toBeLessThan(VT_SECONDS * 1000 * 3);

      for (const w of pool0) w.child.kill('SIGTERM');
      await Promise.all(pool0.map((w) => w.exited));
    },
    TEST_TIMEOUT,
  );

  it(
    'SIGTERM under load: the worker drains or cancels, exits 0, and leaves no step in_progress',
    async () => {
      const rnd = seededRandom(`sigterm under ${kind}`);
      // Slow handlers and a short grace period: some steps finish, the rest are cancelled and reported.
      // The leaving worker alone first, so it is surely busy however slowly the tasks are created (a loaded CI
      // machine); the staying worker joins once it is.
      const leaving = await start({ databaseUrl: db.url, minMs: 200, maxMs: 2_000, graceMs: 300 });
      const creating = createTasks(SCALE.sigtermTasks, `sigterm-${rnd.seed}`);
      await until(
        async () => {
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions
            WHERE most_recent AND to_state = 'in_progress' AND metadata->>'worker_uuid' = $1`,
            [leaving.workerUuid],
          );
          return (rows[0]?.n ?? 0) >= 3;
        },
        { what: 'the leaving worker busy' },
      );
      const staying = await start({ databaseUrl: db.url, minMs: 20, maxMs: 200 });
      const taskUuids = await creating;
      const { rows: busy } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions
        WHERE most_recent AND to_state = 'in_progress' AND metadata->>'worker_uuid' = $1`,
        [leaving.workerUuid],
      );
      const signalledAt = Date.now();
      leaving.child.kill('SIGTERM');
      const exit = await leaving.exited;
      const stopMs = Date.now() - signalledAt;
      expect(exit).toEqual({ code: 0, signal: null });

      // Nothing the leaving worker claimed is still in_progress: finished, or reported as handler_cancelled.
      const { rows: left } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tasker.workflow_step_transitions
        WHERE most_recent AND to_state = 'in_progress' AND metadata->>'worker_uuid' = $1`,
        [leaving.workerUuid],
      );
      expect(left[0]?.n).toBe(0);

      const snapshots = await settleAll(taskUuids, 120_000);
      expect(snapshots.filter((s) => s.state !== 'complete').map((s) => s.task_uuid)).toEqual([]);
      const report = checkInvariants(await stepHistories(pool, taskUuids), { orchestrator: kind });
      expect(report.violations).toEqual([]);
      expect(report.errorTypes.worker_lost ?? 0).toBe(0); // a graceful stop abandons nothing
      printFigures(`sigterm@${kind}`, {
        seed: rnd.seed,
        tasks: taskUuids.length,
        steps: report.steps,
        in_progress_at_sigterm: busy[0]?.n ?? 0,
        left_in_progress: left[0]?.n ?? 0,
        cancelled_and_retried: report.errorTypes.handler_cancelled ?? 0,
        stop_ms: stopMs,
        lost: report.lost,
        duplicated: report.duplicated,
      });
      staying.child.kill('SIGTERM');
      await staying.exited;
    },
    TEST_TIMEOUT,
  );
});
