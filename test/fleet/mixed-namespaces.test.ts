// Scenario 1: one fleet, two languages, several namespaces at the same time. Our TS worker serves the example
// workflows (`linear_workflow_ts`, `diamond_workflow_ts` from @tasker-bridge/examples, with the examples'
// handlers), upstream's Python worker serves `fleet_python` (its own linear workflow); all tasks are submitted
// through the real orchestration server's REST API together and must complete with the expected outputs.

import { join } from 'node:path';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTask, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, expectedExampleResults, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet, submitAll } from './support/fleet.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { startTsWorker } from './support/ts-worker.js';

const EVEN_NUMBERS = [2, 4, 6, 8, 10, 12];

describe('scenario 1: TS and Python workers serving different namespaces at once', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet('mixed');
    await startTsWorker(fleet, {
      templatePath: await exampleTemplates(join(fleet.logDir, 'ts-templates'), [
        LINEAR.namespace,
        DIAMOND.namespace,
      ]),
      handlers: exampleHandlers,
    });
    await fleet.startPythonWorker({ templateDir: join(FLEET_TEMPLATES_DIR, 'python') });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('completes every task of both namespaces with the expected outputs', async () => {
    const submissions = EVEN_NUMBERS.flatMap((n) => [
      {
        kind: 'linear' as const,
        n,
        request: LINEAR,
      },
      {
        kind: 'diamond' as const,
        n,
        request: DIAMOND,
      },
      {
        kind: 'python' as const,
        n,
        request: { namespace: 'fleet_python', name: 'linear_py', version: '1.0.0' },
      },
    ]);
    const created = await submitAll(fleet, submissions);
    const done = await Promise.all(
      created.map(async (c) => ({
        ...c,
        final: await fleet.api.waitForTask(c.task.task_uuid, { timeoutMs: 90_000 }),
      })),
    );
    expect(done.map((d) => d.final.status)).toEqual(done.map(() => 'complete'));

    await withClient(fleet.db.url, async (client) => {
      for (const { kind, n, task } of done) {
        const snapshot = await snapshotTask(client, task.task_uuid);
        const results = Object.fromEntries(
          snapshot.steps.map((step) => [
            step.name,
            (step.results as { result?: Record<string, unknown> }).result,
          ]),
        );
        if (kind === 'python') {
          const values = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v?.result]));
          const sq = n * n;
          expect(values).toEqual({
            py_linear_square: sq,
            py_linear_add: sq + 10,
            py_linear_multiply: (sq + 10) * 3,
            py_linear_divide: ((sq + 10) * 3) / 2,
          });
        } else {
          const expected = expectedExampleResults(kind, n);
          for (const [step, fields] of Object.entries(expected)) expect(results[step]).toMatchObject(fields);
          expect(Object.keys(results).sort()).toEqual(Object.keys(expected).sort());
        }
        for (const step of snapshot.steps) expect(step.attempts).toBe(1);
      }
    });
  });

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
