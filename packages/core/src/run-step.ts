import { StepContext } from './context.js';
import { coerceError } from './errors/coerce.js';
import { ErrorType, SystemErrorType } from './errors/error-types.js';
import type { PublishedEvent } from './events/domain-events.js';
import type { ExecutableHandler } from './handler.js';
import { CheckpointYield } from './handlers/checkpoint.js';
import type { Logger } from './logger.js';
import { outcomeProblem } from './outcomes.js';
import type { HandlerRegistry } from './registry.js';
import { failure, StepHandlerResult, success } from './results.js';
import { checkResultSchema, ResultSchemaMode, SchemaMode } from './typed/result-schema.js';
import type { CheckpointYieldData, StepExecutionResult, TaskSequenceStep } from './wire.js';
import { canonicalize, WireValidationError } from './wire.js';
import { toJsonValue, toStepExecutionResult } from './wire-result.js';

export interface RunStepInput {
  registry: HandlerRegistry;
  /** The hydrated step (docs/wire-types.md §4). */
  step: TaskSequenceStep;
  /** Aborting it (shutdown) cancels the handler and yields a retryable `handler_cancelled` failure. */
  signal: AbortSignal;
  /**
   * Receives the step's lines, with the step's fields bound (namespace, task_uuid, step_uuid, correlation_id,
   * step_name, handler: `stepLogFields`): runStep binds them unless `loggerBound` says the caller already did
   * (the worker binds them once per step for its own lines too; binding twice repeats every field in every line).
   */
  logger: Logger;
  loggerBound?: boolean;
  /** `metadata.worker_id`. */
  workerId?: string;
  /**
   * The worker's cap on handler time. The step's own `timeout_seconds` applies too; the shorter wins. On
   * expiry the handler's signal is aborted and the step fails with a retryable `handler_timeout`.
   */
  timeoutMs?: number;
  /** How to treat `step_definition.result_schema`; a handler's own `resultSchemaMode` wins. Default `off`. */
  resultSchemaMode?: ResultSchemaMode;
  /** The task template's `input_schema` (the step does not carry it), for `inputSchemaMode`. */
  inputSchema?: unknown;
  /**
   * How to treat `inputSchema`: `enforce` fails a step whose task context violates it with a permanent
   * `validation_error` before the handler runs, `warn` logs and runs. Default `off`: orchestration already checks
   * the context against it when the task is created.
   */
  inputSchemaMode?: SchemaMode;
}

export type StepOutcome =
  /** Success or failure, always a valid wire `StepExecutionResult`. */
  | { type: 'result'; result: StepExecutionResult; events: readonly PublishedEvent[] }
  /**
   * The worker persists the checkpoint, then calls `runStep` again with `workflow_step.checkpoint` updated; the
   * events published so far are kept for the final result.
   */
  | { type: 'checkpoint_yield'; checkpoint: CheckpointYieldData; events: readonly PublishedEvent[] };

/**
 * Runs one claimed step: resolves its handler from the step definition (callable, method, resolver,
 * initialization), builds the `StepContext`, runs the handler under an `AbortSignal` and timeout, and returns
 * what the worker must write. It never throws: a claimed step must produce a result (docs/upstream-workers.md §5),
 * so every problem becomes a failure result with explicit retryability (docs/protocol.md §4.5, §5.2).
 */
export async function runStep(input: RunStepInput): Promise<StepOutcome> {
  try {
    return await executeStep(input);
  } catch (thrown) {
    // Only a step too malformed to read (no workflow_step) gets here; it still gets a decodable failure.
    const stepUuid = input.step?.workflow_step?.workflow_step_uuid ?? '00000000-0000-0000-0000-000000000000';
    const now = new Date();
    const failed = StepHandlerResult.fromError(coerceError(thrown));
    input.logger.error({ step_uuid: stepUuid, err: failed.error?.message }, 'step could not be run');
    return {
      type: 'result',
      events: [],
      result: toWire(failed, {
        stepUuid,
        startedAt: now,
        completedAt: now,
        executionTimeMs: 0,
        workerId: input.workerId ?? null,
        handlerVersion: null,
      }),
    };
  }
}

