import { PermanentError } from './errors/classes.js';
import { SystemErrorType } from './errors/error-types.js';
import { type ExecutableHandler, isHandlerBase, type StepHandlerClass } from './handler.js';
import type { HandlerDefinition } from './wire.js';

/**
 * Anything that can stand behind a callable: a `StepHandler` subclass (instantiated per step with the
 * template's `initialization`), a ready handler object (a `defineHandler` result or an instance, reused), or a
 * factory `(initialization) => handler`.
 */
export type HandlerSource =
  | StepHandlerClass
  | ExecutableHandler
  | ((initialization: Record<string, unknown>) => ExecutableHandler);

/**
 * One link of the resolver chain (upstream `docs/guides/handler-resolution.md`): resolvers are asked in
 * ascending `priority`; the first non-null answer wins.
 */
export interface HandlerResolver {
  readonly name: string;
  readonly priority: number;
  canResolve(definition: HandlerDefinition): boolean;
  resolve(definition: HandlerDefinition): ExecutableHandler | null | Promise<ExecutableHandler | null>;
}

function isHandlerClass(source: unknown): source is StepHandlerClass {
  return (
    typeof source === 'function' &&
    typeof (source as { prototype?: { call?: unknown } }).prototype?.call === 'function'
  );
}

function isExecutable(source: unknown): source is ExecutableHandler {
  return (
    typeof source === 'object' && source !== null && typeof (source as ExecutableHandler).call === 'function'
  );
}

/** Whether `value` is something the registry can turn into a handler. */
export function isHandlerSource(value: unknown): value is HandlerSource {
  return isHandlerClass(value) || isExecutable(value) || typeof value === 'function';
}

/** The handler a source yields for one step, given the template's `handler.initialization`. */
export function instantiate(
  source: HandlerSource,
  initialization: Record<string, unknown>,
): ExecutableHandler {
  if (isHandlerClass(source)) return new source(initialization);
  if (isExecutable(source)) return source;
  const made = source(initialization);
  if (!isExecutable(made))
    throw new TypeError('A handler factory must return an object with a call() method');
  return made;
}

/** Priority 10, as upstream: callables registered by name with `HandlerRegistry.register`. */
export class ExplicitMappingResolver implements HandlerResolver {
  readonly name = 'explicit_mapping';
  readonly priority = 10;
  readonly #handlers = new Map<string, HandlerSource>();

  register(callable: string, source: HandlerSource): void {
    this.#handlers.set(callable, source);
  }

  unregister(callable: string): boolean {
    return this.#handlers.delete(callable);
  }

  has(callable: string): boolean {
    return this.#handlers.has(callable);
  }

  names(): string[] {
    return [...this.#handlers.keys()].sort();
  }

  clear(): void {
    this.#handlers.clear();
  }

  canResolve(definition: HandlerDefinition): boolean {
    return this.#handlers.has(definition.callable);
  }

  resolve(definition: HandlerDefinition): ExecutableHandler | null {
    const source = this.#handlers.get(definition.callable);
    return source === undefined ? null : instantiate(source, definition.initialization ?? {});
  }
}

/**
 * Priority 100, as upstream: finds the callable as a dotted path (`.` or `::`) in an object of exports, e.g.
 * `PaymentHandlers.ProcessPaymentHandler` in `{ PaymentHandlers: await import('./payments.js') }`. This is the
 * "configurable module root" of docs/upstream-workers.md §6.10: it works for the dotted names upstream TS documents
 * but cannot resolve, and needs no file-system scanning.
 */
export class ClassLookupResolver implements HandlerResolver {
  readonly name = 'class_lookup';
  readonly priority = 100;
  readonly #root: Readonly<Record<string, unknown>>;

  constructor(root: Readonly<Record<string, unknown>>) {
    this.#root = root;
  }

  canResolve(definition: HandlerDefinition): boolean {
    return this.#lookup(definition.callable) !== undefined;
  }

  resolve(definition: HandlerDefinition): ExecutableHandler | null {
    const source = this.#lookup(definition.callable);
    return source === undefined ? null : instantiate(source, definition.initialization ?? {});
  }

