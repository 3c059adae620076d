import { canonicalize, formatUtcTimestamp, type StepExecutionResult } from '@tasker-bridge/schemas';

/**
 * A failure `StepExecutionResult` for problems the worker itself detects after a claim (a checkpoint that
 * cannot be persisted, an unexpected internal error), in the shape of Rust's `StepExecutionResult::failure`
 * factory (docs/protocol.md §4.6), so the step is reported instead of staying `in_progress`.
 *
 * Handler outcomes never come through here: `runStep` from core builds those; an interceptor's exception does
 * (`step-invocation.ts`). This exists only because core does not export its result builder (noted in the package
 * README).
 */
export function workerFailureResult(input: {
  stepUuid: string;
  message: string;
  errorType: string;
  retryable: boolean;
  workerId: string;
  startedAt?: Date;
  context?: Record<string, unknown>;
  /** `metadata.error_code`: a stable code such as `PAYMENT_DECLINED`. */
  errorCode?: string | undefined;
}): StepExecutionResult {
  const completedAt = new Date();
  const startedAt = input.startedAt ?? completedAt;
  // Canonical, as core's results are: the completion writes the tree as it is (`complete.ts`).
  return canonicalize('StepExecutionResult', {
    step_uuid: input.stepUuid,
    success: false,
    result: {},
    metadata: {
      execution_time_ms: Math.max(0, completedAt.getTime() - startedAt.getTime()),
      handler_version: null,
      retryable: input.retryable,
      completed_at: formatUtcTimestamp(completedAt),
      worker_id: input.workerId,
      worker_hostname: null,
      started_at: formatUtcTimestamp(startedAt),
      custom: {},
      error_code: input.errorCode ?? null,
      error_type: input.errorType,
      context: input.context ?? {},
    },
    status: 'error',
    error: {
      message: input.message,
      error_type: input.errorType,
      backtrace: null,
      retryable: input.retryable,
      ...(input.context === undefined ? {} : { context: input.context }),
    },
    orchestration_metadata: { headers: {}, error_context: null, backoff_hint: null, custom: {} },
  }) as StepExecutionResult;
}
