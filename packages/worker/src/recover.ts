import type { StepExecutionResult, StepMessage } from '@tasker-bridge/schemas';
import type { CompletionStatements, WriteOutcome } from './complete.js';
import { workerFailureResult } from './failure-result.js';
import type { Claimed, Hydration } from './hydrate.js';

/**
 * Worker-owned reports of claims no handler ran (package README, "Leases"; docs/protocol.md §4.6, §4.7): a claim
 * whose owner stopped renewing its lease (`worker_lost`), a completed claim whose owner died before telling
 * orchestration (the result message re-sent), and a claim this worker made but cannot run (`unrunnable`).
 * Each completion is fenced to the claim row it reports on, so two reporters, or a reporter and a late owner,
 * cannot both write. Database errors are thrown: the message is then left to its lease, and whoever reads it
 * next tries again.
 */

export interface ReportContext {
  completions: CompletionStatements;
  workerUuid: string;
  workerId: string;
}

/** The step message holding the claim's lease: archived with the result message. */
export interface LeaseMessage {
  queue: string;
  msgId: string;
}

/**
 * `in_progress`, its owner lost: reported as a retryable `worker_lost` failure naming the lost worker. Returns
 * what the fenced write found: `written`, or `not_in_progress` when someone else finished the claim first.
 */
export async function reportLostClaim(
  ctx: ReportContext,
  lease: LeaseMessage,
  claimed: Claimed,
  stepUuid: string,
  lostWorkerUuid: string | null,
): Promise<WriteOutcome> {
  const result = workerFailureResult({
    stepUuid,
    message: `Worker ${lostWorkerUuid ?? '(unknown)'} lost its claim: it stopped renewing the lease on step message ${lease.msgId} (process killed, partitioned or stalled); reported by worker ${ctx.workerUuid}`,
    errorType: 'worker_lost',
    retryable: true,
    workerId: ctx.workerId,
    context: { lost_worker_uuid: lostWorkerUuid, lease_msg_id: lease.msgId },
  });
  return reportWithoutRunning(ctx, lease, {
    stepMessage: { task_uuid: claimed.taskUuid, step_uuid: stepUuid, correlation_id: claimed.correlationId },
    claimTransitionUuid: claimed.claimTransitionUuid as string,
    result,
  });
}

/** `enqueued_*_for_orchestration`, its owner gone before telling orchestration: the result message again. */
export async function resendResult(
  ctx: ReportContext,
  lease: LeaseMessage,
  claimed: Claimed,
  stepUuid: string,
): Promise<void> {
  await ctx.completions.send(
    { task_uuid: claimed.taskUuid, step_uuid: stepUuid, correlation_id: claimed.correlationId },
    lease,
  );
}

/**
 * A step this worker claimed but cannot run (its template, step definition or data does not decode,
 * `hydrate.ts`): reported at once as a permanent failure naming the reason, so it does not sit `enqueued`
 * (upstream) or `in_progress`.
 */
export async function reportUnrunnable(
  ctx: ReportContext,
  lease: LeaseMessage,
  stepMessage: StepMessage,
  unrunnable: Extract<Hydration, { kind: 'unrunnable' }>,
): Promise<WriteOutcome> {
  const result = workerFailureResult({
    stepUuid: stepMessage.step_uuid,
    message: `Step cannot run: ${unrunnable.detail}`,
    errorType: unrunnable.reason,
    retryable: false,
    workerId: ctx.workerId,
  });
  return reportWithoutRunning(ctx, lease, {
    stepMessage: { ...stepMessage, correlation_id: unrunnable.correlationId },
    claimTransitionUuid: unrunnable.claim.transitionUuid,
    result,
  });
}

/**
 * The result written fenced to `claimTransitionUuid` and — only if it was written — the result message and the
 * archive of the step message (in the same statement when tasker and pgmq share a database).
 */
async function reportWithoutRunning(
  ctx: ReportContext,
  lease: LeaseMessage,
  report: { stepMessage: StepMessage; claimTransitionUuid: string; result: StepExecutionResult },
): Promise<WriteOutcome> {
  const written = await ctx.completions.write({
    stepUuid: report.stepMessage.step_uuid,
    claimTransitionUuid: report.claimTransitionUuid,
    result: report.result,
    workerUuid: ctx.workerUuid,
    correlationId: report.stepMessage.correlation_id,
    message: report.stepMessage,
    lease,
  });
  if (written.kind === 'written' && written.resultMsgId === null) {
    await ctx.completions.send(report.stepMessage, lease);
  }
  return written;
}
