import { randomUUID } from 'node:crypto';
import { stringifyJson } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { inTransaction } from './db.js';
import { keyedIdentityHash, sanitizeJson, strictIdentityHash } from './identity-hash.js';
import { createEdge, createWorkflowStep } from './step-creator.js';
import { insertStepTransition } from './step-state-machine.js';
import { insertTaskTransition, transitionTask } from './task-state-machine.js';
import { findNamedTask, initialStepSet, parseTemplate, TemplateError } from './template.js';

/**
 * Task initialisation (upstream `lifecycle/task_initialization/service.rs` and its helpers): load the template
 * the worker registered, insert the task, its initial steps and edges and the initial `pending` transitions in
 * one transaction, then move the task `pending → initializing`. Enqueueing is the caller's next step.
 */

/** A task request; defaults are upstream `TaskRequest`'s. */
export interface TaskRequest {
  namespace?: string;
  name: string;
  version?: string;
  context?: unknown;
  initiator?: string;
  source_system?: string;
  reason?: string;
  tags?: string[];
  priority?: number;
  correlation_id?: string;
  parent_correlation_id?: string;
  /**
   * Overrides the dedup identity (upstream TAS-154 `idempotency_key`). Note that upstream's orchestration
   * path hashes strictly (template + context), so submitting the same context twice is rejected as a duplicate.
   */
  idempotency_key?: string;
}

export interface CreatedTask {
  task_uuid: string;
  correlation_id: string;
  step_mapping: Record<string, string>;
}

export class DuplicateTaskError extends Error {
  readonly code = 'duplicate_task';
  constructor(readonly identityHash: string) {
    super(
      `a task with identity hash ${identityHash} already exists (same template and context); ` +
        'pass a different context or an idempotency_key',
    );
    this.name = 'DuplicateTaskError';
  }
}

const UNIQUE_VIOLATION = '23505';

export async function initializeTask(
  pool: pg.Pool,
  request: TaskRequest,
  processorUuid: string,
): Promise<CreatedTask> {
  const namespace = request.namespace ?? 'default';
  const version = request.version ?? '0.1.0';
  const label = `${namespace}/${request.name}/${version}`;
  const namedTask = await findNamedTask(pool, namespace, request.name, version);
  if (!namedTask) {
    throw new TemplateError(
      `Task template not found: ${label}. Templates must be registered by workers before orchestration can use them.`,
    );
  }
  const template = parseTemplate(namedTask.configuration, label);

  const context = sanitizeJson(request.context ?? {});
  const tags = sanitizeJson(request.tags ?? []);
  const identityHash =
    request.idempotency_key !== undefined
      ? keyedIdentityHash(namedTask.named_task_uuid, request.idempotency_key)
      : strictIdentityHash(namedTask.named_task_uuid, context);
  const correlationId = request.correlation_id ?? randomUUID();

  const created = await inTransaction(pool, async (client) => {
    let taskUuid: string;
    try {
      const { rows } = await client.query<{ task_uuid: string }>(
        `INSERT INTO tasker.tasks (named_task_uuid, complete, requested_at, initiator, source_system, reason, tags,
                                   context, identity_hash, priority, correlation_id, parent_correlation_id,
                                   created_at, updated_at)
         VALUES ($1::uuid, false, (NOW() AT TIME ZONE 'UTC'), $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9::uuid,
                 $10::uuid, NOW(), NOW())
         RETURNING task_uuid::text`,
        [
          namedTask.named_task_uuid,
          request.initiator ?? 'system',
          request.source_system ?? 'tasker-core',
          request.reason ?? 'Task requested',
          stringifyJson(tags),
          stringifyJson(context),
          identityHash,
          request.priority ?? 0,
          correlationId,
          request.parent_correlation_id ?? null,
        ],
      );
      taskUuid = rows[0]!.task_uuid;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new DuplicateTaskError(identityHash);
      throw error;
    }

    // Steps of the initial graph, then "provides" edges between the ones that exist (workflow_step_builder.rs).
    // A Map, not an object: a step may be named `__proto__` or `constructor`.
    const mapping = new Map<string, string>();
    for (const step of initialStepSet(template))
      mapping.set(step.name, await createWorkflowStep(client, taskUuid, step));
    for (const step of template.steps) {
      const to = mapping.get(step.name);
      if (to === undefined) continue;
      for (const dependency of step.dependencies) {
        const from = mapping.get(dependency);
        if (from !== undefined)
          await createEdge(client, from, to, 'provides', { from: dependency, to: step.name });
      }
    }

    // state_initializer.rs: initial `pending` rows for the task and every created step.
    const initial = { initial_state: 'pending', from_service: 'task_initializer' };
    await insertTaskTransition(client, taskUuid, null, 'pending', processorUuid, initial);
    for (const stepUuid of mapping.values())
      await insertStepTransition(client, stepUuid, null, 'pending', initial);
    return { task_uuid: taskUuid, correlation_id: correlationId, step_mapping: Object.fromEntries(mapping) };
  });

  await transitionTask(pool, created.task_uuid, { type: 'Start' }, processorUuid);
  return created;
}
