import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskIdentityConflictError } from '@tasker-bridge/client';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import { inject } from 'vitest';
import { withClient } from '../../fleet/support/db-inspect.js';
import { FleetApi } from '../../fleet/support/fleet-api.js';
import { fleetLogDir } from '../../fleet/support/paths.js';
import {
  type OrchestrationServer,
  startOrchestrationServer,
} from '../../fleet/support/upstream-processes.js';
import { CHAOS_NS, FAST_BACKOFF } from './harness.js';

/**
 * The orchestration side of a chaos scenario: our development orchestrator in the test process, or upstream's
 * real `tasker-server` (the fleet tier's build, test/fleet/NOTE.md) as a process of its own. Scenarios are
 * written once against this interface and run under both, with the same invariants: where the two disagree, the
 * real server is right.
 */
export const ORCHESTRATORS = ['dev-orchestrator', 'tasker-server'] as const;
export type OrchestratorKind = (typeof ORCHESTRATORS)[number];

export interface ChaosOrchestration {
  readonly kind: OrchestratorKind;
  /** Creates one chaos diamond task (test/chaos/support/harness.ts `chaosTemplate`); resolves with its uuid. */
  createTask(context: Record<string, unknown>): Promise<string>;
  /** Waits until the task settles (terminal or `blocked_by_failures`); resolves with its state. */
  waitForTask(taskUuid: string, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `kind` on the tasker database `databaseUrl` (pgmq in the same database). */
export async function startOrchestration(
  kind: OrchestratorKind,
  databaseUrl: string,
  label: string,
): Promise<ChaosOrchestration> {
  return kind === 'dev-orchestrator'
    ? startDevOrchestration(databaseUrl)
    : startServerOrchestration(databaseUrl, label);
}

async function startDevOrchestration(databaseUrl: string): Promise<ChaosOrchestration> {
  const orchestrator = new DevOrchestrator({ databaseUrl, pollIntervalMs: 100, backoff: FAST_BACKOFF });
  await orchestrator.start();
  return {
    kind: 'dev-orchestrator',
    async createTask(context) {
      const created = await orchestrator.createTask({
        namespace: CHAOS_NS,
        name: 'diamond',
        version: '1.0.0',
        context,
      });
      return created.task_uuid;
    },
    async waitForTask(taskUuid, timeoutMs) {
      return (await orchestrator.waitForTask(taskUuid, { timeoutMs })).state;
    },
    stop: () => orchestrator.stop(),
  };
}

/** The real server, which a scenario may also SIGKILL and start again on the same database. */
export interface ServerOrchestration extends ChaosOrchestration {
  readonly server: OrchestrationServer;
  /** SIGKILL (no shutdown of any kind), then a new server process on the same database; resolves once healthy. */
  killAndRestart(): Promise<{ downMs: number }>;
}

export async function startServerOrchestration(
  databaseUrl: string,
  label: string,
): Promise<ServerOrchestration> {
  const { serverBinary } = inject('fleet');
  const logDir = join(
    fleetLogDir(),
    '..',
    'chaos',
    `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  );
  await mkdir(logDir, { recursive: true });
  const start = () => startOrchestrationServer({ binary: serverBinary, databaseUrl, logDir });
  let server = await start();
  let api = new FleetApi(server.baseUrl);
  return {
    kind: 'tasker-server',
    get server() {
      return server;
    },
    async createTask(context) {
      // Our own submission id (FleetApi keeps it): the task's context, and so its identity, is this call's alone.
      const submission = randomUUID();
      try {
        const task = await api.createTask({
          namespace: CHAOS_NS,
          name: 'diamond',
          version: '1.0.0',
          context: { ...context, fleet_submission: submission },
        });
        return task.task_uuid;
      } catch (error) {
        // A retry answered 409 (a loaded server let the first answer time out): that first attempt created the
        // task. Its uuid is read back by the submission id.
        if (!(error instanceof TaskIdentityConflictError) || !error.afterRetry) throw error;
        const created = await withClient(databaseUrl, (client) =>
          client.query<{ task_uuid: string }>(
            "SELECT task_uuid::text FROM tasker.tasks WHERE context->>'fleet_submission' = $1",
            [submission],
          ),
        );
        const uuid = created.rows[0]?.task_uuid;
        if (uuid === undefined) throw error;
        return uuid;
      }
    },
    async waitForTask(taskUuid, timeoutMs) {
      return (await api.waitForTask(taskUuid, { timeoutMs })).status;
    },
    async killAndRestart() {
      const at = Date.now();
      server.process.child.kill('SIGKILL');
      await server.process.exited;
      server = await start();
      api = new FleetApi(server.baseUrl);
      return { downMs: Date.now() - at };
    },
    stop: () => server.stop(),
  };
}

/** A steady stream of chaos tasks (`startLoad`). */
export interface TaskLoad {
  /** Every task created so far, in creation order. */
  readonly taskUuids: string[];
  /** Creations refused so far (expected while a database or the server is down; the task was not created). */
  readonly refused: number;
  /** Stops creating; resolves once the creation in flight has ended. */
  stop(): Promise<void>;
}

/** Creates a task every 10–70 ms (from `between`, the scenario's seeded PRNG) until stopped. */
export function startLoad(
  orchestration: Pick<ChaosOrchestration, 'createTask'>,
  tag: Record<string, unknown>,
  between: (lo: number, hi: number) => number,
): TaskLoad {
  const taskUuids: string[] = [];
  let refused = 0;
  let loading = true;
  const loop = (async () => {
    for (let i = 0; loading; i++) {
      try {
        taskUuids.push(await orchestration.createTask({ ...tag, i }));
      } catch {
        refused += 1;
      }
      await new Promise((r) => setTimeout(r, between(10, 70)));
    }
  })();
  return {
    taskUuids,
    get refused() {
      return refused;
    },
    async stop() {
      loading = false;
      await loop;
    },
  };
}
