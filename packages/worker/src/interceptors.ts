import { type Logger, PermanentError, SystemErrorType } from '@tasker-bridge/core';
import { canonicalize, type StepExecutionResult, type TaskSequenceStep } from '@tasker-bridge/schemas';

/**
 * Interceptors: code that wraps every step this worker runs (README "Interceptors"), for tracing, metrics, error
 * reporting or tenant context. `new TaskerWorker({ interceptors: [a, b] })` runs `a(ctx, next)`, whose `next()`
 * runs `b(ctx, next)`, whose `next()` runs the handler (checkpoint yields included) and resolves with the step's
 * result. The worker's own span and metrics are interceptors too, outside the user's (`InterceptorChain`), so
 * they see the result the user's interceptors settle on.
 *
 * `next()` never rejects: whatever an inner interceptor throws becomes the step's failure the way a handler's
 * throw does (`coerceError`: a `PermanentError` is permanent, anything unknown a retryable `handler_error`), so
 * every interceptor always sees an outcome. An interceptor turns an exception into a failure by throwing it, or by
 * returning `ctx.failure(error)`; it can also return another result altogether.
 */

/** A span attribute value, as OpenTelemetry accepts it. */
export type StepAttributeValue = string | number | boolean | string[] | number[] | boolean[];

/** What happened to the result once the interceptors returned it (`StepInterceptorContext.reported`). */
export interface StepReport {
  /**
   * `completed`: written and sent to orchestration; `not_in_progress`: dropped because the claim was no longer
   * the step's (lease lost, README "Leases"); `completion_abandoned`: given up at a hard stop (the lease lapses,
   * another worker reports it); `error`: the report failed unexpectedly.
   */
  outcome: 'completed' | 'not_in_progress' | 'completion_abandoned' | 'error';
  /** The result as reported (a result the database refused is replaced by a `result_not_storable` failure). */
  result: StepExecutionResult;
}

/** What an interceptor sees of the step it wraps. */
export interface StepInterceptorContext {
  /** The hydrated step, as the handler gets it (docs/wire-types.md §4). */
  readonly step: TaskSequenceStep;
  readonly namespace: string;
  readonly stepName: string;
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly correlationId: string;
  /** This run's attempt: the step's `attempts` after the claim (1 for the first run). */
  readonly attempt: number;
  /** `step_definition.handler.callable`. */
  readonly handler: string;
  /** How the message came: a notification (`event`) or the fallback poll (`poll`). */
  readonly claimMethod: 'event' | 'poll';
  /** The step queue and message id (the claim's lease). */
  readonly queue: string;
  readonly messageId: string;
  /** `metadata.worker_id` of the results. */
  readonly workerId: string;
  /** Epoch ms when the claim started (before hydrate-and-claim). */
  readonly claimStartedAt: number;
  /** Aborted when the step is cancelled: shutdown, or a lost lease. */
  readonly signal: AbortSignal;
  /** The step's logger with every binding so far. */
  readonly logger: Logger;
  /** Adds fields to every later line about this step: the handler's, inner interceptors', the worker's. */
  bindLog(fields: Record<string, unknown>): void;
  /** Adds attributes to the step's span (kept even without OpenTelemetry: `attributes`). */
  setAttributes(attributes: Readonly<Record<string, StepAttributeValue>>): void;
  readonly attributes: Readonly<Record<string, StepAttributeValue>>;
  /** The failure result a handler throwing `error` would produce (`coerceError`). */
  failure(error: unknown): StepExecutionResult;
  /** Settles after the interceptors returned, once the result was reported (or given up). Never rejects. */
  readonly reported: Promise<StepReport>;
}

export type StepInterceptor = (
  ctx: StepInterceptorContext,
  next: () => Promise<StepExecutionResult>,
) => Promise<StepExecutionResult>;

/** The interceptors of a worker, outermost first; `run` wraps one step in all of them. */
export class InterceptorChain {
  readonly #interceptors: readonly StepInterceptor[];

  constructor(interceptors: readonly StepInterceptor[]) {
    this.#interceptors = interceptors;
  }

  get size(): number {
    return this.#interceptors.length;
  }

  run(
    ctx: StepInterceptorContext,
    handler: () => Promise<StepExecutionResult>,
  ): Promise<StepExecutionResult> {
    const trusted = new WeakSet<StepExecutionResult>();
    const failure = (error: unknown) => {
      const result = ctx.failure(error);
      trusted.add(result);
      return result;
    };
    const dispatch = async (index: number): Promise<StepExecutionResult> => {
      const interceptor = this.#interceptors[index];
      try {
        if (interceptor === undefined) {
          const result = await handler();
          trusted.add(result);
          return result;
        }
        let called = false;
        const value: unknown = await interceptor(ctx, () => {
          if (called) return Promise.reject(new Error('an interceptor called next() twice'));
          called = true;
          return dispatch(index + 1);
        });
        if (trusted.has(value as StepExecutionResult)) return value as StepExecutionResult;
        const checked = acceptResult(value, ctx);
        trusted.add(checked);
        return checked;
      } catch (error) {
        ctx.logger.warn(
          { error: (error as Error)?.message, interceptor: interceptor?.name || index },
          'step interceptor threw; reported as the step failure',
        );
        return failure(error);
      }
    };
    return dispatch(0);
  }
}

/**
 * A result an interceptor made itself, in the form the completion writes (`canonicalize`, as core's results), or
 * a permanent failure saying why it cannot be written: the step must still be reported.
 */
function acceptResult(value: unknown, ctx: StepInterceptorContext): StepExecutionResult {
  try {
    const result = canonicalize('StepExecutionResult', value) as StepExecutionResult;
    if (result.step_uuid !== ctx.stepUuid) throw new Error(`it is step ${result.step_uuid}'s`);
    return result;
  } catch (error) {
    return ctx.failure(
      new PermanentError(
        `An interceptor returned no valid result for this step: ${(error as Error).message}`,
        {
          errorType: SystemErrorType.RESULT_SERIALIZATION_ERROR,
        },
      ),
    );
  }
}
