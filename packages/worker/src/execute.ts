import { type HandlerRegistry, type Logger, type ResultSchemaMode, runStep } from '@tasker-bridge/core';
import type { StepExecutionResult, TaskSequenceStep } from '@tasker-bridge/schemas';
import { persistCheckpoint } from './checkpoint.js';
import { workerFailureResult } from './failure-result.js';
import type { Queryable } from './sql/connections.js';

/**
 * Runs a claimed step's handler (docs/protocol.md §4.5) with core's `runStep`: under the worker's timeout and the
 * step's stop signal (lease lost, shutdown), never throwing — a handler that is unknown, throws, hangs or is
 * cancelled yields a failure result. A checkpoint yield (§6.3) is persisted and the handler re-run in-process
 * with `workflow_step.checkpoint` set to the yielded data; a checkpoint that cannot be persisted ends the step
 * as a retryable `checkpoint_error` failure.
 */

export interface ExecuteOptions {
  registry: HandlerRegistry;
  /** The tasker database, for checkpoints. */
  taskerDb: Queryable;
  workerId: string;
  handlerTimeoutMs: number;
  resultSchemaMode?: ResultSchemaMode | undefined;
}

export interface Execution {
  /** The step as last run: with the latest persisted checkpoint, if the handler yielded any. */
  step: TaskSequenceStep;
  result: StepExecutionResult;
  durationMs: number;
}

/** `logger` is bound to the step's fields already (`stepLogFields`). */
export async function executeStep(
  options: ExecuteOptions,
  hydrated: TaskSequenceStep,
  signal: AbortSignal,
  logger: Logger,
): Promise<Execution> {
  const started = performance.now();
  const startedAt = new Date();
  let step = hydrated;
  for (;;) {
    const outcome = await runStep({
      registry: options.registry,
      step,
      signal,
      logger,
      loggerBound: true,
      workerId: options.workerId,
      timeoutMs: options.handlerTimeoutMs,
      ...(options.resultSchemaMode === undefined ? {} : { resultSchemaMode: options.resultSchemaMode }),
    });
    if (outcome.type === 'result') {
      return { step, result: outcome.result, durationMs: Math.round(performance.now() - started) };
    }
    try {
      await persistCheckpoint(options.taskerDb, outcome.checkpoint);
      logger.debug({ items_processed: Number(outcome.checkpoint.items_processed) }, 'checkpoint persisted');
      step = { ...step, workflow_step: { ...step.workflow_step, checkpoint: outcome.checkpoint } };
    } catch (error) {
      const result = workerFailureResult({
        stepUuid: step.workflow_step.workflow_step_uuid,
        message: `Checkpoint yield failed: ${(error as Error).message}`,
        errorType: 'checkpoint_error',
        retryable: true,
        workerId: options.workerId,
        startedAt,
      });
      return { step, result, durationMs: Math.round(performance.now() - started) };
    }
  }
}
