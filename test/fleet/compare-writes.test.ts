// Scenario 4: what our worker writes vs what upstream's Python worker (Rust worker core) writes for the same
// template on the same orchestration server: step transitions and their metadata, the `results` documents, the
// audit rows, and the queue messages. Run one after the other on one database: first only our TS worker serves
// the namespace, then only the Python worker does (same callables through FLEET_HANDLER_ALIASES).

import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTaskWrites, taskMessageShapes } from './support/compare.js';
import { snapshotTask, type TaskSnapshot, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { SETTLED_TASK_STATES, type TaskRequestBody } from './support/orchestration-api.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import {
  flakyStep,
  PYTHON_EXAMPLE_ALIASES,
  PYTHON_FAILURE_ALIASES,
  permanentFailure,
} from './support/ts-handlers.js';
import { startTsWorker } from './support/ts-worker.js';

const CASES: Record<string, TaskRequestBody> = {
  linear: { ...LINEAR, context: { even_number: 6 } },
  diamond: { ...DIAMOND, context: { even_number: 6 } },
  flaky: { namespace: 'fleet_shared', name: 'flaky', version: '1.0.0', context: { fail_times: 2 } },
  permanent: { namespace: 'fleet_shared', name: 'permanent', version: '1.0.0', context: {} },
};

/**
 * Differences we know of, each explained in test/fleet/NOTE.md ("What our worker writes vs the Python worker").
 * A difference line is `<where>: <ours> | <python>`; `<where>` covers both the `results` document and the copy of
 * it inside the `enqueued(_as_error)_for_orchestration` transition's `event`. Anything not matched here fails.
 */
const EXPLAINED: Array<{ pattern: RegExp; why: string }> = [
  {
    // D1: our results carry what upstream's Rust StepExecutionResult constructors fill; tasker-py leaves null.
    pattern:
      /\.metadata\.(handler_version|started_at|worker_id): "(string|string:timestamp|<string>|1\.0\.0)" \| "?(null|<null>)"?$/,
    why: 'D1 metadata fields tasker-py leaves null',
  },
  {
    // D2: failures: metadata.error_code / error_type are filled (Rust `failure()` does too); tasker-py: null.
    pattern: /\.metadata\.(error_code|error_type): "[^"]+" \| "?null"?$/,
    why: 'D2 failure metadata tasker-py leaves null',
  },
  {
    // D3: failures: `result` is {} (Rust `failure()`); tasker-py writes null.
    pattern: /\.result: \{\} \| "?null"?$/,
    why: 'D3 empty result object on failure',
  },
  {
    // D4: failures: status "failed" (Rust `failure()`, parsed by orchestration); tasker-py writes the error type.
    pattern: /\.status: "failed" \| "(retryable_error|permanent_error)"$/,
    why: 'D4 failure status string',
  },
  {
    // D5: orchestration_metadata is the default object (Rust `failure()` / success builders), tasker-py: null.
    pattern: /\.orchestration_metadata: \{.*\} \| "?null"?$/,
    why: 'D5 orchestration_metadata present',
  },
  {
    // D6: consequence of D5, written by orchestration (BackoffCalculator), not by the worker.
    pattern: /^step \w+\.backoff_request_seconds: "integer" \| "null"$/,
    why: 'D6 orchestration-computed backoff',
  },
  {
    // D7: our claim metadata names the claiming worker and the step message holding its lease (worker README
    // "Leases"); extra keys, which orchestration never reads.
    pattern: /\(enqueued->in_progress\)\.metadata\.(lease|worker_uuid): .* \| \(absent\)$/,
    why: 'D7 claim lease metadata',
  },
];

interface Run {
  snapshot: TaskSnapshot;
  messages: Record<string, unknown>;
}

describe('scenario 4: our writes vs the Python worker’s for the same templates', () => {
  let fleet: Fleet;
  const ts: Record<string, Run> = {};
  const py: Record<string, Run> = {};

  async function runAll(into: Record<string, Run>): Promise<void> {
    for (const [label, request] of Object.entries(CASES)) {
      const task = await fleet.api.createTask(request);
      await fleet.api.waitForTask(task.task_uuid, { timeoutMs: 60_000, states: SETTLED_TASK_STATES });
      into[label] = await withClient(fleet.db.url, async (client) => ({
        snapshot: await snapshotTask(client, task.task_uuid),
        messages: await taskMessageShapes(client, request.namespace, task.task_uuid),
      }));
    }
  }

  beforeAll(async () => {
    fleet = await startFleet('compare');
    // The example workflows (@tasker-bridge/examples) plus our failure templates, in one directory.
    const templates = await exampleTemplates(join(fleet.logDir, 'templates'), [
      LINEAR.namespace,
      DIAMOND.namespace,
    ]);
    await cp(join(FLEET_TEMPLATES_DIR, 'shared'), join(templates, 'fleet_shared'), { recursive: true });
    const tsWorker = await startTsWorker(fleet, {
      templatePath: templates,
      handlers: [...exampleHandlers, flakyStep, permanentFailure],
    });
    await runAll(ts);
    await tsWorker.stop();
    const python = await fleet.startPythonWorker({
      templateDir: templates,
      aliases: { ...PYTHON_EXAMPLE_ALIASES, ...PYTHON_FAILURE_ALIASES },
    });
    await runAll(py);
    await python.stop();
    await writeFile(join(fleet.logDir, 'writes.json'), JSON.stringify({ ts, py }, null, 2));
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  for (const label of Object.keys(CASES)) {
    it(`${label}: same transitions, metadata, results and audit rows`, () => {
      const { differences } = compareTaskWrites(ts[label]!.snapshot, py[label]!.snapshot);
      const unexplained = differences.filter((d) => !EXPLAINED.some(({ pattern }) => pattern.test(d)));
      expect(unexplained).toEqual([]);
    });

    it(`${label}: same queue messages`, () => {
      expect(ts[label]!.messages).toEqual(py[label]!.messages);
    });
  }

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
