import type { StepMessage } from '@tasker-bridge/schemas';
import { type Queryable, run } from './sql/connections.js';
import {
  ARCHIVE_MESSAGE,
  CREATE_QUEUE,
  DEAD_LETTER_EVENT,
  EXTEND_LEASES,
  EXTEND_LEASES_EACH,
  QUEUE_EXISTS,
  READ_MESSAGES,
  READ_SPECIFIC_MESSAGE,
  RETRY_EVENT_LATER,
  SEND_RESULTS_AND_ARCHIVE,
  SEND_WITH_NOTIFY,
} from './sql/statements.js';

/**
 * Every call the worker makes on the pgmq database (docs/protocol.md §1–§4, §8), one function per statement of
 * `sql/statements.ts`, so what the worker does to queues is read in one file. Callers pass the pgmq database's
 * pool (`PGMQ_DATABASE_URL`, or the tasker one when they are the same). When tasker and pgmq share a database,
 * the lease is taken inside the claim statement instead (`hydrate.ts`, `leaseAndClaim`).
 */

/** A message as a read returns it: its id (int8, kept a string), its body, and how often it was read. */
export interface QueueRow {
  msgId: string;
  body: unknown;
  /** `read_ct`, this read included: the delivery attempt of a domain event (`domain-event-subscriber.ts`). */
  readCount: number;
}

/**
 * Up to `limit` visible messages, oldest first, each leased for `vtSeconds` (`pgmq.read`, §3.3): the fallback
 * poll, and one read for a burst of notifications.
 */
export async function readMessages(
  db: Queryable,
  queue: string,
  vtSeconds: number,
  limit: number,
): Promise<QueueRow[]> {
  const rows = await run(db, READ_MESSAGES, [queue, vtSeconds, limit]);
  return rows.map((r) => ({ msgId: r.msg_id, body: r.message, readCount: Number(r.read_ct) }));
}

/** One notified message by id, leased for `vtSeconds`; null when it is invisible, archived or missing (§3.4). */
export async function readMessage(
  db: Queryable,
  queue: string,
  msgId: string,
  vtSeconds: number,
): Promise<QueueRow | null> {
  const [row] = await run(db, READ_SPECIFIC_MESSAGE, [queue, msgId, vtSeconds]);
  return row === undefined ? null : { msgId: row.msg_id, body: row.message, readCount: Number(row.read_ct) };
}

/**
 * Ack = `pgmq.archive` (§4.4), for a message that can never lead to a claim. False when it was already gone
 * (archived by another path or worker).
 */
export async function archiveMessage(db: Queryable, queue: string, msgId: string): Promise<boolean> {
  const [row] = await run(db, ARCHIVE_MESSAGE, [queue, msgId]);
  return row?.archived === true;
}

/** A result message to send and the step message (the claim's lease) to archive with it. */
export interface ResultAndLease {
  message: StepMessage;
  lease: { queue: string; msgId: string };
}

/**
 * Tell orchestration and ack, for a batch of steps in one statement (§4.7): each `StepMessage` to `resultsQueue`
 * through `tasker.pgmq_send_with_notify`, and the archive of each step message that held its claim's lease.
 * Returns the result messages' msg_ids in the order of `items`. Re-running it after a lost reply only sends
 * duplicate result messages, which orchestration ignores (it acts only while a step is in an
 * `enqueued_*_for_orchestration` state, §5.2).
 */
export async function sendResultsAndArchive(
  db: Queryable,
  resultsQueue: string,
  items: readonly ResultAndLease[],
): Promise<string[]> {
  const [row] = await run(db, SEND_RESULTS_AND_ARCHIVE, sendResultsParams(resultsQueue, items));
  const ids = row?.msg_ids ?? [];
  if (ids.length !== items.length) throw new Error('pgmq_send_with_notify returned no msg_id');
  return ids;
}

/** `SEND_RESULTS_AND_ARCHIVE`'s parameters for `items` (`COMPLETE_AND_REPORT`'s after its first). */
export function sendResultsParams(resultsQueue: string, items: readonly ResultAndLease[]): unknown[] {
  // Only the three ids, whatever else the caller's object holds: this is the wire message (§2.1).
  const messages = items.map(
    ({ message: m }) =>
      `{"task_uuid":${JSON.stringify(m.task_uuid)},"step_uuid":${JSON.stringify(m.step_uuid)},` +
      `"correlation_id":${JSON.stringify(m.correlation_id)}}`,
  );
  return [
    resultsQueue,
    `[${messages.join(',')}]`,
    items.map((i) => i.lease.queue),
    items.map((i) => i.lease.msgId),
  ];
}

/**
 * Lease heartbeat (§8.2): pushes the visibility timeout of `msgIds` to now + `vtSeconds` in one statement, with
 * the array `set_vt` where pgmq has it (≥ 1.8.0, `setVtArray`). Returns the ids still queued; a missing one was
 * archived by someone else.
 */
export async function extendLeases(
  db: Queryable,
  setVtArray: boolean,
  queue: string,
  msgIds: readonly string[],
  vtSeconds: number,
): Promise<Set<string>> {
  const rows = await run(db, setVtArray ? EXTEND_LEASES : EXTEND_LEASES_EACH, [queue, msgIds, vtSeconds]);
  return new Set(rows.map((r) => r.msg_id));
}

/** `tasker.pgmq_send_with_notify(queue, body, 0)` (§2.2): a domain event. Returns its msg_id. */
export async function sendWithNotify(db: Queryable, queue: string, body: string): Promise<string> {
  const [row] = await run(db, SEND_WITH_NOTIFY, [queue, body, 0]);
  if (row === undefined) throw new Error('pgmq_send_with_notify returned no msg_id');
  return row.msg_id;
}

/** `pgmq.create` under the per-queue advisory lock (§8.3); see `queue-creation.ts` for the race it closes. */
export async function createQueueLocked(db: Queryable, queue: string): Promise<void> {
  await run(db, CREATE_QUEUE, [queue]);
}

/** Whether the queue exists (its `pgmq.meta` row and its table, §8.3). */
export async function queueExists(db: Queryable, queue: string): Promise<boolean> {
  const [row] = await run(db, QUEUE_EXISTS, [queue]);
  return row?.exists === true;
}

/** A domain event whose delivery failed comes back after `delaySeconds` (`set_vt` by id, §6.4). */
export async function retryLater(
  db: Queryable,
  queue: string,
  msgId: string,
  delaySeconds: number,
): Promise<void> {
  await run(db, RETRY_EVENT_LATER, [queue, msgId, delaySeconds]);
}

/**
 * Dead-letters a domain event (§6.4): `entry` (JSON text) to `dlq` and the archive of the original, committed
 * together in one statement.
 */
export async function deadLetter(
  db: Queryable,
  dlq: string,
  entry: string,
  queue: string,
  msgId: string,
): Promise<void> {
  await run(db, DEAD_LETTER_EVENT, [dlq, entry, queue, msgId]);
}
