import type { HandlerRegistry, Logger } from '@tasker-bridge/core';
import type { TaskTemplate } from '@tasker-bridge/schemas';
import { type MissingHandlersPolicy, MissingHandlersPolicy as Policy } from './config.js';

/**
 * The startup check of docs/upstream-workers.md §6.10: every callable (with its `handler.method`) of every
 * registered template must resolve in the worker's registry. A worker serves whole namespaces, so it claims
 * every step of its templates; a step it has no handler for would be failed permanently (`handler_not_found`,
 * `method_not_found`) when it runs. By default `start()` refuses instead (`onMissingHandlers`).
 */

export interface TemplateMissingHandlers {
  namespace: string;
  name: string;
  version: string;
  /** Callables that no resolver resolves, or whose `handler.method` the handler does not declare. */
  callables: string[];
}

/** `start()` refused: registered templates name callables this worker cannot run. */
export class MissingHandlersError extends Error {
  readonly code = 'missing_handlers';
  constructor(readonly missing: readonly TemplateMissingHandlers[]) {
    super(
      `Templates name handlers this worker does not have: ${missing
        .map((m) => `${m.namespace}/${m.name}@${m.version}: ${m.callables.join(', ')}`)
        .join(
          '; ',
        )}. Register them, or set onMissingHandlers: 'warn' (TASKER_ON_MISSING_HANDLERS=warn) to start ` +
        'anyway; those steps then fail permanently when they run',
    );
    this.name = 'MissingHandlersError';
  }
}

/** Applies `policy` to what `registry` cannot resolve in `templates`: throws for `fail`, logs for `warn`. */
export async function checkHandlers(
  registry: HandlerRegistry,
  templates: readonly TaskTemplate[],
  policy: MissingHandlersPolicy,
  logger: Logger,
): Promise<void> {
  const missing: TemplateMissingHandlers[] = [];
  for (const template of templates) {
    const callables = await registry.missingHandlers(template);
    if (callables.length === 0) continue;
    missing.push({
      namespace: template.namespace_name,
      name: template.name,
      version: template.version,
      callables,
    });
  }
  if (missing.length === 0) return;
  if (policy === Policy.FAIL) throw new MissingHandlersError(missing);
  for (const m of missing) {
    logger.warn(
      { namespace: m.namespace, name: m.name, callables: m.callables },
      'template steps have no handler in this worker; they will fail with handler_not_found',
    );
  }
}
