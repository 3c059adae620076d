// Fidelity of our development orchestrator: the same example tasks, served by the same TS worker, once under
// upstream's real `tasker-server` and once under `DevOrchestrator`, each on a database of its own; then everything
// both wrote is compared by value (support/compare.ts `compareTaskWrites`: step and task transitions with their
// metadata, `results`, attempts and flags, audit rows). Where they differ the real server is right: a difference
// is fixed in packages/dev-orchestrator, or explained below with the reason it cannot matter.

import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HandlerRegistry } from '@tasker-bridge/core';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import type { ClonedDatabase } from '@tasker-bridge/devdb';
import { registerExampleHandlers, templatesDir } from '@tasker-bridge/examples';
import { TaskerWorker } from '@tasker-bridge/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { compareTaskWrites, taskMessages } from './support/compare.js';
import { shapeDiff, snapshotTask, type TaskSnapshot, withClient } from './support/db-inspect.js';
import { type Fleet, startFleet } from './support/fleet.js';
import { fileLogger } from './support/ts-worker.js';

interface Case {
  namespace: string;
  name: string;
  context: Record<string, unknown>;
}

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../packages/examples/test/fixtures/${name}`, import.meta.url));
const products = fixture('products.csv');
const productsEmpty = fixture('products_empty.csv');

/** One task per orchestration feature the examples exercise. */
const CASES: Record<string, Case> = {
  linear: { namespace: 'linear_workflow_ts', name: 'mathematical_sequence_ts', context: { even_number: 6 } },
  diamond: { namespace: 'diamond_workflow_ts', name: 'parallel_computation_ts', context: { even_number: 6 } },
  'permanent failure': {
    namespace: 'linear_workflow_ts',
    name: 'mathematical_sequence_ts',
    context: { even_number: 7 },
  },
  'retried once': { namespace: 'demo_ts', name: 'flaky_once_demo_ts', context: {} },
  'decision point': {
    namespace: 'conditional_approval_ts',
    name: 'approval_routing_ts',
    context: { amount: 5000, requester: 'ada', purpose: 'conference travel' },
  },
  batches: {
    namespace: 'csv_processing_ts',
    name: 'csv_product_inventory_analyzer_ts',
    context: { csv_file_path: products, analysis_mode: 'inventory' },
  },
  'no batches': {
    namespace: 'csv_processing_ts',
    name: 'csv_product_inventory_analyzer_ts',
    context: { csv_file_path: productsEmpty },
  },
  checkpoints: {
    namespace: 'ts_e2e_checkpoint',
    name: 'checkpoint_yield_test_ts',
    context: { total_items: 100, items_per_checkpoint: 25 },
  },
  'checkpoint resumed after a retry': {
    namespace: 'ts_e2e_checkpoint',
    name: 'checkpoint_yield_test_ts',
    context: { total_items: 100, items_per_checkpoint: 20, fail_after_items: 50 },
  },
  'retries exhausted': { namespace: 'test_scenarios_ts', name: 'retryable_error_only_ts', context: {} },
  'domain events': {
    namespace: 'domain_events_ts',
    name: 'domain_event_publishing_ts',
    context: { order_id: 'ORD-7', customer_id: 'CUST-1', amount: 99.5, items: [{ sku: 'A' }] },
  },
};

/** A difference we know of and why it cannot matter to anyone reading the database or the queues. */
interface Explained {
  pattern: RegExp;
  why: string;
  /** The server does it only now and then (a race of its own), so a run without it proves nothing. */
  sometimes?: true;
}

const EXPLAINED: Explained[] = [
  {
    // The example's payment handler makes its id from the clock (packages/examples, domain events).
    pattern: /\.payment_id: "pay_[0-9a-f]+" \| "pay_[0-9a-f]+"$/,
    why: 'F1 handler-generated payment id: differs per run',
  },
  {
    // tasker-server 0.1.8 starts a new task twice now and then: its task initializer (state_initializer.rs) and
    // its step enqueuer (step_enqueuer_services/state_handlers.rs) both read `pending` and both write `Start`,
    // with no compare-and-set on the from-state. Nothing reads the repeated row; the dev orchestrator starts once.
    pattern: /^task\.transitions: pending initializing ([a-z_ ]+) \| pending initializing initializing \1$/,
    why: 'F2 the server writes initializing twice: no | sometimes',
    sometimes: true,
  },
];

function worker(databaseUrl: string, log: string): TaskerWorker {
  return new TaskerWorker({
    registry: registerExampleHandlers(new HandlerRegistry()),
    databaseUrl,
    templatePath: templatesDir,
    pollIntervalMs: 100,
    healthAddress: null,
    logger: fileLogger(log),
    env: {},
  });
}

describe('development orchestrator fidelity: its writes vs the real tasker-server for the same tasks', () => {
  let fleet: Fleet;
  let devDb: ClonedDatabase;
  let dev: DevOrchestrator;
  const stops: Array<() => Promise<unknown>> = [];
  const used = new Set<string>();

  beforeAll(async () => {
    fleet = await startFleet('orchestrator-fidelity');
    const serverWorker = worker(fleet.db.url, `${fleet.logDir}/ts-worker-server.log`);
    fleet.track({ stop: () => serverWorker.stop({ graceMs: 1000 }) });
    await serverWorker.start();

    devDb = await createTestDatabase();
    stops.push(() => devDb.drop());
    const devWorker = worker(devDb.url, `${fleet.logDir}/ts-worker-dev.log`);
    await devWorker.start();
    stops.push(() => devWorker.stop({ graceMs: 1000 }));
    // The fleet server's [common.backoff] (test/fleet/config/common.toml), so retries are due at the same times.
    dev = new DevOrchestrator({
      databaseUrl: devDb.url,
      pollIntervalMs: 100,
      backoff: { baseDelaySeconds: 1, maxDelaySeconds: 2, multiplier: 1.5, jitterEnabled: false },
    });
    await dev.start();
    stops.push(() => dev.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await fleet?.stop();
  });

  interface Written {
    snapshot: TaskSnapshot;
    /** The task's step messages and result messages (live and archived), per-run values masked. */
    messages: Record<string, unknown>;
  }

  async function written(url: string, c: Case, taskUuid: string): Promise<Written> {
    return withClient(url, async (client) => ({
      snapshot: await snapshotTask(client, taskUuid),
      messages: await taskMessages(client, c.namespace, taskUuid),
    }));
  }

  async function both(c: Case): Promise<{ server: Written; dev: Written }> {
    const context = { ...c.context, fleet_submission: randomUUID() };
    const request = { namespace: c.namespace, name: c.name, version: '1.0.0', context };
    const [onServer, onDev] = await Promise.all([
      fleet.api.createTask(request).then((t) => fleet.api.waitForTask(t.task_uuid, { timeoutMs: 60_000 })),
      dev.createTask(request).then((t) => dev.waitForTask(t.task_uuid, { timeoutMs: 60_000 })),
    ]);
    return {
      server: await written(fleet.db.url, c, onServer.task_uuid),
      dev: await written(devDb.url, c, onDev.task_uuid),
    };
  }

  it.each(Object.keys(CASES))('%s: the same writes', async (label) => {
    const { server, dev: ours } = await both(CASES[label] as Case);
    const differences = [
      ...compareTaskWrites(ours.snapshot, server.snapshot).differences,
      ...shapeDiff(ours.messages, server.messages, 'messages'),
    ];
    const unexplained = differences.filter((d) => !EXPLAINED.some((e) => e.pattern.test(d)));
    expect(unexplained, `dev orchestrator | tasker-server, ${label}`).toEqual([]);
    expect(ours.snapshot.steps.length).toBeGreaterThan(0);
    for (const e of EXPLAINED) if (differences.some((d) => e.pattern.test(d))) used.add(e.why);
  });

  it('every explained difference still occurs (an explanation nothing needs is deleted)', () => {
    const unused = EXPLAINED.filter((e) => e.sometimes === undefined && !used.has(e.why));
    expect(unused.map((e) => e.why)).toEqual([]);
  });
});
