// One fleet per test file: its own database (cloned from the migrated template), upstream's orchestration server,
// and whatever workers the file starts. stop() tears everything down, whatever state it is in.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CreateTaskRequest, TaskResponse } from '@tasker-bridge/client';
import type { ClonedDatabase } from '@tasker-bridge/devdb';
import { inject } from 'vitest';
import { createTestDatabase } from '../../support/db.js';
import { FleetApi } from './fleet-api.js';
import { fleetLogDir } from './paths.js';
import {
  type OrchestrationServer,
  type PythonWorker,
  startOrchestrationServer,
  startPythonWorker,
} from './upstream-processes.js';

export interface Fleet {
  readonly db: ClonedDatabase;
  readonly server: OrchestrationServer;
  readonly api: FleetApi;
  readonly logDir: string;
  startPythonWorker(options: {
    templateDir: string;
    aliases?: Record<string, string>;
    name?: string;
  }): Promise<PythonWorker>;
  /** Registers anything with a stop() (e.g. our TS worker) to be stopped before the server and the database. */
  track(stoppable: { stop(): Promise<unknown> }): void;
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** Rewrites the orchestration server's merged TOML (e.g. to turn staleness detection on). */
  patchOrchestrationConfig?: (toml: string) => string;
}

export async function startFleet(label: string, options: FleetOptions = {}): Promise<Fleet> {
  const { serverBinary, python } = inject('fleet');
  const logDir = join(fleetLogDir(), `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(logDir, { recursive: true });
  const db = await createTestDatabase();
  const stoppables: Array<{ stop(): Promise<unknown> }> = [];
  let server: OrchestrationServer | undefined;
  const stop = async () => {
    // Workers first (they hold claims), then the server, then the database.
    const errors: unknown[] = [];
    for (const s of stoppables.reverse()) await s.stop().catch((e: unknown) => errors.push(e));
    await server?.stop().catch((e: unknown) => errors.push(e));
    await db.drop().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'fleet teardown failed');
  };
  try {
    server = await startOrchestrationServer({
      binary: serverBinary,
      databaseUrl: db.url,
      logDir,
      ...(options.patchOrchestrationConfig ? { patchConfig: options.patchOrchestrationConfig } : {}),
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  const running = server;
  return {
    db,
    server: running,
    api: new FleetApi(running.baseUrl),
    logDir,
    async startPythonWorker(options) {
      const worker = await startPythonWorker({ python, databaseUrl: db.url, logDir, ...options });
      stoppables.push(worker);
      return worker;
    },
    track(stoppable) {
      stoppables.push(stoppable);
    },
    stop,
  };
}

/**
 * Log lines in which orchestration reports that it could not decode something a worker wrote (a step result
 * message, a `results` document, a checkpoint...). Upstream's wording: "Failed to parse StepMessage",
 * "Failed to deserialize StepExecutionResult from results JSONB", "Invalid StepMessage format", serde's
 * "missing field" / "unknown variant" / "invalid type".
 */
export function decodeErrors(log: string): string[] {
  const pattern =
    /failed to (parse|deserialize|decode)|invalid \w+ format|missing field|unknown variant|invalid type:|deserializ\w* error/i;
  return log.split('\n').filter((line) => /\b(ERROR|WARN)\b/.test(line) && pattern.test(line));
}

/**
 * Submits tasks through the REST API from 4 clients at once, but the first task of each template alone: upstream
 * 0.1.8 creates a template's `named_steps` rows on its first task, and two first tasks created at the same moment
 * race on `named_steps_name_unique` (HTTP 500). A burst of many simultaneous creates also only measures the
 * server's connection pool.
 */
export async function submitAll<T extends { n: number; request: Omit<CreateTaskRequest, 'context'> }>(
  fleet: Fleet,
  submissions: readonly T[],
): Promise<Array<T & { task: TaskResponse }>> {
  const submit = async (s: T) => ({
    ...s,
    task: await fleet.api.createTask({ ...s.request, context: { even_number: s.n } }),
  });
  const seen = new Set<string>();
  const first: T[] = [];
  const rest: T[] = [];
  for (const s of submissions) {
    const key = `${s.request.namespace}/${s.request.name}/${s.request.version}`;
    (seen.has(key) ? rest : first).push(s);
    seen.add(key);
  }
  const out: Array<T & { task: TaskResponse }> = [];
  for (const s of first) out.push(await submit(s));
  for (let i = 0; i < rest.length; i += 4) out.push(...(await Promise.all(rest.slice(i, i + 4).map(submit))));
  return out;
}
