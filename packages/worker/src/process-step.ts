import type {
  DomainEventPublisher,
  HandlerRegistry,
  Logger,
  ResultSchemaMode,
  SchemaMode,
} from '@tasker-bridge/core';
import type { DomainEvent, StepMessage } from '@tasker-bridge/schemas';
import { type Completion, type CompletionStatements, completeStep } from './complete.js';
import { publishDomainEvents } from './domain-events.js';
import { type Execution, executeStep } from './execute.js';
import type { Hydration, TakenMessage } from './hydrate.js';
import type { QueuedMessage } from './intake.js';
import type { InterceptorChain, StepReport } from './interceptors.js';
import { judge, type Verdict } from './judge.js';
import type { LeaseKeeper } from './lease.js';
import type { WorkerMetrics } from './metrics.js';
import { type ClaimFacts, type MessageIds, recordOutcome, type StepOutcome } from './outcome.js';
import { archiveMessage } from './pgmq.js';
import { type ReportContext, reportLostClaim, reportUnrunnable, resendResult } from './recover.js';
import type { Queryable } from './sql/connections.js';
import { StepInvocation } from './step-invocation.js';

/**
 * One step message, start to finish (docs/protocol.md §4). Every message arrives taken (`take.ts`): its lease
 * (package README, "Leases") taken by a read with a visibility timeout, its step hydrated (§4.2) and claimed
 * (§4.3, the metadata names the lease), in batches. Then `process`, the one place where a message's whole
 * processing and its outcome are visible: the verdict on what the claim found (`judge.ts`); for a claimed step
 * the handler under the lease (heartbeats, `lease.ts`) inside the interceptors (`interceptors.ts`: the step's
 * span, then the user's), the completion of the result they settle on, fenced to our claim, and the result
 * message with the archive of the step message (`complete.ts`), then domain events (§6.4); for a claim no handler
 * runs, its worker-owned report (`recover.ts`). The outcome is counted and logged once (`outcome.ts`).
 *
 * Bad input never stops the worker and never loses a step; each case gets one log line with the ids:
 * - malformed body, unknown task/step, step past `enqueued` without our lease: the message is archived (nothing
 *   can ever claim through it; upstream would re-read it forever);
 * - a claimed step whose template, definition or data does not decode: reported as a permanent failure;
 * - database errors before the claim, a lost claim race: the message is left (its visibility timeout decides);
 * - handler unknown / throws / hangs / cancelled: `runStep` turns it into a failure result that is reported.
 * After a claim, the step always ends in a completion (`completeStep` retries until it is written, or until the
 * hard stop of a shutdown — then the lease lapses and another worker recovers the claim).
 */

export interface ProcessorOptions {
  taskerDb: Queryable;
  pgmqDb: Queryable;
  /** The completion statements, batched across the steps in flight (`complete.ts`). */
  completions: CompletionStatements;
  registry: HandlerRegistry;
  workerUuid: string;
  workerId: string;
  handlerTimeoutMs: number;
  /** The lease length (package README, "Leases"). */
  visibilityTimeoutSeconds: number;
  leases: LeaseKeeper;
  resultSchemaMode?: ResultSchemaMode | undefined;
  /** How `runStep` treats the template's `input_schema` (`TaskerWorkerOptions.inputSchemaMode`). */
  inputSchemaMode?: SchemaMode | undefined;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Wrap every claimed step's run: the worker's span, then the user's interceptors (`interceptors.ts`). */
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

export class StepProcessor {
  readonly #o: ProcessorOptions;
  readonly #report: ReportContext & { hardStopSignal: AbortSignal };
  /** The stop signal of every running step: one listener on `cancelSignal` for all of them, none per step. */
  readonly #stops = new Set<AbortController>();

  constructor(options: ProcessorOptions) {
    this.#o = options;
    this.#report = {
      completions: options.completions,
      workerUuid: options.workerUuid,
      workerId: options.workerId,
      hardStopSignal: options.hardStopSignal,
    };
    options.cancelSignal.addEventListener(
      'abort',
      () => {
        for (const stop of this.#stops) stop.abort(options.cancelSignal.reason);
      },
      { once: true },
    );
  }

