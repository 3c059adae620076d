import type { StepHandlerResult } from './results.js';
import { formatUtcTimestamp, type OrchestrationMetadata, type StepExecutionResult } from './wire.js';

export interface ExecutionFacts {
  stepUuid: string;
  startedAt: Date;
  completedAt: Date;
  /** Whole milliseconds; Rust decodes `execution_time_ms` as an i64 and rejects floats (wire-types.md §1.5). */
  executionTimeMs: number;
  workerId: string | null;
  handlerVersion: string | null;
}

/**
 * The `StepExecutionResult` document for a handler result, with every key Rust's `success()`/`failure()`
 * factories write (wire-types.md §5, queue-protocol.md §4.6), so results from this worker look like Rust's in
 * `workflow_steps.results` and in descendants' `dependency_results`. `result` and the metadata maps must
 * already be JSON values (see `toJsonValue`).
 */
export function toStepExecutionResult(
  handlerResult: StepHandlerResult,
  facts: ExecutionFacts,
): StepExecutionResult {
  const failure = handlerResult.error;
  const retryable = failure?.retryable ?? false;
  return {
    step_uuid: facts.stepUuid,
    success: handlerResult.success,
    result: handlerResult.result,
    metadata: {
      execution_time_ms: facts.executionTimeMs,
      handler_version: facts.handlerVersion,
      // The flag orchestration reads to choose retry or error (queue-protocol.md §5.2); false on success as Rust.
      retryable,
      completed_at: formatUtcTimestamp(facts.completedAt),
      worker_id: facts.workerId,
      worker_hostname: null,
      started_at: formatUtcTimestamp(facts.startedAt),
      custom: { ...handlerResult.metadata },
      error_code: failure?.errorCode ?? null,
      error_type: failure?.errorType ?? null,
      context: {},
    },
    status: handlerResult.success ? 'completed' : 'failed',
    error:
      failure === undefined
        ? null
        : {
            message: failure.message,
            error_type: failure.errorType,
            backtrace: failure.backtrace === undefined ? null : [...failure.backtrace],
            retryable,
            ...(failure.statusCode === undefined ? {} : { status_code: failure.statusCode }),
            ...(Object.keys(failure.context).length === 0 ? {} : { context: { ...failure.context } }),
          },
    orchestration_metadata: orchestrationMetadata(handlerResult),
  } as StepExecutionResult;
}

/**
 * Backoff hints for orchestration, or null when the handler gave none. Orchestration runs its backoff calculator
 * only for a non-null object (queue-protocol.md §5.2), which then replaces the retry timing the template asks for
 * with the server-wide exponential backoff; so, like the Python and napi-TS workers (and unlike Rust's factories,
 * which always write an empty object), we write null unless there is a hint to pass on.
 */
function orchestrationMetadata(handlerResult: StepHandlerResult): OrchestrationMetadata | null {
  const failure = handlerResult.error;
  if (failure?.retryAfterSeconds === undefined && failure?.backoffHint === undefined) return null;
  const headers: Record<string, string> = {};
  if (failure?.retryAfterSeconds !== undefined) {
    // The backoff calculator looks up `retry-after` case-insensitively and parses an integer number of seconds
    // (or an RFC 2822 date); the backoff hint alone does not change the delay (backoff_calculator.rs,
    // metadata_processor.rs upstream).
    headers['retry-after'] = String(Math.max(0, Math.ceil(failure.retryAfterSeconds)));
  }
  return {
    headers,
    error_context: null,
    backoff_hint: failure?.backoffHint ?? null,
    custom: {},
  } as OrchestrationMetadata;
}

/**
 * A JSON-safe copy of a handler's value: `toJSON` applied (Dates become strings), `undefined` members dropped,
 * and `BigInt`s written as decimal strings, the way Rust writes its u128 results (upstream-workers.md §4.2,
 * §6.15). Throws on cycles.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
