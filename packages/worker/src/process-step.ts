import { type HandlerRegistry, type Logger, type ResultSchemaMode, runStep } from '@tasker-bridge/core';
import {
  type DomainEvent,
  decodeParsed,
  type StepExecutionResult,
  type StepMessage,
  type TaskSequenceStep,
} from '@tasker-bridge/schemas';
import { archiveMessage } from './archive.js';
import { backoffDelay, sleep } from './backoff.js';
import { persistCheckpoint } from './checkpoint.js';
import { claimStep } from './claim.js';
import { sendCompletion, writeCompletion } from './complete.js';
import { publishDomainEvents } from './domain-events.js';
import { workerFailureResult } from './failure-result.js';
import { hydrateStep } from './hydrate.js';
import type { QueuedMessage } from './intake.js';
import type { WorkerMetrics } from './metrics.js';
import type { Queryable } from './sql/connections.js';

/**
 * One message, start to finish (queue-protocol.md §4): validate the body → hydrate (§4.2) → claim (§4.3) →
 * archive (§4.4) → run the handler with `runStep` under the worker's timeout and shutdown signal (§4.5; checkpoint
 * yields persisted and re-run in-process, §6.3) → completion write, then the result message (§4.6, §4.7) →
 * domain events (§6.4).
 *
 * Bad input never stops the worker and never loses a step; each case gets one log line with the ids:
 * - malformed body, unknown task/step, step no longer `enqueued`, lost claim race: the message is archived
 *   (nothing can ever claim through it; upstream would re-read it forever);
 * - database errors before the claim: the message is left for redelivery;
 * - handler unknown / throws / hangs / cancelled: `runStep` turns it into a failure result that is reported.
 * After a claim, the step always ends in a completion: transient database errors are retried with backoff
 * until the completion is written (or until the hard stop of a shutdown).
 */

export interface ProcessorOptions {
  taskerDb: Queryable;
  pgmqDb: Queryable;
  registry: HandlerRegistry;
  workerUuid: string;
  workerId: string;
  namespaces: ReadonlySet<string>;
  handlerTimeoutMs: number;
  resultSchemaMode?: ResultSchemaMode | undefined;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Aborted when the shutdown grace period ends: running handlers are cancelled (retryable failure). */
  cancelSignal: AbortSignal;
  /** Aborted when even completion retries must give up (second signal / final deadline). */
  hardStopSignal: AbortSignal;
  onDomainEvent?: ((event: DomainEvent) => void) | undefined;
  /** Called once a step has been claimed and once it is finished (for health/shutdown bookkeeping). */
  onStepStarted?: (stepUuid: string) => void;
  onStepFinished?: (stepUuid: string) => void;
}

export type MessageOutcome =
  | 'completed'
  | 'skipped'
  | 'left_for_redelivery'
  | 'completion_abandoned'
  | 'not_in_progress';

export class StepProcessor {
  readonly #o: ProcessorOptions;

  constructor(options: ProcessorOptions) {
    this.#o = options;
  }

