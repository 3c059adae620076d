import { HandlerRegistry, noopLogger } from '@tasker-bridge/core';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import { registerExampleHandlers, templatesDir } from '@tasker-bridge/examples';
import type { DomainEvent } from '@tasker-bridge/schemas';
import { TaskerWorker } from '@tasker-bridge/worker';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from '../../support/db.js';
import { readTaskRun, type TaskRun } from './task-run.js';

export type { TaskRun } from './task-run.js';

/**
 * Our worker serving every example template on a database of the test file's own, under some orchestrator:
 * whole workflows run end to end through the real queue protocol. The scenarios (`scenarios/`) are written
 * against this interface only, so the same expectations run under the development orchestrator (this file, the
 * `e2e` tier) and under the real `tasker-server` (`test/fleet/support/example-fleet.ts`, the `fleet` tier).
 */
export interface ExampleFleet {
  /** The tasker database (pgmq in the same database). */
  readonly url: string;
  /** Domain events our worker published to its in-process subscribers (`onDomainEvent`). */
  readonly domainEvents: DomainEvent[];
  /** Creates a task, waits until it settles (terminal or `blocked_by_failures`) and reads what it left. */
  run(
    namespace: string,
    name: string,
    context: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<TaskRun>;
}

/** The worker options every example fleet uses (the templates directory names every example namespace). */
export function exampleWorkerOptions(databaseUrl: string, domainEvents: DomainEvent[]) {
  return {
    registry: registerExampleHandlers(new HandlerRegistry()),
    databaseUrl,
    templatePath: templatesDir,
    pollIntervalMs: 100,
    env: {},
    onDomainEvent: (event: DomainEvent) => {
      domainEvents.push(event);
    },
  };
}

/** The example fleet under the development orchestrator, set up and torn down by the calling test file. */
export function useExampleFleet(): ExampleFleet {
  const domainEvents: DomainEvent[] = [];
  let url = '';
  let orchestrator: DevOrchestrator | undefined;
  let worker: TaskerWorker | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    url = db.url;
    worker = new TaskerWorker({ ...exampleWorkerOptions(db.url, domainEvents), logger: noopLogger });
    await worker.start();
    orchestrator = new DevOrchestrator({
      databaseUrl: db.url,
      pollIntervalMs: 100,
      progressIntervalMs: 50,
      // Retries are due after 0.2 s, 0.4 s, … instead of 1 s, 2 s, …, so retry scenarios stay quick.
      backoff: { baseDelaySeconds: 0.2, jitterEnabled: false },
    });
    await orchestrator.start();
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await worker?.stop({ graceMs: 1000 });
    await drop?.();
  });

  return {
    get url() {
      return url;
    },
    domainEvents,
    async run(namespace, name, context, timeoutMs = 30_000) {
      if (orchestrator === undefined) throw new Error('the example fleet has not started');
      const { task_uuid } = await orchestrator.createTask({ namespace, name, version: '1.0.0', context });
      await orchestrator.waitForTask(task_uuid, { timeoutMs });
      return readTaskRun(url, task_uuid);
    },
  };
}
