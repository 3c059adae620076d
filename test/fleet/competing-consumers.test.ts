// Scenario 2: the example workflows' namespaces (`linear_workflow_ts`, `diamond_workflow_ts`) served by our TS
// worker (the examples' handlers) AND upstream's Python worker (twins registered under the same callables):
// competing consumers on the same queues. Every step completes once with the right value, both workers take
// part, and what orchestration reads back (success, status, result, retryability) is the same whichever worker
// ran a step. Our worker polls instead of listening here (see below), and rounds of tasks go on until both
// workers have run the same step, so that there is something to compare.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedBy, expectCompetingClaimShape } from './support/claim-shapes.js';
import { shapeDiff, shapeOf, snapshotTask, type TaskSnapshot, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, expectedExampleResults, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet, submitAll } from './support/fleet.js';
import { PYTHON_EXAMPLE_ALIASES } from './support/ts-handlers.js';
import { startTsWorker } from './support/ts-worker.js';

const EVEN_NUMBERS = [2, 4, 6, 8, 10, 12, 14, 16];
/** Rounds of 16 tasks go on until some step was run by both workers on its first attempt (or MAX_ROUNDS). */
const MAX_ROUNDS = 4;

type TaskRun = { kind: 'linear' | 'diamond'; n: number; snapshot: TaskSnapshot };

/**
 * Per step name, the `results` documents of its first attempts (steps claimed once: the document comes from the
 * one worker that ran them), by the worker that ran them.
 */
function firstAttempts(runs: readonly TaskRun[], tsWorkerUuid: string) {
  const byStep = new Map<string, { ts: unknown[]; py: unknown[] }>();
  for (const { snapshot } of runs) {
    for (const step of snapshot.steps.filter((x) => x.attempts === 1)) {
      const entry = byStep.get(step.name) ?? { ts: [], py: [] };
      entry[completedBy(step) === tsWorkerUuid ? 'ts' : 'py'].push(step.results);
      byStep.set(step.name, entry);
    }
  }
  return byStep;
}

/** The step names both workers ran on a first attempt, with one results document of each. */
function runByBoth(byStep: ReturnType<typeof firstAttempts>) {
  return [...byStep].flatMap(([name, { ts, py }]) =>
    ts.length > 0 && py.length > 0 ? [{ name, ts: ts[0], py: py[0] }] : [],
  );
}

/** What orchestration reads from a `results` document to decide a step's fate. */
function orchestrationView(results: unknown) {
  const r = results as {
    success: boolean;
    status: string;
    result: unknown;
    error: unknown;
    metadata: { retryable: boolean };
  };
  return {
    success: r.success,
    status: r.status,
    result: r.result,
    error: r.error,
    retryable: r.metadata.retryable,
  };
}

