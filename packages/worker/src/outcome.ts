import type { Logger } from '@tasker-bridge/core';
import type { StepExecutionResult } from '@tasker-bridge/schemas';
import type { Completion } from './complete.js';
import type { ClaimMethod } from './intake.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * What became of one leased step message (`StepProcessor.process`), as data. The worker's metrics and its one
 * log line about the message are written from it, in one place (`recordOutcome`), so each case's facts are
 * decided once and counted and logged the same way everywhere.
 */

/** The message, and the step it names once its body was read. */
export type MessageIds = {
  namespace: string;
  queue: string;
  /** Null when nothing was leased (a lease-and-claim that lost its race rolled its lease back). */
  msg_id: string | null;
  task_uuid?: string;
  step_uuid?: string;
  correlation_id?: string;
};

/** This worker claimed the step while processing the message. */
export interface ClaimFacts {
  method: ClaimMethod;
  /** From the read that took the lease to the claim's answer. */
  durationMs: number;
}

export type StepOutcome =
  /**
   * The message can never lead to a claim: archived (`archiveError` set when even that failed). `error`: why
   * the body is not a `StepMessage` (reason `malformed_message`).
   */
  | {
      kind: 'archived';
      ids: MessageIds;
      reason: string;
      detail: string;
      state: string | null;
      error: string | null;
      archiveError: string | null;
    }
  /**
   * Left to its visibility timeout, unclaimed by us: the hydrate-and-claim statement failed, another worker
   * claimed the step meanwhile (the message may be its lease), or the claim through this message is too recent
   * to call its owner lost.
   */
  | { kind: 'left'; ids: MessageIds; reason: 'hydration_failed'; error: string }
  | { kind: 'left'; ids: MessageIds; reason: 'claim_lost' }
  | { kind: 'left'; ids: MessageIds; reason: 'claim_too_recent'; state: string; stateAgeMs: number }
  /**
   * A claim whose owner stopped renewing its lease (package README, "Leases"): reported as lost, its result
   * re-sent, found finished by someone else meanwhile, or not reported because the report failed (then the
   * message is left to its lease).
   */
  | {
      kind: 'recovery';
      ids: MessageIds;
      recovery: 'worker_lost' | 'result_resent';
      result: 'reported' | 'already_finished' | 'failed';
      state: string;
      lostWorkerUuid: string | null;
      leaseAgeMs: number;
      /** `already_finished`: the step's state when the report found nothing to write. */
      finishedState: string | null;
      error: string | null;
    }
  /** Claimed, but its template, step definition or data does not decode: reported as a permanent failure. */
  | {
      kind: 'unrunnable';
      ids: MessageIds;
      claim: ClaimFacts;
      reason: string;
      detail: string;
      /** False: the report failed; the lease lapses and the claim is recovered like any abandoned one. */
      reported: boolean;
      error: string | null;
    }
  /** Claimed and run: the handler's result, and what became of its completion. */
  | {
      kind: 'ran';
      ids: MessageIds;
      claim: ClaimFacts;
      execution: { durationMs: number; result: StepExecutionResult };
      completion: Completion;
      domainEventsPublished: number;
    };

/**
 * Counts the outcome and writes its log line. `logger` is the worker's; for a step that ran, `stepLogger` is the
 * child bound to its fields (`stepLogFields`, shared with core's `runStep` lines), so its line names the step
 * once.
 */
