import {
  checkpointYield,
  defineHandler,
  failure,
  HandlerRegistry,
  PermanentError,
  RetryableError,
} from '@tasker-bridge/core';
import { type DomainEvent, decodeParsed } from '@tasker-bridge/schemas';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import {
  type StepInterceptor,
  type StepInterceptorContext,
  type StepReport,
  TaskerWorker,
  type TaskerWorkerOptions,
} from '../src/index.js';
import {
  eventually,
  type LogRecord,
  ProtocolRows,
  recordingLogger,
  template,
} from './fixtures/protocol-rows.js';

/** `new TaskerWorker({ interceptors })` on the real database: order, outcomes, log bindings, failures, reports. */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
const workers: TaskerWorker[] = [];
const NS = 'icpt';

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});
afterAll(async () => {
  await rows?.close();
  await db?.drop();
});

/** What the handlers saw: their context's logger bindings go to the records. */
const handlerCalls: string[] = [];

const registry = () =>
  new HandlerRegistry()
    .register(
      `${NS}.ok`,
      defineHandler(`${NS}.ok`, ({ logger }) => {
        handlerCalls.push('ok');
        logger.info({}, 'handler line');
        return { value: 42 };
      }),
    )
    .register(
      `${NS}.fails`,
      defineHandler(`${NS}.fails`, () => {
        handlerCalls.push('fails');
        throw new RetryableError('inventory service unavailable', { errorCode: 'INVENTORY_DOWN' });
      }),
    )
    .register(
      `${NS}.declines`,
      defineHandler(`${NS}.declines`, () =>
        failure('card declined', { errorType: 'card_declined', retryable: false }),
      ),
    );

