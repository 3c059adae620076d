import type { Claimed, Hydration, TakenMessage } from './hydrate.js';
import { leaseOf } from './transition-metadata.js';

/**
 * What to do with a leased message, given its body and what hydrate-and-claim found (docs/protocol.md §2.1,
 * §4.2–§4.4 and the package README, "Leases"). Pure: the decision is made from the row alone, so every case is
 * testable without a database.
 *
 * A body that is not a `StepMessage` can never lead to a claim: archive it. A failed hydrate-and-claim statement
 * claimed nothing: the message is left to its lease.
 * A step already claimed is looked at through the claim's lease:
 * - claimed through another message (or by a claim without a lease: upstream's, or a stale duplicate): this
 *   message can never lead to a claim, archive it;
 * - claimed through this message, so its owner stopped renewing the lease. If the state is younger than vt/2
 *   (the owner had no heartbeat due since) it is left alone: our read pushed the visibility timeout and the
 *   owner's next beat takes over. Older: `in_progress` is recovered as a retryable `worker_lost` failure;
 *   `enqueued_*_for_orchestration` means the owner died after its completion but before telling orchestration,
 *   so the result message is re-sent.
 */

export type Verdict =
  /**
   * The message can never lead to a claim: archive it. `error`: why the body is not a `StepMessage` (reason
   * `malformed_message`).
   */
  | { kind: 'archive'; reason: string; detail: string; state: string | null; error: string | null }
  /** The hydrate-and-claim statement failed: nothing was claimed, the message is left to its lease. */
  | { kind: 'hydration_failed'; error: string }
  /** Another worker claimed the step meanwhile; the message is left to its lease (it may be the winner's). */
  | { kind: 'claim_lost' }
  /** Claimed through this message, too recently to call its owner lost: left to its lease. */
  | { kind: 'claim_too_recent'; claimed: Claimed }
  /** Claimed through this message by an owner that stopped renewing the lease. */
  | {
      kind: 'recover';
      recovery: 'worker_lost' | 'result_resent';
      claimed: Claimed;
      lostWorkerUuid: string | null;
    }
  /** Claimed by this statement but it cannot run: report it as a permanent failure. */
  | { kind: 'report_unrunnable'; unrunnable: Extract<Hydration, { kind: 'unrunnable' }> }
  /** Claimed by this statement and hydrated: run it. */
  | { kind: 'run'; ready: Extract<Hydration, { kind: 'ready' }> };

export function judge(taken: TakenMessage, visibilityTimeoutSeconds: number): Verdict {
  if (taken.kind === 'malformed') {
    return {
      kind: 'archive',
      reason: 'malformed_message',
      detail: 'body is not a StepMessage',
      state: null,
      error: taken.error,
    };
  }
  if (taken.kind === 'failed') return { kind: 'hydration_failed', error: taken.error };
  const { hydration } = taken;
  switch (hydration.kind) {
    case 'skip':
      return {
        kind: 'archive',
        reason: hydration.reason,
        detail: hydration.detail,
        state: hydration.state,
        error: null,
      };
    case 'claim_lost':
      return { kind: 'claim_lost' };
    case 'unrunnable':
      return { kind: 'report_unrunnable', unrunnable: hydration };
    case 'ready':
      return { kind: 'run', ready: hydration };
    case 'claimed':
      return judgeClaimed(taken.message, hydration, visibilityTimeoutSeconds);
  }
}

function judgeClaimed(
  lease: { queue: string; msgId: string },
  claimed: Claimed,
  visibilityTimeoutSeconds: number,
): Verdict {
  const claimLease = leaseOf(claimed.claimMetadata);
  if (claimLease === null || claimLease.queue !== lease.queue || claimLease.msg_id !== lease.msgId) {
    const through = claimLease === null ? 'a message acked at claim time' : `message ${claimLease.msg_id}`;
    return {
      kind: 'archive',
      reason: 'not_claimable',
      detail: `step is '${claimed.state}', claimed through ${through}`,
      state: claimed.state,
      error: null,
    };
  }
  if (claimed.stateAgeMs < (visibilityTimeoutSeconds * 1000) / 2)
    return { kind: 'claim_too_recent', claimed };
  const worker = claimed.claimMetadata?.worker_uuid;
  return {
    kind: 'recover',
    recovery: claimed.state === 'in_progress' ? 'worker_lost' : 'result_resent',
    claimed,
    lostWorkerUuid: typeof worker === 'string' ? worker : null,
  };
}
