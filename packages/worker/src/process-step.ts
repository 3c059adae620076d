import {
  type DomainEventPublisher,
  type HandlerRegistry,
  type Logger,
  type PublishedEvent,
  type ResultSchemaMode,
  runStep,
  type SchemaMode,
} from '@tasker-bridge/core';
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
import { sendCompletion, type WriteOutcome, writeCompletion } from './complete.js';
import { publishDomainEvents } from './domain-events.js';
import { workerFailureResult } from './failure-result.js';
import { type Claimed, type Hydration, hydrateAndClaim } from './hydrate.js';
import type { QueuedMessage } from './intake.js';
import type { InterceptorChain, StepReport } from './interceptors.js';
import type { LeaseKeeper } from './lease.js';
import type { WorkerMetrics } from './metrics.js';
import { type Queryable, sqlState } from './sql/connections.js';
import { StepInvocation } from './step-invocation.js';
import { TemplateCache } from './template-cache.js';
import { leaseOf } from './transition-metadata.js';

/**
 * One message, start to finish (docs/protocol.md §4). Every message arrives with its lease already taken (read
 * with a visibility timeout by the poller or by id for a notification; README "Leases"): validate the body →
 * hydrate (§4.2) and claim (§4.3, the metadata names the lease) in one statement → keep the lease alive while
 * the handler runs with `runStep` under the worker's timeout and shutdown signal (§4.5; checkpoint yields
 * persisted and re-run in-process, §6.3) → completion write fenced to our claim, then the result message and the
 * archive of the step message in one statement (§4.6, §4.7; the archive moved here from §4.4) → domain events
 * (§6.4).
 *
 * A message whose step is already claimed is looked at through the claim's lease:
 * - it is not this message (or the claim has no lease: upstream's, or a stale duplicate): archived;
 * - it is this message, so the owner stopped renewing it — if the state is at least vt/2 old (the owner had a
 *   heartbeat due since and missed it): `in_progress` ⇒ recovered as a retryable `worker_lost` failure;
 *   `enqueued_*_for_orchestration` ⇒ the owner died before telling orchestration: the result message is re-sent.
 *   Younger: left alone (our read pushed its visibility timeout; the owner's next beat takes over).
 *
 * Bad input never stops the worker and never loses a step; each case gets one log line with the ids:
 * - malformed body, unknown task/step, step past `enqueued` without our lease: the message is archived (nothing
 *   can ever claim through it; upstream would re-read it forever);
 * - a claimed step whose template, definition or data does not decode: reported as a permanent failure;
 * - database errors before the claim, a lost claim race: the message is left (its visibility timeout decides);
 * - handler unknown / throws / hangs / cancelled: `runStep` turns it into a failure result that is reported.
 * After a claim, the step always ends in a completion: transient database errors are retried with backoff
 * until the completion is written (or until the hard stop of a shutdown — then the lease lapses and another
 * worker recovers the claim).
 */

export interface ProcessorOptions {
  taskerDb: Queryable;
  pgmqDb: Queryable;
  registry: HandlerRegistry;
  workerUuid: string;
  workerId: string;
  namespaces: ReadonlySet<string>;
  /** Where result messages go (`WorkerConfig.queues.stepResults`, docs/protocol.md §4.7). */
  resultsQueue: string;
  handlerTimeoutMs: number;
  /** The lease length (README "Leases"). */
  visibilityTimeoutSeconds: number;
  leases: LeaseKeeper;
  resultSchemaMode?: ResultSchemaMode | undefined;
  /** How `runStep` treats the template's `input_schema` (`TaskerWorkerOptions.inputSchemaMode`). */
  inputSchemaMode?: SchemaMode | undefined;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Wrap every claimed step's run: the worker's span and metrics, then the user's (`interceptors.ts`). */
  interceptors: InterceptorChain;
  /** Aborted when the shutdown grace period ends: running handlers are cancelled (retryable failure). */
  cancelSignal: AbortSignal;
  /** Aborted when even completion retries must give up (second signal / final deadline). */
  hardStopSignal: AbortSignal;
  onDomainEvent?: ((event: DomainEvent) => void) | undefined;
  /** Named domain-event publishers (`publishes_events[].publisher`). */
  publishers: ReadonlyMap<string, DomainEventPublisher>;
  /** Called once a step has been claimed and once it is finished (for health/shutdown bookkeeping). */
  onStepStarted?: (stepUuid: string) => void;
  onStepFinished?: (stepUuid: string) => void;
}

