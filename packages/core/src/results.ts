import type { HandlerError } from './errors/classes.js';
import { boundedBacktrace, causeChain } from './errors/coerce.js';
import { ErrorType, isTypicallyRetryable } from './errors/error-types.js';
import type { BackoffHint } from './wire.js';

const RESULT_BRAND = Symbol.for('@tasker-bridge/core/step-handler-result');

/** What a failed `StepHandlerResult` says about the failure; `runStep` writes it to the wire (docs/wire-types.md §5). */
export interface StepFailure {
  readonly message: string;
  /** `error.error_type` and `metadata.error_type`. */
  readonly errorType: string;
  /** `metadata.retryable` (what orchestration reads) and `error.retryable`. */
  readonly retryable: boolean;
  /** `metadata.error_code`. */
  readonly errorCode: string | undefined;
  /** `error.context` (omitted on the wire when empty). */
  readonly context: Readonly<Record<string, unknown>>;
  /** `error.status_code`. */
  readonly statusCode: number | undefined;
  /** `error.backtrace`. */
  readonly backtrace: readonly string[] | undefined;
  /** Becomes a `retry-after` header in `orchestration_metadata` (docs/protocol.md §5.2). */
  readonly retryAfterSeconds: number | undefined;
  /** `orchestration_metadata.backoff_hint`. */
  readonly backoffHint: BackoffHint | undefined;
}

export interface FailureOptions {
  /** Defaults to `handler_error`. */
  errorType?: string;
  /**
   * Whether orchestration may retry. Defaults to `isTypicallyRetryable(errorType)`: true only for
   * `retryable_error` and `timeout` (README "Retryability").
   */
  retryable?: boolean;
  errorCode?: string;
  /** Goes to `metadata.custom`. */
  metadata?: Record<string, unknown>;
  /** Goes to `error.context`. */
  context?: Record<string, unknown>;
  statusCode?: number;
  retryAfterSeconds?: number;
  backoffHint?: BackoffHint;
  backtrace?: readonly string[];
}

/**
 * The outcome of a handler before `runStep` turns it into a wire `StepExecutionResult`. Immutable: the
 * `with*` builders return a copy. `TResult` is the type of a success's value (`success(value)` infers it; a
 * `failure()` is `StepHandlerResult<never>`), so a handler returning results keeps its result type.
 */
export class StepHandlerResult<TResult = unknown> {
  declare readonly [RESULT_BRAND]: true;
  readonly success: boolean;
  /** The handler's output (`result` on the wire); `{}` for failures, as Rust's factories write it. */
  readonly result: TResult;
  /** `metadata.custom`. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly error: StepFailure | undefined;

  private constructor(
    success: boolean,
    result: TResult,
    metadata: Record<string, unknown>,
    error?: StepFailure,
  ) {
    this.success = success;
    this.result = result;
    this.metadata = metadata;
    this.error = error;
    Object.defineProperty(this, RESULT_BRAND, { value: true, enumerable: false });
  }

  static success<T = Record<string, never>>(
    result: T = {} as T,
    metadata: Record<string, unknown> = {},
  ): StepHandlerResult<T> {
    return new StepHandlerResult(true, result, metadata);
  }

  static failure(message: string, options: FailureOptions = {}): StepHandlerResult<never> {
    const errorType = options.errorType ?? ErrorType.HANDLER_ERROR;
    // A failure carries no value: `{}` on the wire, typed `never` so that it adds nothing to a result type.
    return new StepHandlerResult(false, {} as never, options.metadata ?? {}, {
      message,
      errorType,
      retryable: options.retryable ?? isTypicallyRetryable(errorType),
      errorCode: options.errorCode,
      context: options.context ?? {},
      statusCode: options.statusCode,
      backtrace: options.backtrace,
      retryAfterSeconds: options.retryAfterSeconds,
      backoffHint: options.backoffHint,
    });
  }

  /** The failure a thrown error stands for, with its bounded stack and its cause chain in `error.context`. */
  static fromError(error: HandlerError): StepHandlerResult<never> {
    const causes = causeChain(error);
    const backtrace = boundedBacktrace(error);
    return StepHandlerResult.failure(error.message, {
      errorType: error.errorType,
      retryable: error.retryable,
      metadata: error.metadata,
      context: causes.length > 0 ? { ...error.context, cause: causes } : error.context,
      ...(error.errorCode === undefined ? {} : { errorCode: error.errorCode }),
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      ...(backtrace === null ? {} : { backtrace }),
    });
  }

  /** Sets `metadata.error_code` (Rust's `with_error_code`); a no-op on a success. */
  withErrorCode(errorCode: string): StepHandlerResult<TResult> {
    return this.withFailure({ errorCode });
  }

  /**
   * Sets the `error_type` (Rust's `with_error_type`); a no-op on a success. Retryability is left as it was
   * decided when the failure was created.
   */
  withErrorType(errorType: string): StepHandlerResult<TResult> {
    return this.withFailure({ errorType });
  }

  private withFailure(change: Partial<StepFailure>): StepHandlerResult<TResult> {
    if (this.error === undefined) return this;
    return new StepHandlerResult(false, this.result, { ...this.metadata }, { ...this.error, ...change });
  }

  // A predicate, so that `instanceof` narrows to `StepHandlerResult<unknown>` rather than `<any>`.
  static [Symbol.hasInstance](value: unknown): value is StepHandlerResult<unknown> {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESULT_BRAND] === true
    );
  }
}

/** A successful result; `metadata` goes to `metadata.custom`. */
export function success<T = Record<string, never>>(
  result: T = {} as T,
  metadata: Record<string, unknown> = {},
): StepHandlerResult<T> {
  return StepHandlerResult.success(result, metadata);
}

/** A failed result. See `FailureOptions` for where each option lands on the wire. */
export function failure(message: string, options: FailureOptions = {}): StepHandlerResult<never> {
  return StepHandlerResult.failure(message, options);
}
