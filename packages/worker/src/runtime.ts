import type {
  DomainEventPublisher,
  HandlerRegistry,
  Logger,
  ResultSchemaMode,
  SchemaMode,
} from '@tasker-bridge/core';
import type { DomainEvent } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { CompletionStatements } from './complete.js';
import { DeploymentMode, type WorkerConfig } from './config.js';
import { HandlerSlots, StepIntake } from './intake.js';
import type { InterceptorChain } from './interceptors.js';
import { LeaseKeeper } from './lease.js';
import { NotificationListener } from './listener.js';
import type { WorkerMetrics } from './metrics.js';
import type { PgmqInfo } from './pgmq-version.js';
import { FallbackPoller } from './poller.js';
import { StepProcessor } from './process-step.js';
import { queueNotificationChannel, stepQueueName } from './queues.js';
import { createClient } from './sql/connections.js';
import { MessageTaker } from './take.js';

/**
 * The running parts of a started worker and how they are wired (docs/protocol.md §3): LISTEN and the fallback
 * poller feed the intake, which reserves handler slots, takes batches of messages (lease, hydrate, claim:
 * `take.ts`) and hands each to the step processor; the lease keeper renews the leases of steps in flight.
 * `TaskerWorker` (`worker.ts`) starts and stops them.
 */

export interface Runtime {
  slots: HandlerSlots;
  intake: StepIntake;
  poller: FallbackPoller;
  /** Null in `polling_only` mode, or when no pgmq URL is known for LISTEN (an injected pool). */
  listener: NotificationListener | null;
  leases: LeaseKeeper;
}

export interface RuntimeInput {
  config: WorkerConfig;
  pgmq: PgmqInfo;
  taskerPool: pg.Pool;
  /** The tasker pool itself when tasker and pgmq share a database. */
  pgmqPool: pg.Pool;
  /** Where to LISTEN (the pgmq database); undefined: polling only. */
  listenUrl: string | undefined;
  namespaces: readonly string[];
  registry: HandlerRegistry;
  resultSchemaMode: ResultSchemaMode | undefined;
  inputSchemaMode: SchemaMode | undefined;
  /** Around every claimed step's run (`interceptors.ts`). */
  interceptors: InterceptorChain;
  onDomainEvent: ((event: DomainEvent) => void) | undefined;
  publishers: ReadonlyMap<string, DomainEventPublisher>;
  workerUuid: string;
  workerId: string;
  logger: Logger;
  metrics: WorkerMetrics;
  cancelSignal: AbortSignal;
  hardStopSignal: AbortSignal;
  runningSteps: Set<string>;
}

export function createRuntime(input: RuntimeInput): Runtime {
  const { config, taskerPool, pgmqPool, logger } = input;
  const vt = config.visibilityTimeoutSeconds;
  const queues = new Map(
    input.namespaces.map((ns) => [stepQueueName(ns, config.queues.workerNamespace), ns]),
  );
  const slots = new HandlerSlots(config.concurrency);
  const leases = new LeaseKeeper({
    db: pgmqPool,
    visibilityTimeoutSeconds: vt,
    setVtArray: input.pgmq.setVtArray,
    logger,
    metrics: input.metrics,
  });
  const processor = new StepProcessor({
    taskerDb: taskerPool,
    pgmqDb: pgmqPool,
    completions: new CompletionStatements(taskerPool, pgmqPool, config.queues.stepResults),
    registry: input.registry,
    workerUuid: input.workerUuid,
    workerId: input.workerId,
    handlerTimeoutMs: config.handlerTimeoutMs,
    visibilityTimeoutSeconds: vt,
    leases,
    resultSchemaMode: input.resultSchemaMode,
    inputSchemaMode: input.inputSchemaMode,
    logger,
    metrics: input.metrics,
    interceptors: input.interceptors,
    cancelSignal: input.cancelSignal,
    hardStopSignal: input.hardStopSignal,
    onDomainEvent: input.onDomainEvent,
    publishers: input.publishers,
    onStepStarted: (uuid) => input.runningSteps.add(uuid),
    onStepFinished: (uuid) => input.runningSteps.delete(uuid),
  });
  const taker = new MessageTaker({
    taskerDb: taskerPool,
    pgmqDb: pgmqPool,
    owner: { workerUuid: input.workerUuid, namespaces: new Set(input.namespaces) },
    visibilityTimeoutSeconds: vt,
    pgmq: input.pgmq,
    logger,
  });
  const intake = new StepIntake({
    slots,
    queues,
    take: (request) => taker.take(request),
    process: async (taken, handlerDone) => {
      await processor.process(taken, handlerDone);
    },
    wakePoller: () => poller.wake(),
    logger,
  });
  const poller = new FallbackPoller({
    queues,
    intervalMs: config.pollIntervalMs,
    batchSize: config.pollBatchSize,
    slots,
    take: (request) => intake.take(request),
    logger,
  });
  let listener: NotificationListener | null = null;
  if (config.deploymentMode === DeploymentMode.HYBRID) {
    const url = input.listenUrl;
    if (url === undefined) {
      logger.warn({}, 'no pgmq database URL for LISTEN (injected pool): running in polling-only mode');
    } else {
      listener = new NotificationListener({
        createClient: () => createClient(url, `${config.applicationName}-listen`, config.connectTimeoutMs),
        // What `tasker.pgmq_send_with_notify` notifies for each step queue (`pgmq_message_ready.{ns}` by default).
        channels: [...queues.keys()].map(queueNotificationChannel),
        onNotification: (channel, payload) => intake.onNotification(channel, payload),
        // After a reconnect, notifications sent meanwhile are gone: catch up with a poll right away.
        onConnected: (reconnected) => {
          if (reconnected) poller.wake();
        },
        logger,
      });
    }
  }
  return { slots, intake, poller, listener, leases };
}