async function executeStep(input: RunStepInput): Promise<StepOutcome> {
  const startedAt = new Date();
  const start = performance.now();
  const { step } = input;
  const callable = step.step_definition?.handler?.callable;
  const logger = input.loggerBound === true ? input.logger : input.logger.child(stepLogFields(step));

  const controller = new AbortController();
  let abortFailure: StepHandlerResult | undefined;
  const abortWith = (result: StepHandlerResult) => {
    if (abortFailure !== undefined) return;
    abortFailure = result;
    controller.abort(new Error(result.error?.message));
  };
  const onParentAbort = () =>
    abortWith(
      failure('Step cancelled before the handler finished (worker shutdown)', {
        errorType: SystemErrorType.HANDLER_CANCELLED,
        retryable: true,
      }),
    );
  if (input.signal.aborted) onParentAbort();
  else input.signal.addEventListener('abort', onParentAbort, { once: true });

  const timeoutMs = effectiveTimeoutMs(input.timeoutMs, step.step_definition?.timeout_seconds);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            abortWith(
              failure(`Handler timed out after ${timeoutMs}ms`, {
                errorType: SystemErrorType.HANDLER_TIMEOUT,
                retryable: true,
                context: { timeout_ms: timeoutMs },
              }),
            ),
          timeoutMs,
        );

  let handler: ExecutableHandler | null = null;
  let outcome: StepHandlerResult | CheckpointYield;
  const events: PublishedEvent[] = [];
  try {
    handler = await input.registry.resolve(step.step_definition.handler);
    if (handler === null) {
      // As Rust's dispatch service: an unknown handler is permanent (docs/protocol.md §4.5).
      outcome = failure(`No handler found for callable '${callable}'`, {
        errorType: SystemErrorType.HANDLER_NOT_FOUND,
        retryable: false,
        context: { callable, registered: input.registry.listHandlers() },
      });
    } else {
      const context = new StepContext({ step, signal: controller.signal, logger, published: events });
      outcome =
        inputProblem(input, context, logger) ??
        normalizeOutput(
          await raceAbort(
            Promise.resolve().then(() => handler?.call(context)),
            controller,
          ),
        );
    }
  } catch (thrown) {
    outcome = abortFailure ?? StepHandlerResult.fromError(coerceError(thrown));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    input.signal.removeEventListener('abort', onParentAbort);
  }

  const executionTimeMs = Math.max(0, Math.round(performance.now() - start));
  if (outcome instanceof CheckpointYield) return yieldOutcome(step, outcome, logger, executionTimeMs, events);

  const checked = outcome.success ? checkSuccess(outcome, step, handler, input, logger) : outcome;
  const result = toWire(checked, {
    stepUuid: step.workflow_step.workflow_step_uuid,
    startedAt,
    completedAt: new Date(),
    executionTimeMs,
    workerId: input.workerId ?? null,
    handlerVersion: handler?.version ?? null,
  });
  const fields = { duration_ms: executionTimeMs, success: result.success };
  if (result.success) logger.info(fields, 'step completed');
  else {
    logger.warn(
      { ...fields, error_type: result.error?.error_type, retryable: result.metadata.retryable },
      `step failed: ${result.error?.message}`,
    );
  }
  return { type: 'result', result, events };
}

/** The fields every line about a step carries (upstream's structured-log names). */
export function stepLogFields(step: TaskSequenceStep): Record<string, unknown> {
  return {
    namespace: step.task?.namespace_name,
    task_uuid: step.task?.task?.task_uuid,
    step_uuid: step.workflow_step?.workflow_step_uuid,
    correlation_id: step.task?.task?.correlation_id,
    step_name: step.workflow_step?.name,
    handler: step.step_definition?.handler?.callable,
  };
}

function effectiveTimeoutMs(
  workerMs: number | undefined,
  stepSeconds: number | null | undefined,
): number | undefined {
  const stepMs = stepSeconds === undefined || stepSeconds === null ? undefined : stepSeconds * 1000;
  if (workerMs === undefined) return stepMs;
  return stepMs === undefined ? workerMs : Math.min(workerMs, stepMs);
}

/** Settles with the handler, or rejects as soon as the signal aborts even if the handler ignores it. */
function raceAbort<T>(work: Promise<T>, controller: AbortController): Promise<T> {
  if (controller.signal.aborted) return Promise.reject(controller.signal.reason);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  return Promise.race([work, aborted]);
}

/** Applies the return-value rules documented on `HandlerOutput`. */
function normalizeOutput(output: unknown): StepHandlerResult | CheckpointYield {
  if (output instanceof StepHandlerResult || output instanceof CheckpointYield) return output;
  if (output === undefined || output === null) return success({});
  if (typeof output === 'object') return success(output);
  return success({ result: output });
}

function yieldOutcome(
  step: TaskSequenceStep,
  yielded: CheckpointYield,
  logger: Logger,
  executionTimeMs: number,
  events: readonly PublishedEvent[],
): StepOutcome {
  try {
    const checkpoint = {
      step_uuid: step.workflow_step.workflow_step_uuid,
      cursor: toJsonValue(yielded.cursor),
      items_processed: yielded.itemsProcessed,
      accumulated_results: toJsonValue(yielded.accumulatedResults),
    } as CheckpointYieldData;
    logger.info(
      { duration_ms: executionTimeMs, items_processed: yielded.itemsProcessed },
      'step yielded a checkpoint',
    );
    return { type: 'checkpoint_yield', checkpoint, events };
  } catch (thrown) {
    const result = toWire(StepHandlerResult.fromError(coerceError(thrown)), {
      stepUuid: step.workflow_step.workflow_step_uuid,
      startedAt: new Date(),
      completedAt: new Date(),
      executionTimeMs,
      workerId: null,
      handlerVersion: null,
    });
    return { type: 'result', result, events };
  }
}

