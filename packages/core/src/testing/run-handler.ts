import { StepContext } from '../context.js';
import type { HandlerResultOf } from '../handler.js';
import { type Logger, noopLogger } from '../logger.js';
import { HandlerRegistry } from '../registry.js';
import type { HandlerSource } from '../resolvers.js';
import { runStep, type StepOutcome } from '../run-step.js';
import type { ResultSchemaMode, SchemaMode } from '../typed/result-schema.js';
import type { WireValue } from '../typed/wire-value.js';
import {
  type CheckpointYieldData,
  decodeParsed,
  type JsonObject,
  type StepExecutionResult,
} from '../wire.js';
import { buildTaskSequenceStep, type TestStepOptions } from './build-step.js';

export interface TestContextOptions extends TestStepOptions {
  signal?: AbortSignal;
  logger?: Logger;
}

/** A `StepContext` for calling a handler's methods directly. */
export function createStepContext<TInput = JsonObject>(
  options: TestContextOptions = {},
): StepContext<TInput> {
  return new StepContext<TInput>({
    step: buildTaskSequenceStep(options),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

export interface RunHandlerOptions extends TestContextOptions {
  timeoutMs?: number;
  resultSchemaMode?: ResultSchemaMode;
  /** Checks the task context against the `template`'s `input_schema`, as the worker option of that name. */
  inputSchemaMode?: SchemaMode;
  workerId?: string;
}

/**
 * What one run produced, with shortcuts for assertions. `TValue` is the handler's result type as the wire holds
 * it (`WireValue`); `success` narrows `value` to it.
 */
export type HandlerRun<TValue = unknown> = HandlerRunFacts &
  (
    | { success: true /** `result.result`. */; value: TValue }
    | {
        success: false /** `result.result` (`{}` for a failure), undefined for a checkpoint yield. */;
        value: unknown;
      }
  );

interface HandlerRunFacts {
  outcome: StepOutcome;
  /** The wire result, unless the handler yielded a checkpoint. */
  result: StepExecutionResult | undefined;
  /** The yielded checkpoint, if any. */
  checkpoint: CheckpointYieldData | undefined;
  /** `metadata.retryable`: what orchestration would use. */
  retryable: boolean;
  /** `error.error_type`, or undefined. */
  errorType: string | undefined;
  /**
   * Problems only the whole template reveals: a decision activating a step that is not one of its children
   * in `template`.
   */
  problems: string[];
}

/**
 * Runs a handler exactly as the worker would (`runStep`: resolution, method dispatch, context, timeout, result
 * normalisation), against a step built from `options`. Pass a handler to register it under the step's
 * callable in a fresh registry (the run's `value` then has the handler's result type), or a registry to resolve
 * from.
 */
export function runHandler<H extends HandlerSource>(
  handler: H,
  options?: RunHandlerOptions,
): Promise<HandlerRun<WireValue<HandlerResultOf<H>>>>;
export function runHandler(registry: HandlerRegistry, options?: RunHandlerOptions): Promise<HandlerRun>;
export async function runHandler(
  handlerOrRegistry: HandlerSource | HandlerRegistry,
  options: RunHandlerOptions = {},
): Promise<HandlerRun> {
  const step = buildTaskSequenceStep(options);
  let registry: HandlerRegistry;
  if (handlerOrRegistry instanceof HandlerRegistry) registry = handlerOrRegistry;
  else registry = new HandlerRegistry().register(step.step_definition.handler.callable, handlerOrRegistry);
  const outcome = await runStep({
    registry,
    step,
    signal: options.signal ?? new AbortController().signal,
    logger: options.logger ?? noopLogger,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.resultSchemaMode === undefined ? {} : { resultSchemaMode: options.resultSchemaMode }),
    ...(options.inputSchemaMode === undefined || options.template === undefined
      ? {}
      : {
          inputSchemaMode: options.inputSchemaMode,
          inputSchema: decodeParsed('TaskTemplate', options.template).input_schema,
        }),
    ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
  });
  const result = outcome.type === 'result' ? outcome.result : undefined;
  return {
    outcome,
    result,
    checkpoint: outcome.type === 'checkpoint_yield' ? outcome.checkpoint : undefined,
    ...(result?.success === true
      ? { success: true, value: result.result }
      : { success: false, value: result?.result }),
    retryable: result?.metadata.retryable ?? false,
    errorType: result?.error?.error_type ?? undefined,
    problems: templateProblems(options, result),
  };
}

function templateProblems(options: RunHandlerOptions, result: StepExecutionResult | undefined): string[] {
  if (options.template === undefined || result === undefined || !result.success) return [];
  const outcome = (
    result.result as { decision_point_outcome?: { type?: string; step_names?: string[] } } | null
  )?.decision_point_outcome;
  if (outcome?.type !== 'create_steps') return [];
  const template = decodeParsed('TaskTemplate', options.template);
  const stepName = options.stepName ?? template.steps[0]?.name ?? 'test_step';
  const children = new Set(
    template.steps.filter((s) => s.dependencies.includes(stepName)).map((s) => s.name),
  );
  return (outcome.step_names ?? [])
    .filter((name) => !children.has(name))
    .map(
      (name) =>
        `decision '${stepName}' activates '${name}', which is not one of its children in the template`,
    );
}
