import type { StepContext } from './context.js';
import type { CheckpointYieldInput } from './handlers/checkpoint.js';
import { type CheckpointYield, checkpointYield } from './handlers/checkpoint.js';
import type { Logger } from './logger.js';
import { type FailureOptions, failure, type StepHandlerResult, success } from './results.js';
import { validatedArgs, validatedResult } from './typed/handler-validation.js';
import type { ResultSchemaMode } from './typed/result-schema.js';
import type { StandardSchemaV1 } from './typed/standard-schema.js';
import type { JsonObject } from './wire.js';

/**
 * What a handler may return. `runStep` normalises it (docs/upstream-workers.md §6.5): a `StepHandlerResult` or a
 * `CheckpointYield` is used as is; `undefined`/`null` becomes `success({})`; an object or array becomes
 * `success(value)`; any other value `v` becomes `success({result: v})`, as upstream TS and Python do.
 */
export type HandlerOutput = unknown;

/** What a handler with results of type `TResult` returns: the value, a result carrying it, or a checkpoint yield. */
export type HandlerReturn<TResult> = TResult | StepHandlerResult<TResult> | CheckpointYield;

/** The shape the registry resolves to and `runStep` executes: a `StepHandler` instance or a defined handler. */
export interface ExecutableHandler {
  /** The registered name, usually the template's `handler.callable`. */
  readonly name: string;
  /** Written to `metadata.handler_version`. */
  readonly version?: string | undefined;
  /** Overrides `runStep`'s `resultSchemaMode` for this handler. */
  readonly resultSchemaMode?: ResultSchemaMode | undefined;
  /**
   * The entry points a template's `handler.method` may name besides `call`. Without it, the methods the
   * handler's own class declares (its prototype chain below the library's base classes) or, for a plain object,
   * its own function properties (`dispatchMethod` in `resolvers.ts`).
   */
  readonly handlerMethods?: readonly string[] | undefined;
  call(context: StepContext): HandlerOutput | Promise<HandlerOutput>;
}

const HANDLER_BASE = Symbol.for('@tasker-bridge/core/handler-base');

/**
 * Marks a base class of handlers (the library's own, or a shared base class of yours), so that method dispatch
 * never reaches its helpers (`success`, `failure`, `api`, …): only what a concrete handler class declares is a
 * `handler.method` entry point.
 */
export function markHandlerBase(base: abstract new (...args: never[]) => unknown): void {
  Object.defineProperty(base.prototype, HANDLER_BASE, { value: true, enumerable: false });
}

/** Whether `prototype` belongs to a marked base class (`markHandlerBase`). */
export function isHandlerBase(prototype: object): boolean {
  return Object.hasOwn(prototype, HANDLER_BASE);
}

/**
 * Base class for class-style handlers. A registered class is instantiated once per step with the template's
 * `handler.initialization` (as Rust's and Ruby's constructors receive it); subclasses override `call` and may
 * add other methods that the template selects with `handler.method`.
 */
export abstract class StepHandler implements ExecutableHandler {
  static {
    markHandlerBase(StepHandler);
  }

  /** The name to register under; defaults to the class name. */
  static handlerName?: string;
  static handlerVersion = '1.0.0';
  static resultSchemaMode?: ResultSchemaMode;
  /** Restricts `handler.method` to these names (besides `call`); default: every method the class declares. */
  static handlerMethods?: readonly string[];

  /** The template's `handler.initialization`, also available as `context.stepConfig`. */
  readonly config: Readonly<Record<string, unknown>>;

  constructor(config: Record<string, unknown> = {}) {
    this.config = config;
  }

  get name(): string {
    const ctor = this.constructor as typeof StepHandler;
    return ctor.handlerName ?? ctor.name;
  }

  get version(): string {
    return (this.constructor as typeof StepHandler).handlerVersion;
  }

  get resultSchemaMode(): ResultSchemaMode | undefined {
    return (this.constructor as typeof StepHandler).resultSchemaMode;
  }

  get handlerMethods(): readonly string[] | undefined {
    return (this.constructor as typeof StepHandler).handlerMethods;
  }

  /**
   * Runs the step. A subclass declares the task input it reads, `call(context: StepContext<OrderInput>)`; `never`
   * here lets any input type override it (a generated input type carries an index signature of `unknown` that
   * `JsonObject` would refuse).
   */
  abstract call(context: StepContext<never>): HandlerOutput | Promise<HandlerOutput>;

  protected success<T = Record<string, never>>(
    result?: T,
    metadata?: Record<string, unknown>,
  ): StepHandlerResult<T> {
    return success(result, metadata);
  }

  protected failure(message: string, options?: FailureOptions): StepHandlerResult<never> {
    return failure(message, options);
  }

