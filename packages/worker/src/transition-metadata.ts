import { type StepExecutionResult, stringifySortedJson } from '@tasker-bridge/schemas';

/**
 * The `metadata` JSON of the step transitions the worker writes, byte-for-byte in the form Rust writes it
 * (docs/protocol.md §4.3-4, §4.6-4):
 * - `event` is a string holding the serde JSON of `StepEvent` (`#[serde(tag = "type", content = "data")]`);
 *   for completions `data` is the `StepExecutionResult` as `serde_json::to_value` produces it — objects with
 *   keys in sorted order at every level (serde_json's BTreeMap);
 * - `timestamp` is chrono's `Utc::now().to_rfc3339()`: `+00:00` and nanosecond digits.
 */

export const StepEventType = {
  START: 'Start',
  ENQUEUE_FOR_ORCHESTRATION: 'EnqueueForOrchestration',
  ENQUEUE_AS_ERROR_FOR_ORCHESTRATION: 'EnqueueAsErrorForOrchestration',
} as const;

export interface ClaimMetadata {
  event: string;
  timestamp: string;
  /** Ours, not upstream's: the claiming worker and the step message holding the claim's lease (README "Leases"). */
  worker_uuid?: string;
  lease?: Lease;
}

/** The step message whose visibility timeout is a claim's lease. */
export interface Lease {
  queue: string;
  msg_id: string;
}

export interface CompletionMetadata {
  event: string;
  timestamp: string;
  worker_uuid: string;
  correlation_id: string;
}

export function claimMetadata(
  now: () => string = rfc3339Now,
  owner?: { workerUuid: string; lease: Lease },
): ClaimMetadata {
  const base = { event: JSON.stringify({ type: StepEventType.START }), timestamp: now() };
  return owner === undefined
    ? base
    : {
        ...base,
        worker_uuid: owner.workerUuid,
        lease: { queue: owner.lease.queue, msg_id: owner.lease.msg_id },
      };
}

/** The lease recorded in a claim's metadata, if it is one of ours. */
export function leaseOf(metadata: Record<string, unknown> | null | undefined): Lease | null {
  const lease = metadata?.lease as Record<string, unknown> | undefined;
  if (typeof lease !== 'object' || lease === null) return null;
  const { queue, msg_id: msgId } = lease;
  const idType = typeof msgId;
  return typeof queue === 'string' && (idType === 'string' || idType === 'number' || idType === 'bigint')
    ? { queue, msg_id: String(msgId) }
    : null;
}

export function completionMetadata(
  result: StepExecutionResult,
  workerUuid: string,
  correlationId: string,
  now: () => string = rfc3339Now,
): CompletionMetadata {
  return completionMetadataOf(result.success, stringifySortedJson(result), workerUuid, correlationId, now);
}

/** `completionMetadata` for a result whose `stringifySorted` text the caller already has (it writes it too). */
export function completionMetadataOf(
  success: boolean,
  sortedResult: string,
  workerUuid: string,
  correlationId: string,
  now: () => string = rfc3339Now,
): CompletionMetadata {
  const type = success
    ? StepEventType.ENQUEUE_FOR_ORCHESTRATION
    : StepEventType.ENQUEUE_AS_ERROR_FOR_ORCHESTRATION;
  return {
    event: `{"type":${JSON.stringify(type)},"data":${sortedResult}}`,
    timestamp: now(),
    worker_uuid: workerUuid,
    correlation_id: correlationId,
  };
}

/**
 * serde_json's text of a `Value` (what `serde_json::to_value` then `to_string` give): object keys in Rust's
 * order (UTF-8 bytes) at every level, `undefined` members dropped, bigint written as an integer literal.
 * One implementation for the worker, the dev orchestrator and the codecs (`@tasker-bridge/schemas`).
 */
export { stringifySortedJson as stringifySorted } from '@tasker-bridge/schemas';

/** `DateTime<Utc>::to_rfc3339()`: `2026-03-01T12:00:00.123456789+00:00`, chrono's AutoSi fraction digits. */
export function rfc3339Now(): string {
  const ms = Date.now();
  // Sub-millisecond digits from the monotonic clock: only the digits, not the instant, matter for the shape.
  const subMsNanos = Math.floor((performance.now() % 1) * 1_000_000);
  const nanos = (ms % 1000) * 1_000_000 + subMsNanos;
  const civil = new Date(ms - (ms % 1000)).toISOString().slice(0, 19);
  return `${civil}${autoSi(nanos)}+00:00`;
}

function autoSi(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

/** `Utc::now().naive_utc()` for `last_attempted_at` (§4.3-6): `YYYY-MM-DD HH:MM:SS.ffffff`, no zone. */
export function naiveUtcNow(date = new Date()): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
