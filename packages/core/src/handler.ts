import type { StepContext } from './context.js';
import type { CheckpointYieldInput } from './handlers/checkpoint.js';
import { type CheckpointYield, checkpointYield } from './handlers/checkpoint.js';
import type { Logger } from './logger.js';
import { type FailureOptions, failure, type StepHandlerResult, success } from './results.js';
import type { ResultSchemaMode } from './typed/result-schema.js';
import { type JsonObject, type JsonValue, setMember } from './wire.js';

/**
 * What a handler may return. `runStep` normalises it (docs/upstream-workers.md §6.5): a `StepHandlerResult` or a
 * `CheckpointYield` is used as is; `undefined`/`null` becomes `success({})`; an object or array becomes
 * `success(value)`; any other value `v` becomes `success({result: v})`, as upstream TS and Python do.
 */
export type HandlerOutput = unknown;

/** The shape the registry resolves to and `runStep` executes: a `StepHandler` instance or a defined handler. */
export interface ExecutableHandler {
  /** The registered name, usually the template's `handler.callable`. */
  readonly name: string;
  /** Written to `metadata.handler_version`. */
  readonly version?: string | undefined;
  /** Overrides `runStep`'s `resultSchemaMode` for this handler. */
  readonly resultSchemaMode?: ResultSchemaMode | undefined;
  call(context: StepContext): HandlerOutput | Promise<HandlerOutput>;
}

/**
 * Base class for class-style handlers. A registered class is instantiated once per step with the template's
 * `handler.initialization` (as Rust's and Ruby's constructors receive it); subclasses override `call` and may
 * add other methods that the template selects with `handler.method`.
 */
export abstract class StepHandler implements ExecutableHandler {
  /** The name to register under; defaults to the class name. */
  static handlerName?: string;
  static handlerVersion = '1.0.0';
  static resultSchemaMode?: ResultSchemaMode;

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

  abstract call(context: StepContext): HandlerOutput | Promise<HandlerOutput>;

  protected success(result?: unknown, metadata?: Record<string, unknown>): StepHandlerResult {
    return success(result, metadata);
  }

  protected failure(message: string, options?: FailureOptions): StepHandlerResult {
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

export interface HandlerArgs<TInput, TDeps> {
  context: StepContext<TInput>;
  /** The task context, typed. */
  input: TInput;
  /** Ancestors' values named by `depends`. */
  deps: TDeps;
  /** The template's `handler.initialization`. */
  config: Readonly<JsonObject>;
  signal: AbortSignal;
  logger: Logger;
}

export type HandlerFn<TInput, TDeps, TResult> = (
  args: HandlerArgs<TInput, TDeps>,
) => TResult | StepHandlerResult | CheckpointYield | Promise<TResult | StepHandlerResult | CheckpointYield>;

export interface DefineHandlerOptions<TInput, TDeps, TResult> {
  version?: string;
  /** Task-context fields that must be present; a missing one fails permanently with a `ValidationError`. */
  inputs?: readonly (keyof TInput & string)[];
  /**
   * Ancestors whose values fill `deps`: `{param: 'step_name'}`, or a list of step names used as keys. A missing
   * ancestor fails permanently (`MISSING_DEPENDENCY`).
   */
  depends?: { readonly [K in keyof TDeps]: string } | readonly (keyof TDeps & string)[];
  /** Further entry points selected by the template's `handler.method`. */
  methods?: Record<string, HandlerFn<TInput, TDeps, TResult>>;
  resultSchemaMode?: ResultSchemaMode;
}

/** What `defineHandler` returns: an `ExecutableHandler` plus one function per declared method. */
export interface DefinedHandler extends ExecutableHandler {
  readonly version: string;
  readonly [method: string]: unknown;
}

/**
 * The functional way to write a handler; as capable as a `StepHandler` subclass (both run through the same
 * `runStep` path, and `test/handler-parity.test.ts` proves equal results).
 */
export function defineHandler<TInput = JsonObject, TDeps = Record<string, JsonValue>, TResult = unknown>(
  name: string,
  fn: HandlerFn<TInput, TDeps, TResult>,
): DefinedHandler;
export function defineHandler<TInput = JsonObject, TDeps = Record<string, JsonValue>, TResult = unknown>(
  name: string,
  options: DefineHandlerOptions<TInput, TDeps, TResult>,
  fn: HandlerFn<TInput, TDeps, TResult>,
): DefinedHandler;
export function defineHandler<TInput, TDeps, TResult>(
  name: string,
  optionsOrFn: DefineHandlerOptions<TInput, TDeps, TResult> | HandlerFn<TInput, TDeps, TResult>,
  maybeFn?: HandlerFn<TInput, TDeps, TResult>,
): DefinedHandler {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (fn === undefined) throw new TypeError(`defineHandler('${name}'): a handler function is required`);

  const bind =
    (body: HandlerFn<TInput, TDeps, TResult>) =>
    (context: StepContext): Promise<unknown> | unknown => {
      const typed = context as unknown as StepContext<TInput>;
      for (const field of options.inputs ?? []) typed.getInput(field);
      return body({
        context: typed,
        input: typed.inputData,
        deps: collectDeps<TDeps>(typed, options.depends),
        config: typed.stepConfig,
        signal: typed.signal,
        logger: typed.logger,
      });
    };

  const methods: Record<string, unknown> = {};
  for (const [method, body] of Object.entries(options.methods ?? {})) methods[method] = bind(body);
  return {
    ...methods,
    name,
    version: options.version ?? '1.0.0',
    resultSchemaMode: options.resultSchemaMode,
    call: bind(fn),
  };
}

function collectDeps<TDeps>(
  context: StepContext<unknown>,
  depends: { readonly [K in keyof TDeps]: string } | readonly string[] | undefined,
): TDeps {
  const deps: Record<string, unknown> = {};
  if (depends === undefined) return deps as TDeps;
  const pairs: [string, string][] = Array.isArray(depends)
    ? depends.map((step: string) => [step, step])
    : Object.entries(depends as Record<string, string>);
  for (const [param, step] of pairs) setMember(deps, param, context.requireDependencyResult(step));
  return deps as TDeps;
}
