import { randomUUID } from 'node:crypto';
import {
  defineHandler,
  definePublisher,
  HandlerRegistry,
  PermanentError,
  RetryableError,
} from '@tasker-bridge/core';
import { buildTaskSequenceStep, dependencyResult } from '@tasker-bridge/core/testing';
import { type DomainEvent, decodeParsed, formatUtcTimestamp } from '@tasker-bridge/schemas';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase } from '../../../test/support/db.js';
import {
  type DeadLetter,
  DomainEventSubscriber,
  TaskerWorker,
  type TaskerWorkerOptions,
  type TypedDomainEvent,
} from '../src/index.js';
import { eventually, ProtocolRows, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * Domain events, the whole loop on the real database: named publishers, every publication condition, events a
 * handler publishes itself, and the durable subscriber with acknowledgement, retry with backoff and dead letters.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
});
afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await rows?.close();
  await db?.drop();
});

/** Every worker's log: the line that closes a step's publishing says when to look at the queue. */
const log = recordingLogger();

async function startWorker(
  options: Partial<TaskerWorkerOptions> & Pick<TaskerWorkerOptions, 'registry' | 'templates'>,
) {
  const worker = new TaskerWorker({
    databaseUrl: db.url,
    logger: log,
    pollIntervalMs: 100,
    env: {},
    ...options,
  });
  stoppers.push(() => worker.stop({ graceMs: 0 }));
  await worker.start();
  return worker;
}

/** Runs one step of a fresh task and waits for its completion; returns the step row. */
async function runStepOf(namespace: string, name: string, step: string, maxAttempts = 3) {
  const task = await rows.createTask({ namespace, name, steps: [{ name: step, maxAttempts }] });
  const stepUuid = task.steps[step]!;
  await rows.sendStepMessage(namespace, {
    task_uuid: task.task_uuid,
    step_uuid: stepUuid,
    correlation_id: task.correlation_id,
  });
  return { task, stepUuid };
}

/** The durable events of one step on its namespace's queue, once the worker has logged that it published them. */
async function eventsOf(namespace: string, stepUuid: string): Promise<DomainEvent[]> {
  await eventually(async () =>
    log.records.some((r) => r.msg === 'domain events published' && r.fields.step_uuid === stepUuid),
  );
  return (await rows.messages(`${namespace}_domain_events`))
    .map((m) => decodeParsed('DomainEvent', m.message))
    .filter((e) => e.metadata.step_uuid === stepUuid);
}

const declare = (name: string, condition: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: name,
  condition,
  schema: { type: 'object' },
  delivery_mode: 'durable',
  ...extra,
});

