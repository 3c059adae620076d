import { HandlerRegistry, noopLogger } from '@tasker-bridge/core';
import { DevOrchestrator, type ProgressEvent, type TaskSnapshot } from '@tasker-bridge/dev-orchestrator';
import { registerExampleHandlers, templatesDir } from '@tasker-bridge/examples';
import type { DomainEvent } from '@tasker-bridge/schemas';
import { TaskerWorker } from '@tasker-bridge/worker';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from '../../support/db.js';

/**
 * One database clone per test file, our worker serving every example template, and the development orchestrator
 * playing tasker's orchestration: whole workflows run end to end through the real queue protocol.
 */
export interface ExampleFleet {
  url: string;
  orchestrator: DevOrchestrator;
  worker: TaskerWorker;
  events: ProgressEvent[];
  domainEvents: DomainEvent[];
  run(
    namespace: string,
    name: string,
    context: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<TaskRun>;
}

export interface TaskRun {
  snapshot: TaskSnapshot;
  state: string;
  /** Step name → state. */
  states: Record<string, string>;
  /** Step name → attempts. */
  attempts: Record<string, number | null>;
  /** A step's value (`results.result`). */
  value<T = Record<string, unknown>>(step: string): T;
  /** A step's whole `StepExecutionResult` as stored in `workflow_steps.results`. */
  results(step: string): Record<string, unknown>;
  /** Transitions of this task's steps, in commit order. */
  history(step: string): string[];
}

export function useExampleFleet(): ExampleFleet {
  const fleet = { events: [], domainEvents: [] } as unknown as ExampleFleet;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    fleet.url = db.url;
    fleet.worker = new TaskerWorker({
      registry: registerExampleHandlers(new HandlerRegistry()),
      databaseUrl: db.url,
      templatePath: templatesDir,
      pollIntervalMs: 100,
      logger: noopLogger,
      env: {},
      onDomainEvent: (event) => fleet.domainEvents.push(event),
    });
    await fleet.worker.start();
    fleet.orchestrator = new DevOrchestrator({
      databaseUrl: db.url,
      pollIntervalMs: 100,
      progressIntervalMs: 50,
      // Retries are due after 0.2 s, 0.4 s, … instead of 1 s, 2 s, …, so retry scenarios stay quick.
      backoff: { baseDelaySeconds: 0.2, jitterEnabled: false },
    });
    fleet.orchestrator.on('progress', (e) => fleet.events.push(e));
    await fleet.orchestrator.start();
  });

  afterAll(async () => {
    await fleet.orchestrator?.stop();
    await fleet.worker?.stop({ graceMs: 1000 });
    await drop?.();
  });

  fleet.run = async (namespace, name, context, timeoutMs = 30_000) => {
    const { task_uuid } = await fleet.orchestrator.createTask({ namespace, name, version: '1.0.0', context });
    const snapshot = await fleet.orchestrator.waitForTask(task_uuid, { timeoutMs });
    const byName = new Map(snapshot.steps.map((s) => [s.name, s]));
    const stepOf = (step: string) => {
      const found = byName.get(step);
      if (found === undefined)
        throw new Error(`task has no step '${step}' (has ${[...byName.keys()].join(', ')})`);
      return found;
    };
    return {
      snapshot,
      state: snapshot.state,
      states: Object.fromEntries(snapshot.steps.map((s) => [s.name, s.state])),
      attempts: Object.fromEntries(snapshot.steps.map((s) => [s.name, s.attempts])),
      results: (step) => stepOf(step).results as Record<string, unknown>,
      value: <T>(step: string) => (stepOf(step).results as { result: T }).result,
      history: (step) =>
        fleet.events
          .filter((e) => e.kind === 'step' && e.task_uuid === task_uuid && e.step_name === step)
          .map((e) => (e.kind === 'step' ? e.to_state : '')),
    };
  };
  return fleet;
}
