// Scenario 7: our native Rust worker (upstream's tasker-worker core) killed with SIGKILL in the middle of a step
// while our TS worker serves the same namespace. Upstream's claim carries no lease: its core claims the step
// (`enqueued → in_progress`), then acks the step message at once (pgmq archive, tasker-worker
// services/step_execution/service.rs), then runs the handler. A worker killed after that leaves a claim nobody
// else can see as abandoned: our TS worker recovers only claims that name their lease (packages/worker README,
// "Leases"), and never even reads a message for this step, because there is none left. What ends it is
// orchestration's staleness detector (tasker-orchestration orchestration/staleness_detector.rs, SQL
// `detect_and_transition_stale_tasks`): once the task has been `steps_in_process` longer than
// `steps_in_process_minutes` (default 30; at least 1) it moves the task to `error` and files a DLQ entry, on its
// next run (every `detection_interval_seconds`, at least 30). Nothing retries the step: it stays `in_progress`.
// Our fleet config turns staleness detection off; this file's server turns it on at the smallest settings.

import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedBy } from './support/claim-shapes.js';
import { queueMessagesForTask, snapshotTask, withClient } from './support/db-inspect.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { holdStep } from './support/interop-handlers.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { waitUntil } from './support/processes.js';
import { type RustWorker, startRustWorker } from './support/rust-worker.js';
import { startTsWorker } from './support/ts-worker.js';

const HOLD = { namespace: 'fleet_hold', name: 'hold', version: '1.0.0' };
const QUEUE = `worker_${HOLD.namespace}_queue`;
const THRESHOLD_SECONDS = 60;
const DETECTION_INTERVAL_SECONDS = 30;

/** Staleness detection on, at the smallest threshold and interval tasker-shared's validation accepts. */
function withStalenessDetection(toml: string): string {
  const set = (text: string, from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`orchestration.toml: "${from}" not found`);
    return text.replace(from, to);
  };
  let out = set(
    toml,
    '[orchestration.dlq.staleness_detection]\nenabled = false\ndetection_interval_seconds = 300',
    `[orchestration.dlq.staleness_detection]\nenabled = true\ndetection_interval_seconds = ${DETECTION_INTERVAL_SECONDS}`,
  );
  out = set(out, 'dry_run = true', 'dry_run = false');
  out = set(out, 'steps_in_process_minutes = 60', `steps_in_process_minutes = ${THRESHOLD_SECONDS / 60}`);
  out = set(out, 'auto_transition_to_error = false', 'auto_transition_to_error = true');
  return set(out, 'auto_move_to_dlq = false', 'auto_move_to_dlq = true');
}

async function stepStates(client: pg.Client, taskUuid: string) {
  const [step] = (await snapshotTask(client, taskUuid)).steps;
  if (!step) throw new Error(`task ${taskUuid} has no step`);
  return step;
}

describe('scenario 7: the Rust worker killed mid-step while our TS worker serves the namespace', () => {
  let fleet: Fleet;
  let rust: RustWorker;
  let templates: string;

  beforeAll(async () => {
    fleet = await startFleet('rust-kill', { patchOrchestrationConfig: withStalenessDetection });
    templates = join(fleet.logDir, 'templates');
    await mkdir(join(templates, HOLD.namespace), { recursive: true });
    await cp(join(FLEET_TEMPLATES_DIR, 'interop', 'hold.yaml'), join(templates, HOLD.namespace, 'hold.yaml'));
    rust = await startRustWorker(fleet, { templateDir: templates });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('leaves its claim in_progress until staleness detection fails the task; nothing retries the step', async () => {
    const held = await fleet.api.createTask({ ...HOLD, context: { hold_ms: 600_000 } });
    // The handler has started: upstream's core has claimed the step and archived its message by now.
    const stepUuid = await waitUntil(
      'the Rust worker to run the held step',
      async () => [...rust.holding][0],
      { timeoutMs: 30_000, process: rust.process },
    );
    const ts = await startTsWorker(fleet, { templatePath: templates, handlers: [holdStep] });

    await rust.kill();
    expect(rust.process.child.signalCode).toBe('SIGKILL');

    await withClient(fleet.db.url, async (client) => {
      const step = await stepStates(client, held.task_uuid);
      expect(step.workflow_step_uuid).toBe(stepUuid);
      expect(step.transitions.map((t) => t.to_state)).toEqual(['pending', 'enqueued', 'in_progress']);
      expect(step).toMatchObject({ attempts: 1, in_process: true, processed: false });
      // Upstream's claim: `{event, timestamp}`, no worker and no lease to expire.
      expect(Object.keys(step.transitions[2]!.metadata as object).sort()).toEqual(['event', 'timestamp']);
      // Its message was acked right after the claim: nothing is left for any worker to read.
      const messages = await queueMessagesForTask(client, QUEUE, held.task_uuid);
      expect(messages.map((m) => m.source)).toEqual(['archive']);
    });

    // Our worker serves the namespace: a second task completes, run by it.
    const next = await fleet.api.createTask({ ...HOLD, context: { hold_ms: 0 } });
    expect((await fleet.api.waitForTask(next.task_uuid, { timeoutMs: 30_000 })).status).toBe('complete');
    await withClient(fleet.db.url, async (client) => {
      expect(completedBy(await stepStates(client, next.task_uuid))).toBe(ts.workerUuid);
      expect((await stepStates(client, held.task_uuid)).transitions).toHaveLength(3);
    });

    // Staleness detection ends the task once it has been steps_in_process for the threshold.
    const failed = await fleet.api.waitForTask(held.task_uuid, {
      timeoutMs: (THRESHOLD_SECONDS + DETECTION_INTERVAL_SECONDS + 30) * 1000,
    });
    expect(failed.status).toBe('error');
    await withClient(fleet.db.url, async (client) => {
      const { rows: timing } = await client.query(
        `SELECT EXTRACT(EPOCH FROM e.created_at - s.created_at)::float AS seconds, e.transition_metadata
           FROM tasker.task_transitions s, tasker.task_transitions e
          WHERE s.task_uuid = $1 AND s.to_state = 'steps_in_process'
            AND e.task_uuid = $1 AND e.to_state = 'error'`,
        [held.task_uuid],
      );
      expect(timing).toHaveLength(1);
      await writeFile(join(fleet.logDir, 'staleness.json'), JSON.stringify(timing[0], null, 2));
      expect(timing[0].transition_metadata).toMatchObject({ reason: 'staleness_timeout' });
      expect(timing[0].seconds).toBeGreaterThanOrEqual(THRESHOLD_SECONDS);
      expect(timing[0].seconds).toBeLessThanOrEqual(THRESHOLD_SECONDS + DETECTION_INTERVAL_SECONDS + 5);
      const { rows: dlq } = await client.query(
        `SELECT original_state, dlq_reason::text, resolution_status::text FROM tasker.tasks_dlq
          WHERE task_uuid = $1`,
        [held.task_uuid],
      );
      expect(dlq).toEqual([
        { original_state: 'steps_in_process', dlq_reason: 'staleness_timeout', resolution_status: 'pending' },
      ]);
      // The claim itself is untouched: never retried, never reported lost.
      const step = await stepStates(client, held.task_uuid);
      expect(step.transitions.map((t) => t.to_state)).toEqual(['pending', 'enqueued', 'in_progress']);
      expect(step.attempts).toBe(1);
    });
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
