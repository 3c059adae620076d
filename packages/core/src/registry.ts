import type { ExecutableHandler } from './handler.js';
import {
  dispatchMethod,
  ExplicitMappingResolver,
  type HandlerResolver,
  type HandlerSource,
  ResolverChain,
} from './resolvers.js';
import {
  decodeParsed,
  type HandlerDefinition,
  type HandlerDefinitionInput,
  type TaskTemplateInput,
} from './wire.js';

export interface HandlerRegistryOptions {
  /** Resolvers added after the built-in explicit mapping (e.g. a `ClassLookupResolver`, custom ones). */
  resolvers?: Iterable<HandlerResolver>;
}

/**
 * Maps a template's `handler` definition to a handler. Each registry owns its chain: there is no process-wide
 * default, so registrations never leak between registries or tests (docs/upstream-workers.md §3.5).
 */
export class HandlerRegistry {
  readonly #explicit = new ExplicitMappingResolver();
  readonly #chain: ResolverChain;

  constructor(options: HandlerRegistryOptions = {}) {
    this.#chain = new ResolverChain([this.#explicit, ...(options.resolvers ?? [])]);
  }

  /**
   * Registers a handler under a callable name. With one argument the name is the handler's own: a class's
   * `handlerName` (or class name), a defined handler's `name`.
   */
  register(name: string, source: HandlerSource): this;
  register(source: HandlerSource & ({ handlerName?: string } | { name: string })): this;
  register(nameOrSource: string | HandlerSource, maybeSource?: HandlerSource): this {
    if (typeof nameOrSource === 'string') {
      if (maybeSource === undefined)
        throw new TypeError(`register('${nameOrSource}'): a handler is required`);
      this.#explicit.register(nameOrSource, maybeSource);
      return this;
    }
    const named = nameOrSource as { handlerName?: unknown; name?: unknown };
    const name = typeof named.handlerName === 'string' ? named.handlerName : named.name;
    if (typeof name !== 'string' || name === '')
      throw new TypeError('register(handler): the handler has no name');
    this.#explicit.register(name, nameOrSource);
    return this;
  }

  unregister(name: string): boolean {
    return this.#explicit.unregister(name);
  }

  /** Whether a handler was registered under `name` (explicit mapping only). */
  isRegistered(name: string): boolean {
    return this.#explicit.has(name);
  }

  /** Registered names, sorted. */
  listHandlers(): string[] {
    return this.#explicit.names();
  }

  get handlerCount(): number {
    return this.#explicit.names().length;
  }

  clear(): void {
    this.#explicit.clear();
  }

  addResolver(resolver: HandlerResolver): this {
    this.#chain.add(resolver);
    return this;
  }

  /** Resolver names in the order they are asked. */
  listResolvers(): string[] {
    return this.#chain.names();
  }

  /**
   * The handler for a callable or a `handler` definition as a template writes it (only `callable` is required;
   * serde's defaults fill the rest), with `method` dispatch and `resolver` hints applied, or null when nothing
   * resolves it. Throws a permanent error for an unknown resolver hint or method, and a `WireValidationError`
   * (`wire_validation_failed`) for a definition Rust would not decode.
   */
  async resolve(spec: string | HandlerDefinitionInput): Promise<ExecutableHandler | null> {
    const definition: HandlerDefinition =
      typeof spec === 'string'
        ? { callable: spec, method: null, resolver: null, initialization: {} }
        : decodeParsed('HandlerDefinition', spec);
    const handler = await this.#chain.resolve(definition);
    return handler === null ? null : dispatchMethod(handler, definition.method);
  }

  /**
   * Callables of `template` (YAML-shaped or the full stored form) that no resolver can resolve, so a worker can
   * refuse to start instead of failing steps at run time (docs/upstream-workers.md §6.10). Throws a
   * `WireValidationError` for a template Rust would not decode.
   */
  async missingHandlers(template: TaskTemplateInput): Promise<string[]> {
    const missing = new Set<string>();
    for (const step of decodeParsed('TaskTemplate', template).steps) {
      try {
        if ((await this.resolve(step.handler)) === null) missing.add(step.handler.callable);
      } catch {
        missing.add(step.handler.callable);
      }
    }
    return [...missing].sort();
  }
}
