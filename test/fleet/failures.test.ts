// Scenario 3: failures of TS steps under the real orchestration server. A retryable failure is retried by
// orchestration (waiting_for_retry → enqueued again) and then succeeds; a permanent failure stops the task; the
// server logs no decode error for anything our worker wrote.

import { join } from 'node:path';
import { SETTLED_TASK_STATES } from '@tasker-bridge/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTask, withClient } from './support/db-inspect.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { flakyStep, permanentFailure } from './support/ts-handlers.js';
import { startTsWorker } from './support/ts-worker.js';

describe('scenario 3: TS step failures under tasker-server 0.1.8', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet('failures');
    await startTsWorker(fleet, {
      templatePath: join(FLEET_TEMPLATES_DIR, 'shared'),
      handlers: [flakyStep, permanentFailure],
    });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('retries a retryable TS failure through orchestration until it succeeds', async () => {
    const task = await fleet.api.createTask({
      namespace: 'fleet_shared',
      name: 'flaky',
      version: '1.0.0',
      context: { fail_times: 2 },
    });
    const done = await fleet.api.waitForTask(task.task_uuid, { timeoutMs: 60_000 });
    expect(done.status).toBe('complete');

    const snapshot = await withClient(fleet.db.url, (client) => snapshotTask(client, task.task_uuid));
    const [step] = snapshot.steps;
    expect(step?.attempts).toBe(3);
    expect(step?.results).toMatchObject({
      success: true,
      status: 'completed',
      result: { recovered_after: 2 },
    });
    // The worker writes in_progress and enqueued(_as_error)_for_orchestration; orchestration decided each retry
    // (waiting_for_retry → pending → enqueued), twice.
    expect(step?.transitions.map((t) => t.to_state)).toEqual([
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_as_error_for_orchestration',
      'waiting_for_retry',
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_as_error_for_orchestration',
      'waiting_for_retry',
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_for_orchestration',
      'complete',
    ]);
  });

  it('stops the task on a permanent TS failure without retrying it', async () => {
    const task = await fleet.api.createTask({
      namespace: 'fleet_shared',
      name: 'permanent',
      version: '1.0.0',
      context: {},
    });
    const done = await fleet.api.waitForTask(task.task_uuid, {
      timeoutMs: 60_000,
      until: SETTLED_TASK_STATES,
    });
    // Upstream 0.1.8 parks a task whose step failed permanently in blocked_by_failures (see NOTE.md).
    expect(done.status).toBe('blocked_by_failures');
    expect(done.steps.map((s) => [s.name, s.current_state, s.attempts])).toEqual([['doomed', 'error', 1]]);

    const snapshot = await withClient(fleet.db.url, (client) => snapshotTask(client, task.task_uuid));
    expect(snapshot.steps[0]?.results).toMatchObject({
      success: false,
      error: {
        message: 'this step always fails permanently',
        error_type: 'permanent_error',
        retryable: false,
      },
      metadata: { retryable: false, error_code: 'FLEET_PERMANENT', error_type: 'permanent_error' },
    });
    expect(snapshot.task_transitions.map((t) => t.to_state).at(-1)).toBe('blocked_by_failures');
  });

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
