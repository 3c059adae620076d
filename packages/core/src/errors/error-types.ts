/**
 * `error_type` strings. Orchestration never branches on them (docs/wire-types.md §10): retry is decided by
 * `metadata.retryable` alone (docs/protocol.md §5.2). They are still what operators see, so core emits the
 * snake_case vocabulary shared by Rust's `tasker_shared::types::error_types`, upstream TS and Python, and reads
 * Ruby's PascalCase names too.
 */
export const ErrorType = {
  PERMANENT_ERROR: 'permanent_error',
  RETRYABLE_ERROR: 'retryable_error',
  VALIDATION_ERROR: 'validation_error',
  TIMEOUT: 'timeout',
  HANDLER_ERROR: 'handler_error',
} as const;

export type StandardErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * Types core itself writes for failures it synthesises; the first two have the same names and retryability as
 * Rust's handler dispatch service (docs/protocol.md §4.5).
 */
export const SystemErrorType = {
  HANDLER_NOT_FOUND: 'handler_not_found',
  HANDLER_TIMEOUT: 'handler_timeout',
  HANDLER_CANCELLED: 'handler_cancelled',
  METHOD_NOT_FOUND: 'method_not_found',
  INVALID_OUTCOME: 'invalid_outcome',
  RESULT_SCHEMA_VIOLATION: 'result_schema_violation',
  RESULT_SERIALIZATION_ERROR: 'result_serialization_error',
} as const;

export type SystemErrorType = (typeof SystemErrorType)[keyof typeof SystemErrorType];

const STANDARD: ReadonlySet<string> = new Set(Object.values(ErrorType));

/** Ruby's `TaskerCore::Types::ErrorTypes` and the PascalCase names in upstream docs, mapped to snake_case. */
const PASCAL_CASE_ALIASES: Readonly<Record<string, StandardErrorType>> = {
  PermanentError: ErrorType.PERMANENT_ERROR,
  RetryableError: ErrorType.RETRYABLE_ERROR,
  ValidationError: ErrorType.VALIDATION_ERROR,
  TimeoutError: ErrorType.TIMEOUT,
  UnexpectedError: ErrorType.HANDLER_ERROR,
  StepCompletionError: ErrorType.HANDLER_ERROR,
};

/**
 * The snake_case form of an `error_type` read from the wire: Ruby's PascalCase names map to the standard set,
 * anything else is returned unchanged.
 */
export function normalizeErrorType(errorType: string): string {
  return PASCAL_CASE_ALIASES[errorType] ?? errorType;
}

/** Whether `errorType` (either spelling) is one of the five standard types. */
export function isStandard(errorType: string): errorType is StandardErrorType {
  return STANDARD.has(normalizeErrorType(errorType));
}

/**
 * Rust's `is_typically_retryable`: only `retryable_error` and `timeout`. This is the default retryability of
 * `failure()` when the handler does not say (README "Retryability").
 */
export function isTypicallyRetryable(errorType: string): boolean {
  const normalized = normalizeErrorType(errorType);
  return normalized === ErrorType.RETRYABLE_ERROR || normalized === ErrorType.TIMEOUT;
}
