import type { StepDefinition } from '@tasker-bridge/schemas';
import { stringifyJson } from '@tasker-bridge/schemas';
import type { Queryable } from './db.js';

/**
 * Creating workflow steps and edges, shared by task initialisation, decision points and batch workers
 * (upstream `task_initialization/workflow_step_creator.rs`, `models/core/{named_step,workflow_step,
 * workflow_step_edge}.rs`). Everything runs on the caller's transaction client.
 */

export type EdgeName = 'provides' | 'batch_dependency' | 'worker_to_convergence';

export class CycleError extends Error {
  readonly code = 'cycle_detected';
  constructor(from: string, to: string) {
    super(`adding edge '${from}' -> '${to}' would create a cycle`);
    this.name = 'CycleError';
  }
}

/** `NamedStep` find-or-create; named steps are global (unique by name). */
async function findOrCreateNamedStep(client: Queryable, name: string): Promise<string> {
  const found = await client.query<{ named_step_uuid: string }>(
    'SELECT named_step_uuid::text FROM tasker.named_steps WHERE name = $1',
    [name],
  );
  if (found.rows[0]) return found.rows[0].named_step_uuid;
  const created = await client.query<{ named_step_uuid: string }>(
    `INSERT INTO tasker.named_steps (name, description, created_at, updated_at)
     VALUES ($1, $2, NOW(), NOW())
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
     RETURNING named_step_uuid::text`,
    [name, `Auto-created step: ${name}`],
  );
  return created.rows[0]!.named_step_uuid;
}

/**
 * `WorkflowStepCreator::create_single_step`: retryable/max_attempts from the step's retry config, inputs = `handler.initialization` or NULL when empty; idempotent per (task, named step).
 */
export async function createWorkflowStep(
  client: Queryable,
  taskUuid: string,
  step: StepDefinition,
): Promise<string> {
  const namedStepUuid = await findOrCreateNamedStep(client, step.name);
  const existing = await client.query<{ workflow_step_uuid: string }>(
    `SELECT workflow_step_uuid::text FROM tasker.workflow_steps
      WHERE task_uuid = $1::uuid AND named_step_uuid = $2::uuid`,
    [taskUuid, namedStepUuid],
  );
  if (existing.rows[0]) return existing.rows[0].workflow_step_uuid;
  const initialization = step.handler.initialization;
  const inputs = Object.keys(initialization).length === 0 ? null : stringifyJson(initialization);
  const { rows } = await client.query<{ workflow_step_uuid: string }>(
    `INSERT INTO tasker.workflow_steps (task_uuid, named_step_uuid, retryable, max_attempts, inputs, created_at, updated_at)
     VALUES ($1::uuid, $2::uuid, $3, $4, $5::jsonb, NOW(), NOW())
     RETURNING workflow_step_uuid::text`,
    [taskUuid, namedStepUuid, step.retry.retryable, step.retry.max_attempts, inputs],
  );
  return rows[0]!.workflow_step_uuid;
}

/** `WorkflowStepEdge::would_create_cycle`: is there already a path `to → … → from`? */
async function wouldCreateCycle(
  client: Queryable,
  fromStepUuid: string,
  toStepUuid: string,
): Promise<boolean> {
  const { rows } = await client.query<{ count: number }>(
    `WITH RECURSIVE step_path AS (
       SELECT from_step_uuid, to_step_uuid, 1 AS depth
         FROM tasker.workflow_step_edges WHERE from_step_uuid = $1::uuid
       UNION ALL
       SELECT sp.from_step_uuid, wse.to_step_uuid, sp.depth + 1
         FROM step_path sp JOIN tasker.workflow_step_edges wse ON sp.to_step_uuid = wse.from_step_uuid
        WHERE sp.depth < 100
     )
     SELECT COUNT(*)::int AS count FROM step_path WHERE to_step_uuid = $2::uuid`,
    [toStepUuid, fromStepUuid],
  );
  return (rows[0]?.count ?? 0) > 0;
}

export async function createEdge(
  client: Queryable,
  fromStepUuid: string,
  toStepUuid: string,
  name: EdgeName,
  labels: { from: string; to: string },
  checkCycle = true,
): Promise<void> {
  if (
    fromStepUuid === toStepUuid ||
    (checkCycle && (await wouldCreateCycle(client, fromStepUuid, toStepUuid)))
  ) {
    throw new CycleError(labels.from, labels.to);
  }
  await client.query(
    `INSERT INTO tasker.workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
     VALUES ($1::uuid, $2::uuid, $3, NOW(), NOW())`,
    [fromStepUuid, toStepUuid, name],
  );
}
