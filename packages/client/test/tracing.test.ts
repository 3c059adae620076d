import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { traceContextFromTags } from '@tasker-bridge/schemas';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type InMemoryTracing, installInMemoryTracing, parentSpanId } from '../../../test/support/otel.js';
import { TaskerClient } from '../src/index.js';
import { json, startTestServer, TASK_UUID, type TestServer, taskBody, text } from './support.js';

/** One span per call with the OpenTelemetry SDK's in-memory exporter, and the trace context a created task carries. */

let tracing: InMemoryTracing;
let server: TestServer;
let client: TaskerClient;
const LINEAR = { namespace: 'linear_workflow_ts', name: 'mathematical_sequence_ts', version: '1.0.0' };

beforeAll(() => {
  tracing = installInMemoryTracing();
});
afterAll(async () => {
  await tracing.uninstall();
});
beforeEach(async () => {
  server = await startTestServer();
  client = new TaskerClient({ baseUrl: server.url, retry: { initialDelayMs: 1, maxDelayMs: 5 } });
});
afterEach(async () => {
  await server.close();
  tracing.reset();
});

const sentTags = (n = 0) => JSON.parse(server.requests[n]?.body ?? '{}').tags as string[];

describe('client spans', () => {
  it('make one client span per call, and put the call span into the created task tags and the traceparent header', async () => {
    server.script(json(200, taskBody({ status: 'pending' })));
    const app = trace.getTracer('app');
    const task = await app.startActiveSpan('checkout', async (parent) => {
      try {
        return await client.createTask({ ...LINEAR, context: { even_number: 6 }, tags: ['billing'] });
      } finally {
        parent.end();
      }
    });
    const [span] = tracing.named('tasker.create_task');
    const [parent] = tracing.named('checkout');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(parentSpanId(span!)).toBe(parent?.spanContext().spanId);
    expect(span?.attributes).toMatchObject({
      namespace: LINEAR.namespace,
      'tasker.task_name': LINEAR.name,
      'http.request.method': 'POST',
      'url.template': '/v1/tasks',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'tasker.attempts': 1,
      task_uuid: TASK_UUID,
      correlation_id: task.correlation_id,
    });

    // The task carries the create call's span: the worker parents each step's span on it.
    const tags = sentTags();
    expect(tags[0]).toBe('billing');
    expect(traceContextFromTags(tags)).toMatchObject({
      traceId: span?.spanContext().traceId,
      spanId: span?.spanContext().spanId,
      traceFlags: 1,
    });
    expect(server.requests[0]?.headers.traceparent).toBe(tags[1]?.slice('traceparent='.length));
  });

  it("keep a caller's own traceparent tag, and send the same tags again when a create is retried", async () => {
    server.script(text(503, 'busy'), json(200, taskBody()));
    const own = 'traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client.createTask({ ...LINEAR, context: {}, tags: [own] });
    expect(sentTags(0)).toEqual([own]);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
    expect(tracing.named('tasker.create_task')[0]?.attributes['tasker.attempts']).toBe(2);
  });

  it('record a failed call with its error code and an error status', async () => {
    server.script(json(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Task not found' } })));
    await expect(client.getTask(TASK_UUID)).rejects.toMatchObject({ code: 'task_not_found' });
    const [span] = tracing.named('tasker.get_task');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({
      task_uuid: TASK_UUID,
      'error.type': 'task_not_found',
      'http.response.status_code': 404,
      'url.template': '/v1/tasks/{task_uuid}',
    });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('nest the polls of waitForTask under its own span', async () => {
    server.script(
      json(200, taskBody({ status: 'steps_in_process' })),
      json(200, taskBody({ status: 'complete' })),
    );
    await client.waitForTask(TASK_UUID, { pollIntervalMs: 1 });
    const [wait] = tracing.named('tasker.wait_for_task');
    const polls = tracing.named('tasker.get_task');
    expect(polls).toHaveLength(2);
    expect(polls.map(parentSpanId)).toEqual([wait?.spanContext().spanId, wait?.spanContext().spanId]);
    expect(wait?.attributes).toMatchObject({ task_uuid: TASK_UUID, 'tasker.task_status': 'complete' });
  });

  it('make no spans and add no tags with tracing: false, or without an active trace', async () => {
    const quiet = new TaskerClient({ baseUrl: server.url, tracing: false });
    server.script(json(200, taskBody()), json(200, taskBody()));
    await trace.getTracer('app').startActiveSpan('checkout', async (parent) => {
      await quiet.createTask({ ...LINEAR, context: {} });
      parent.end();
    });
    expect(sentTags(0)).toEqual([]);
    expect(server.requests[0]?.headers.traceparent).toBeUndefined();
    expect(tracing.named('tasker.create_task')).toEqual([]);

    // Tracing on, no span active: the call's span is a new root, and the task still carries it.
    await client.createTask({ ...LINEAR, context: {} });
    expect(traceContextFromTags(sentTags(1))?.spanId).toBe(
      tracing.named('tasker.create_task')[0]?.spanContext().spanId,
    );
  });
});
