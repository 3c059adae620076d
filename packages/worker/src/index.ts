// @tasker-bridge/worker — a pure-TypeScript tasker-core worker (queue protocol: docs/protocol.md).

export {
  ConfigError,
  DeploymentMode,
  MissingHandlersPolicy,
  resolveConfig,
  type TaskerWorkerOptions,
  type WorkerConfig,
} from './config.js';
export {
  type DeadLetter,
  type DomainEventHandler,
  DomainEventSubscriber,
  type DomainEventSubscriberOptions,
  type SubscriberDelivery,
  type TypedDomainEvent,
} from './domain-event-subscriber.js';
export { defaultPublisher } from './domain-events.js';
export { eventPattern } from './event-patterns.js';
export type { HealthCheck, ReadinessReport } from './health-server.js';
export { Counter, Gauge, Histogram, WorkerMetrics } from './metrics.js';
export { MissingHandlersError, type TemplateMissingHandlers } from './missing-handlers.js';
export {
  MIN_PGMQ_VERSION,
  type PgmqInfo,
  PgmqVersionError,
  PgmqVersionErrorCode,
} from './pgmq-version.js';
export {
  DEFAULT_QUEUE_NAMES,
  domainEventQueueName,
  notificationChannel,
  ORCHESTRATION_QUEUES,
  type QueueNames,
  queueNotificationChannel,
  STEP_RESULTS_QUEUE,
  stepQueueName,
  WORKER_QUEUE_NAMESPACE,
} from './queues.js';
export { installSignalHandlers, type SignalHandlerOptions, type Stoppable } from './shutdown.js';
export { TASKER_SESSION_OPTIONS } from './sql/connections.js';
export * as statements from './sql/statements.js';
export {
  decodeTemplate,
  findTemplateFiles,
  loadTemplateSources,
  type RegistrationResult,
  registerTemplate,
  registerTemplates,
  type TemplateSource,
} from './templates.js';
export { uuidv7 } from './uuid.js';
export { TaskerWorker, type WorkerState } from './worker.js';
