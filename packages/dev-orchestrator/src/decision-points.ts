import { type DecisionPointOutcome, decodeParsed, type TaskTemplate } from '@tasker-bridge/schemas';
import type { OrchestrationContext } from './context.js';
import { inTransaction } from './db.js';
import { createEdge, createWorkflowStep } from './step-creator.js';
import { deferredConvergenceSteps, findStep, graphsFromDecision } from './template.js';

/**
 * Decision points (docs/protocol.md §6.1, docs/wire-types.md §6; upstream `lifecycle/decision_point/service.rs`):
 * a completed `type: decision` step whose `result.decision_point_outcome` is
 * `{"type":"create_steps","step_names":[…]}` gets the named steps created — plus the other steps of their
 * graph segment that depend on them, exit decision points, and deferred convergence steps that depend on
 * anything created — with `provides` edges (to the decision step when a parent was not created).
 */

/** `decision_points.max_steps_per_decision`, upstream default 50 (config/tasker/base/orchestration.toml). */
const MAX_STEPS_PER_DECISION = 50;

export class DecisionPointError extends Error {
  readonly code = 'decision_point_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'DecisionPointError';
  }
}

/**
 * `DecisionPointOutcome::from_step_result`: `result.decision_point_outcome` decoded as serde does (internally
 * tagged, snake_case tags), or undefined when absent or malformed.
 */
export function decisionOutcomeFrom(result: unknown): DecisionPointOutcome | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const outcome = (result as Record<string, unknown>).decision_point_outcome;
  if (outcome === null || typeof outcome !== 'object') return undefined;
  try {
    return decodeParsed('DecisionPointOutcome', outcome);
  } catch {
    return undefined;
  }
}

/** Which template steps to create for an outcome (`determine_steps_to_create`). */
export function stepsToCreate(template: TaskTemplate, decisionName: string, requested: string[]): string[] {
  const create = new Set(requested);
  const graphs = graphsFromDecision(template, decisionName);
  const graphStepNames = new Set<string>();
  for (const graph of graphs) {
    if (!requested.some((name) => graph.stepNames.has(name))) continue;
    for (const name of graph.stepNames) graphStepNames.add(name);
    for (const exit of graph.exitDecisions) create.add(exit);
  }

  // Dependents of created steps inside the segment (not convergence or batch-worker templates).
  const dependents = new Map<string, string[]>();
  for (const step of template.steps) {
    if (!graphStepNames.has(step.name)) continue;
    for (const dep of step.dependencies) dependents.set(dep, [...(dependents.get(dep) ?? []), step.name]);
  }
  const frontier = [...create];
  while (frontier.length > 0) {
    const current = frontier.pop()!;
    for (const name of dependents.get(current) ?? []) {
      const step = findStep(template, name);
      if (create.has(name) || !step) continue;
      if (step.type === 'deferred_convergence' || step.type === 'batch_worker') continue;
      create.add(name);
      frontier.push(name);
    }
  }

  // Deferred convergence steps that depend on anything created, then whatever follows them whose
  // dependencies are all created (or are the decision itself).
  const deferred = deferredConvergenceSteps(template);
  for (const step of deferred) if (step.dependencies.some((dep) => create.has(dep))) create.add(step.name);
  const allDependents = new Map<string, string[]>();
  for (const step of template.steps) {
    for (const dep of step.dependencies)
      allDependents.set(dep, [...(allDependents.get(dep) ?? []), step.name]);
  }
  const post = deferred.filter((s) => create.has(s.name)).map((s) => s.name);
  while (post.length > 0) {
    const current = post.pop()!;
    for (const name of allDependents.get(current) ?? []) {
      const step = findStep(template, name);
      if (create.has(name) || !step) continue;
      if (step.dependencies.every((dep) => create.has(dep) || dep === decisionName)) {
        create.add(name);
        post.push(name);
      }
    }
  }
  return [...create];
}

/** Returns the created steps by name (empty for `no_branches`). */
export async function processDecisionOutcome(
  ctx: OrchestrationContext,
  template: TaskTemplate,
  task: { task_uuid: string },
  decision: { step_uuid: string; name: string },
  outcome: DecisionPointOutcome,
): Promise<Record<string, string>> {
  if (outcome.type === 'no_branches') return {};
  if (outcome.step_names.length > MAX_STEPS_PER_DECISION) {
    throw new DecisionPointError(
      `decision outcome asks for ${outcome.step_names.length} steps (max ${MAX_STEPS_PER_DECISION})`,
    );
  }
  // validate_outcome: every requested step must be in a graph reachable from this decision.
  const graphs = graphsFromDecision(template, decision.name);
  for (const name of outcome.step_names) {
    if (!graphs.some((g) => g.stepNames.has(name))) {
      throw new DecisionPointError(
        `Step '${name}' is not a valid descendant of decision point '${decision.name}'`,
      );
    }
  }
  const names = stepsToCreate(template, decision.name, outcome.step_names);
  return inTransaction(ctx.pool, async (client) => {
    // A Map, not an object: a step may be named `__proto__` or `constructor`.
    const mapping = new Map<string, string>();
    for (const step of template.steps.filter((s) => names.includes(s.name))) {
      mapping.set(step.name, await createWorkflowStep(client, task.task_uuid, step));
    }
    for (const [name, toUuid] of mapping) {
      const step = findStep(template, name)!;
      for (const dep of step.dependencies) {
        let fromUuid = mapping.get(dep);
        if (fromUuid === undefined) {
          if (step.type === 'deferred_convergence') continue;
          fromUuid = decision.step_uuid;
        }
        await createEdge(client, fromUuid, toUuid, 'provides', { from: dep, to: name });
      }
    }
    return Object.fromEntries(mapping);
  });
}
