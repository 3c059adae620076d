// Baseline: upstream's orchestration server and upstream's Python worker alone on our database (no TS code
// involved). If this fails, the fleet setup is wrong, not our worker.

import { join } from 'node:path';
import { SETTLED_TASK_STATES } from '@tasker-bridge/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';

describe('fleet baseline: tasker-server 0.1.8 + tasker-py 0.1.8', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet('baseline');
    await fleet.startPythonWorker({ templateDir: join(FLEET_TEMPLATES_DIR, 'python') });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs a Python-namespace linear task to completion through the REST API', async () => {
    const created = await fleet.api.createTask({
      namespace: 'fleet_python',
      name: 'linear_py',
      version: '1.0.0',
      context: { even_number: 6 },
    });
    expect(created.task_uuid).toMatch(/^[0-9a-f-]{36}$/);
    const done = await fleet.api.waitForTask(created.task_uuid, { timeoutMs: 60_000 });
    expect(done.status).toBe('complete');
    expect(done.completed_steps).toBe(4);
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });

  it('retries a retryable Python failure until it succeeds, and blocks the task on a permanent one', async () => {
    const flaky = await fleet.api.createTask({
      namespace: 'fleet_python',
      name: 'flaky_py',
      version: '1.0.0',
      context: { fail_times: 2 },
    });
    const doomed = await fleet.api.createTask({
      namespace: 'fleet_python',
      name: 'permanent_py',
      version: '1.0.0',
      context: {},
    });
    const flakyDone = await fleet.api.waitForTask(flaky.task_uuid, { timeoutMs: 60_000 });
    expect(flakyDone.status).toBe('complete');
    expect(flakyDone.steps[0]?.attempts).toBe(3);
    const doomedDone = await fleet.api.waitForTask(doomed.task_uuid, {
      timeoutMs: 60_000,
      until: SETTLED_TASK_STATES,
    });
    expect(doomedDone.status).toBe('blocked_by_failures');
    expect(doomedDone.steps.map((s) => [s.name, s.current_state, s.attempts])).toEqual([
      ['doomed', 'error', 1],
    ]);
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