  #lookup(callable: string): HandlerSource | undefined {
    const direct = this.#root[callable];
    if (isHandlerSource(direct)) return direct;
    let node: unknown = this.#root;
    for (const segment of callable.split(/::|\./)) {
      if ((typeof node !== 'object' && typeof node !== 'function') || node === null) return undefined;
      node = Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
    }
    return isHandlerClass(node) || isExecutable(node) ? node : undefined;
  }
}

/**
 * Resolvers in priority order. A template's `handler.resolver` names the one resolver to use and bypasses the
 * rest (docs/upstream-workers.md §2.6; upstream TS drops the hint, gap §6.2).
 */
export class ResolverChain {
  readonly #resolvers: HandlerResolver[] = [];

  constructor(resolvers: Iterable<HandlerResolver> = []) {
    for (const resolver of resolvers) this.add(resolver);
  }

  add(resolver: HandlerResolver): this {
    this.remove(resolver.name);
    this.#resolvers.push(resolver);
    this.#resolvers.sort((a, b) => a.priority - b.priority);
    return this;
  }

  remove(name: string): boolean {
    const index = this.#resolvers.findIndex((r) => r.name === name);
    if (index < 0) return false;
    this.#resolvers.splice(index, 1);
    return true;
  }

  get(name: string): HandlerResolver | undefined {
    return this.#resolvers.find((r) => r.name === name);
  }

  /** Resolver names in the order they are asked. */
  names(): string[] {
    return this.#resolvers.map((r) => r.name);
  }

  async resolve(definition: HandlerDefinition): Promise<ExecutableHandler | null> {
    const hint = definition.resolver;
    if (hint !== undefined && hint !== null) {
      const resolver = this.get(hint);
      if (resolver === undefined) {
        throw new PermanentError(`Unknown resolver '${hint}' for handler '${definition.callable}'`, {
          errorType: SystemErrorType.HANDLER_NOT_FOUND,
          context: { callable: definition.callable, resolver: hint, resolvers: this.names() },
        });
      }
      return resolver.resolve(definition);
    }
    for (const resolver of this.#resolvers) {
      if (!resolver.canResolve(definition)) continue;
      const handler = await resolver.resolve(definition);
      if (handler !== null) return handler;
    }
    return null;
  }
}

/**
 * Applies the template's `handler.method` (docs/upstream-workers.md §2.6): `call` (or unset) runs the handler as is,
 * any other name runs that method of the handler with the same context. Only entry points the handler declares
 * can be named (`declaredMethods`), so a template cannot reach `toString`, `constructor` or a base class's helpers
 * such as `success`. Anything else is a permanent `method_not_found` failure rather than a silent fallback to `call`.
 */
export function dispatchMethod(
  handler: ExecutableHandler,
  method: string | null | undefined,
): ExecutableHandler {
  if (method === undefined || method === null || method === 'call') return handler;
  const declared = declaredMethods(handler);
  const target = (handler as unknown as Record<string, unknown>)[method];
  if (!declared.includes(method) || typeof target !== 'function') {
    throw new PermanentError(`Handler '${handler.name}' has no method '${method}'`, {
      errorType: SystemErrorType.METHOD_NOT_FOUND,
      context: { handler: handler.name, method, methods: ['call', ...declared] },
    });
  }
  return {
    name: handler.name,
    version: handler.version,
    resultSchemaMode: handler.resultSchemaMode,
    call: (context) => target.call(handler, context),
  };
}

/**
 * The entry points besides `call` that `handler.method` may name: the handler's `handlerMethods` when it declares
 * them (a defined handler always does), else every method of the object and of its classes below the library's
 * base classes (`StepHandler`, `ApiHandler`, …) and `Object.prototype`.
 */
export function declaredMethods(handler: ExecutableHandler): string[] {
  if (handler.handlerMethods !== undefined) return handler.handlerMethods.filter((m) => m !== 'call');
  const names = new Set<string>();
  for (
    let level: object | null = handler;
    level !== null && level !== Object.prototype && !isHandlerBase(level);
    level = Object.getPrototypeOf(level)
  ) {
    for (const key of Object.getOwnPropertyNames(level)) {
      if (key === 'constructor' || key === 'call') continue;
      if (typeof Object.getOwnPropertyDescriptor(level, key)?.value === 'function') names.add(key);
    }
  }
  return [...names].sort();
}