export function recordOutcome(
  outcome: StepOutcome,
  metrics: WorkerMetrics,
  logger: Logger,
  stepLogger?: Logger,
): void {
  const { namespace } = outcome.ids;
  switch (outcome.kind) {
    case 'archived': {
      metrics.messagesSkipped.inc({ namespace, reason: outcome.reason });
      if (outcome.error !== null) {
        // A body that is not a StepMessage names no step: the reason and the decoder's error say it all.
        logger.warn(
          { ...outcome.ids, error: outcome.error, archive_error: outcome.archiveError ?? undefined },
          `malformed step message ${outcome.archiveError === null ? 'archived' : 'could not be archived'}: ${outcome.detail}`,
        );
        return;
      }
      const fields = { ...outcome.ids, reason: outcome.reason, state: outcome.state };
      if (outcome.archiveError === null) {
        logger.warn(fields, `step message archived without claim: ${outcome.detail}`);
      } else {
        logger.warn(
          { ...fields, archive_error: outcome.archiveError },
          `step message cannot be claimed, and its archive failed; it will be looked at again: ${outcome.detail}`,
        );
      }
      return;
    }
    case 'left':
      switch (outcome.reason) {
        case 'hydration_failed':
          logger.warn(
            { ...outcome.ids, error: outcome.error },
            'hydration and claim failed; message left for redelivery',
          );
          return;
        case 'claim_lost':
          metrics.messagesSkipped.inc({ namespace, reason: 'claim_lost' });
          logger.info(outcome.ids, 'step claimed by another worker meanwhile; message left to its lease');
          return;
        case 'claim_too_recent':
          logger.debug(
            { ...outcome.ids, state: outcome.state, state_age_ms: Math.round(outcome.stateAgeMs) },
            'leased step message visible, but the claim is too recent to call its owner lost; left to its lease',
          );
          return;
      }
      return;
    case 'recovery': {
      const facts = {
        ...outcome.ids,
        state: outcome.state,
        lost_worker_uuid: outcome.lostWorkerUuid,
        lease_age_ms: Math.round(outcome.leaseAgeMs),
      };
      if (outcome.result === 'failed') {
        logger.warn({ ...facts, error: outcome.error }, 'lease recovery failed; message left for redelivery');
      } else if (outcome.result === 'already_finished') {
        logger.debug(
          { ...facts, now: outcome.finishedState },
          'abandoned claim already finished by someone else',
        );
      } else {
        metrics.stepsRecovered.inc({ namespace, kind: outcome.recovery });
        logger.warn(
          facts,
          outcome.recovery === 'worker_lost'
            ? 'abandoned claim recovered: its worker stopped renewing the lease; reported as a retryable worker_lost failure'
            : 'result message re-sent: the step was completed but its worker stopped before telling orchestration',
        );
      }
      return;
    }
    case 'unrunnable':
      recordClaim(metrics, namespace, outcome.claim);
      if (outcome.reported) {
        metrics.stepsFailures.inc({ namespace, error_type: outcome.reason });
        logger.warn(
          { ...outcome.ids, reason: outcome.reason },
          `step claimed but cannot run; reported as a permanent failure: ${outcome.detail}`,
        );
      } else {
        logger.warn(
          { ...outcome.ids, reason: outcome.reason, error: outcome.error },
          'could not report a step that cannot run; its lease lapses and the claim is recovered',
        );
      }
      return;
    case 'ran':
      recordRan(outcome, metrics, stepLogger ?? logger);
      return;
  }
}

function recordClaim(metrics: WorkerMetrics, namespace: string, claim: ClaimFacts): void {
  metrics.stepsClaimed.inc({ namespace, claim_method: claim.method });
  metrics.claimDuration.observe(claim.durationMs, { namespace, claim_method: claim.method });
}

function recordRan(
  outcome: Extract<StepOutcome, { kind: 'ran' }>,
  metrics: WorkerMetrics,
  logger: Logger,
): void {
  const { namespace } = outcome.ids;
  const { result, durationMs } = outcome.execution;
  recordClaim(metrics, namespace, outcome.claim);
  metrics.stepsExecutions.inc({ namespace });
  metrics.executionDuration.observe(durationMs, { namespace, result: result.success ? 'success' : 'error' });
  if (result.success) metrics.stepsSuccesses.inc({ namespace });
  else metrics.stepsFailures.inc({ namespace, error_type: result.metadata?.error_type ?? 'unknown' });
  const { completion } = outcome;
  switch (completion.kind) {
    case 'sent': {
      metrics.resultsSubmitted.inc({ result_type: 'completion' });
      metrics.submissionDuration.observe(completion.submissionMs, { result_type: 'completion' });
      if (outcome.domainEventsPublished > 0) {
        metrics.domainEventsPublished.inc({ namespace }, outcome.domainEventsPublished);
      }
      const success = result.success && completion.replaced === null;
      const fields = {
        duration_ms: durationMs,
        success,
        state: completion.toState,
        result_msg_id: completion.resultMsgId,
      };
      if (completion.replaced !== null) {
        logger.error(
          { ...fields, error: completion.replaced.error, code: completion.replaced.code },
          'step result rejected by the database; reported as a permanent result_not_storable failure',
        );
      } else {
        // One info line per step is enough: core's runStep logs 'step completed' (info) on success and the
        // failure at warn; this line adds the ids of the result message (debug on success).
        logger[success ? 'debug' : 'info'](fields, 'step result sent to orchestration');
      }
      return;
    }
    case 'not_in_progress':
      if (completion.recoveredBy !== null) {
        // At-least-once: our lease lapsed (stall, partition, outage longer than the vt) and another worker
        // reported the claim as lost; orchestration retries the step, so this result must not count.
        logger.warn(
          { state: completion.state, success: result.success, recovered_by: completion.recoveredBy },
          'step result discarded: this worker lost its lease and another worker recovered the claim (the step runs again)',
        );
      } else {
        logger.error(
          { state: completion.state, success: result.success },
          'step result dropped: the step is no longer in_progress (moved by an operator or orchestration)',
        );
      }
      return;
    case 'abandoned':
      logger.error(
        { error: completion.error },
        `${completion.stage} abandoned at shutdown: the step's lease lapses and another worker finishes the report`,
      );
      return;
  }
}