describe('publishing', () => {
  it('a named publisher shapes the payload and signs fired_by; an unregistered name falls back to the default', async () => {
    const registry = new HandlerRegistry()
      .register(
        'pub.charge',
        defineHandler('pub.charge', () => ({ amount: 12.5, card: '4242' })),
      )
      .register(
        'pub.other',
        defineHandler('pub.other', () => ({ amount: 1 })),
      );
    await startWorker({
      registry,
      publishers: [
        definePublisher('PaymentPublisher', ({ result }) => ({
          amount: (result.result as { amount: number }).amount,
          currency: 'EUR',
        })),
      ],
      templates: [
        template('pub', 'charge', [
          {
            name: 'charge',
            publishes_events: [declare('payment.processed', 'success', { publisher: 'PaymentPublisher' })],
          },
        ]),
        template('pub', 'other', [
          {
            name: 'other',
            publishes_events: [declare('other.done', 'success', { publisher: 'NoSuchPublisher' })],
          },
        ]),
      ],
    });
    expect(log.records.some((r) => r.level === 'warn' && r.fields.publisher === 'NoSuchPublisher')).toBe(
      true,
    );

    const charged = await runStepOf('pub', 'charge', 'charge');
    const [event] = await eventsOf('pub', charged.stepUuid);
    expect(event).toMatchObject({
      event_name: 'payment.processed',
      payload: { payload: { amount: 12.5, currency: 'EUR' }, execution_result: { result: { card: '4242' } } },
      metadata: { fired_by: 'PaymentPublisher', step_name: 'charge', namespace: 'pub' },
    });

    const other = await runStepOf('pub', 'other', 'other');
    const [fallback] = await eventsOf('pub', other.stepUuid);
    expect(fallback?.metadata.fired_by).toBe('DefaultDomainEventPublisher');
    expect(fallback?.payload.payload).toEqual({ amount: 1 });
  });

  it('fires success/failure/retryable_failure/permanent_failure/always as upstream defines them', async () => {
    const conditions = ['success', 'failure', 'retryable_failure', 'permanent_failure', 'always'];
    const publishes = conditions.map((c) => declare(`cond.${c}`, c));
    const registry = new HandlerRegistry()
      .register(
        'cond.ok',
        defineHandler('cond.ok', () => ({})),
      )
      .register(
        'cond.transient',
        defineHandler('cond.transient', () => {
          throw new RetryableError('try again');
        }),
      )
      .register(
        'cond.fatal',
        defineHandler('cond.fatal', () => {
          throw new PermanentError('never');
        }),
      );
    await startWorker({
      registry,
      templates: [
        template('cond', 'ok', [{ name: 'ok', publishes_events: publishes }]),
        template('cond', 'transient', [{ name: 'transient', publishes_events: publishes }]),
        template('cond', 'fatal', [{ name: 'fatal', publishes_events: publishes }]),
      ],
    });
    const fired = async (name: string, maxAttempts = 3) => {
      const run = await runStepOf('cond', name, name, maxAttempts);
      return (await eventsOf('cond', run.stepUuid)).map((e) => e.event_name).sort();
    };
    expect(await fired('ok')).toEqual(['cond.always', 'cond.success']);
    // Retryable, attempt 1 of 3: orchestration will run it again.
    expect(await fired('transient')).toEqual(['cond.always', 'cond.failure', 'cond.retryable_failure']);
    // Retryable but out of attempts, and a permanent error: failed for good.
    expect(await fired('transient', 1)).toEqual(['cond.always', 'cond.failure', 'cond.permanent_failure']);
    expect(await fired('fatal')).toEqual(['cond.always', 'cond.failure', 'cond.permanent_failure']);
  });

  it('delivers what a handler publishes after its completion, in place of the declaration firing by itself', async () => {
    const registry = new HandlerRegistry().register(
      'own.ship',
      defineHandler('own.ship', ({ context }) => {
        context.publish('order.shipped', { tracking: 'TRK-1' });
        context.publish('order.audit', { note: 'shipped' }, { condition: 'always' });
        context.publish('order.failed', { never: true }, { condition: 'failure' });
        return { shipped: true };
      }),
    );
    const events: DomainEvent[] = [];
    await startWorker({
      registry,
      onDomainEvent: (e) => events.push(e),
      templates: [
        template('own', 'ship', [
          {
            name: 'ship',
            publishes_events: [
              declare('order.shipped', 'success', { schema: { type: 'object', required: ['tracking'] } }),
              declare('order.audit', 'success', { delivery_mode: 'fast' }),
              declare('order.failed', 'failure'),
            ],
          },
        ]),
      ],
    });
    const run = await runStepOf('own', 'ship', 'ship');
    const [shipped] = await eventsOf('own', run.stepUuid);
    expect(shipped).toMatchObject({
      event_name: 'order.shipped',
      payload: { payload: { tracking: 'TRK-1' } },
      metadata: { fired_by: 'own.ship' },
    });
    // The fast one goes in-process only; the failure-only one does not fire for a success.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_name: 'order.audit', payload: { payload: { note: 'shipped' } } });
    expect(await eventsOf('own', run.stepUuid)).toHaveLength(1);
  });
});

