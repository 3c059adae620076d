import type { StepContext } from '../context.js';
import { PermanentError } from '../errors/classes.js';
import {
  type BaseHandlerOptions,
  type DefinedHandler,
  defineHandler,
  type HandlerArgs,
  markHandlerBase,
  StepHandler,
  type WithNames,
} from '../handler.js';
import { StepHandlerResult, success } from '../results.js';
import type { JsonObject } from '../wire.js';

export interface DecisionOptions {
  /** Why this route was chosen; written next to the outcome as `result.routing_context`. */
  routingContext?: Record<string, unknown>;
  /** `metadata.custom`. */
  metadata?: Record<string, unknown>;
  /**
   * The steps this decision may activate (the template's children of the decision step). Orchestration
   * creates only declared children, so naming another step is rejected here rather than silently dropped.
   */
  allowedSteps?: readonly string[];
}

function invalidDecision(message: string, context: Record<string, unknown>): PermanentError {
  return new PermanentError(message, { errorCode: 'INVALID_DECISION', context });
}

/**
 * Activates `stepNames` after this decision step: `result.decision_point_outcome = {type: 'create_steps',
 * step_names}` (docs/wire-types.md §6). The names must be distinct, non-empty, and (when given) in `allowedSteps`.
 */
export function decisionSuccess(
  stepNames: readonly string[],
  options: DecisionOptions = {},
): StepHandlerResult {
  if (stepNames.length === 0) {
    throw invalidDecision('A decision must activate at least one step; use skipBranches() for none', {});
  }
  const seen = new Set<string>();
  for (const name of stepNames) {
    if (typeof name !== 'string' || name === '')
      throw invalidDecision('Step names must be non-empty strings', {});
    if (seen.has(name)) throw invalidDecision(`Step '${name}' is activated twice`, { step: name });
    if (options.allowedSteps !== undefined && !options.allowedSteps.includes(name)) {
      throw invalidDecision(`Step '${name}' is not a declared branch of this decision`, {
        step: name,
        allowed_steps: [...options.allowedSteps],
      });
    }
    seen.add(name);
  }
  return success(
    {
      decision_point_outcome: { type: 'create_steps', step_names: [...stepNames] },
      ...(options.routingContext === undefined ? {} : { routing_context: options.routingContext }),
    },
    options.metadata,
  );
}

/** Activates no branch: `result.decision_point_outcome = {type: 'no_branches'}`, with the reason beside it. */
export function skipBranches(
  reason: string,
  options: Omit<DecisionOptions, 'allowedSteps'> = {},
): StepHandlerResult {
  return success(
    {
      decision_point_outcome: { type: 'no_branches' },
      reason,
      ...(options.routingContext === undefined ? {} : { routing_context: options.routingContext }),
    },
    options.metadata,
  );
}

/** Short names for use inside decision handlers, as upstream's `Decision.route` / `Decision.skip`. */
export const Decision = {
  route: (stepNames: readonly string[], routingContext?: Record<string, unknown>) =>
    decisionSuccess(stepNames, routingContext === undefined ? {} : { routingContext }),
  skip: (reason: string, routingContext?: Record<string, unknown>) =>
    skipBranches(reason, routingContext === undefined ? {} : { routingContext }),
} as const;

/** Base class for decision handlers; `allowedSteps` (static) restricts what `route` accepts. */
export abstract class DecisionHandler extends StepHandler {
  static {
    markHandlerBase(DecisionHandler);
  }

  static allowedSteps?: readonly string[];

  protected route(
    stepNames: readonly string[],
    options: Omit<DecisionOptions, 'allowedSteps'> = {},
  ): StepHandlerResult {
    const allowedSteps = (this.constructor as typeof DecisionHandler).allowedSteps;
    return decisionSuccess(stepNames, allowedSteps === undefined ? options : { ...options, allowedSteps });
  }

  protected skip(reason: string, options: Omit<DecisionOptions, 'allowedSteps'> = {}): StepHandlerResult {
    return skipBranches(reason, options);
  }
}

export type DefineDecisionHandlerOptions<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
> = BaseHandlerOptions<TInput, TDeps, unknown, TConfig, TNames> & {
  allowedSteps?: readonly string[];
};

/**
 * A functional decision handler. The function returns the step names to activate (an empty list means no
 * branches) or a `Decision.route`/`Decision.skip` result; names outside `allowedSteps` fail permanently.
 */
export function defineDecisionHandler<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: DefineDecisionHandlerOptions<TInput, TDeps, TConfig, TNames>,
  fn: (
    args: HandlerArgs<TInput, WithNames<TDeps, TNames>, TConfig>,
  ) => readonly string[] | StepHandlerResult | Promise<readonly string[] | StepHandlerResult>,
): DefinedHandler<TInput, unknown> {
  const { allowedSteps, ...handlerOptions } = options;
  return defineHandler<TInput, TDeps, unknown, TConfig, never, TNames>(name, handlerOptions, async (args) => {
    const decided = await fn(args);
    if (decided instanceof StepHandlerResult) {
      if (allowedSteps !== undefined) checkActivated(decided, allowedSteps, args.context);
      return decided;
    }
    if (decided.length === 0) return skipBranches('no branch selected');
    return decisionSuccess(decided, allowedSteps === undefined ? {} : { allowedSteps });
  });
}

function checkActivated(
  result: StepHandlerResult,
  allowedSteps: readonly string[],
  context: StepContext<unknown>,
): void {
  const outcome = (result.result as { decision_point_outcome?: { step_names?: unknown } } | null)
    ?.decision_point_outcome;
  const names = Array.isArray(outcome?.step_names) ? (outcome.step_names as string[]) : [];
  for (const name of names) {
    if (!allowedSteps.includes(name)) {
      throw invalidDecision(`Step '${name}' is not a declared branch of decision '${context.stepName}'`, {
        step: name,
        allowed_steps: [...allowedSteps],
      });
    }
  }
}
