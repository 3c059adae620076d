import {
  type HandlerRegistry,
  type Logger,
  type PublishedEvent,
  type ResultSchemaMode,
  runStep,
  type SchemaMode,
} from '@tasker-bridge/core';
import type { StepExecutionResult, TaskSequenceStep } from '@tasker-bridge/schemas';
import { persistCheckpoint } from './checkpoint.js';
import { workerFailureResult } from './failure-result.js';
import type { Queryable } from './sql/connections.js';

/**
 * Runs a claimed step's handler (docs/protocol.md §4.5) with core's `runStep`: under the worker's timeout and the
 * step's stop signal (lease lost, shutdown), never throwing — a handler that is unknown, throws, hangs or is
 * cancelled yields a failure result. A checkpoint yield (§6.3) is persisted and the handler re-run in-process
 * with `workflow_step.checkpoint` set to the stored `CheckpointRecord` (with timestamp and history, as a fresh
 * hydration would read it); a checkpoint that cannot be persisted ends the step as a retryable
 * `checkpoint_error` failure. The whole loop is one call, so the interceptors (`interceptors.ts`) wrap every
 * re-run once.
 */

export interface ExecuteOptions {
  registry: HandlerRegistry;
  /** The tasker database, for checkpoints. */
  taskerDb: Queryable;
  workerId: string;
  handlerTimeoutMs: number;
  resultSchemaMode?: ResultSchemaMode | undefined;
  /** How `runStep` treats the template's `input_schema` (`TaskerWorkerOptions.inputSchemaMode`). */
  inputSchemaMode?: SchemaMode | undefined;
}

export interface Execution {
  /** The step as last run: with the latest persisted checkpoint, if the handler yielded any. */
  step: TaskSequenceStep;
  result: StepExecutionResult;
  /** What the handler published with `context.publish`, across its checkpoint re-runs, in order (§6.4). */
  published: PublishedEvent[];
}

/** `logger` is bound to the step's fields already (`stepLogFields`); `inputSchema` is the template's. */
export async function executeStep(
  options: ExecuteOptions,
  hydrated: TaskSequenceStep,
  inputSchema: unknown,
  signal: AbortSignal,
  logger: Logger,
): Promise<Execution> {
  const startedAt = new Date();
  let step = hydrated;
  const published: PublishedEvent[] = [];
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
      ...(options.inputSchemaMode === undefined
        ? {}
        : { inputSchemaMode: options.inputSchemaMode, inputSchema }),
    });
    published.push(...outcome.events);
    if (outcome.type === 'result') return { step, result: outcome.result, published };
    try {
      const checkpoint = await persistCheckpoint(options.taskerDb, outcome.checkpoint);
      logger.debug({ items_processed: Number(outcome.checkpoint.items_processed) }, 'checkpoint persisted');
      step = { ...step, workflow_step: { ...step.workflow_step, checkpoint } };
    } catch (error) {
      const result = workerFailureResult({
        stepUuid: step.workflow_step.workflow_step_uuid,
        message: `Checkpoint yield failed: ${(error as Error).message}`,
        errorType: 'checkpoint_error',
        retryable: true,
        workerId: options.workerId,
        startedAt,
      });
      return { step, result, published };
    }
  }
}
