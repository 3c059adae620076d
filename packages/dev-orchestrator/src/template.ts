import {
  decodeParsed,
  type StepDefinition,
  type TaskTemplate,
  WireValidationError,
} from '@tasker-bridge/schemas';
import type { Queryable } from './db.js';

/**
 * Task templates as orchestration reads them from `tasker.named_tasks.configuration` (docs/protocol.md §7.1),
 * and the graph segmentation orchestration uses to decide which steps exist when (upstream
 * `tasker-shared/src/models/core/task_template/mod.rs`: `initial_step_set`, `graphs_from_decision`,
 * `deferred_convergence_steps`).
 */

export class TemplateError extends Error {
  readonly code = 'template_error';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface NamedTaskRow {
  named_task_uuid: string;
  configuration: unknown;
  identity_strategy: 'strict' | 'caller_provided' | 'always_unique';
}

export async function findNamedTask(
  db: Queryable,
  namespace: string,
  name: string,
  version: string,
): Promise<NamedTaskRow | undefined> {
  const { rows } = await db.query<NamedTaskRow>(
    `SELECT nt.named_task_uuid::text, nt.configuration, nt.identity_strategy::text AS identity_strategy
       FROM tasker.named_tasks nt
       JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
      WHERE tn.name = $1 AND nt.name = $2 AND nt.version = $3`,
    [namespace, name, version],
  );
  return rows[0];
}

/** The template of the task a step or task belongs to. */
export async function loadTemplateForTask(db: Queryable, taskUuid: string): Promise<TaskTemplate> {
  const { rows } = await db.query<{
    configuration: unknown;
    namespace: string;
    name: string;
    version: string;
  }>(
    `SELECT nt.configuration, tn.name AS namespace, nt.name, nt.version
       FROM tasker.tasks t
       JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
       JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
      WHERE t.task_uuid = $1::uuid`,
    [taskUuid],
  );
  const row = rows[0];
  if (!row) throw new TemplateError(`task ${taskUuid} not found`);
  return parseTemplate(row.configuration, `${row.namespace}/${row.name}/${row.version}`);
}

/**
 * Reads the JSON the registering worker stored, as serde does (`decodeParsed('TaskTemplate', …)`: defaults
 * filled, `depends_on`/`step_type` aliases resolved); orchestration also refuses a template without steps.
 */
export function parseTemplate(configuration: unknown, label: string): TaskTemplate {
  if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) {
    throw new TemplateError(`No task handler configuration found in database for ${label}`);
  }
  let template: TaskTemplate;
  try {
    template = decodeParsed('TaskTemplate', configuration);
  } catch (error) {
    if (!(error instanceof WireValidationError)) throw error;
    throw new TemplateError(`configuration of ${label} is not a TaskTemplate: ${error.message}`);
  }
  if (template.steps.length === 0) {
    throw new TemplateError(`Empty steps array in task template configuration for ${label}`);
  }
  return template;
}

export function findStep(template: TaskTemplate, name: string): StepDefinition | undefined {
  return template.steps.find((s) => s.name === name);
}

export function deferredConvergenceSteps(template: TaskTemplate): StepDefinition[] {
  return template.steps.filter((s) => s.type === 'deferred_convergence');
}

interface WorkflowGraph {
  entryDecision: string | undefined;
  exitDecisions: string[];
  stepNames: Set<string>;
  initial: boolean;
}

/** `segment_workflow_graphs`. */
function segmentGraphs(template: TaskTemplate): WorkflowGraph[] {
  const decisions = template.steps.filter((s) => s.type === 'decision').map((s) => s.name);
  if (decisions.length === 0) {
    const names = template.steps
      .filter((s) => s.type !== 'batch_worker' && s.type !== 'deferred_convergence')
      .map((s) => s.name);
    return [{ entryDecision: undefined, exitDecisions: [], stepNames: new Set(names), initial: true }];
  }
  const descendsFromDecision = (name: string, seen = new Set<string>()): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    const step = findStep(template, name);
    if (!step) return false;
    return step.dependencies.some((dep) => decisions.includes(dep) || descendsFromDecision(dep, seen));
  };
  const initialNames = template.steps
    .filter((s) => !descendsFromDecision(s.name) && s.type !== 'batch_worker')
    .map((s) => s.name);
  const graphs: WorkflowGraph[] = [
    {
      entryDecision: undefined,
      exitDecisions: decisions.filter((d) => initialNames.includes(d)),
      stepNames: new Set(initialNames),
      initial: true,
    },
  ];
  for (const decision of decisions) {
    const children = template.steps.filter((s) => s.dependencies.includes(decision));
    if (children.length === 0) continue;
    const visited = new Set<string>();
    const exits = new Set<string>();
    const visit = (name: string): void => {
      if (visited.has(name)) return;
      if (decisions.includes(name) && name !== decision) {
        exits.add(name);
        return;
      }
      visited.add(name);
      for (const dependent of template.steps.filter((s) => s.dependencies.includes(name)))
        visit(dependent.name);
    };
    for (const child of children) visit(child.name);
    graphs.push({ entryDecision: decision, exitDecisions: [...exits], stepNames: visited, initial: false });
  }
  return graphs;
}

/** Steps created at task initialisation (`initial_step_set`), in template order. */
export function initialStepSet(template: TaskTemplate): StepDefinition[] {
  const names = new Set(
    segmentGraphs(template)
      .filter((g) => g.initial)
      .flatMap((g) => [...g.stepNames]),
  );
  return template.steps.filter((s) => names.has(s.name));
}

export function graphsFromDecision(template: TaskTemplate, decision: string): WorkflowGraph[] {
  return segmentGraphs(template).filter((g) => g.entryDecision === decision);
}