describe('scenario 2: TS and Python workers competing for one namespace', () => {
  let fleet: Fleet;
  let tsWorkerUuid: string;
  let snapshots: TaskRun[];

  beforeAll(async () => {
    fleet = await startFleet('competing');
    const templates = await exampleTemplates(join(fleet.logDir, 'templates'), [
      LINEAR.namespace,
      DIAMOND.namespace,
    ]);
    const tsWorker = await startTsWorker(fleet, {
      templatePath: templates,
      handlers: exampleHandlers,
      concurrency: 2,
      // Our worker claims a notified step in a millisecond or two and tasker-py in about ten: on notifications
      // ours takes nearly every step, and tasker-py runs a step only where upstream's core overrides our claim
      // (its second attempt). Polling every 20 ms makes each step a fair race.
      pollOnlyEveryMs: 20,
    });
    tsWorkerUuid = tsWorker.workerUuid;
    await fleet.startPythonWorker({ templateDir: templates, aliases: PYTHON_EXAMPLE_ALIASES });
    // Which worker claims a step is a race, and a loaded machine can tilt it: submit rounds of tasks until some
    // step was run by each worker on its first attempt (or MAX_ROUNDS).
    snapshots = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Other numbers each round: a task's identity is its template and context.
      const submissions = EVEN_NUMBERS.map((n) => n + round * 2 * EVEN_NUMBERS.length).flatMap((n) => [
        { kind: 'linear' as const, n, request: LINEAR },
        { kind: 'diamond' as const, n, request: DIAMOND },
      ]);
      const created = await submitAll(fleet, submissions);
      for (const c of created) {
        const final = await fleet.api.waitForTask(c.task.task_uuid, { timeoutMs: 90_000 });
        expect(final.status, `task ${c.kind}(${c.n})`).toBe('complete');
      }
      snapshots.push(
        ...(await withClient(fleet.db.url, (client) =>
          Promise.all(
            created.map(async (c) => ({ ...c, snapshot: await snapshotTask(client, c.task.task_uuid) })),
          ),
        )),
      );
      if (runByBoth(firstAttempts(snapshots, tsWorkerUuid)).length > 0) break;
    }
    await writeFile(
      join(fleet.logDir, 'snapshots.json'),
      JSON.stringify({ tsWorkerUuid, snapshots }, null, 2),
    );
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('completes every step once, with the expected value', () => {
    for (const { kind, n, snapshot } of snapshots) {
      const expected = expectedExampleResults(kind, n);
      expect(snapshot.steps.map((s) => s.name).sort()).toEqual(Object.keys(expected).sort());
      for (const step of snapshot.steps) {
        expect((step.results as { result: unknown }).result, `${kind}(${n}) ${step.name}`).toMatchObject(
          expected[step.name]!,
        );
      }
      for (const step of snapshot.steps) {
        const states = step.transitions.map((t) => t.to_state);
        expect(
          states.filter((s) => s === 'complete'),
          `${kind}(${n}) ${step.name}`,
        ).toHaveLength(1);
      }
      // The audit trigger writes one row per enqueued_for_orchestration transition.
      const completions = snapshot.steps.flatMap((s) =>
        s.transitions.filter((t) => t.to_state === 'enqueued_for_orchestration'),
      );
      expect(snapshot.audits).toHaveLength(completions.length);
    }
  });

  it("claims each step once, except when upstream's Rust core overrides our claim", async () => {
    const anomalies: string[] = [];
    for (const { kind, n, snapshot } of snapshots) {
      for (const step of snapshot.steps) {
        const anomaly = expectCompetingClaimShape(step, `${kind}(${n}).${step.name}`, tsWorkerUuid);
        if (anomaly) anomalies.push(anomaly);
      }
    }
    const total = snapshots.reduce((sum, s) => sum + s.snapshot.steps.length, 0);
    await writeFile(
      join(fleet.logDir, 'double-claims.txt'),
      `${anomalies.length}/${total}\n${anomalies.join('\n')}\n`,
    );
  });

  it('shares the steps between both workers', () => {
    const counts = new Map<string, number>();
    for (const { snapshot } of snapshots) {
      for (const step of snapshot.steps)
        counts.set(completedBy(step), (counts.get(completedBy(step)) ?? 0) + 1);
    }
    expect(counts.has('(none)')).toBe(false);
    expect(counts.get(tsWorkerUuid) ?? 0).toBeGreaterThan(0);
    const others = [...counts.keys()].filter((k) => k !== tsWorkerUuid);
    expect(others).toHaveLength(1); // the Python worker's Rust core
    expect(counts.get(others[0]!) ?? 0).toBeGreaterThan(0);
  });

  it('gives orchestration the same view of a step whichever worker ran it', () => {
    const both = runByBoth(firstAttempts(snapshots, tsWorkerUuid));
    expect(both.length).toBeGreaterThan(0);
    for (const { name, ts, py } of both) {
      // Successful results: only what tasker-py leaves null differs (NOTE.md, D1 and D5).
      const diffs = shapeDiff(shapeOf(ts), shapeOf(py), name).filter(
        (d) =>
          !/\.metadata\.(handler_version|started_at|worker_id): "string(:timestamp)?" \| "null"$/.test(d) &&
          !/\.orchestration_metadata: \{.*\} \| "null"$/.test(d),
      );
      expect(diffs).toEqual([]);
    }
    for (const { kind, n, snapshot } of snapshots) {
      for (const step of snapshot.steps) {
        expect(orchestrationView(step.results)).toEqual({
          success: true,
          status: 'completed',
          result: expect.objectContaining(expectedExampleResults(kind, n)[step.name]),
          error: null,
          retryable: false,
        });
      }
    }
  });

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