async function startWorker(
  interceptors: StepInterceptor[],
  records: LogRecord[] = [],
  options: Partial<TaskerWorkerOptions> = {},
) {
  const worker = new TaskerWorker({
    registry: registry(),
    databaseUrl: db.url,
    logger: recordingLogger(records),
    pollIntervalMs: 100,
    env: {},
    templates: [template(NS, 'flow', [{ name: 'ok' }, { name: 'fails' }, { name: 'declines' }])],
    interceptors,
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

/** Runs one step through the worker and returns its final row. */
async function runStep(name: 'ok' | 'fails' | 'declines') {
  const { stepUuid } = await rows.enqueueStep({ namespace: NS, name: 'flow', step: name });
  return eventually(
    async () => {
      const step = await rows.step(stepUuid);
      return step.state?.startsWith('enqueued_') && step.state !== 'enqueued' ? { ...step, stepUuid } : null;
    },
    { what: `step ${name} reported` },
  );
}

type Results = {
  success: boolean;
  result: Record<string, unknown>;
  error: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
};

describe('interceptors', () => {
  it('wrap every step in order, see the outcome and the report, and bind log fields for every later line', async () => {
    handlerCalls.length = 0;
    const trail: string[] = [];
    const reports: StepReport[] = [];
    let seen: StepInterceptorContext | undefined;
    const outer: StepInterceptor = async (ctx, next) => {
      seen = ctx;
      trail.push(`outer:before:${ctx.stepName}`);
      ctx.bindLog({ tenant: 'acme' });
      const result = await next();
      trail.push(`outer:after:${result.success}`);
      void ctx.reported.then((report) => reports.push(report));
      return result;
    };
    const inner: StepInterceptor = async (ctx, next) => {
      trail.push('inner:before');
      ctx.bindLog({ request_id: 'r-1' });
      ctx.setAttributes({ 'tenant.id': 'acme' });
      const result = await next();
      trail.push('inner:after');
      return result;
    };
    const records: LogRecord[] = [];
    // The poller sleeps, so the step comes by its notification (`claimMethod: 'event'`) however busy the box.
    const worker = await startWorker([outer, inner], records, { pollIntervalMs: 60_000 });
    const step = await runStep('ok');

    expect(trail).toEqual(['outer:before:ok', 'inner:before', 'inner:after', 'outer:after:true']);
    expect(handlerCalls).toEqual(['ok']);
    expect(step.state).toBe('enqueued_for_orchestration');
    expect(seen).toMatchObject({
      namespace: NS,
      stepName: 'ok',
      stepUuid: step.stepUuid,
      attempt: 1,
      handler: `${NS}.ok`,
      claimMethod: 'event',
      queue: `worker_${NS}_queue`,
      workerId: worker.workerId,
      attributes: { 'tenant.id': 'acme' },
    });
    await eventually(async () => reports.length === 1);
    expect(reports[0]).toMatchObject({
      outcome: 'completed',
      result: { success: true, result: { value: 42 } },
    });
    // The handler's own line and the worker's lines after the interceptors carry both bindings and the step's ids.
    const handlerLine = records.find((r) => r.msg === 'handler line');
    expect(handlerLine?.fields).toMatchObject({
      tenant: 'acme',
      request_id: 'r-1',
      step_uuid: step.stepUuid,
    });
    const completed = records.find((r) => r.msg === 'step completed');
    expect(completed?.fields).toMatchObject({ tenant: 'acme', request_id: 'r-1' });
  });

  it('report failures with their type and backtrace to an error reporter', async () => {
    const reported: Array<Record<string, unknown>> = [];
    // The README's error-reporting example, with an in-memory reporter.
    const reportErrors: StepInterceptor = async (ctx, next) => {
      const result = await next();
      if (!result.success) {
        reported.push({
          message: result.error?.message,
          error_type: result.error?.error_type,
          error_code: result.metadata.error_code,
          retryable: result.metadata.retryable,
          stack: result.error?.backtrace?.join('\n'),
          step: `${ctx.namespace}.${ctx.stepName}`,
          attempt: ctx.attempt,
          correlation_id: ctx.correlationId,
        });
      }
      return result;
    };
    await startWorker([reportErrors]);
    const step = await runStep('fails');
    expect(step.state).toBe('enqueued_as_error_for_orchestration');
    expect(reported).toEqual([
      expect.objectContaining({
        message: 'inventory service unavailable',
        error_type: 'retryable_error',
        error_code: 'INVENTORY_DOWN',
        retryable: true,
        step: `${NS}.fails`,
        attempt: 1,
        stack: expect.stringContaining('interceptors.int.test.ts'),
      }),
    ]);
  });

  it('turn an exception into a failure: a throw before next() is the step failure, and the handler never runs', async () => {
    handlerCalls.length = 0;
    const tenantGuard: StepInterceptor = async (ctx, next) => {
      if ((ctx.step.task.task.context as { tenant?: string } | null)?.tenant === undefined) {
        throw new PermanentError('no tenant in the task context', { errorType: 'tenant_missing' });
      }
      return next();
    };
    const outcomes: boolean[] = [];
    const observer: StepInterceptor = async (_ctx, next) => {
      const result = await next(); // never rejects: the inner throw arrives as a failure
      outcomes.push(result.success);
      return result;
    };
    const records: LogRecord[] = [];
    const worker = await startWorker([observer, tenantGuard], records);
    const step = await runStep('ok');

    expect(handlerCalls).toEqual([]);
    expect(outcomes).toEqual([false]);
    expect(step.state).toBe('enqueued_as_error_for_orchestration');
    const results = step.results as Results;
    expect(results.error).toMatchObject({
      message: 'no tenant in the task context',
      error_type: 'tenant_missing',
    });
    expect(results.metadata.retryable).toBe(false);
    expect(records.some((r) => r.msg === 'step interceptor threw; reported as the step failure')).toBe(true);
    // The step's metrics are recorded from its outcome, once its result message is sent (`outcome.ts`).
    await eventually(
      async () => worker.metrics.stepsFailures.get({ namespace: NS, error_type: 'tenant_missing' }) === 1,
      { what: 'the failure counted' },
    );
  });

  it('may replace the outcome, and the worker metrics count the outcome the interceptors settled on', async () => {
    const forgiveDeclines: StepInterceptor = async (_ctx, next) => {
      const result = await next();
      if (result.error?.error_type !== 'card_declined') return result;
      return { ...result, success: true, status: 'completed', error: null, result: { declined: true } };
    };
    const worker = await startWorker([forgiveDeclines]);
    const step = await runStep('declines');
    expect(step.state).toBe('enqueued_for_orchestration');
    expect((step.results as Results).result).toEqual({ declined: true });
    await eventually(async () => worker.metrics.stepsSuccesses.get({ namespace: NS }) === 1, {
      what: 'the success counted',
    });
    expect(worker.metrics.stepsExecutions.get({ namespace: NS })).toBe(1);
    expect(worker.metrics.stepsFailures.get({ namespace: NS, error_type: 'card_declined' })).toBe(0);
  });

  it('report a result an interceptor broke, or a second next(), as a permanent failure instead of losing the step', async () => {
    const broken: StepInterceptor = async (_ctx, next) => {
      const result = await next();
      return { ...result, metadata: { ...result.metadata, execution_time_ms: 'soon' } } as never;
    };
    await startWorker([broken]);
    const first = await runStep('ok');
    expect(first.state).toBe('enqueued_as_error_for_orchestration');
    expect((first.results as Results).error).toMatchObject({ error_type: 'result_serialization_error' });
    await workers.splice(0)[0]?.stop({ graceMs: 0 });

    const twice: StepInterceptor = async (_ctx, next) => {
      await next();
      return next();
    };
    await startWorker([twice]);
    const second = await runStep('ok');
    expect(second.state).toBe('enqueued_as_error_for_orchestration');
    expect((second.results as Results).error).toMatchObject({
      message: 'an interceptor called next() twice',
    });
  });

  it('wrap checkpoint re-runs once; the events of every run go out after the report, judged on its result', async () => {
    const EV = 'icptev';
    const runs: string[] = [];
    const cursors: number[] = [];
    const registry = new HandlerRegistry()
      .register(
        `${EV}.batch`,
        defineHandler(`${EV}.batch`, ({ context }) => {
          const cursor = context.checkpointCursor<number>() ?? 0;
          cursors.push(cursor);
          context.publish('batch.progress', { cursor });
          if (cursor < 2) return checkpointYield({ cursor: cursor + 1, itemsProcessed: cursor + 1 });
          return { done: true };
        }),
      )
      .register(
        `${EV}.vetoed`,
        defineHandler(`${EV}.vetoed`, ({ context }) => {
          context.publish('order.shipped', { tracking: 'TRK-1' });
          context.publish('order.audit', { note: 'shipped' }, { condition: 'always' });
          return { shipped: true };
        }),
      );
    const policy: StepInterceptor = async (ctx, next) => {
      runs.push(ctx.stepName);
      const result = await next();
      if (ctx.stepName !== 'vetoed') return result;
      return ctx.failure(new PermanentError('vetoed by policy', { errorType: 'vetoed' }));
    };
    const declare = (name: string, condition: string) => ({
      name,
      description: name,
      condition,
      schema: { type: 'object' },
      delivery_mode: 'durable',
    });
    const records: LogRecord[] = [];
    await startWorker([policy], records, {
      registry,
      templates: [
        template(EV, 'flow', [
          { name: 'batch', publishes_events: [declare('batch.progress', 'success')] },
          {
            name: 'vetoed',
            publishes_events: [declare('order.shipped', 'success'), declare('order.audit', 'always')],
          },
        ]),
      ],
    });
    const eventsOf = async (stepUuid: string) => {
      await eventually(async () =>
        records.some((r) => r.msg === 'domain events published' && r.fields.step_uuid === stepUuid),
      );
      return (await rows.messages(`${EV}_domain_events`))
        .map((m) => decodeParsed('DomainEvent', m.message) as DomainEvent)
        .filter((e) => e.metadata.step_uuid === stepUuid);
    };

    const { stepUuid: batch } = await rows.enqueueStep({ namespace: EV, name: 'flow', step: 'batch' });
    const batchEvents = await eventsOf(batch);
    expect((await rows.step(batch)).state).toBe('enqueued_for_orchestration');
    expect(cursors).toEqual([0, 1, 2]); // three runs of the handler...
    expect(runs).toEqual(['batch']); // ...inside one pass through the interceptor
    expect(batchEvents.map((e) => e.payload.payload)).toEqual([{ cursor: 0 }, { cursor: 1 }, { cursor: 2 }]);

    // The handler succeeded and published both; the interceptor's failure is what the events are judged on.
    const { stepUuid: vetoed } = await rows.enqueueStep({ namespace: EV, name: 'flow', step: 'vetoed' });
    const vetoedEvents = await eventsOf(vetoed);
    expect((await rows.step(vetoed)).state).toBe('enqueued_as_error_for_orchestration');
    expect(vetoedEvents.map((e) => e.event_name)).toEqual(['order.audit']);
    expect(vetoedEvents[0]?.payload.execution_result).toMatchObject({
      success: false,
      error: { error_type: 'vetoed' },
    });
  });

  it('are checked at start: anything but functions is a ConfigError', async () => {
    const worker = new TaskerWorker({
      registry: registry(),
      databaseUrl: db.url,
      env: {},
      templates: [template(NS, 'flow', [{ name: 'ok' }])],
      interceptors: ['not a function' as never],
    });
    await expect(worker.start()).rejects.toMatchObject({ name: 'ConfigError', setting: 'interceptors' });
  });
});
