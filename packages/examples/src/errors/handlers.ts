import { defineHandler, failure, RetryableError } from '@tasker-bridge/core';

/**
 * The error scenarios (docs/upstream-workers.md §4.2):
 * - `test_scenarios_ts/success_only_ts`: one step that succeeds, echoing `message`.
 * - `test_scenarios_ts/permanent_error_only_ts`: a non-retryable `permanent_error`; the step errors on its first
 *   and only attempt.
 * - `test_scenarios_ts/retryable_error_only_ts`: a `retryable_error` on every attempt; the step errors once its
 *   `max_attempts` are spent.
 * - `test_errors_ts/error_testing_handler_ts`: the three side by side. Upstream's template names
 *   `TestErrors.StepHandlers.*` callables that no TS handler registers (§4.1); here the same handlers are
 *   registered under both spellings.
 * - `demo_ts/flaky_once_demo_ts` (ours, for the demo): fails retryably on attempt 1, succeeds on attempt 2.
 */
export const SuccessStepHandler = defineHandler(
  'TestScenarios.StepHandlers.SuccessStepHandler',
  ({ input }) => ({
    message: typeof input.message === 'string' ? input.message : 'Hello from TypeScript!',
    timestamp: new Date().toISOString(),
    handler: 'SuccessStepHandler',
    language: 'typescript',
  }),
);

export const PermanentErrorHandler = defineHandler(
  'test_errors.step_handlers.PermanentErrorHandler',
  ({ input }) =>
    failure(typeof input.message === 'string' ? input.message : 'Permanent error: this step never retries', {
      errorType: 'permanent_error',
      retryable: false,
      metadata: { scenario: 'permanent_error', handler: 'PermanentErrorHandler' },
    }),
);

export const RetryableErrorHandler = defineHandler(
  'test_errors.step_handlers.RetryableErrorHandler',
  ({ input, context }) =>
    failure(
      typeof input.message === 'string' ? input.message : 'Retryable error: this step will be retried',
      {
        errorType: 'retryable_error',
        retryable: true,
        metadata: { scenario: 'retryable_error', handler: 'RetryableErrorHandler', attempt: context.attempt },
      },
    ),
);

export const TestErrorsSuccessHandler = defineHandler(
  'test_errors.step_handlers.SuccessHandler',
  ({ input }) => ({
    message: typeof input.message === 'string' ? input.message : 'Success!',
    scenario: 'success',
    handler: 'SuccessHandler',
  }),
);

/** Fails with a `RetryableError` on attempt 1 (simulating a flaky dependency), succeeds on the retry. */
export const FlakyOnceHandler = defineHandler('demo.step_handlers.FlakyOnceHandler', ({ context, input }) => {
  const failUntil = typeof input.fail_attempts === 'number' ? input.fail_attempts : 1;
  if (context.attempt <= failUntil) {
    throw new RetryableError(`Upstream service unavailable (attempt ${context.attempt}); will retry`, {
      errorCode: 'SERVICE_UNAVAILABLE',
    });
  }
  return { recovered: true, attempt: context.attempt, message: `Succeeded on attempt ${context.attempt}` };
});

export const errorScenarioHandlers = [
  SuccessStepHandler,
  PermanentErrorHandler,
  RetryableErrorHandler,
  TestErrorsSuccessHandler,
  FlakyOnceHandler,
] as const;

/** Upstream's `error_testing_handler_ts` template spells the callables this way. */
export const errorScenarioAliases: Record<string, (typeof errorScenarioHandlers)[number]> = {
  'TestErrors.StepHandlers.SuccessHandler': TestErrorsSuccessHandler,
  'TestErrors.StepHandlers.PermanentErrorHandler': PermanentErrorHandler,
  'TestErrors.StepHandlers.RetryableErrorHandler': RetryableErrorHandler,
};
