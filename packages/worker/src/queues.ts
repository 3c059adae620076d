/**
 * Queue and channel names (docs/protocol.md §1.1, §3.1). Two names are upstream settings (`[common.queues]`):
 * `worker_namespace`, the prefix of step queues (`{worker_namespace}_{ns}_queue`, default `worker`), and
 * `orchestration_queues.step_results`, the results queue (default `orchestration_step_results`). Upstream's
 * orchestration hard-codes `worker_{ns}_queue` when it sends steps, so another prefix only works with an
 * orchestration changed to match.
 */

export const STEP_RESULTS_QUEUE = 'orchestration_step_results';
/** Upstream `common.queues.worker_namespace`'s default. */
export const WORKER_QUEUE_NAMESPACE = 'worker';
/** The three queues orchestration owns, by their default names; the Rust worker ensures them too (§1.2). */
export const ORCHESTRATION_QUEUES = [
  'orchestration_task_requests',
  'orchestration_task_finalizations',
  STEP_RESULTS_QUEUE,
] as const;

/** pgmq's limit on queue names (upstream `MAX_PGMQ_QUEUE_NAME_LENGTH`). */
const MAX_QUEUE_NAME_LENGTH = 47;
/** Longest suffix is `_domain_events_dlq`, so a namespace may be at most 29 characters (`MAX_NAMESPACE_LENGTH`). */
export const MAX_NAMESPACE_LENGTH = 29;

/** The configurable names (`WorkerConfig.queues`), defaults as upstream's. */
export interface QueueNames {
  /** `common.queues.worker_namespace`: step queues are `{workerNamespace}_{ns}_queue`. */
  workerNamespace: string;
  /** `common.queues.orchestration_queues.step_results`. */
  stepResults: string;
}

export const DEFAULT_QUEUE_NAMES: QueueNames = {
  workerNamespace: WORKER_QUEUE_NAMESPACE,
  stepResults: STEP_RESULTS_QUEUE,
};

export function stepQueueName(namespace: string, workerNamespace: string = WORKER_QUEUE_NAMESPACE): string {
  return `${workerNamespace}_${namespace}_queue`;
}

export function domainEventQueueName(namespace: string): string {
  return `${namespace}_domain_events`;
}

export function domainEventDlqName(namespace: string): string {
  return `${namespace}_domain_events_dlq`;
}

/** Every queue the Rust worker ensures for a namespace (§1.2): step queue + domain-event queue + its DLQ. */
export function namespaceQueues(namespace: string, names: QueueNames = DEFAULT_QUEUE_NAMES): string[] {
  return [
    stepQueueName(namespace, names.workerNamespace),
    domainEventQueueName(namespace),
    domainEventDlqName(namespace),
  ];
}

/** Orchestration's three queues with the configured results queue (§1.2). */
export function orchestrationQueues(names: QueueNames = DEFAULT_QUEUE_NAMES): string[] {
  return [...ORCHESTRATION_QUEUES.filter((q) => q !== STEP_RESULTS_QUEUE), names.stepResults];
}

/** `pgmq_message_ready.{ns}`: the channel `tasker.pgmq_send_with_notify` notifies for `worker_{ns}_queue`. */
export function notificationChannel(namespace: string): string {
  return `pgmq_message_ready.${namespace}`;
}

/**
 * The channel `tasker.pgmq_send_with_notify` notifies for any queue: `pgmq_message_ready.` + what tasker's
 * `tasker.extract_queue_namespace(queue)` returns. Mirrored here (a test compares it with the SQL function)
 * because with another step queue prefix the channel is not `pgmq_message_ready.{ns}`: `acme_billing_queue`
 * notifies `pgmq_message_ready.acme_billing`.
 */
export function queueNotificationChannel(queue: string): string {
  return `pgmq_message_ready.${queueChannelSuffix(queue)}`;
}

function queueChannelSuffix(queue: string): string {
  if (queue.startsWith('orchestration')) return 'orchestration';
  if (/^worker_.*_queue$/.test(queue)) return /^worker_(.+?)_queue$/.exec(queue)?.[1] ?? 'worker';
  const standard = /^([a-zA-Z][a-zA-Z0-9_]*)_queue$/.exec(queue);
  if (standard) return standard[1] as string;
  return 'default';
}

/** A LISTEN statement with the identifier quoted (the channel contains a dot and may be mixed-case, §3.1). */
export function listenStatement(channel: string): string {
  return `LISTEN "${channel.replaceAll('"', '""')}"`;
}

const QUEUE_NAME_CHARACTERS = 'must start with a letter or _ and contain only letters, digits and _';

/** Upstream `validate_queue_name` (`tasker-shared` `validation.rs`); returns a reason or null. */
export function queueNameProblem(queue: string): string | null {
  if (queue.length === 0) return 'is empty';
  if (queue.length > MAX_QUEUE_NAME_LENGTH) {
    return `is longer than ${MAX_QUEUE_NAME_LENGTH} characters (pgmq's limit on queue names)`;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(queue)) return QUEUE_NAME_CHARACTERS;
  return null;
}

/** Upstream `validate_queue_name` rules applied to a namespace; returns a reason or null. */
export function namespaceProblem(namespace: string): string | null {
  if (namespace.length === 0) return 'is empty';
  if (namespace.length > MAX_NAMESPACE_LENGTH) {
    return `is longer than ${MAX_NAMESPACE_LENGTH} characters (queue names are limited to ${MAX_QUEUE_NAME_LENGTH})`;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(namespace)) return QUEUE_NAME_CHARACTERS;
  return null;
}
