import { randomUUID } from 'node:crypto';
import {
  type CheckpointRecord,
  type CursorConfig,
  decodeParsed,
  formatNaiveTimestamp,
  formatUtcTimestamp,
  type HandlerDefinitionInput,
  type RetryConfigurationInput,
  type StepDefinition,
  type StepExecutionResult,
  setMember,
  type TaskSequenceStep,
  type TaskTemplate,
  type TaskTemplateInput,
} from '../wire.js';

export interface TestBatchOptions {
  cursor: CursorConfig;
  cursorField?: string;
  failureStrategy?: 'continue_on_failure' | 'fail_fast' | 'isolate';
  isNoOp?: boolean;
}

/**
 * Changes a test makes to a step definition. `handler` and `retry` replace the template's and are completed
 * with serde's defaults; the other keys are applied as given, unchecked, so a test can use values the wire
 * would not carry (e.g. a fractional `timeout_seconds` for a fast timeout).
 */
export type StepDefinitionChanges = Partial<Omit<StepDefinition, 'handler' | 'retry'>> & {
  handler?: Partial<HandlerDefinitionInput>;
  retry?: RetryConfigurationInput;
  /** serde alias of `dependencies`. */
  depends_on?: string[];
};

export interface TestStepOptions {
  /**
   * Take the step definition, namespace, name and version from this template: as written in YAML (only names,
   * version and each step's `handler.callable` are required) or the full stored form. serde's defaults are
   * applied (`decodeParsed('TaskTemplate', …)`); a template Rust would not decode throws `WireValidationError`.
   */
  template?: TaskTemplateInput;
  /** The template step to run; defaults to the template's first step. */
  stepName?: string;
  /** Changes to the template step (or to the default `test_step` calling `test.Handler`). */
  stepDefinition?: StepDefinitionChanges;
  /** Changes to `step_definition.handler` (callable, method, resolver, initialization). */
  handler?: Partial<HandlerDefinitionInput>;
  /** The task context (`task.task.context`). */
  input?: Record<string, unknown>;
  /** `workflow_step.inputs`; defaults to the handler's initialization, as orchestration creates it. */
  stepInputs?: Record<string, unknown> | null;
  /** Makes the step a batch worker instance `{template}_{batch_id}` with these `BatchWorkerInputs`. */
  batch?: TestBatchOptions;
  /** Ancestors' values, wrapped as successful results. */
  dependencies?: Record<string, unknown>;
  /** Ancestors' whole `StepExecutionResult`s (e.g. `dependencyResult(value)` with other metadata); wins over `dependencies`. */
  dependencyResults?: Record<string, StepExecutionResult>;
  /** `workflow_step.checkpoint` to resume from. */
  checkpoint?: Partial<CheckpointRecord> & { cursor: unknown; items_processed: number };
  /** Earlier attempts (`workflow_step.attempts`), 0 by default. */
  attempts?: number;
  maxAttempts?: number;
  namespace?: string;
  taskName?: string;
}

/** A successful `StepExecutionResult` carrying `value`, shaped as Rust's `success()` factory writes it. */
export function dependencyResult(value: unknown, stepUuid: string = randomUUID()): StepExecutionResult {
  const now = formatUtcTimestamp(new Date());
  return {
    step_uuid: stepUuid,
    success: true,
    result: value,
    metadata: {
      execution_time_ms: 1,
      handler_version: null,
      retryable: false,
      completed_at: now,
      worker_id: null,
      worker_hostname: null,
      started_at: now,
      custom: {},
      error_code: null,
      error_type: null,
      context: {},
    },
    status: 'completed',
    error: null,
    orchestration_metadata: { headers: {}, error_context: null, backoff_hint: null, custom: {} },
  } as StepExecutionResult;
}

function templateStep(template: TaskTemplate, stepName: string | undefined): StepDefinition {
  const step = stepName === undefined ? template.steps[0] : template.steps.find((s) => s.name === stepName);
  if (step === undefined) {
    throw new Error(
      `Template '${template.name}' has no step ${stepName === undefined ? '' : `'${stepName}'`}`,
    );
  }
  return step;
}

/** The step a test runs when no template is given: `test_step` calling `test.Handler`, serde's defaults filled. */
const defaultStep = (): StepDefinition =>
  decodeParsed('StepDefinition', { name: 'test_step', handler: { callable: 'test.Handler' } });

