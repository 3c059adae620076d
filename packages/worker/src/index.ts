// @tasker-bridge/worker — a pure-TypeScript tasker-core worker (queue protocol: docs/protocol.md).
// The user API only; the repository's own tools reach the internals through `@tasker-bridge/worker/internal`.

export { ConfigError, DeploymentMode, MissingHandlersPolicy, type TaskerWorkerOptions } from './config.js';
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
export type {
  StepAttributeValue,
  StepInterceptor,
  StepInterceptorContext,
  StepReport,
} from './interceptors.js';
export type { WorkerMetrics } from './metrics.js';
export { MissingHandlersError, type TemplateMissingHandlers } from './missing-handlers.js';
export { MIN_PGMQ_VERSION, PgmqVersionError, PgmqVersionErrorCode } from './pgmq-version.js';
export { installSignalHandlers, type SignalHandlerOptions, type Stoppable } from './shutdown.js';
export { decodeTemplate } from './templates.js';
export { TaskerWorker, type WorkerState } from './worker.js';
