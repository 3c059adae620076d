// Domain events published by upstream's own Rust worker (test/fleet/rust, tasker-worker 0.1.8's default
// publisher), consumed by our DomainEventSubscriber from `{ns}_domain_events`: the event bytes Rust writes must
// decode as our DomainEvent, and each event must reach the handlers its name matches.

import { join } from 'node:path';
import { SETTLED_TASK_STATES } from '@tasker-bridge/client';
import { DomainEventSubscriber, type TypedDomainEvent } from '@tasker-bridge/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withClient } from './support/db-inspect.js';
import { type Fleet, startFleet } from './support/fleet.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { waitUntil } from './support/processes.js';
import { startRustWorker } from './support/rust-worker.js';

const NS = 'fleet_events';

describe('domain events from the native Rust worker, consumed by our subscriber', () => {
  let fleet: Fleet;
  let subscriber: DomainEventSubscriber;
  const processed: TypedDomainEvent<{ squared_value: number }>[] = [];
  const others: TypedDomainEvent<unknown>[] = [];

  beforeAll(async () => {
    fleet = await startFleet('domain-events');
    await startRustWorker(fleet, { templateDir: join(FLEET_TEMPLATES_DIR, 'events') });
    subscriber = new DomainEventSubscriber({
      databaseUrl: fleet.db.url,
      namespaces: [NS],
      pollIntervalMs: 100,
    })
      .on('payment.processed', { payload: z.object({ squared_value: z.number() }) }, (event) => {
        processed.push(event);
      })
      .on('payment.*', (event) => {
        if (event.event_name !== 'payment.processed') others.push(event);
      });
    fleet.track(subscriber);
    await subscriber.start();
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('receives the success and always events of a completed Rust step', async () => {
    const task = await fleet.api.createTask({
      namespace: NS,
      name: 'paid',
      version: '1.0.0',
      context: { even_number: 6 },
    });
    expect((await fleet.api.waitForTask(task.task_uuid, { timeoutMs: 60_000 })).status).toBe('complete');
    await waitUntil(
      'both events of the paid task',
      async () =>
        processed.length === 1 && others.some((e) => e.metadata.task_uuid === task.task_uuid)
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    expect(processed[0]).toMatchObject({
      event_name: 'payment.processed',
      event_version: '1.0',
      payload: { payload: { squared_value: 36 }, execution_result: { success: true } },
      metadata: {
        task_uuid: task.task_uuid,
        step_name: 'pay',
        namespace: NS,
        fired_by: 'DefaultDomainEventPublisher',
      },
    });
    expect(others.find((e) => e.metadata.task_uuid === task.task_uuid)?.event_name).toBe('payment.audited');
  });

  it('receives the failure event of a Rust step that failed permanently', async () => {
    const task = await fleet.api.createTask({ namespace: NS, name: 'doomed', version: '1.0.0', context: {} });
    await fleet.api.waitForTask(task.task_uuid, { timeoutMs: 60_000, until: SETTLED_TASK_STATES });
    const failed = await waitUntil(
      'the failure event',
      async () =>
        others.find((e) => e.metadata.task_uuid === task.task_uuid && e.event_name === 'payment.failed'),
      { timeoutMs: 30_000 },
    );
    expect(failed.payload.execution_result).toMatchObject({ success: false, metadata: { retryable: false } });
  });

  it('acknowledged every event and dead-lettered none', async () => {
    expect(subscriber.stats).toMatchObject({ deadLettered: 0, retried: 0 });
    const counts = await withClient(fleet.db.url, async (client) => {
      const live = await client.query(`SELECT count(*)::int AS n FROM pgmq.q_${NS}_domain_events`);
      const dead = await client.query(`SELECT count(*)::int AS n FROM pgmq.q_${NS}_domain_events_dlq`);
      return { live: live.rows[0].n as number, dead: dead.rows[0].n as number };
    });
    expect(counts).toEqual({ live: 0, dead: 0 });
  });
});
