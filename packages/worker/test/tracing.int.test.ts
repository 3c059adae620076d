import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { defineHandler, HandlerRegistry, PermanentError } from '@tasker-bridge/core';
import { traceContextTags } from '@tasker-bridge/schemas';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { type InMemoryTracing, installInMemoryTracing, parentSpanId } from '../../../test/support/otel.js';
import { type StepInterceptor, TaskerWorker, type TaskerWorkerOptions } from '../src/index.js';
import {
  eventually,
  type LogRecord,
  ProtocolRows,
  recordingLogger,
  template,
} from './fixtures/protocol-rows.js';

/**
 * One OpenTelemetry span per step, with the SDK's in-memory exporter: claim → handler → completion, upstream's
 * attribute names, the parent carried in the task's `traceparent=` tag, the handler's own spans as children, and
 * the step's log lines pointing at the trace.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let tracing: InMemoryTracing;
const workers: TaskerWorker[] = [];
const NS = 'traced';
const SPAN = (step: string) => `tasker.step ${NS}.${step}`;

beforeAll(async () => {
  tracing = installInMemoryTracing();
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
  tracing.reset();
});
afterAll(async () => {
  await rows?.close();
  await db?.drop();
  await tracing?.uninstall();
});

const registry = () =>
  new HandlerRegistry()
    .register(
      `${NS}.ok`,
      defineHandler(`${NS}.ok`, async () => {
        // The handler's own instrumentation joins the step's trace.
        await trace.getTracer('handler').startActiveSpan('charge card', async (span) => span.end());
        return { ok: true };
      }),
    )
    .register(
      `${NS}.fails`,
      defineHandler(`${NS}.fails`, () => {
        throw new PermanentError('card declined', { errorType: 'card_declined' });
      }),
    );

async function startWorker(records: LogRecord[] = [], options: Partial<TaskerWorkerOptions> = {}) {
  const worker = new TaskerWorker({
    registry: registry(),
    databaseUrl: db.url,
    logger: recordingLogger(records),
    pollIntervalMs: 100,
    env: {},
    templates: [template(NS, 'flow', [{ name: 'ok' }, { name: 'fails' }])],
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

function runStep(step: 'ok' | 'fails', tags?: string[]) {
  return rows.enqueueStep({ namespace: NS, name: 'flow', step, ...(tags ? { tags } : {}) });
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN_ID = 'b7ad6b7169203331';

describe('OpenTelemetry spans', () => {
  it('makes one span per step from claim to completion, parented on the task traceparent, with upstream field names', async () => {
    const records: LogRecord[] = [];
    const tenant: StepInterceptor = async (ctx, next) => {
      ctx.setAttributes({ 'tenant.id': 'acme' });
      return next();
    };
    // The poller sleeps, so the step comes by its notification (`claim_method: 'event'`) however busy the box.
    const worker = await startWorker(records, { interceptors: [tenant], pollIntervalMs: 60_000 });
    const { task, stepUuid } = await runStep('ok', [
      'billing',
      ...traceContextTags({ traceId: TRACE_ID, spanId: PARENT_SPAN_ID, traceFlags: 1 }, 'vendor=abc'),
    ]);
    const [span] = await eventually(async () => {
      const spans = tracing.named(SPAN('ok'));
      return spans.length === 1 ? spans : null;
    });
    // Ended only once the result went to orchestration.
    expect((await rows.step(stepUuid)).state).toBe('enqueued_for_orchestration');

    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(parentSpanId(span!)).toBe(PARENT_SPAN_ID);
    expect(span!.parentSpanContext?.isRemote).toBe(true);
    expect(span!.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(span!.attributes).toMatchObject({
      namespace: NS,
      task_uuid: task.task_uuid,
      step_uuid: stepUuid,
      correlation_id: task.correlation_id,
      step_name: 'ok',
      handler: `${NS}.ok`,
      attempt: 1,
      claim_method: 'event',
      worker_id: worker.workerId,
      outcome: 'success',
      report: 'completed',
      'tenant.id': 'acme',
      'messaging.system': 'pgmq',
      'messaging.destination.name': `worker_${NS}_queue`,
    });
    expect(span!.attributes.error_type).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.events.map((e) => e.name)).toEqual(['claimed', 'handler_finished']);

    // The handler's span is the step span's child.
    const [inner] = tracing.named('charge card');
    expect(inner?.spanContext().traceId).toBe(TRACE_ID);
    expect(parentSpanId(inner!)).toBe(span!.spanContext().spanId);

    // Every line about the step names its trace.
    const completed = records.find((r) => r.msg === 'step completed');
    expect(completed?.fields).toMatchObject({
      trace_id: TRACE_ID,
      span_id: span!.spanContext().spanId,
      step_uuid: stepUuid,
    });
  });

  it('records a failure with its error_type, and starts a new trace for a task that carries none', async () => {
    await startWorker();
    const { stepUuid } = await runStep('fails'); // tags ["t"]: no trace context
    const [span] = await eventually(async () => {
      const spans = tracing.named(SPAN('fails'));
      return spans.length === 1 ? spans : null;
    });
    expect((await rows.step(stepUuid)).state).toBe('enqueued_as_error_for_orchestration');
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
    expect(span!.attributes).toMatchObject({
      step_uuid: stepUuid,
      outcome: 'failure',
      error_type: 'card_declined',
      retryable: false,
      report: 'completed',
    });
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
  });

  it('makes no spans with tracing: false', async () => {
    await startWorker([], { tracing: false });
    const { stepUuid } = await runStep('ok');
    await eventually(async () => (await rows.step(stepUuid)).state === 'enqueued_for_orchestration');
    expect(tracing.named(SPAN('ok'))).toEqual([]);
  });
});