  /**
   * The whole processing of one leased message whose step was hydrated and claimed (or not): see the top of this
   * file. `handlerDone` is called once a claimed step's handler and the interceptors around it have returned,
   * before its completion (the intake may then free its handler slot). Never throws; the outcome is recorded
   * before it is returned.
   */
  async process(taken: TakenMessage, handlerDone: () => void = () => {}): Promise<StepOutcome> {
    const verdict = judge(taken, this.#o.visibilityTimeoutSeconds);
    const { outcome, stepLogger } =
      verdict.kind === 'run'
        ? await this.#run(taken as Extract<TakenMessage, { kind: 'hydrated' }>, verdict.ready, handlerDone)
        : { outcome: await this.#withoutRunning(taken, verdict), stepLogger: undefined };
    recordOutcome(outcome, this.#o.metrics, this.#o.logger, stepLogger);
    return outcome;
  }

  /** Every verdict but a claimed step to run: archive, leave, recover, or report a claim that cannot run. */
  async #withoutRunning(
    taken: TakenMessage,
    verdict: Exclude<Verdict, { kind: 'run' }>,
  ): Promise<StepOutcome> {
    const { message } = taken;
    const stepMessage = taken.kind === 'malformed' ? null : taken.stepMessage;
    const ids = idsOf(message, stepMessage);
    const lease = { queue: message.queue, msgId: message.msgId };
    switch (verdict.kind) {
      case 'archive':
        return this.#archive(ids, message, verdict);
      case 'hydration_failed':
        return { kind: 'left', ids, reason: 'hydration_failed', error: verdict.error };
      case 'claim_lost':
        return { kind: 'left', ids, reason: 'claim_lost' };
      case 'claim_too_recent':
        return {
          kind: 'left',
          ids,
          reason: 'claim_too_recent',
          state: verdict.claimed.state,
          stateAgeMs: verdict.claimed.stateAgeMs,
        };
      case 'recover': {
        const { claimed, recovery } = verdict;
        const facts = {
          kind: 'recovery',
          ids,
          recovery,
          state: claimed.state,
          lostWorkerUuid: verdict.lostWorkerUuid,
          leaseAgeMs: claimed.stateAgeMs,
        } as const;
        try {
          if (recovery === 'result_resent') {
            await resendResult(this.#report, lease, claimed, ids.step_uuid as string);
          } else {
            const written = await reportLostClaim(
              this.#report,
              lease,
              claimed,
              ids.step_uuid as string,
              verdict.lostWorkerUuid,
            );
            if (written.kind !== 'written') {
              return { ...facts, result: 'already_finished', finishedState: written.state, error: null };
            }
          }
          return { ...facts, result: 'reported', finishedState: null, error: null };
        } catch (error) {
          return { ...facts, result: 'failed', finishedState: null, error: (error as Error).message };
        }
      }
      case 'report_unrunnable': {
        const { unrunnable } = verdict;
        const facts = {
          kind: 'unrunnable',
          ids,
          claim: this.#claimFacts(message),
          reason: unrunnable.reason,
          detail: unrunnable.detail,
        } as const;
        try {
          await reportUnrunnable(this.#report, lease, stepMessage as StepMessage, unrunnable);
          return { ...facts, reported: true, error: null };
        } catch (error) {
          return { ...facts, reported: false, error: (error as Error).message };
        }
      }
    }
  }

  /**
   * A step this worker claimed and hydrated: hold the lease (the message stays invisible) until the result is
   * sent; run the handler inside the interceptors; complete the result they settle on; tell the interceptors how
   * the report ended (`invocation.settle`, on every path, so the step's span always ends); publish domain events.
   */
  async #run(
    taken: Extract<TakenMessage, { kind: 'hydrated' }>,
    ready: Extract<Hydration, { kind: 'ready' }>,
    handlerDone: () => void,
  ): Promise<{ outcome: StepOutcome; stepLogger: Logger }> {
    const { message, stepMessage } = taken;
    const { metrics } = this.#o;
    const claim = this.#claimFacts(message);
    // The handler is stopped when the lease is lost or when shutdown cancels running steps (`#stops`).
    const stop = new AbortController();
    const lease = this.#o.leases.hold(message.queue, message.msgId, () =>
      stop.abort(new Error('lease lost: another worker recovered this step')),
    );
    // The beats come every vt/3; if the read that took the lease is already older than that (slow hydration or
    // claim), renew now so the lease cannot lapse before the first beat.
    if (performance.now() - message.leasedAt > (this.#o.visibilityTimeoutSeconds * 1000) / 3) {
      await this.#o.leases.extendNow(message.queue, message.msgId);
    }
    // What the interceptors see of the step. Its logger is the step's child (`stepLogFields`, shared with
    // runStep's lines through `loggerBound`), with whatever the interceptors bind.
    const invocation = new StepInvocation({
      step: ready.step,
      queue: message.queue,
      messageId: message.msgId,
      claimMethod: message.method,
      attempt: ready.claim.attempts,
      // The claim is taken with the lease (`take.ts`): it starts with the read that leases the message.
      claimStartedAt: performance.timeOrigin + message.leasedAt,
      workerId: this.#o.workerId,
      signal: stop.signal,
      logger: this.#o.logger,
    });
    this.#o.onStepStarted?.(stepMessage.step_uuid);
    // The one live figure of a step, so it follows the run here; every other figure of the step is recorded from
    // its outcome (`outcome.ts`).
    metrics.activeExecutions.add(1, { namespace: message.namespace });
    let executing = true;
    if (this.#o.cancelSignal.aborted) stop.abort(this.#o.cancelSignal.reason);
    else this.#stops.add(stop);
    let report: StepReport | null = null;
    try {
      invocation.logger.debug({ attempts: ready.claim.attempts }, 'step claimed; running handler');
      const started = performance.now();
      // Set by the innermost call; stays undefined when an interceptor answers without calling next().
      let execution: Execution | undefined;
      const result = await this.#o.interceptors.run(invocation, async () => {
        execution = await executeStep(
          this.#o,
          ready.step,
          ready.template.input_schema,
          invocation.signal,
          invocation.logger,
        );
        return execution.result;
      });
      const durationMs = Math.round(performance.now() - started);
      executing = false;
      metrics.activeExecutions.add(-1, { namespace: message.namespace });
      handlerDone();
      lease.finishing();
      const stepLogger = invocation.logger; // with the interceptors' bindings
      const step = execution?.step ?? ready.step;
      const { completion, result: reported } = await completeStep(
        this.#report,
        {
          stepMessage: {
            task_uuid: step.task.task.task_uuid,
            step_uuid: step.workflow_step.workflow_step_uuid,
            correlation_id: step.task.task.correlation_id,
          },
          claimTransitionUuid: ready.claim.transitionUuid,
          result,
          lease: { queue: message.queue, msgId: message.msgId },
        },
        stepLogger,
      );
      report = { outcome: reportOutcome(completion), result: reported };
      invocation.settle(report);
      let domainEventsPublished = 0;
      if (completion.kind === 'sent') {
        // After the completion committed, judged on the result as reported (the interceptors' result, or the
        // `result_not_storable` failure that replaced it), so the events agree with what orchestration reads.
        const events = await publishDomainEvents(this.#o.pgmqDb, {
          step,
          result: reported,
          attempts: ready.claim.attempts,
          published: execution?.published ?? [],
          publishers: this.#o.publishers,
          logger: stepLogger,
          onEvent: this.#o.onDomainEvent,
        });
        domainEventsPublished = events.published.length;
      }
      const outcome: StepOutcome = {
        kind: 'ran',
        ids: idsOf(message, stepMessage),
        claim,
        execution: { durationMs, result },
        completion,
        domainEventsPublished,
      };
      return { outcome, stepLogger };
    } finally {
      // Settled on every path (a second call changes nothing), so an interceptor waiting on the report — the
      // step's span — never waits forever.
      invocation.settle(
        report ?? {
          outcome: 'error',
          result: invocation.failure(new Error('the step ended without a result')),
        },
      );
      this.#stops.delete(stop);
      lease.release();
      if (executing) metrics.activeExecutions.add(-1, { namespace: message.namespace });
      this.#o.onStepFinished?.(stepMessage.step_uuid);
    }
  }

  #claimFacts(message: QueuedMessage): ClaimFacts {
    return { method: message.method, durationMs: performance.now() - message.leasedAt };
  }

  async #archive(
    ids: MessageIds,
    message: QueuedMessage,
    verdict: Extract<Verdict, { kind: 'archive' }>,
  ): Promise<StepOutcome> {
    let archiveError: string | null = null;
    try {
      await archiveMessage(this.#o.pgmqDb, message.queue, message.msgId);
    } catch (error) {
      archiveError = (error as Error).message;
    }
    const { reason, detail, state, error } = verdict;
    return { kind: 'archived', ids, reason, detail, state, error, archiveError };
  }
}

function idsOf(message: QueuedMessage, step: StepMessage | null): MessageIds {
  const ids = { namespace: message.namespace, queue: message.queue, msg_id: message.msgId };
  return step === null
    ? ids
    : { ...ids, task_uuid: step.task_uuid, step_uuid: step.step_uuid, correlation_id: step.correlation_id };
}

/** How a completion ended, as the interceptors' `reported` tells it. */
function reportOutcome(completion: Completion): StepReport['outcome'] {
  switch (completion.kind) {
    case 'sent':
      return 'completed';
    case 'not_in_progress':
      return 'not_in_progress';
    case 'abandoned':
      return 'completion_abandoned';
  }
}
