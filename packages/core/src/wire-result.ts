import type { StepHandlerResult } from './results.js';
import {
  formatUtcTimestamp,
  type OrchestrationMetadata,
  type StepExecutionResult,
  setMember,
} from './wire.js';

export interface ExecutionFacts {
  stepUuid: string;
  startedAt: Date;
  completedAt: Date;
  /** Whole milliseconds; Rust decodes `execution_time_ms` as an i64 and rejects floats (docs/wire-types.md §1.5). */
  executionTimeMs: number;
  workerId: string | null;
  handlerVersion: string | null;
}

/**
 * The `StepExecutionResult` document for a handler result, with every key Rust's `success()`/`failure()`
 * factories write (docs/wire-types.md §5, docs/protocol.md §4.6), so results from this worker look like Rust's in
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
      // The flag orchestration reads to choose retry or error (docs/protocol.md §5.2); false on success as Rust.
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

/** `BackoffHint.delay_seconds` is a u32. */
const U32_MAX = 4_294_967_295;

/**
 * Backoff hints for orchestration, or null when the handler gave none. Orchestration runs its backoff calculator
 * only for a non-null object (docs/protocol.md §5.2), which then replaces the retry timing the template asks for
 * with the server-wide exponential backoff; so, like the Python and napi-TS workers (and unlike Rust's factories,
 * which always write an empty object), we write null unless there is a hint to pass on.
 *
 * A retry-after, whatever gave it (`failure()`, an error class, an HTTP `Retry-After`), is written the same way:
 * the `retry-after` header, which is what sets the delay, and a backoff hint for whoever reads the result (a
 * `ServerRequested` one unless the handler chose another, e.g. `apiFailure`'s `RateLimit`).
 */
function orchestrationMetadata(handlerResult: StepHandlerResult): OrchestrationMetadata | null {
  const failure = handlerResult.error;
  if (failure?.retryAfterSeconds === undefined && failure?.backoffHint === undefined) return null;
  const headers: Record<string, string> = {};
  let hint = failure?.backoffHint ?? null;
  if (failure?.retryAfterSeconds !== undefined) {
    // The backoff calculator looks up `retry-after` case-insensitively and parses an integer number of seconds
    // (or an RFC 2822 date); the backoff hint alone does not change the delay (backoff_calculator.rs,
    // metadata_processor.rs upstream).
    const seconds = Math.max(0, Math.ceil(failure.retryAfterSeconds));
    headers['retry-after'] = String(seconds);
    hint ??= { backoff_type: 'ServerRequested', delay_seconds: Math.min(seconds, U32_MAX), context: null };
  }
  return {
    headers,
    error_context: null,
    backoff_hint: hint,
    custom: {},
  } as OrchestrationMetadata;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/**
 * A JSON-safe copy of a handler's value, as JSON.stringify sees it: `toJSON` applied (Dates become strings),
 * `undefined`, functions and symbols dropped from objects and null in arrays, NaN and ±Infinity null. Integers
 * stay exact: a `bigint` that fits i64 or u64 stays an integer (a number when safe), as serde_json::Value holds
 * it, so an id read from the task context is written back as the same integer; a bigint beyond 64 bits becomes
 * its decimal string, the way Rust writes its u128 results (docs/upstream-workers.md §4.2, §6.15), since Rust would
 * read a longer integer literal as a rounded f64. Keys stay own properties, `__proto__` included. Throws on
 * cycles.
 */
export function toJsonValue(value: unknown): unknown {
  return copyJson(value, '', new Set()) ?? null;
}

function copyJson(input: unknown, key: string, ancestors: Set<object>): unknown {
  let value = input;
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
      value = (value as { toJSON(key: string): unknown }).toJSON(key);
    else if (value instanceof Number || value instanceof String || value instanceof Boolean)
      value = value.valueOf();
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      if (value >= -SAFE_MAX && value <= SAFE_MAX) return Number(value);
      return value >= I64_MIN && value <= U64_MAX ? value : value.toString();
    case 'object': {
      if (value === null) return null;
      if (ancestors.has(value)) throw new TypeError('Converting circular structure to JSON');
      ancestors.add(value);
      let out: unknown;
      if (Array.isArray(value)) {
        out = value.map((v, i) => copyJson(v, String(i), ancestors) ?? null);
      } else {
        const members: Record<string, unknown> = {};
        for (const k of Object.keys(value)) {
          const v = copyJson((value as Record<string, unknown>)[k], k, ancestors);
          if (v !== undefined) setMember(members, k, v);
        }
        out = members;
      }
      ancestors.delete(value);
      return out;
    }
    default:
      return undefined;
  }
}
