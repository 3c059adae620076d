import { coerceError, type Logger, stepLogFields } from '@tasker-bridge/core';
import type { StepExecutionResult, TaskSequenceStep } from '@tasker-bridge/schemas';
import { workerFailureResult } from './failure-result.js';
import type { StepAttributeValue, StepInterceptorContext, StepReport } from './interceptors.js';

/** The facts of one claimed step the worker hands to its interceptors (`interceptors.ts`). */
export interface StepInvocationInit {
  step: TaskSequenceStep;
  queue: string;
  messageId: string;
  claimMethod: 'event' | 'poll';
  attempt: number;
  /** Epoch ms. */
  claimStartedAt: number;
  workerId: string;
  signal: AbortSignal;
  /** The worker's logger; the step's fields (`stepLogFields`) are bound here. */
  logger: Logger;
}

/** One step's interceptor context: the step's facts, its logger and span attributes, and its report. */
export class StepInvocation implements StepInterceptorContext {
  readonly step: TaskSequenceStep;
  readonly namespace: string;
  readonly stepName: string;
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly correlationId: string;
  readonly attempt: number;
  readonly handler: string;
  readonly claimMethod: 'event' | 'poll';
  readonly queue: string;
  readonly messageId: string;
  readonly workerId: string;
  readonly claimStartedAt: number;
  readonly signal: AbortSignal;
  readonly reported: Promise<StepReport>;
  #logger: Logger;
  readonly #attributes: Record<string, StepAttributeValue> = {};
  #settle: (report: StepReport) => void = () => {};

  constructor(init: StepInvocationInit) {
    const { step } = init;
    this.step = step;
    this.namespace = step.task.namespace_name;
    this.stepName = step.workflow_step.name;
    this.taskUuid = step.task.task.task_uuid;
    this.stepUuid = step.workflow_step.workflow_step_uuid;
    this.correlationId = step.task.task.correlation_id;
    this.attempt = init.attempt;
    this.handler = step.step_definition.handler.callable;
    this.claimMethod = init.claimMethod;
    this.queue = init.queue;
    this.messageId = init.messageId;
    this.workerId = init.workerId;
    this.claimStartedAt = init.claimStartedAt;
    this.signal = init.signal;
    // One child per step, shared with runStep (`loggerBound`), so every line names the step once.
    this.#logger = init.logger.child(stepLogFields(step));
    this.reported = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  get logger(): Logger {
    return this.#logger;
  }

  get attributes(): Readonly<Record<string, StepAttributeValue>> {
    return this.#attributes;
  }

  bindLog(fields: Record<string, unknown>): void {
    this.#logger = this.#logger.child(fields);
  }

  setAttributes(attributes: Readonly<Record<string, StepAttributeValue>>): void {
    Object.assign(this.#attributes, attributes);
  }

  failure(error: unknown): StepExecutionResult {
    const coerced = coerceError(error);
    return workerFailureResult({
      stepUuid: this.stepUuid,
      message: coerced.message,
      errorType: coerced.errorType,
      retryable: coerced.retryable,
      errorCode: coerced.errorCode,
      workerId: this.workerId,
    });
  }

  /** The worker calls this once the result was reported (or given up); `reported` resolves with it. */
  settle(report: StepReport): void {
    this.#settle(report);
  }
}
