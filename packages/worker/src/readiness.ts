import { formatUtcTimestamp } from '@tasker-bridge/schemas';
import type { WorkerConfig } from './config.js';
import type { DatabaseProbe } from './database-probe.js';
import type { HealthCheck, ReadinessReport } from './health-server.js';
import type { Runtime } from './runtime.js';

/**
 * `/health/ready` (upstream's readiness shape, `health-server.ts`): ready when the database answers (both, when
 * tasker and pgmq are split), the worker is running and accepting steps, and the intake loop completed a poll
 * within `readinessStaleMs` — so a wedged worker stops receiving traffic, not merely one whose database is down.
 * The database is asked on the health probes' own connections, at most once per second (`database-probe.ts`);
 * the rest is read from memory, so a flood of probes cannot slow the steps down.
 */

export interface ReadinessInput {
  state: string;
  config: WorkerConfig | null;
  /** One per database; empty before start. */
  probes: readonly DatabaseProbe[];
  runtime: Runtime | null;
  namespaces: readonly string[];
  /** Epoch ms of start (0 = not started). */
  startedAt: number;
}

export async function readinessReport(input: ReadinessInput): Promise<ReadinessReport> {
  const { config, runtime } = input;
  const now = new Date();
  const check = (ok: boolean, message: string, durationMs = 0, checkedAt = now): HealthCheck => ({
    status: ok ? 'healthy' : 'unhealthy',
    message,
    duration_ms: Math.round(durationMs),
    last_checked: formatUtcTimestamp(checkedAt),
  });
  // Split databases (PGMQ_DATABASE_URL): intake, leases and result messages need the pgmq one as much as
  // claims and completions need the tasker one, so both must answer.
  const probes = await Promise.all(input.probes.map((p) => p.check()));
  let database: HealthCheck;
  if (probes.length === 0) database = check(false, 'not started');
  else {
    const failed = probes.filter((p) => !p.ok).map((p) => p.problem);
    database = check(
      failed.length === 0,
      failed.length > 0
        ? failed.join('; ')
        : probes.length > 1
          ? 'tasker and pgmq databases answer'
          : 'database answers',
      Math.max(...probes.map((p) => p.durationMs)),
      new Date(Math.min(...probes.map((p) => p.checkedAt))),
    );
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