  protected checkpointYield(input: CheckpointYieldInput): CheckpointYield {
    return checkpointYield(input);
  }
}

/** A `StepHandler` subclass that the registry can instantiate. */
export type StepHandlerClass = (new (
  config: Record<string, unknown>,
) => StepHandler) & {
  handlerName?: string;
};

/** What a handler function receives. The defaults are what is known without a schema: JSON. */
export interface HandlerArgs<TInput = JsonObject, TDeps = Record<never, never>, TConfig = JsonObject> {
  context: StepContext<TInput>;
  /** The task context, validated by the `input` schema when there is one. */
  input: TInput;
  /** Ancestors' values named by `deps`/`depends`, each validated by its schema when there is one. */
  deps: TDeps;
  /** The template's `handler.initialization`, validated by the `config` schema when there is one. */
  config: TConfig;
  signal: AbortSignal;
  logger: Logger;
}

/** A handler function; `TExtra` is what a specialised `define*Handler` adds to the arguments (an API client, …). */
export type HandlerFn<TInput, TDeps, TResult, TConfig = JsonObject, TExtra = unknown> = (
  args: HandlerArgs<TInput, TDeps, TConfig> & TExtra,
) => HandlerReturn<TResult> | Promise<HandlerReturn<TResult>>;

/**
 * Options of `defineHandler`. Every type is inferred: from the schemas (any Standard Schema: Zod, Valibot,
 * ArkType, or `jsonSchema()` from a template), from an annotated handler parameter (`(args: HandlerArgs<…>) =>`),
 * else the JSON types. The result type comes from the `result` schema or from what the function returns.
 */
export interface DefineHandlerOptions<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TMethods extends string = never,
  TNames extends string = keyof TDeps & string,
> {
  version?: string;
  /** Validates the task context; a failure is a permanent `validation_error` naming the path. */
  input?: StandardSchemaV1<unknown, TInput>;
  /** Validates `handler.initialization`; a failure is a permanent `validation_error` naming the path. */
  config?: StandardSchemaV1<unknown, TConfig>;
  /**
   * Ancestors' values by step name (or by the parameter names `depends` maps to step names), each validated by
   * its schema; a missing ancestor fails permanently (`MISSING_DEPENDENCY`), a value that fails its schema is a
   * permanent `validation_error` naming the path.
   */
  deps?: { readonly [K in keyof TDeps]: StandardSchemaV1<unknown, TDeps[K]> };
  /**
   * Ancestors whose values fill `deps`: `{param: 'step_name'}`, or a list of step names used as keys (upstream
   * TS's `depends`). A parameter that also has a `deps` schema is validated by it; one without is `unknown`.
   */
  depends?: { readonly [P in TNames]: string } | readonly TNames[];
  /** Validates the function's result; a failure is a permanent `result_schema_violation`. */
  result?: StandardSchemaV1<unknown, TResult>;
  /** Task-context fields that must be present; a missing one fails permanently with a `ValidationError`. */
  inputs?: readonly NoInfer<keyof TInput & string>[];
  /**
   * Further entry points selected by the template's `handler.method`, sharing the schemas. Only these and `call`
   * can be selected; any other name fails permanently with `method_not_found`.
   */
  methods?: { readonly [M in TMethods]: HandlerFn<TInput, WithNames<TDeps, TNames>, unknown, TConfig> };
  resultSchemaMode?: ResultSchemaMode;
}

/** `deps` as the function sees it: the schema-typed entries, and `unknown` for names only `depends` gives. */
export type WithNames<TDeps, TNames extends string> = [Exclude<TNames, keyof TDeps>] extends [never]
  ? TDeps
  : { [K in keyof TDeps | Exclude<TNames, keyof TDeps>]: K extends keyof TDeps ? TDeps[K] : unknown };

/** The options the specialised `define*Handler` functions share with `defineHandler` (all but `methods`). */
export type BaseHandlerOptions<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
> = Omit<DefineHandlerOptions<TInput, TDeps, TResult, TConfig, never, TNames>, 'methods'>;

/** The schemas a defined handler checks (`defineHandler`'s options), as `runStep` and codegen see them. */
export interface HandlerSchemas {
  readonly input?: StandardSchemaV1 | undefined;
  readonly config?: StandardSchemaV1 | undefined;
  readonly deps?: Readonly<Record<string, StandardSchemaV1 | undefined>> | undefined;
  readonly result?: StandardSchemaV1 | undefined;
}

/**
 * What `defineHandler` returns: an `ExecutableHandler` whose `call` (and each declared method) resolves to what
 * the function returned, typed. `~types` exists only in the types: it carries the input and result types to
 * `runHandler` and to anything that wraps the handler.
 */
