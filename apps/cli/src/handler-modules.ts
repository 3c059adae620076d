import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerRegistry, StepHandler } from '@tasker-bridge/core';
import { loadExamples } from './dev-packages.js';
import { UsageError } from './errors.js';

/**
 * Loads handler modules into one registry. A module may export, in order of preference:
 * - `registerHandlers(registry)` (or a default export that is such a function): called with the registry;
 * - handlers: `StepHandler` subclasses (registered under `handlerName`) and `defineHandler()` results,
 *   as named exports, a default export, or arrays of them.
 * `--examples` adds the `@tasker-bridge/examples` handlers (and their templates directory).
 */
export async function loadHandlerModules(
  specifiers: readonly string[],
  examples: boolean,
): Promise<HandlerRegistry> {
  const registry = new HandlerRegistry();
  if (examples) (await loadExamples('serving the example handlers')).registerExampleHandlers(registry);
  for (const specifier of specifiers) {
    const url = /^[./]|^[A-Za-z]:\\/.test(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (cause) {
      throw new UsageError(`cannot load handler module '${specifier}': ${(cause as Error).message}`, {
        cause,
      });
    }
    const before = registry.handlerCount;
    const register = (mod.registerHandlers ??
      (typeof mod.default === 'function' && !isHandlerClass(mod.default) ? mod.default : undefined)) as
      | ((r: HandlerRegistry) => unknown)
      | undefined;
    if (register !== undefined) await register(registry);
    else for (const value of Object.values(mod)) addExports(registry, value);
    if (registry.handlerCount === before)
      throw new UsageError(
        `handler module '${specifier}' exports no handlers (see \`tasker-bridge worker --help\`)`,
      );
  }
  return registry;
}

function isHandlerClass(value: unknown): value is typeof StepHandler {
  return typeof value === 'function' && value.prototype instanceof StepHandler;
}

function isDefinedHandler(value: unknown): value is { name: string; call: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { call?: unknown }).call === 'function'
  );
}

function addExports(registry: HandlerRegistry, value: unknown): void {
  if (Array.isArray(value)) for (const item of value) addExports(registry, item);
  else if (isHandlerClass(value) || isDefinedHandler(value)) registry.register(value as never);
}

/** The examples' templates directory (`@tasker-bridge/examples`, loaded on demand). */
export async function exampleTemplatesDir(purpose: string): Promise<string> {
  return (await loadExamples(purpose)).templatesDir;
}