/** The failure for a task context that violates the template's `input_schema` in `enforce` mode, else null. */
function inputProblem(input: RunStepInput, context: StepContext, logger: Logger): StepHandlerResult | null {
  const mode = input.inputSchemaMode ?? SchemaMode.OFF;
  const schema = input.inputSchema;
  if (mode === SchemaMode.OFF || schema === undefined || schema === null) return null;
  let check: ReturnType<typeof checkResultSchema>;
  try {
    check = checkResultSchema(schema, context.inputData);
  } catch (thrown) {
    logger.warn(
      { err: coerceError(thrown).message },
      'input_schema does not compile; task context not checked',
    );
    return null;
  }
  if (check.ok) return null;
  const summary = check.issues.map((i) => `input${i.path}: ${i.message}`).join('; ');
  if (mode === SchemaMode.WARN) {
    logger.warn({ issues: check.issues }, `task context does not match input_schema: ${summary}`);
    return null;
  }
  return failure(`Task context does not match the template's input_schema: ${summary}`, {
    errorType: ErrorType.VALIDATION_ERROR,
    retryable: false,
    context: { schema: 'input_schema', issues: check.issues },
  });
}

/** Outcome shapes of decision/batchable steps, then the step's `result_schema`. */
function checkSuccess(
  outcome: StepHandlerResult,
  step: TaskSequenceStep,
  handler: ExecutableHandler | null,
  input: RunStepInput,
  logger: Logger,
): StepHandlerResult {
  let value: unknown;
  try {
    value = toJsonValue(outcome.result);
  } catch (thrown) {
    return serializationFailure(thrown);
  }
  const problem = outcomeProblem(step, value);
  if (problem !== null) {
    return failure(problem, { errorType: SystemErrorType.INVALID_OUTCOME, retryable: false });
  }
  const mode = handler?.resultSchemaMode ?? input.resultSchemaMode ?? ResultSchemaMode.OFF;
  const schema = step.step_definition.result_schema;
  if (mode === ResultSchemaMode.OFF || schema === undefined || schema === null) return outcome;
  let check: ReturnType<typeof checkResultSchema>;
  try {
    check = checkResultSchema(schema, value);
  } catch (thrown) {
    logger.warn({ err: coerceError(thrown).message }, 'result_schema does not compile; result not checked');
    return outcome;
  }
  if (check.ok) return outcome;
  const summary = check.issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ');
  if (mode === ResultSchemaMode.WARN) {
    logger.warn({ issues: check.issues }, `result does not match result_schema: ${summary}`);
    return outcome;
  }
  return failure(`Result does not match the step's result_schema: ${summary}`, {
    errorType: SystemErrorType.RESULT_SCHEMA_VIOLATION,
    retryable: false,
    context: { issues: check.issues },
  });
}

function serializationFailure(thrown: unknown): StepHandlerResult {
  return failure(`Handler result is not serializable as JSON: ${coerceError(thrown).message}`, {
    errorType: SystemErrorType.RESULT_SERIALIZATION_ERROR,
    retryable: false,
  });
}

/**
 * Builds the wire result as serde would print it (`canonicalize`: Rust's field order and defaults) and proves it
 * against the schema Rust's decoder implies, once: the worker writes this tree as it is. Anything that would not
 * decode (a cycle, a bad metadata value) is replaced by a permanent failure that does, so orchestration never
 * re-reads an undecodable result forever (docs/protocol.md §5.2).
 */
function toWire(
  outcome: StepHandlerResult,
  facts: Parameters<typeof toStepExecutionResult>[1],
): StepExecutionResult {
  let replacement: StepHandlerResult;
  try {
    return canonicalize(
      'StepExecutionResult',
      toJsonValue(toStepExecutionResult(outcome, facts)),
    ) as StepExecutionResult;
  } catch (thrown) {
    if (!(thrown instanceof WireValidationError)) replacement = serializationFailure(thrown);
    else {
      const issues = thrown.issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
      replacement = failure(`Handler result is not a valid StepExecutionResult: ${issues}`, {
        errorType: SystemErrorType.RESULT_SERIALIZATION_ERROR,
        retryable: false,
      });
    }
  }
  // A failure of our own making (strings and flags) always encodes.
  return canonicalize(
    'StepExecutionResult',
    toStepExecutionResult(replacement, facts),
  ) as StepExecutionResult;
}