  async process(message: QueuedMessage): Promise<MessageOutcome> {
    const { logger, metrics } = this.#o;
    const ids = { namespace: message.namespace, queue: message.queue, msg_id: message.msgId };

    // 1. Body (§2.1): all three UUIDs required.
    let body: StepMessage;
    try {
      body = decodeParsed('StepMessage', message.body);
    } catch (error) {
      logger.warn(
        { ...ids, error: (error as Error).message },
        'malformed step message archived: body is not a StepMessage',
      );
      await this.#archiveUnclaimable(message, 'malformed_message');
      return 'skipped';
    }
    const stepIds = {
      ...ids,
      task_uuid: body.task_uuid,
      step_uuid: body.step_uuid,
      correlation_id: body.correlation_id,
    };

    // 2. Hydrate (§4.2) and check claimability (§4.3-1).
    const claimStarted = performance.now();
    let hydration: Awaited<ReturnType<typeof hydrateStep>>;
    try {
      hydration = await hydrateStep(this.#o.taskerDb, body, this.#o.namespaces);
    } catch (error) {
      logger.warn(
        { ...stepIds, error: (error as Error).message },
        'hydration failed; message left for redelivery',
      );
      return 'left_for_redelivery';
    }
    if (hydration.kind === 'skip') {
      logger.warn(
        { ...stepIds, reason: hydration.reason, state: hydration.state },
        `step message archived without claim: ${hydration.detail}`,
      );
      await this.#archiveUnclaimable(message, hydration.reason);
      return 'skipped';
    }
    const step = hydration.step;

    // 3. Claim (§4.3).
    let claim: Awaited<ReturnType<typeof claimStep>>;
    try {
      claim = await claimStep(this.#o.taskerDb, body.step_uuid);
    } catch (error) {
      logger.warn(
        { ...stepIds, error: (error as Error).message },
        'claim failed; message left for redelivery',
      );
      return 'left_for_redelivery';
    }
    if (claim === null) {
      logger.info({ ...stepIds }, 'step message archived: step already claimed by another worker');
      await this.#archiveUnclaimable(message, 'claim_lost');
      return 'skipped';
    }
    metrics.stepsClaimed.inc({ namespace: message.namespace, claim_method: message.method });
    metrics.claimDuration.observe(performance.now() - claimStarted, {
      namespace: message.namespace,
      claim_method: message.method,
    });

    // 4. Ack = archive, right after the claim (§4.4). A failure only means the message comes back later and is
    //    then archived as not claimable.
    try {
      await archiveMessage(this.#o.pgmqDb, message.queue, message.msgId);
    } catch (error) {
      logger.warn({ ...stepIds, error: (error as Error).message }, 'could not archive claimed step message');
    }

    // 5–7. Run, complete, publish.
    const stepLogger = logger.child({
      namespace: step.task.namespace_name,
      task_uuid: body.task_uuid,
      step_uuid: body.step_uuid,
      correlation_id: step.task.task.correlation_id,
      step_name: step.workflow_step.name,
    });
    this.#o.onStepStarted?.(body.step_uuid);
    metrics.activeExecutions.add(1, { namespace: message.namespace });
    try {
      return await this.#runClaimed(step, claim.attempts, message, stepLogger);
    } finally {
      metrics.activeExecutions.add(-1, { namespace: message.namespace });
      this.#o.onStepFinished?.(body.step_uuid);
    }
  }

  async #runClaimed(
    hydrated: TaskSequenceStep,
    attempts: number,
    message: QueuedMessage,
    logger: Logger,
  ): Promise<MessageOutcome> {
    const { metrics } = this.#o;
    const started = performance.now();
    const startedAt = new Date();
    metrics.stepsExecutions.inc({ namespace: message.namespace });
    logger.debug({ attempts }, 'step claimed; running handler');

    let step = hydrated;
    let result: StepExecutionResult;
    for (;;) {
      const outcome = await runStep({
        registry: this.#o.registry,
        step,
        signal: this.#o.cancelSignal,
        logger,
        workerId: this.#o.workerId,
        timeoutMs: this.#o.handlerTimeoutMs,
        ...(this.#o.resultSchemaMode === undefined ? {} : { resultSchemaMode: this.#o.resultSchemaMode }),
      });
      if (outcome.type === 'result') {
        result = outcome.result;
        break;
      }
      // Checkpoint yield (§6.3): persist, then re-invoke with workflow_step.checkpoint = the yielded data.
      try {
        await persistCheckpoint(this.#o.taskerDb, outcome.checkpoint);
        logger.debug({ items_processed: Number(outcome.checkpoint.items_processed) }, 'checkpoint persisted');
        step = { ...step, workflow_step: { ...step.workflow_step, checkpoint: outcome.checkpoint } };
      } catch (error) {
        result = workerFailureResult({
          stepUuid: step.workflow_step.workflow_step_uuid,
          message: `Checkpoint yield failed: ${(error as Error).message}`,
          errorType: 'checkpoint_error',
          retryable: true,
          workerId: this.#o.workerId,
          startedAt,
        });
        break;
      }
    }

    const durationMs = Math.round(performance.now() - started);
    metrics.executionDuration.observe(durationMs, {
      namespace: message.namespace,
      result: result.success ? 'success' : 'error',
    });
    if (result.success) metrics.stepsSuccesses.inc({ namespace: message.namespace });
    else
      metrics.stepsFailures.inc({
        namespace: message.namespace,
        error_type: result.metadata?.error_type ?? 'unknown',
      });

    const outcome = await this.#complete(step, result, logger, durationMs);
    if (outcome === 'completed') {
      const report = await publishDomainEvents(this.#o.pgmqDb, {
        step,
        result,
        logger,
        onEvent: this.#o.onDomainEvent,
      });
      if (report.published.length > 0) {
        metrics.domainEventsPublished.inc({ namespace: message.namespace }, report.published.length);
      }
    }
    return outcome;
  }

  /** Completion write, then the message, each retried on transient errors until done or hard stop. */
  async #complete(
    step: TaskSequenceStep,
    result: StepExecutionResult,
    logger: Logger,
    durationMs: number,
  ): Promise<MessageOutcome> {
    const stepUuid = step.workflow_step.workflow_step_uuid;
    const correlationId = step.task.task.correlation_id;
    const submitStarted = performance.now();
    const written = await this.#retry(logger, 'completion write', () =>
      writeCompletion(this.#o.taskerDb, { stepUuid, result, workerUuid: this.#o.workerUuid, correlationId }),
    );
    if (written === undefined) return 'completion_abandoned';
    if (written.kind === 'not_in_progress') {
      logger.error(
        { state: written.state, success: result.success },
        'step result dropped: the step is no longer in_progress (moved by an operator or orchestration)',
      );
      return 'not_in_progress';
    }
    const sent = await this.#retry(logger, 'result message', () =>
      sendCompletion(this.#o.pgmqDb, {
        task_uuid: step.task.task.task_uuid,
        step_uuid: stepUuid,
        correlation_id: correlationId,
      }),
    );
    if (sent === undefined) return 'completion_abandoned';
    this.#o.metrics.resultsSubmitted.inc({ result_type: 'completion' });
    this.#o.metrics.submissionDuration.observe(performance.now() - submitStarted, {
      result_type: 'completion',
    });
    // One info line per step is enough: core's runStep already logs 'step completed' (info) on success and the
    // failure at warn; this line adds only the ids of the result message (debug).
    logger[result.success ? 'debug' : 'info'](
      { duration_ms: durationMs, success: result.success, state: written.toState, result_msg_id: sent },
      'step result sent to orchestration',
    );
    return 'completed';
  }

  async #retry<T>(logger: Logger, what: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (this.#o.hardStopSignal.aborted) {
          logger.error(
            { error: (error as Error).message },
            `${what} abandoned at shutdown: the step stays in_progress until staleness detection`,
          );
          return undefined;
        }
        const delay = backoffDelay(attempt, { initialMs: 200, maxMs: 10_000 });
        logger.warn(
          { error: (error as Error).message, retry_in_ms: delay, attempt: attempt + 1 },
          `${what} failed; retrying`,
        );
        await sleep(delay, this.#o.hardStopSignal);
      }
    }
  }

  async #archiveUnclaimable(message: QueuedMessage, reason: string): Promise<void> {
    this.#o.metrics.messagesSkipped.inc({ namespace: message.namespace, reason });
    try {
      await archiveMessage(this.#o.pgmqDb, message.queue, message.msgId);
    } catch (error) {
      this.#o.logger.warn(
        { queue: message.queue, msg_id: message.msgId, error: (error as Error).message },
        'could not archive unclaimable message; it will be looked at again',
      );
    }
  }
}
