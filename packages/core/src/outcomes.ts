import { type TaskSequenceStep, validate } from './wire.js';

/**
 * Why a successful result of a `decision` or `batchable` step would not work, or null when it would.
 * Orchestration only logs a warning for a missing or malformed outcome and creates no steps, which stalls the
 * task (docs/wire-types.md §6, §7.2); failing the step permanently makes the mistake visible instead.
 */
export function outcomeProblem(step: TaskSequenceStep, result: unknown): string | null {
  const stepType = step.step_definition.type;
  if (stepType === 'decision') return decisionProblem(result);
  if (stepType === 'batchable') return batchProblem(step, result);
  return null;
}

function field(result: unknown, key: string): unknown {
  return typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[key] : undefined;
}

function describeIssues(issues: readonly { path: string; message: string }[]): string {
  return issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
}

function decisionProblem(result: unknown): string | null {
  const outcome = field(result, 'decision_point_outcome');
  if (outcome === undefined) return 'a decision step must return result.decision_point_outcome';
  const checked = validate('DecisionPointOutcome', outcome);
  if (!checked.ok) return `result.decision_point_outcome is invalid: ${describeIssues(checked.issues)}`;
  return null;
}

function batchProblem(step: TaskSequenceStep, result: unknown): string | null {
  const outcome = field(result, 'batch_processing_outcome');
  if (outcome === undefined) return 'a batchable step must return result.batch_processing_outcome';
  const checked = validate('BatchProcessingOutcome', outcome);
  if (!checked.ok) return `result.batch_processing_outcome is invalid: ${describeIssues(checked.issues)}`;
  if (field(outcome, 'type') === 'no_batches') {
    // Orchestration names the placeholder worker after this key and fails the outcome without it (§7.2).
    const template = step.step_definition.handler.initialization?.worker_template_name;
    if (typeof template !== 'string' || template === '') {
      return "no_batches needs the batchable step's handler.initialization.worker_template_name";
    }
    return null;
  }
  const configs = field(outcome, 'cursor_configs');
  if (!Array.isArray(configs) || configs.length === 0) {
    return 'create_batches needs at least one cursor config (use no_batches for an empty dataset)';
  }
  return null;
}