export type DefinedHandler<TInput = JsonObject, TResult = unknown, TMethods extends string = never> = {
  readonly name: string;
  readonly version: string;
  readonly resultSchemaMode: ResultSchemaMode | undefined;
  readonly handlerMethods: readonly string[];
  readonly schemas: HandlerSchemas;
  call(context: StepContext): Promise<HandlerReturn<TResult>>;
  readonly '~types'?: { readonly input: TInput; readonly result: TResult };
} & { readonly [M in TMethods]: (context: StepContext) => Promise<HandlerReturn<unknown>> };

/**
 * The result type of a handler source: a defined handler's (from its function or its `result` schema), what a
 * handler class's or object's `call` returns (a `StepHandlerResult<T>` counts as `T`), or a factory's handler's.
 */
export type HandlerResultOf<H> = H extends abstract new (
  ...args: never[]
) => infer I
  ? HandlerResultOf<I>
  : H extends (...args: never[]) => infer E
    ? HandlerResultOf<E>
    : '~types' extends keyof H
      ? H extends { readonly '~types'?: { readonly result: infer R } }
        ? R
        : unknown
      : H extends { call(context: never): infer R }
        ? ResultOfReturn<Awaited<R>>
        : unknown;

type ResultOfReturn<R> = R extends StepHandlerResult<infer T> ? T : R extends CheckpointYield ? never : R;

/**
 * The functional way to write a handler; as capable as a `StepHandler` subclass (both run through the same
 * `runStep` path, and `test/handler-parity.test.ts` proves equal results). With schemas, the data is checked at the
 * edge: input, config and dependency values before the function runs, its result after.
 */
export function defineHandler<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
>(name: string, fn: HandlerFn<TInput, TDeps, TResult, TConfig>): DefinedHandler<TInput, TResult>;
export function defineHandler<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TMethods extends string = never,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: DefineHandlerOptions<TInput, TDeps, TResult, TConfig, TMethods, TNames>,
  fn: HandlerFn<TInput, WithNames<TDeps, TNames>, TResult, TConfig>,
): DefinedHandler<TInput, TResult, TMethods>;
export function defineHandler(
  name: string,
  optionsOrFn: object | ((args: never) => unknown),
  maybeFn?: (args: never) => unknown,
): DefinedHandler<unknown, unknown> {
  // The overloads carry the types; the implementation only needs the option names.
  const options = (typeof optionsOrFn === 'function' ? {} : optionsOrFn) as UntypedOptions;
  const fn = (typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn) as UntypedFn | undefined;
  if (fn === undefined) throw new TypeError(`defineHandler('${name}'): a handler function is required`);
  const schemas: HandlerSchemas = {
    input: options.input,
    config: options.config,
    deps: options.deps,
    result: options.result,
  };
  const dependencies = dependencyParams(options);

  const bind =
    (body: UntypedFn) =>
    async (context: StepContext): Promise<HandlerReturn<unknown>> => {
      for (const field of options.inputs ?? []) context.getInput(field);
      const args = await validatedArgs(context, schemas, dependencies);
      return validatedResult(await body(args), schemas.result);
    };

  const methods: Record<string, unknown> = {};
  for (const [method, body] of Object.entries(options.methods ?? {})) methods[method] = bind(body);
  return {
    ...methods,
    name,
    version: options.version ?? '1.0.0',
    resultSchemaMode: options.resultSchemaMode,
    handlerMethods: Object.keys(methods),
    schemas,
    call: bind(fn),
  } as DefinedHandler<unknown, unknown>;
}

/** The implementation's view of the options. */
type UntypedFn = (args: HandlerArgs<unknown, unknown, unknown>) => unknown;
interface UntypedOptions extends HandlerSchemas {
  readonly version?: string | undefined;
  readonly depends?: Readonly<Record<string, string | undefined>> | readonly string[] | undefined;
  readonly inputs?: readonly string[] | undefined;
  readonly methods?: Readonly<Record<string, UntypedFn>> | undefined;
  readonly resultSchemaMode?: ResultSchemaMode | undefined;
}

/** `deps` parameter → step name: `deps` keys are step names unless `depends` maps them; list entries map to themselves. */
function dependencyParams(options: UntypedOptions): [param: string, step: string][] {
  const params = new Map<string, string>();
  for (const param of Object.keys(options.deps ?? {})) params.set(param, param);
  const depends = options.depends;
  if (Array.isArray(depends)) for (const step of depends as readonly string[]) params.set(step, step);
  else if (depends !== undefined) {
    for (const [param, step] of Object.entries(depends)) if (step !== undefined) params.set(param, step);
  }
  return [...params];
}
