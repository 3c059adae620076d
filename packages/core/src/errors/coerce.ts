import { HandlerError, RetryableError, TimeoutError } from './classes.js';
import { ErrorType } from './error-types.js';

/** Node's socket/DNS error codes that describe a transient network condition. */
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Turns anything a handler throws into a `HandlerError`, deterministically, so that every catch site in core
 * produces the same failure for the same throw (docs/contributing.md "API shape"):
 *
 * - a `HandlerError` (from any copy of this package) is returned as is;
 * - an abort or `AbortSignal.timeout()` reason becomes a retryable `TimeoutError`;
 * - a transient network error (`fetch failed`, `ECONNRESET`, …) becomes a `RetryableError`;
 * - an error-like object that states `retryable` (and maybe `errorType`/`errorCode`) keeps its classification,
 *   which covers upstream `@tasker-systems/tasker` errors;
 * - anything else becomes a retryable `handler_error`, as Rust's dispatch service does for a handler `Err`
 *   (docs/protocol.md §4.5).
 */
export function coerceError(thrown: unknown): HandlerError {
  if (thrown instanceof HandlerError) return thrown;
  if (!(thrown instanceof Error)) {
    return new HandlerError(describeNonError(thrown), { context: { thrown_type: typeof thrown } });
  }
  const wrapper = classify(thrown);
  // The wrapper reports where the original was thrown, not where it was converted.
  if (thrown.stack !== undefined) wrapper.stack = thrown.stack;
  return wrapper;
}

function classify(thrown: Error): HandlerError {
  if (thrown.name === 'TimeoutError' || thrown.name === 'AbortError') {
    return new TimeoutError(thrown.message || 'Operation aborted', { cause: thrown });
  }
  const code = (thrown as { code?: unknown }).code;
  const causeCode = (thrown.cause as { code?: unknown } | undefined)?.code;
  const networkCode = [code, causeCode].find(
    (c): c is string => typeof c === 'string' && TRANSIENT_NETWORK_CODES.has(c),
  );
  if (networkCode !== undefined || (thrown.name === 'TypeError' && thrown.message === 'fetch failed')) {
    return new RetryableError(thrown.message, {
      cause: thrown,
      errorCode: networkCode ?? 'NETWORK_ERROR',
    });
  }
  const declared = thrown as { retryable?: unknown; errorType?: unknown; errorCode?: unknown };
  if (typeof declared.retryable === 'boolean') {
    return new HandlerError(thrown.message, {
      cause: thrown,
      retryable: declared.retryable,
      errorType:
        typeof declared.errorType === 'string'
          ? declared.errorType
          : declared.retryable
            ? ErrorType.RETRYABLE_ERROR
            : ErrorType.PERMANENT_ERROR,
      ...(typeof declared.errorCode === 'string' ? { errorCode: declared.errorCode } : {}),
    });
  }
  return new HandlerError(thrown.message || thrown.name, { cause: thrown });
}

function describeNonError(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  try {
    return `Non-error value thrown: ${JSON.stringify(thrown) ?? String(thrown)}`;
  } catch {
    return `Non-error value thrown: ${String(thrown)}`;
  }
}

const MAX_BACKTRACE_LINES = 50;
const MAX_LINE_LENGTH = 500;
const MAX_CAUSE_DEPTH = 5;

/**
 * The stack of `error` as `error.backtrace` lines: the trace frames only (the message is already in
 * `error.message`), at most 50 lines of at most 500 characters, so a deep or recursive stack cannot bloat
 * `workflow_steps.results`. `null` when there is no stack, as Rust writes for its own failures.
 */
export function boundedBacktrace(error: Error): string[] | null {
  if (typeof error.stack !== 'string') return null;
  const frames = error.stack
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '));
  if (frames.length === 0) return null;
  return frames.slice(0, MAX_BACKTRACE_LINES).map((line) => line.slice(0, MAX_LINE_LENGTH));
}

/** The `cause` chain below `error` as `{name, message}` pairs, at most five deep (cycles stop the walk). */
export function causeChain(error: Error): { name: string; message: string }[] {
  const chain: { name: string; message: string }[] = [];
  const seen = new Set<unknown>([error]);
  let cause = error.cause;
  while (cause !== undefined && !seen.has(cause) && chain.length < MAX_CAUSE_DEPTH) {
    seen.add(cause);
    chain.push(
      cause instanceof Error
        ? { name: cause.name, message: cause.message }
        : { name: typeof cause, message: describeNonError(cause) },
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return chain;
}
