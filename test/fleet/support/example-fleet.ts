// The examples suite's fleet (test/e2e/examples/harness.ts) under upstream's real orchestration: `tasker-server`
// creates the tasks over REST, initializes, enqueues, processes our results, evaluates decision points and batch
// outcomes and finalizes; our TS worker serves every example template. The scenarios are the e2e tier's own
// (test/e2e/examples/scenarios), with the same expectations.

import type { DomainEvent } from '@tasker-bridge/schemas';
import { TaskerWorker } from '@tasker-bridge/worker';
import { afterAll, beforeAll } from 'vitest';
import { type ExampleFleet, exampleWorkerOptions } from '../../e2e/examples/harness.js';
import { readTaskRun } from '../../e2e/examples/task-run.js';
import { type Fleet, startFleet } from './fleet.js';
import { fileLogger } from './ts-worker.js';

export function useServerExampleFleet(label: string): ExampleFleet & { readonly fleet: Fleet } {
  const domainEvents: DomainEvent[] = [];
  let fleet: Fleet | undefined;

  beforeAll(async () => {
    fleet = await startFleet(label);
    const worker = new TaskerWorker({
      ...exampleWorkerOptions(fleet.db.url, domainEvents),
      healthAddress: null,
      logger: fileLogger(`${fleet.logDir}/ts-worker.log`),
    });
    fleet.track({ stop: () => worker.stop({ graceMs: 1000 }) });
    await worker.start();
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  const started = (): Fleet => {
    if (fleet === undefined) throw new Error('the example fleet has not started');
    return fleet;
  };
  return {
    get fleet() {
      return started();
    },
    get url() {
      return started().db.url;
    },
    domainEvents,
    async run(namespace, name, context, timeoutMs = 30_000) {
      const { api, db } = started();
      const task = await api.createTask({ namespace, name, version: '1.0.0', context });
      await api.waitForTask(task.task_uuid, { timeoutMs });
      return readTaskRun(db.url, task.task_uuid);
    },
  };
}
