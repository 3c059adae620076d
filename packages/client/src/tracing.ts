// One OpenTelemetry span per client call (README "Tracing"), when the application has `@opentelemetry/api` (an
// optional peer dependency; its tracer is a no-op until an SDK is registered). The call's span context goes to the
// server as the `traceparent` header (through the application's propagator) and, on `createTask`, into the task's
// tags, where the worker picks it up as the parent of every step's span (docs/wire-types.md §18.6).
import type * as OpenTelemetry from '@opentelemetry/api';
import { traceContextTags } from '@tasker-bridge/schemas';

type OpenTelemetryApi = typeof OpenTelemetry;

export type CallAttributes = Record<string, string | number | boolean>;

/** What a call can do with its span. */
export interface CallTrace {
  /** The span's W3C trace context as task tags (`traceparent=…`, `tracestate=…`); empty without a valid span. */
  readonly tags: readonly string[];
  /** Adds the trace context headers to a request (the application's propagator; none without an SDK). */
  inject(headers: Headers): void;
  /** Records the server's answer to the call's last request. */
  replied(reply: { status: number; attempts: number }): void;
}

const UNTRACED: CallTrace = { tags: [], inject() {}, replied() {} };

let api: Promise<OpenTelemetryApi | null> | undefined;

/** `@opentelemetry/api` if installed (loaded once), else null. */
function openTelemetry(): Promise<OpenTelemetryApi | null> {
  api ??= import('@opentelemetry/api').then(
    (loaded) => loaded,
    () => null,
  );
  return api;
}

const HEADER_SETTER = {
  set(headers: Headers, key: string, value: string) {
    headers.set(key, value);
  },
};

/**
 * Runs `call` inside a client span `name`: the span is active while the call runs (so nested calls are its
 * children), gets `describe(value)` as attributes on success, and the error, its `code` and an error status on
 * failure.
 */
export async function traceCall<T>(
  enabled: boolean,
  name: string,
  attributes: CallAttributes,
  call: (trace: CallTrace) => Promise<T>,
  describe?: (value: T) => CallAttributes,
): Promise<T> {
  const otel = enabled ? await openTelemetry() : null;
  if (otel === null) return call(UNTRACED);
  const tracer = otel.trace.getTracer('@tasker-bridge/client');
  return tracer.startActiveSpan(name, { kind: otel.SpanKind.CLIENT, attributes }, async (span) => {
    const spanContext = span.spanContext();
    const active = otel.context.active();
    const trace: CallTrace = {
      tags: otel.isSpanContextValid(spanContext)
        ? traceContextTags(spanContext, spanContext.traceState?.serialize())
        : [],
      inject: (headers) => otel.propagation.inject(active, headers, HEADER_SETTER),
      replied: (reply) =>
        span.setAttributes({ 'http.response.status_code': reply.status, 'tasker.attempts': reply.attempts }),
    };
    try {
      const value = await call(trace);
      if (describe !== undefined) span.setAttributes(describe(value));
      return value;
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (typeof code === 'string') span.setAttribute('error.type', code);
      if (error instanceof Error) span.recordException(error);
      span.setStatus({
        code: otel.SpanStatusCode.ERROR,
        message: (error as Error)?.message ?? String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
