/**
 * Queue and channel names (queue-protocol.md §1.1, §3.1). The `worker_` prefix is fixed: orchestration
 * hard-codes `worker_{ns}_queue`.
 */

export const STEP_RESULTS_QUEUE = 'orchestration_step_results';
/** The three queues orchestration owns; the Rust worker ensures them too at startup (§1.2). */
export const ORCHESTRATION_QUEUES = [
  'orchestration_task_requests',
  'orchestration_task_finalizations',
  STEP_RESULTS_QUEUE,
] as const;

/** pgmq's limit on queue names (upstream `MAX_PGMQ_QUEUE_NAME_LENGTH`). */
const MAX_QUEUE_NAME_LENGTH = 47;
/** Longest suffix is `_domain_events_dlq`, so a namespace may be at most 29 characters (`MAX_NAMESPACE_LENGTH`). */
export const MAX_NAMESPACE_LENGTH = 29;

export function stepQueueName(namespace: string): string {
  return `worker_${namespace}_queue`;
}

export function domainEventQueueName(namespace: string): string {
  return `${namespace}_domain_events`;
}

export function domainEventDlqName(namespace: string): string {
  return `${namespace}_domain_events_dlq`;
}

/** Every queue the Rust worker ensures for a namespace (§1.2): step queue + domain-event queue + its DLQ. */
export function namespaceQueues(namespace: string): string[] {
  return [stepQueueName(namespace), domainEventQueueName(namespace), domainEventDlqName(namespace)];
}

/** `pgmq_message_ready.{ns}`: the channel `tasker.pgmq_send_with_notify` notifies for `worker_{ns}_queue`. */
export function notificationChannel(namespace: string): string {
  return `pgmq_message_ready.${namespace}`;
}

/** A LISTEN statement with the identifier quoted (the channel contains a dot and may be mixed-case, §3.1). */
export function listenStatement(channel: string): string {
  return `LISTEN "${channel.replaceAll('"', '""')}"`;
}

/** Upstream `validate_queue_name` rules applied to a namespace; returns a reason or null. */
export function namespaceProblem(namespace: string): string | null {
  if (namespace.length === 0) return 'is empty';
  if (namespace.length > MAX_NAMESPACE_LENGTH) {
    return `is longer than ${MAX_NAMESPACE_LENGTH} characters (queue names are limited to ${MAX_QUEUE_NAME_LENGTH})`;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(namespace)) {
    return 'must start with a letter or _ and contain only letters, digits and _';
  }
  return null;
}