/** The template step (or the default step) with the test's changes applied. */
function completeDefinition(
  base: StepDefinition | undefined,
  changes: StepDefinitionChanges,
  handlerChanges: Partial<HandlerDefinitionInput>,
): StepDefinition {
  const { handler, retry, depends_on: dependsOn, ...rest } = changes;
  const start = base ?? defaultStep();
  // A `handler` or `retry` in the changes replaces the template's, completed as serde completes it.
  const stepHandler =
    handler === undefined
      ? start.handler
      : decodeParsed('HandlerDefinition', { callable: 'test.Handler', ...handler });
  return {
    ...start,
    ...(dependsOn === undefined ? {} : { dependencies: dependsOn }),
    ...rest,
    retry: retry === undefined ? start.retry : decodeParsed('RetryConfiguration', retry),
    handler: {
      ...stepHandler,
      ...handlerChanges,
      initialization: { ...stepHandler.initialization, ...handlerChanges.initialization },
    },
  };
}

/**
 * A hydrated `TaskSequenceStep` (docs/wire-types.md §4) built from a template step, inputs and dependency values,
 * valid against the schemas package, so handlers can be unit-tested without a database.
 */
export function buildTaskSequenceStep(options: TestStepOptions = {}): TaskSequenceStep {
  const template =
    options.template === undefined ? undefined : decodeParsed('TaskTemplate', options.template);
  const base = template === undefined ? undefined : templateStep(template, options.stepName);
  const definition = completeDefinition(base, options.stepDefinition ?? {}, options.handler ?? {});
  const taskUuid = randomUUID();
  const now = new Date();
  const naive = formatNaiveTimestamp(now);
  const initialization = definition.handler.initialization;

  let name = definition.name;
  let inputs: Record<string, unknown> | null =
    options.stepInputs !== undefined
      ? options.stepInputs
      : Object.keys(initialization).length > 0
        ? { ...initialization }
        : null;
  if (options.batch !== undefined) {
    // Batch worker instances: name `{template}_{batch_id}`, inputs = initialization ∪ BatchWorkerInputs (§7.3).
    name = `${definition.name}_${options.batch.cursor.batch_id}`;
    inputs = {
      ...initialization,
      ...options.stepInputs,
      cursor: options.batch.cursor,
      batch_metadata: {
        cursor_field: options.batch.cursorField ?? 'id',
        failure_strategy: options.batch.failureStrategy ?? 'continue_on_failure',
      },
      is_no_op: options.batch.isNoOp ?? false,
      __template_step_name: definition.name,
    };
  }

  // setMember, not assignment: a step may be named `__proto__` (see `JsonValue`).
  const dependencyResults: Record<string, StepExecutionResult> = {};
  for (const [step, value] of Object.entries(options.dependencies ?? {}))
    setMember(dependencyResults, step, dependencyResult(value));
  for (const [step, result] of Object.entries(options.dependencyResults ?? {}))
    setMember(dependencyResults, step, result);

  const checkpoint =
    options.checkpoint === undefined
      ? null
      : {
          accumulated_results: null,
          timestamp: formatUtcTimestamp(now),
          history: [],
          ...options.checkpoint,
        };

  return {
    task: {
      task: {
        task_uuid: taskUuid,
        named_task_uuid: randomUUID(),
        complete: false,
        requested_at: naive,
        initiator: 'test',
        source_system: 'tasker-bridge-testing',
        reason: null,
        tags: null,
        context: options.input ?? {},
        identity_hash: `test-${taskUuid}`,
        priority: 0,
        created_at: naive,
        updated_at: naive,
        correlation_id: randomUUID(),
        parent_correlation_id: null,
      },
      task_name: options.taskName ?? template?.name ?? 'test_task',
      task_version: template?.version ?? '1.0.0',
      namespace_name: options.namespace ?? template?.namespace_name ?? 'test',
    },
    workflow_step: {
      workflow_step_uuid: randomUUID(),
      task_uuid: taskUuid,
      named_step_uuid: randomUUID(),
      name,
      template_step_name: definition.name,
      retryable: definition.retry.retryable,
      max_attempts: options.maxAttempts ?? definition.retry.max_attempts,
      in_process: true,
      processed: false,
      processed_at: null,
      attempts: options.attempts ?? 0,
      last_attempted_at: null,
      backoff_request_seconds: null,
      inputs,
      results: null,
      checkpoint,
      created_at: naive,
      updated_at: naive,
    },
    dependency_results: dependencyResults,
    step_definition: definition,
  } as TaskSequenceStep;
}
