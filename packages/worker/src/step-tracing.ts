import type * as OpenTelemetry from '@opentelemetry/api';
import { traceContextFromTags } from '@tasker-bridge/schemas';
import type { StepInterceptor } from './interceptors.js';

/**
 * One OpenTelemetry span per step (README "Tracing"), as an interceptor: it starts when the claim starts, covers
 * the handler (which runs inside the span's context, so its own instrumented calls become child spans) and ends
 * once the result is reported to orchestration. Attributes carry upstream's log field names (`namespace`,
 * `task_uuid`, `step_uuid`, `correlation_id`) plus `attempt`, `outcome` and `error_type`.
 *
 * The parent is the trace context the task carries in its tags (`traceparent=`, added by `@tasker-bridge/client`
 * at creation; docs/wire-types.md §18.6); a task without one starts a new trace, and `correlation_id` links it to
 * the rest of the task's telemetry.
 *
 * `@opentelemetry/api` is an optional peer dependency: without it this interceptor is not installed; with it but
 * without an SDK registered, its tracer is the API's no-op one.
 */

type OpenTelemetryApi = typeof OpenTelemetry;

/** The API if the application installed it (any copy: its globals are shared), else null. */
export async function loadOpenTelemetryApi(): Promise<OpenTelemetryApi | null> {
  try {
    return await import('@opentelemetry/api');
  } catch {
    return null;
  }
}

export function tracingInterceptor(api: OpenTelemetryApi): StepInterceptor {
  const tracer = api.trace.getTracer('@tasker-bridge/worker');
  return async function traceStep(ctx, next) {
    const parent = parentContext(api, ctx.step.task.task.tags);
    const span = tracer.startSpan(
      `tasker.step ${ctx.namespace}.${ctx.stepName}`,
      {
        kind: api.SpanKind.CONSUMER,
        startTime: ctx.claimStartedAt,
        attributes: {
          namespace: ctx.namespace,
          task_uuid: ctx.taskUuid,
          step_uuid: ctx.stepUuid,
          correlation_id: ctx.correlationId,
          step_name: ctx.stepName,
          handler: ctx.handler,
          attempt: ctx.attempt,
          claim_method: ctx.claimMethod,
          worker_id: ctx.workerId,
          'messaging.system': 'pgmq',
          'messaging.destination.name': ctx.queue,
          'messaging.message.id': ctx.messageId,
        },
      },
      parent,
    );
    if (span.isRecording()) {
      const { traceId, spanId } = span.spanContext();
      ctx.bindLog({ trace_id: traceId, span_id: spanId }); // log lines of the step point at its trace
    }
    span.addEvent('claimed');
    const result = await api.context.with(api.trace.setSpan(parent, span), next);
    span.addEvent('handler_finished');
    span.setAttributes(ctx.attributes);
    span.setAttribute('outcome', result.success ? 'success' : 'failure');
    if (!result.success) {
      span.setAttributes({
        error_type: result.error?.error_type ?? result.metadata.error_type ?? 'unknown',
        retryable: result.metadata.retryable,
      });
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: result.error?.message ?? 'step failed' });
    }
    void ctx.reported.then((report) => {
      span.setAttribute('report', report.outcome);
      span.end();
    });
    return result;
  };
}

/** The task's carried trace context as a remote parent; the root context when it carries none. */
function parentContext(api: OpenTelemetryApi, tags: unknown): OpenTelemetry.Context {
  const carried = traceContextFromTags(tags);
  if (carried === null) return api.ROOT_CONTEXT;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: carried.traceId,
    spanId: carried.spanId,
    traceFlags: carried.traceFlags,
    isRemote: true,
    ...(carried.traceState === undefined ? {} : { traceState: api.createTraceState(carried.traceState) }),
  });
}
