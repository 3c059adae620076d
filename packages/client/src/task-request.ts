// The body of POST /v1/tasks, completed from what a caller gives. serde requires initiator, source_system and
// reason (upstream's builder defaults do not apply to JSON); the client fills them from its defaults, which start
// as upstream's `TaskRequest::new` values. correlation_id is chosen here rather than left to serde's default so
// that a retried create sends the very same body, and the caller can log it before the answer arrives.
import { randomUUID } from 'node:crypto';
import { formatNaiveTimestamp, type TaskRequest } from '@tasker-bridge/schemas';

/** What `createTask` takes: the template's coordinates and the context; everything else is optional. */
export type CreateTaskRequest = Pick<TaskRequest, 'namespace' | 'name' | 'version' | 'context'> &
  Partial<
    Pick<
      TaskRequest,
      | 'initiator'
      | 'source_system'
      | 'reason'
      | 'tags'
      | 'requested_at'
      | 'options'
      | 'priority'
      | 'correlation_id'
      | 'parent_correlation_id'
      | 'idempotency_key'
    >
  >;

export interface TaskRequestDefaults {
  readonly initiator?: string;
  readonly source_system?: string;
  readonly reason?: string;
}

/** Upstream's `TaskRequest` builder defaults (tasker-shared models/core/task_request.rs). */
export const UPSTREAM_REQUEST_DEFAULTS = {
  initiator: 'system',
  source_system: 'tasker-core',
  reason: 'Task requested',
} as const satisfies TaskRequestDefaults;

export function completeTaskRequest(request: CreateTaskRequest, defaults: TaskRequestDefaults): TaskRequest {
  return {
    name: request.name,
    namespace: request.namespace,
    version: request.version,
    context: request.context,
    initiator: request.initiator ?? defaults.initiator ?? UPSTREAM_REQUEST_DEFAULTS.initiator,
    source_system: request.source_system ?? defaults.source_system ?? UPSTREAM_REQUEST_DEFAULTS.source_system,
    reason: request.reason ?? defaults.reason ?? UPSTREAM_REQUEST_DEFAULTS.reason,
    tags: request.tags ?? [],
    // The server replaces it with its own clock; serde still wants a NaiveDateTime if present.
    requested_at: request.requested_at ?? formatNaiveTimestamp(new Date()),
    options: request.options ?? null,
    priority: request.priority ?? null,
    correlation_id: request.correlation_id ?? randomUUID(),
    parent_correlation_id: request.parent_correlation_id ?? null,
    ...(request.idempotency_key != null ? { idempotency_key: request.idempotency_key } : {}),
  };
}