describe('DomainEventSubscriber', () => {
  const NS = 'subs';
  const QUEUE = `${NS}_domain_events`;
  const DLQ = `${NS}_domain_events_dlq`;

  beforeAll(async () => {
    // A worker run creates the namespace's queues, as every worker does at start.
    const worker = new TaskerWorker({
      databaseUrl: db.url,
      registry: new HandlerRegistry().register(
        'subs.a',
        defineHandler('subs.a', () => ({})),
      ),
      templates: [template(NS, 'flow', [{ name: 'a' }])],
      logger: recordingLogger(),
      env: {},
    });
    await worker.start();
    await worker.stop({ graceMs: 0 });
  });

  /** A DomainEvent as a worker would send it. */
  function event(name: string, payload: unknown): DomainEvent {
    const step = buildTaskSequenceStep({ namespace: NS, taskName: 'flow' });
    return {
      event_id: randomUUID(),
      event_name: name,
      event_version: '1.0',
      payload: { task_sequence_step: step, execution_result: dependencyResult(payload), payload },
      metadata: {
        task_uuid: step.task.task.task_uuid,
        step_uuid: step.workflow_step.workflow_step_uuid,
        step_name: step.workflow_step.name,
        namespace: NS,
        correlation_id: step.task.task.correlation_id,
        fired_at: formatUtcTimestamp(new Date()),
        fired_by: 'test',
      },
    };
  }

  function subscriber(options: Partial<ConstructorParameters<typeof DomainEventSubscriber>[0]> = {}) {
    const s = new DomainEventSubscriber({
      databaseUrl: db.url,
      namespaces: [NS],
      pollIntervalMs: 50,
      backoffMs: 1_000,
      logger: recordingLogger(),
      ...options,
    });
    stoppers.push(() => s.stop({ graceMs: 1_000 }));
    return s;
  }

  it('hands matching events to their handlers, typed by a payload schema, and archives them', async () => {
    const seen: TypedDomainEvent<{ amount: number }>[] = [];
    const any: string[] = [];
    const s = subscriber()
      .on('payment.*', { payload: z.object({ amount: z.number() }) }, (e) => {
        seen.push(e);
      })
      .on('**', (e) => {
        any.push(e.event_name);
      });
    const processed = await rows.sendSilently(QUEUE, event('payment.processed', { amount: 5 }));
    const nested = await rows.sendSilently(QUEUE, event('payment.refund.failed', { amount: 1 }));
    await s.start();
    await eventually(async () => (await rows.queueMessage(QUEUE, nested)).archived !== null);
    await eventually(async () => (await rows.queueMessage(QUEUE, processed)).archived !== null);
    expect(seen.map((e) => [e.event_name, e.payload.payload.amount])).toEqual([['payment.processed', 5]]);
    expect(any.sort()).toEqual(['payment.processed', 'payment.refund.failed']);
    // The subscriber counts a message once its archive has returned, a moment after the row shows it archived.
    await eventually(async () => s.stats.handled === 2);
    expect(s.stats).toMatchObject({ handled: 2, retried: 0, deadLettered: 0 });
  });

  it('retries a failing handler after a backoff, then acknowledges', async () => {
    const attempts: { attempt: number; at: number }[] = [];
    const s = subscriber().on('retry.me', (_e, delivery) => {
      attempts.push({ attempt: delivery.attempt, at: Date.now() });
      if (delivery.attempt === 1) throw new Error('downstream unavailable');
    });
    const msgId = await rows.sendSilently(QUEUE, event('retry.me', {}));
    await s.start();
    await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived !== null, {
      timeoutMs: 10_000,
    });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    // The second delivery waited for the backoff (1 s), not for the visibility timeout (30 s).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect((await rows.queueMessage(QUEUE, msgId)).archived?.read_ct).toBe(2);
  });

  it('dead-letters after maxAttempts, a permanent error or a payload its schema rejects, with the reason', async () => {
    let calls = 0;
    const s = subscriber({ maxAttempts: 2, backoffMs: 0 })
      .on('always.fails', () => {
        calls += 1;
        throw new Error('boom');
      })
      .on('is.permanent', () => {
        throw new PermanentError('bad event');
      })
      .on('wrong.shape', { payload: z.object({ id: z.string() }) }, () => {});
    const fails = await rows.sendSilently(QUEUE, event('always.fails', {}));
    const permanent = await rows.sendSilently(QUEUE, event('is.permanent', {}));
    const shape = await rows.sendSilently(QUEUE, event('wrong.shape', { id: 7 }));
    const junk = await rows.sendSilently(QUEUE, { not: 'an event' });
    await s.start();
    for (const msgId of [fails, permanent, shape, junk]) {
      await eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived !== null, {
        timeoutMs: 10_000,
      });
    }
    expect(calls).toBe(2);
    const letters = (await rows.messages(DLQ)).map((m) => m.message as unknown as DeadLetter);
    const bySource = new Map(letters.map((l) => [l.source_msg_id, l]));
    expect(bySource.get(fails)).toMatchObject({
      source_queue: QUEUE,
      attempts: 2,
      error: { message: 'boom', permanent: false },
      event: { event_name: 'always.fails' },
    });
    expect(bySource.get(permanent)).toMatchObject({
      attempts: 1,
      error: { message: 'bad event', permanent: true },
    });
    expect(bySource.get(shape)?.error.message).toMatch(/payload\/id: /);
    expect(bySource.get(junk)).toMatchObject({ error: { permanent: true }, event: { not: 'an event' } });
    await eventually(async () => s.stats.deadLettered === 4);
    expect(s.stats).toMatchObject({ deadLettered: 4, retried: 1, handled: 0 });
  });
});
