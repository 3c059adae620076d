import {
  type BatchConfiguration,
  type BatchProcessingOutcome,
  type CursorConfig,
  decodeParsed,
  type StepDefinition,
  type TaskTemplate,
} from '@tasker-bridge/schemas';
import type { OrchestrationContext } from './context.js';
import { inTransaction } from './db.js';
import { createEdge, createWorkflowStep } from './step-creator.js';
import { deferredConvergenceSteps, findStep } from './template.js';

/**
 * Batch processing (docs/protocol.md §6.2, docs/wire-types.md §7; upstream `lifecycle/batch_processing/service.rs`):
 * a completed `type: batchable` step whose `result.batch_processing_outcome` is `create_batches` gets one
 * worker step per cursor config, named `{worker_template}_{batch_id}`, whose inputs are the template's
 * `handler.initialization` plus `cursor`, `batch_metadata`, `is_no_op` and `__template_step_name`. `no_batches`
 * creates a single no-op worker `{template}_000`, the template name taken from the batchable step's
 * `handler.initialization.worker_template_name`. Deferred convergence steps that list the worker template as
 * a dependency are created and wired after every worker (`worker_to_convergence`); workers hang off the
 * batchable step (`batch_dependency`). Idempotent: nothing happens if workers already exist.
 */

export class BatchProcessingError extends Error {
  readonly code = 'batch_processing_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'BatchProcessingError';
  }
}

/**
 * `BatchProcessingOutcome::from_step_result`: `result.batch_processing_outcome` decoded as serde does (tag
 * `type`, every field required), or undefined when absent or malformed.
 */
export function batchOutcomeFrom(result: unknown): BatchProcessingOutcome | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const outcome = (result as Record<string, unknown>).batch_processing_outcome;
  if (outcome === null || typeof outcome !== 'object') return undefined;
  try {
    return decodeParsed('BatchProcessingOutcome', outcome);
  } catch {
    return undefined;
  }
}

function workerTemplate(
  template: TaskTemplate,
  name: string,
): StepDefinition & { batch_config: BatchConfiguration } {
  const step = findStep(template, name);
  if (!step) throw new BatchProcessingError(`Worker template not found: ${name}`);
  if (step.type !== 'batch_worker')
    throw new BatchProcessingError(`Template ${name} is not a BatchWorker type`);
  if (!step.batch_config) throw new BatchProcessingError(`Step ${name} missing batch configuration`);
  return { ...step, batch_config: step.batch_config };
}

/** Returns the created worker step names (empty when workers already existed). */
export async function processBatchOutcome(
  ctx: OrchestrationContext,
  template: TaskTemplate,
  task: { task_uuid: string },
  batchable: { step_uuid: string; name: string },
  outcome: BatchProcessingOutcome,
): Promise<string[]> {
  return inTransaction(ctx.pool, async (client) => {
    const existing = await client.query<{ count: number }>(
      `SELECT COUNT(*)::int AS count FROM tasker.workflow_step_edges
        WHERE from_step_uuid = $1::uuid AND name = 'batch_dependency'`,
      [batchable.step_uuid],
    );
    if ((existing.rows[0]?.count ?? 0) > 0) return [];

    let templateName: string;
    let cursors: CursorConfig[];
    let isNoOp: boolean;
    if (outcome.type === 'no_batches') {
      const batchableStep = findStep(template, batchable.name);
      const name = batchableStep?.handler.initialization.worker_template_name;
      if (typeof name !== 'string') {
        throw new BatchProcessingError(
          `batchable step '${batchable.name}' needs handler.initialization.worker_template_name for a no_batches outcome`,
        );
      }
      templateName = name;
      cursors = [{ batch_id: '000', start_cursor: 0, end_cursor: 0, batch_size: 0 }];
      isNoOp = true;
    } else {
      if (outcome.cursor_configs.length === 0) {
        throw new BatchProcessingError('cursor_configs cannot be empty for CreateBatches outcome');
      }
      templateName = outcome.worker_template_name;
      cursors = outcome.cursor_configs;
      isNoOp = false;
    }
    const worker = workerTemplate(template, templateName);

    const workers: { name: string; uuid: string }[] = [];
    for (const cursor of cursors) {
      const name = `${worker.name}_${cursor.batch_id}`;
      const inputs = {
        ...worker.handler.initialization,
        cursor,
        batch_metadata: {
          cursor_field: worker.batch_config.cursor_field,
          failure_strategy: worker.batch_config.failure_strategy,
        },
        is_no_op: isNoOp,
        __template_step_name: worker.name,
      };
      const instance: StepDefinition = {
        ...worker,
        name,
        type: 'standard',
        dependencies: [batchable.name],
        batch_config: null,
        handler: { ...worker.handler, initialization: inputs },
      };
      workers.push({ name, uuid: await createWorkflowStep(client, task.task_uuid, instance) });
    }

    const convergence: { name: string; uuid: string }[] = [];
    for (const step of deferredConvergenceSteps(template)) {
      if (step.dependencies.includes(worker.name)) {
        convergence.push({ name: step.name, uuid: await createWorkflowStep(client, task.task_uuid, step) });
      }
    }
    for (const w of workers) {
      await createEdge(
        client,
        batchable.step_uuid,
        w.uuid,
        'batch_dependency',
        { from: batchable.name, to: w.name },
        false,
      );
    }
    for (const c of convergence) {
      for (const w of workers) {
        await createEdge(
          client,
          w.uuid,
          c.uuid,
          'worker_to_convergence',
          { from: w.name, to: c.name },
          false,
        );
      }
    }
    return workers.map((w) => w.name);
  });
}
