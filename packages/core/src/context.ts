import { PermanentError, ValidationError } from './errors/classes.js';
import { PublicationCondition, type PublishedEvent } from './events/domain-events.js';
import { type Logger, noopLogger } from './logger.js';
import type {
  CheckpointRecord,
  JsonObject,
  JsonValue,
  StepExecutionResult,
  TaskSequenceStep,
} from './wire.js';
import { toJsonValue } from './wire-result.js';

/** Rust's `max_retries()` default when neither the step row nor the template says (`TaskSequenceStep`). */
const DEFAULT_MAX_ATTEMPTS = 3;

export interface StepContextInit {
  /** The hydrated step (docs/wire-types.md §4) exactly as the worker loaded it. */
  step: TaskSequenceStep;
  /** Aborted on timeout or shutdown; handlers pass it to `fetch`, database drivers, timers. */
  signal?: AbortSignal;
  /** Already bound to the step's fields by `runStep`. */
  logger?: Logger;
  /** The task context as a handler's `input` schema produced it; defaults to the step's `task.context`. */
  inputData?: unknown;
  /** Where `publish` records events; `runStep` hands them to the worker with the result. */
  published?: PublishedEvent[];
}

export interface PublishOptions {
  /** When the event is delivered, judged on the step's result; default `success`. */
  condition?: PublicationCondition;
}

/**
 * Everything a handler may read about the step it runs, with one meaning per name across the fleet (the gaps in
 * docs/upstream-workers.md §2.2 and §6.6): `inputData` is the task context, `stepInputs` is `workflow_step.inputs`,
 * `stepConfig` is the template's `handler.initialization`.
 *
 * `TInput` types the task context; `generateHandlerTypes` writes it from the template's `input_schema`.
 *
 * Data is as Rust holds it (`JsonValue`): integers beyond ±(2^53 − 1) are `bigint`s, and every key is an own
 * property, `__proto__` included. The lookups below read own keys only, so `getInput('constructor')` on a
 * context without that key is undefined rather than `Object`'s constructor.
 */
export class StepContext<TInput = JsonObject> {
  /** The raw hydrated step, snake_case as on the wire. */
  readonly step: TaskSequenceStep;
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly correlationId: string;
  readonly parentCorrelationId: string | null;
  readonly namespace: string;
  readonly taskName: string;
  readonly taskVersion: string;
  /** The step's instance name, e.g. `process_csv_batch_001`. */
  readonly stepName: string;
  /** The template step it was created from, e.g. `process_csv_batch`. */
  readonly templateStepName: string;
  /** The task context (`task.task.context`): the task's input. */
  readonly inputData: TInput;
  /** This step's own inputs (`workflow_step.inputs`); for batch workers the cursor (docs/wire-types.md §7.3). */
  readonly stepInputs: Readonly<JsonObject>;
  /** The template's `handler.initialization` for this step. */
  readonly stepConfig: Readonly<JsonObject>;
  /** Full results of every processed ancestor, keyed by step name (docs/wire-types.md §4.3). */
  readonly dependencyResults: Readonly<Record<string, StepExecutionResult>>;
  /**
   * Earlier attempts: `workflow_step.attempts` as hydrated, before the claim increments it, so 0 on the first
   * execution (docs/upstream-workers.md §1.1).
   */
  readonly retryCount: number;
  /** Total attempts allowed (`max_attempts` counts the first one). */
  readonly maxAttempts: number;
  /** The template's `handler.method`, `call` when unset. */
  readonly handlerMethod: string;
  /** The persisted checkpoint to resume from, or null (docs/wire-types.md §8.2). */
  readonly checkpoint: CheckpointRecord | null;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly #init: StepContextInit;
  readonly #published: PublishedEvent[];

  constructor(init: StepContextInit) {
    this.#init = init;
    const { step } = init;
    const task = step.task.task;
    const workflowStep = step.workflow_step;
    this.step = step;
    this.taskUuid = task.task_uuid;
    this.stepUuid = workflowStep.workflow_step_uuid;
    this.correlationId = task.correlation_id;
    this.parentCorrelationId = task.parent_correlation_id ?? null;
    this.namespace = step.task.namespace_name;
    this.taskName = step.task.task_name;
    this.taskVersion = step.task.task_version;
    this.stepName = workflowStep.name;
    this.templateStepName = workflowStep.template_step_name;
    this.inputData = ('inputData' in init ? init.inputData : (asRecord(task.context) ?? {})) as TInput;
    this.stepInputs = asRecord(workflowStep.inputs) ?? {};
    this.stepConfig = asRecord(step.step_definition.handler.initialization) ?? {};
    this.dependencyResults = step.dependency_results;
    this.retryCount = workflowStep.attempts ?? 0;
    this.maxAttempts =
      workflowStep.max_attempts ?? step.step_definition.retry?.max_attempts ?? DEFAULT_MAX_ATTEMPTS;
    this.handlerMethod = step.step_definition.handler.method ?? 'call';
    this.checkpoint = (workflowStep.checkpoint ?? null) as CheckpointRecord | null;
    this.signal = init.signal ?? new AbortController().signal;
    this.logger = init.logger ?? noopLogger;
    this.#published = init.published ?? [];
  }

