import { formatUtcTimestamp } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { sleep } from './backoff.js';
import type { WorkerConfig } from './config.js';
import type { HealthCheck, ReadinessReport } from './health-server.js';
import type { Runtime } from './runtime.js';
import { run } from './sql/connections.js';
import { PING } from './sql/statements.js';

/**
 * `/health/ready` (upstream's readiness shape, `health-server.ts`): ready when the database answers (both, when
 * tasker and pgmq are split), the worker is running and accepting steps, and the intake loop completed a poll
 * within `readinessStaleMs` — so a wedged worker stops receiving traffic, not merely one whose database is down.
 */

export interface ReadinessInput {
  state: string;
  config: WorkerConfig | null;
  /** Null before start. */
  pools: { tasker: pg.Pool; pgmq: pg.Pool } | null;
  runtime: Runtime | null;
  namespaces: readonly string[];
  /** Epoch ms of start (0 = not started). */
  startedAt: number;
}

export async function readinessReport(input: ReadinessInput): Promise<ReadinessReport> {
  const { config, pools, runtime } = input;
  const now = new Date();
  const check = (ok: boolean, message: string, durationMs = 0): HealthCheck => ({
    status: ok ? 'healthy' : 'unhealthy',
    message,
    duration_ms: durationMs,
    last_checked: formatUtcTimestamp(now),
  });
  let database: HealthCheck;
  const pingStarted = Date.now();
  const split = pools !== null && pools.pgmq !== pools.tasker;
  try {
    if (pools === null) throw new Error('not started');
    // Split databases (PGMQ_DATABASE_URL): intake, leases and result messages need the pgmq one as much as
    // claims and completions need the tasker one, so both must answer.
    await Promise.all([
      ping(pools.tasker, split ? 'tasker database' : 'database'),
      ...(split ? [ping(pools.pgmq, 'pgmq database')] : []),
    ]);
    database = check(
      true,
      split ? 'tasker and pgmq databases answer' : 'database answers',
      Date.now() - pingStarted,
    );
  } catch (error) {
    database = check(false, (error as Error).message, Date.now() - pingStarted);
  }
  const running = input.state === 'running' && runtime?.intake.accepting === true;
  const commandProcessor = check(running, `worker is ${input.state}`);
  const lastProgress = runtime?.poller.lastProgressAt ?? 0;
  const age = lastProgress === 0 ? Number.POSITIVE_INFINITY : now.getTime() - lastProgress;
  const staleMs = config?.readinessStaleMs ?? 5_000;
  const queueProcessing = check(
    age <= staleMs,
    lastProgress === 0
      ? 'intake has not completed a poll yet'
      : `last intake progress ${age} ms ago (limit ${staleMs} ms)`,
  );
  return {
    ready:
      database.status === 'healthy' &&
      commandProcessor.status === 'healthy' &&
      queueProcessing.status === 'healthy',
    checks: { database, command_processor: commandProcessor, queue_processing: queueProcessing },
    system_info: {
      version: '0.1.0',
      environment: process.env.TASKER_ENV ?? 'production',
      uptime_seconds: input.startedAt === 0 ? 0 : Math.floor((now.getTime() - input.startedAt) / 1000),
      worker_type: 'typescript',
      database_pool_size: config?.poolSize ?? 0,
      command_processor_active: running,
      supported_namespaces: [...input.namespaces],
      deployment_mode: config?.deploymentMode ?? null,
      listener_connected: runtime?.listener?.connected ?? false,
      handler_slots: { capacity: runtime?.slots.capacity ?? 0, in_use: runtime?.slots.inUse ?? 0 },
    },
  };
}

/** `SELECT 1` with a 2 s limit; the error names the database. */
async function ping(pool: pg.Pool, which: string): Promise<void> {
  try {
    await Promise.race([
      run(pool, PING, []),
      sleep(2_000).then(() => {
        throw new Error('ping timed out after 2000 ms');
      }),
    ]);
  } catch (error) {
    throw new Error(`${which}: ${(error as Error).message}`);
  }
}