export type MessageOutcome =
  | 'completed'
  | 'skipped'
  | 'left_for_redelivery'
  | 'completion_abandoned'
  | 'not_in_progress'
  | 'recovered';

export class StepProcessor {
  readonly #o: ProcessorOptions;
  readonly #templates = new TemplateCache();
  /** The stop signal of every running step: one listener on `cancelSignal` for all of them, none per step. */
  readonly #stops = new Set<AbortController>();

  constructor(options: ProcessorOptions) {
    this.#o = options;
    options.cancelSignal.addEventListener(
      'abort',
      () => {
        for (const stop of this.#stops) stop.abort(options.cancelSignal.reason);
      },
      { once: true },
    );
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

    // 2–3. Hydrate (§4.2) and claim (§4.3) in one statement, naming this message as the claim's lease.
    const claimStarted = performance.now();
    let hydration: Hydration;
    try {
      hydration = await hydrateAndClaim(
        this.#o.taskerDb,
        {
          ids: body,
          namespaces: this.#o.namespaces,
          owner: { workerUuid: this.#o.workerUuid, lease: { queue: message.queue, msg_id: message.msgId } },
        },
        this.#templates,
      );
    } catch (error) {
      logger.warn(
        { ...stepIds, error: (error as Error).message },
        'hydration and claim failed; message left for redelivery',
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
    if (hydration.kind === 'claimed') return this.#judgeClaimed(message, body, hydration, stepIds);
    if (hydration.kind === 'claim_lost') {
      // Not archived: if the winner claimed through this very message it is the winner's lease. Otherwise it
      // resurfaces after its visibility timeout and is archived then as a stale message.
      logger.info({ ...stepIds }, 'step claimed by another worker meanwhile; message left to its lease');
      this.#o.metrics.messagesSkipped.inc({ namespace: message.namespace, reason: 'claim_lost' });
      return 'skipped';
    }
    metrics.stepsClaimed.inc({ namespace: message.namespace, claim_method: message.method });
    metrics.claimDuration.observe(performance.now() - claimStarted, {
      namespace: message.namespace,
      claim_method: message.method,
    });
    if (hydration.kind === 'unrunnable') return this.#reportUnrunnable(message, body, hydration, stepIds);
    const { step, claim, template } = hydration;

    // 4. Keep the lease (the message stays invisible) until the result is sent; the archive comes with it. The
    // handler is stopped when the lease is lost or when shutdown cancels running steps (`#stops`).
    const stop = new AbortController();
    const lease = this.#o.leases.hold(message.queue, message.msgId, () =>
      stop.abort(new Error('lease lost: another worker recovered this step')),
    );
    // The beats come every vt/3; if the read that took the lease is already older than that (slow hydration or
    // claim), renew now so the lease cannot lapse before the first beat.
    if (performance.now() - message.leasedAt > (this.#o.visibilityTimeoutSeconds * 1000) / 3) {
      await this.#o.leases.extendNow(message.queue, message.msgId);
    }

    // 5–7. Run (inside the interceptors), complete, publish.
    const invocation = new StepInvocation({
      step,
      queue: message.queue,
      messageId: message.msgId,
      claimMethod: message.method,
      attempt: claim.attempts,
      claimStartedAt: performance.timeOrigin + claimStarted,
      workerId: this.#o.workerId,
      signal: stop.signal,
      logger,
    });
    this.#o.onStepStarted?.(body.step_uuid);
    if (this.#o.cancelSignal.aborted) stop.abort(this.#o.cancelSignal.reason);
    else this.#stops.add(stop);
    try {
      return await this.#runClaimed(
        invocation,
        claim,
        message,
        () => lease.finishing(),
        template.input_schema,
      );
    } finally {
      this.#stops.delete(stop);
      lease.release();
      this.#o.onStepFinished?.(body.step_uuid);
    }
  }

  /**
   * A step this worker claimed but cannot run: its template, step definition or data does not decode
   * (`hydrate.ts`). Reported at once as a permanent failure naming the reason, so the step does not sit
   * `enqueued` (upstream) or `in_progress`. If the report itself fails, the lease lapses and the claim is
   * recovered like any abandoned one.
   */
  async #reportUnrunnable(
    message: QueuedMessage,
    body: StepMessage,
    unrunnable: Extract<Hydration, { kind: 'unrunnable' }>,
    stepIds: Record<string, unknown>,
  ): Promise<MessageOutcome> {
    const { logger, metrics } = this.#o;
    const result = workerFailureResult({
      stepUuid: body.step_uuid,
      message: `Step cannot run: ${unrunnable.detail}`,
      errorType: unrunnable.reason,
      retryable: false,
      workerId: this.#o.workerId,
    });
    try {
      await this.#reportWithoutRunning(message, {
        stepMessage: { ...body, correlation_id: unrunnable.correlationId },
        claimTransitionUuid: unrunnable.claim.transitionUuid,
        result,
      });
    } catch (error) {
      logger.warn(
        { ...stepIds, reason: unrunnable.reason, error: (error as Error).message },
        'could not report a step that cannot run; its lease lapses and the claim is recovered',
      );
      return 'left_for_redelivery';
    }
    metrics.stepsFailures.inc({ namespace: message.namespace, error_type: unrunnable.reason });
    logger.warn(
      { ...stepIds, reason: unrunnable.reason },
      `step claimed but cannot run; reported as a permanent failure: ${unrunnable.detail}`,
    );
    return 'completed';
  }

  /**
   * A message whose step is claimed or whose claim has ended but may not have been reported (README "Leases").
   * Only worker-owned transitions are written, fenced to the claim observed.
   */
  async #judgeClaimed(
    message: QueuedMessage,
    body: StepMessage,
    claimed: Claimed,
    stepIds: Record<string, unknown>,
  ): Promise<MessageOutcome> {
    const { logger, metrics } = this.#o;
    const lease = leaseOf(claimed.claimMetadata);
    if (lease === null || lease.queue !== message.queue || lease.msg_id !== message.msgId) {
      logger.warn(
        { ...stepIds, reason: 'not_claimable', state: claimed.state },
        `step message archived without claim: step is '${claimed.state}', claimed through ${
          lease === null ? 'a message acked at claim time' : `message ${lease.msg_id}`
        }`,
      );
      await this.#archiveUnclaimable(message, 'not_claimable');
      return 'skipped';
    }
    // Our read pushed the message's visibility timeout; if the owner is alive its next beat keeps it hidden.
    const minAgeMs = (this.#o.visibilityTimeoutSeconds * 1000) / 2;
    if (claimed.stateAgeMs < minAgeMs) {
      logger.debug(
        { ...stepIds, state: claimed.state, state_age_ms: Math.round(claimed.stateAgeMs) },
        'leased step message visible, but the claim is too recent to call its owner lost; left to its lease',
      );
      return 'left_for_redelivery';
    }
    const lostWorker =
      typeof claimed.claimMetadata?.worker_uuid === 'string' ? claimed.claimMetadata.worker_uuid : null;
    const stepMessage = {
      task_uuid: claimed.taskUuid,
      step_uuid: body.step_uuid,
      correlation_id: claimed.correlationId,
    };
    const facts = {
      ...stepIds,
      state: claimed.state,
      lost_worker_uuid: lostWorker,
      lease_age_ms: Math.round(claimed.stateAgeMs),
    };
    const kind = claimed.state === 'in_progress' ? 'worker_lost' : 'result_resent';
    try {
      if (kind === 'worker_lost') {
        const result = workerFailureResult({
          stepUuid: body.step_uuid,
          message: `Worker ${lostWorker ?? '(unknown)'} lost its claim: it stopped renewing the lease on step message ${message.msgId} (process killed, partitioned or stalled); reported by worker ${this.#o.workerUuid}`,
          errorType: 'worker_lost',
          retryable: true,
          workerId: this.#o.workerId,
          context: { lost_worker_uuid: lostWorker, lease_msg_id: message.msgId },
        });
        const written = await this.#reportWithoutRunning(message, {
          stepMessage,
          claimTransitionUuid: claimed.claimTransitionUuid as string,
          result,
        });
        if (written.kind !== 'written') {
          logger.debug({ ...facts, now: written.state }, 'abandoned claim already finished by someone else');
          return 'skipped';
        }
      } else {
        // `result_resent`: the owner committed its completion but died before telling orchestration.
        await sendCompletion(
          this.#o.pgmqDb,
          stepMessage,
          { queue: message.queue, msgId: message.msgId },
          this.#o.resultsQueue,
        );
      }
      metrics.stepsRecovered.inc({ namespace: message.namespace, kind });
      logger.warn(
        facts,
        kind === 'worker_lost'
          ? 'abandoned claim recovered: its worker stopped renewing the lease; reported as a retryable worker_lost failure'
          : 'result message re-sent: the step was completed but its worker stopped before telling orchestration',
      );
      return 'recovered';
    } catch (error) {
      logger.warn(
        { ...facts, error: (error as Error).message },
        'lease recovery failed; message left for redelivery',
      );
      return 'left_for_redelivery';
    }
  }

  /**
   * A worker-owned completion of a claim no handler ran (a lost worker's, or one that cannot run): the result
   * written fenced to `claimTransitionUuid`, then — only if it was written — the result message and the archive
   * of the step message. Database errors are thrown to the caller.
   */
  async #reportWithoutRunning(
    message: QueuedMessage,
    report: { stepMessage: StepMessage; claimTransitionUuid: string; result: StepExecutionResult },
  ): Promise<WriteOutcome> {
    const written = await writeCompletion(this.#o.taskerDb, {
      stepUuid: report.stepMessage.step_uuid,
      claimTransitionUuid: report.claimTransitionUuid,
      result: report.result,
      workerUuid: this.#o.workerUuid,
      correlationId: report.stepMessage.correlation_id,
    });
    if (written.kind === 'written') {
      await sendCompletion(
        this.#o.pgmqDb,
        report.stepMessage,
        { queue: message.queue, msgId: message.msgId },
        this.#o.resultsQueue,
      );
    }
    return written;
  }

  /**
   * The one place a claimed step's handler runs and its outcome is known: the interceptors wrap the handler
   * (`#runHandler`), then the result they settle on is completed, and the invocation learns how its report ended.
   */
  async #runClaimed(
    invocation: StepInvocation,
    claim: { transitionUuid: string; attempts: number },
    message: QueuedMessage,
    finishing: () => void,
    inputSchema: unknown,
  ): Promise<MessageOutcome> {
    const started = performance.now();
    invocation.logger.debug({ attempts: claim.attempts }, 'step claimed; running handler');
    let step = invocation.step;
    // Events the handler published, across checkpoint re-invocations; delivered after the completion commits.
    let published: readonly PublishedEvent[] = [];
    const report: Partial<StepReport> = { outcome: 'error' };
    try {
      const result = await this.#o.interceptors.run(invocation, async () => {
        const ran = await this.#runHandler(invocation, inputSchema);
        step = ran.step;
        published = ran.published;
        return ran.result;
      });
      report.result = result;
      const logger = invocation.logger; // with the interceptors' bindings
      const durationMs = Math.round(performance.now() - started);

      finishing();
      const outcome = await this.#complete(
        step,
        result,
        claim.transitionUuid,
        message,
        logger,
        durationMs,
        report,
      );
      if (outcome === 'completed' || outcome === 'not_in_progress' || outcome === 'completion_abandoned') {
        report.outcome = outcome;
      }
      if (outcome === 'completed') {
        const events = await publishDomainEvents(this.#o.pgmqDb, {
          step,
          result,
          attempts: claim.attempts,
          published,
          publishers: this.#o.publishers,
          logger,
          onEvent: this.#o.onDomainEvent,
        });
        if (events.published.length > 0) {
          this.#o.metrics.domainEventsPublished.inc(
            { namespace: message.namespace },
            events.published.length,
          );
        }
      }
      return outcome;
    } finally {
      // Always settled, so an interceptor waiting on the report (the step's span) never waits forever.
      invocation.settle({
        outcome: report.outcome ?? 'error',
        result: report.result ?? invocation.failure(new Error('the step ended without a result')),
      });
    }
  }

  /**
   * runStep under the worker's timeout and the step's signal; checkpoint yields persisted and re-run (§6.3). Returns
   * the step as last run (its checkpoint), the result, and the events the handler published across the runs.
   */
  async #runHandler(
    invocation: StepInvocation,
    inputSchema: unknown,
  ): Promise<{ step: TaskSequenceStep; result: StepExecutionResult; published: PublishedEvent[] }> {
    const logger = invocation.logger;
    const startedAt = new Date();
    let step = invocation.step;
    const published: PublishedEvent[] = [];
    for (;;) {
      const outcome = await runStep({
        registry: this.#o.registry,
        step,
        signal: invocation.signal,
        logger,
        loggerBound: true,
        workerId: this.#o.workerId,
        timeoutMs: this.#o.handlerTimeoutMs,
        ...(this.#o.resultSchemaMode === undefined ? {} : { resultSchemaMode: this.#o.resultSchemaMode }),
        ...(this.#o.inputSchemaMode === undefined
          ? {}
          : { inputSchemaMode: this.#o.inputSchemaMode, inputSchema }),
      });
      published.push(...outcome.events);
      if (outcome.type === 'result') return { step, result: outcome.result, published };
      // Checkpoint yield (§6.3): persist, then re-invoke with workflow_step.checkpoint = the stored record (a
      // `CheckpointRecord`, with timestamp and history, as a fresh hydration would read it).
      try {
        const checkpoint = await persistCheckpoint(this.#o.taskerDb, outcome.checkpoint);
        logger.debug({ items_processed: Number(outcome.checkpoint.items_processed) }, 'checkpoint persisted');
        step = { ...step, workflow_step: { ...step.workflow_step, checkpoint } };
      } catch (error) {
        const result = workerFailureResult({
          stepUuid: step.workflow_step.workflow_step_uuid,
          message: `Checkpoint yield failed: ${(error as Error).message}`,
          errorType: 'checkpoint_error',
          retryable: true,
          workerId: this.#o.workerId,
          startedAt,
        });
        return { step, result, published };
      }
    }
  }

  /** Completion write, then the message, each retried on transient errors until done or hard stop. */
  async #complete(
    step: TaskSequenceStep,
    handlerResult: StepExecutionResult,
    claimTransitionUuid: string,
    message: QueuedMessage,
    logger: Logger,
    durationMs: number,
    report: Partial<StepReport>,
  ): Promise<MessageOutcome> {
    let result = handlerResult;
    const stepUuid = step.workflow_step.workflow_step_uuid;
    const correlationId = step.task.task.correlation_id;
    const submitStarted = performance.now();
    const write = (r: StepExecutionResult) =>
      this.#retry(logger, 'completion write', () =>
        writeCompletion(this.#o.taskerDb, {
          stepUuid,
          claimTransitionUuid,
          result: r,
          workerUuid: this.#o.workerUuid,
          correlationId,
        }),
      );
    let written: Awaited<ReturnType<typeof write>>;
    try {
      written = await write(result);
    } catch (error) {
      // The database refuses this result itself (e.g. a `\u0000` in a string, a document past jsonb's limits):
      // retrying cannot help, and the step must not stay in_progress. Report a permanent failure instead.
      logger.error(
        { error: (error as Error).message, code: sqlState(error) },
        'step result rejected by the database; reported as a permanent result_not_storable failure',
      );
      result = workerFailureResult({
        stepUuid,
        message: `Handler result could not be stored: ${(error as Error).message}`,
        errorType: 'result_not_storable',
        retryable: false,
        workerId: this.#o.workerId,
      });
      report.result = result;
      written = await write(result);
    }
    if (written === undefined) return 'completion_abandoned';
    if (written.kind === 'not_in_progress') {
      if (written.recoveredBy !== null) {
        // At-least-once: our lease lapsed (stall, partition, outage longer than the vt) and another worker
        // reported the claim as lost; orchestration retries the step, so this result must not count.
        logger.warn(
          { state: written.state, success: result.success, recovered_by: written.recoveredBy },
          'step result discarded: this worker lost its lease and another worker recovered the claim (the step runs again)',
        );
      } else {
        logger.error(
          { state: written.state, success: result.success },
          'step result dropped: the step is no longer in_progress (moved by an operator or orchestration)',
        );
      }
      return 'not_in_progress';
    }
    const sent = await this.#retry(logger, 'result message', () =>
      sendCompletion(
        this.#o.pgmqDb,
        { task_uuid: step.task.task.task_uuid, step_uuid: stepUuid, correlation_id: correlationId },
        { queue: message.queue, msgId: message.msgId },
        this.#o.resultsQueue,
      ),
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

  /** Retries transient failures; errors the database raises about the data itself are thrown (not retried). */
  async #retry<T>(logger: Logger, what: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (isDataError(error)) throw error;
        if (this.#o.hardStopSignal.aborted) {
          logger.error(
            { error: (error as Error).message },
            `${what} abandoned at shutdown: the step's lease lapses and another worker finishes the report`,
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

/** SQLSTATE classes 22 (data exception) and 54 (program limit exceeded): the statement can never succeed. */
function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('54'));
}