  /**
   * Publishes one of this step's declared events (`publishes_events`) with `payload`. Nothing leaves the process
   * now: the worker delivers it (queue and/or in-process, by the declaration's `delivery_mode`) after the step's
   * result is committed, if `condition` (default `success`) holds for that result, with the payload checked against
   * the declaration's schema. The declaration then no longer fires by itself for this execution. An undeclared name
   * is a permanent error; a payload that is not JSON throws here.
   */
  publish(eventName: string, payload: unknown, options: PublishOptions = {}): void {
    const declared = this.step.step_definition.publishes_events ?? [];
    if (!declared.some((d) => d.name === eventName)) {
      throw new PermanentError(
        `Step '${this.templateStepName}' publishes no event '${eventName}' (its publishes_events: ${
          declared.map((d) => d.name).join(', ') || 'none'
        })`,
        { errorCode: 'UNDECLARED_EVENT', context: { event: eventName } },
      );
    }
    this.#published.push({
      name: eventName,
      payload: toJsonValue(payload),
      condition: options.condition ?? PublicationCondition.SUCCESS,
    });
  }

  /** The events `publish` recorded so far, in order. */
  get publishedEvents(): readonly PublishedEvent[] {
    return this.#published;
  }

  /** The same step with `inputData` replaced, e.g. by what an input schema produced from it. */
  withInputData<T>(inputData: T): StepContext<T> {
    return new StepContext<T>({ ...this.#init, inputData, published: this.#published });
  }

  /** Upstream TypeScript's name for `maxAttempts` (the same number: it counts every attempt, the first included). */
  get maxRetries(): number {
    return this.maxAttempts;
  }

  /** The template's `handler.callable` (upstream TypeScript's `handlerName`). */
  get handlerName(): string {
    return this.step.step_definition.handler.callable;
  }

  /** 1-based number of this execution (`retryCount + 1`). */
  get attempt(): number {
    return this.retryCount + 1;
  }

  /** A task-context field; throws a permanent `ValidationError` naming the field when it is absent or null. */
  getInput<T = JsonValue>(field: string): T {
    const value = own(this.inputData, field);
    if (value === undefined || value === null) {
      throw new ValidationError(
        `Missing required input '${field}' in the task context of step '${this.stepName}'`,
        {
          field,
        },
      );
    }
    return value as T;
  }

  /** A task-context field, or `fallback` when it is absent or null. */
  getInputOr<T>(field: string, fallback: T): T {
    const value = own(this.inputData, field);
    return value === undefined || value === null ? fallback : (value as T);
  }

  /** A `handler.initialization` value, or undefined. */
  getConfig<T = JsonValue>(key: string): T | undefined {
    return own(this.stepConfig, key) as T | undefined;
  }

  /** The value (`.result`) a named ancestor produced, or undefined when it has no result here. */
  getDependencyResult<T = JsonValue>(stepName: string): T | undefined {
    return this.getDependencyExecutionResult(stepName)?.result as T | undefined;
  }

  /** As `getDependencyResult`, but a missing ancestor is a permanent error naming it (a template mistake). */
  requireDependencyResult<T = JsonValue>(stepName: string): T {
    const result = this.getDependencyExecutionResult(stepName);
    if (result === undefined) {
      throw new PermanentError(
        `Step '${this.stepName}' needs the result of '${stepName}', which is not available`,
        {
          errorCode: 'MISSING_DEPENDENCY',
          context: { dependency: stepName },
        },
      );
    }
    return result.result as T;
  }

  /** The whole `StepExecutionResult` of a named ancestor (status, metadata, error), or undefined. */
  getDependencyExecutionResult(stepName: string): StepExecutionResult | undefined {
    return own(this.dependencyResults, stepName) as StepExecutionResult | undefined;
  }

  /** A nested field of an ancestor's value, e.g. `getDependencyField('validate', 'order', 'total')`. */
  getDependencyField<T = JsonValue>(stepName: string, ...path: string[]): T | undefined {
    let value: unknown = this.getDependencyResult(stepName);
    for (const key of path) value = own(value, key);
    return value as T | undefined;
  }

  hasDependencyResult(stepName: string): boolean {
    return this.getDependencyExecutionResult(stepName) !== undefined;
  }

  /** Names of the ancestors whose results are present, sorted. */
  getDependencyResultKeys(): string[] {
    return Object.keys(this.dependencyResults).sort();
  }

  /** Values of every ancestor whose name starts with `prefix` (e.g. batch workers), in name order. */
  getAllDependencyResults<T = JsonValue>(prefix: string): T[] {
    return this.getDependencyResultKeys()
      .filter((name) => name.startsWith(prefix))
      .map((name) => this.getDependencyResult<T>(name) as T);
  }

  isRetry(): boolean {
    return this.retryCount > 0;
  }

  /** True when a failure of this execution would not be retried (Rust's `is_last_retry`). */
  isLastRetry(): boolean {
    return this.retryCount >= this.maxAttempts - 1;
  }

  hasCheckpoint(): boolean {
    return this.checkpoint !== null;
  }

  /** Where the last checkpoint said to resume, or undefined. */
  checkpointCursor<T = JsonValue>(): T | undefined {
    return (this.checkpoint?.cursor ?? undefined) as T | undefined;
  }

  /** Items processed as of the last checkpoint; 0 without one. */
  get checkpointItemsProcessed(): number {
    // u64 on the wire; a count of items stays far below 2^53.
    return Number(this.checkpoint?.items_processed ?? 0);
  }

  /** The state carried by the last checkpoint, or undefined. */
  accumulatedResults<T = JsonValue>(): T | undefined {
    return (this.checkpoint?.accumulated_results ?? undefined) as T | undefined;
  }
}

function asRecord(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** `value[key]` when it is an own property of an object or array, else undefined (never an inherited member). */
function own(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
