import type { Logger } from '@tasker-bridge/core';
import { parseJsonText } from '@tasker-bridge/schemas';

/**
 * Intake: turns the three ways a step message reaches the worker into one stream of `QueuedMessage`s for the
 * step processor (docs/protocol.md §3):
 * - a notification (`message_with_payload`, `message_ready`, `batch_ready`) is fetched by id with
 *   `tasker.pgmq_read_specific_message`, which takes the message's lease (visibility timeout) first. Upstream
 *   processes a payload without reading the row; we need the lease before the claim (README "Leases"), and
 *   the read costs no extra round trip: it replaces the archive that followed the claim. Of several workers
 *   notified of the same message only one gets the row, so the others skip the hydration and the failed claim.
 *   A burst of notifications on one queue (arriving together) becomes one `pgmq.read` of as many messages;
 * - the fallback poller's rows (see `poller.ts`).
 *
 * Capacity is checked before anything is read or claimed: a message only enters when a handler slot is
 * reserved for it, so the worker never claims more steps than it can run (and never reads more messages than
 * free slots). A payload notification that finds no free slot is dropped — the row stays visible in the queue
 * and the poller takes it as soon as a slot frees. The same message arriving twice (notification + poll) is
 * processed once per worker.
 */

export type ClaimMethod = 'event' | 'poll';

export interface QueuedMessage {
  queue: string;
  namespace: string;
  msgId: string;
  /** The pgmq message body: should be a `StepMessage`; validated by the processor. */
  body: unknown;
  method: ClaimMethod;
  /** `performance.now()` when the read that took the lease was issued (the lease runs from there, README "Leases"). */
  leasedAt: number;
}

/**
 * A message to lease inside the statement that hydrates and claims its step (tasker and pgmq in one database):
 * `msgId` for a notified message, null for the next visible one.
 */
export interface LeaseTarget {
  queue: string;
  namespace: string;
  msgId: string | null;
  method: ClaimMethod;
}

/** What that statement leased (`StepProcessor.lease`): the message, and the rest of its processing. */
export interface LeasedMessage {
  message: QueuedMessage;
  /** Whether the statement claimed the step (then `run` must run, whatever else is in flight). */
  claimed: boolean;
  run: () => Promise<unknown>;
}

/** Counting semaphore for handler slots. Reservations are synchronous so they cannot race. */
export class HandlerSlots {
  #inUse = 0;
  #waiters: (() => void)[] = [];
  constructor(readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.#inUse;
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Reserves up to `wanted` slots; returns how many were reserved. */
  tryReserve(wanted = 1): number {
    const n = Math.max(0, Math.min(wanted, this.free));
    this.#inUse += n;
    return n;
  }

  release(n = 1): void {
    this.#inUse = Math.max(0, this.#inUse - n);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves the next time a slot is released (or immediately when one is free). */
  whenReleased(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** The notification payloads `tasker.pgmq_send_with_notify` produces (§3.1), as far as intake needs them. */
export type ParsedNotification =
  | { kind: 'payload'; queue: string; namespace: string; msgId: string; message: unknown }
  | { kind: 'signal'; queue: string; namespace: string; msgId: string }
  | { kind: 'ignored'; reason: string };

export function parseNotification(payload: string | undefined): ParsedNotification {
  if (payload === undefined || payload === '') return { kind: 'ignored', reason: 'empty payload' };
  let event: Record<string, unknown>;
  try {
    const parsed: unknown = parseJsonText(payload);
    if (typeof parsed !== 'object' || parsed === null)
      return { kind: 'ignored', reason: 'payload is not an object' };
    event = parsed as Record<string, unknown>;
  } catch {
    return { kind: 'ignored', reason: 'payload is not JSON' };
  }
  const queue = typeof event.queue_name === 'string' ? event.queue_name : undefined;
  const namespace = typeof event.namespace === 'string' ? event.namespace : '';
  // An id beyond 2^53 is a bigint (parseJsonText keeps it exact, as pgmq's bigint msg_id is).
  const msgId = (value: unknown): string | undefined =>
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    (typeof value === 'string' && /^\d+$/.test(value))
      ? String(value)
      : undefined;
  if (queue === undefined) return { kind: 'ignored', reason: 'no queue_name' };
  switch (event.event_type) {
    case 'message_with_payload': {
      const id = msgId(event.msg_id);
      if (id === undefined) return { kind: 'ignored', reason: 'no msg_id' };
      return { kind: 'payload', queue, namespace, msgId: id, message: event.message };
    }
    case 'message_ready': {
      const id = msgId(event.msg_id);
      if (id === undefined) return { kind: 'ignored', reason: 'no msg_id' };
      return { kind: 'signal', queue, namespace, msgId: id };
    }
    case 'batch_ready': {
      // As upstream: only the first id is fetched; the poller takes the rest (§3.2).
      const ids = Array.isArray(event.msg_ids) ? event.msg_ids : [];
      const id = msgId(ids[0]);
      if (id === undefined) return { kind: 'ignored', reason: 'no msg_ids' };
      return { kind: 'signal', queue, namespace, msgId: id };
    }
    default:
      return { kind: 'ignored', reason: `event_type ${String(event.event_type)}` };
  }
}

export interface IntakeOptions {
  slots: HandlerSlots;
  /** Step queue name → namespace, for the queues this worker serves. */
  queues: ReadonlyMap<string, string>;
  /** Fetch a notified message by id, taking its lease (`tasker.pgmq_read_specific_message`); null when not visible. */
  fetchMessage: (queue: string, msgId: string) => Promise<{ msgId: string; body: unknown } | null>;
  /** Read up to `limit` visible messages, taking their leases (`pgmq.read`): for a burst of notifications. */
  readMessages: (queue: string, limit: number) => Promise<{ msgId: string; body: unknown }[]>;
  /** Processes one message; the slot reserved for it is released when the returned promise settles. */
  process: (message: QueuedMessage) => Promise<void>;
  /**
   * Tasker and pgmq in one database: lease, hydrate and claim in one statement (`StepProcessor.lease`). Then a
   * single notified message is leased there instead of by `fetchMessage` (see `leaseAndSubmit`).
   */
  lease?: ((target: LeaseTarget) => Promise<LeasedMessage | null>) | undefined;
  /** Called when a notification could not be taken for lack of capacity (so the poller looks soon). */
  onDeferred: () => void;
  logger: Logger;
}

export class StepIntake {
  readonly #options: IntakeOptions;
  readonly #inFlight = new Set<string>();
  /** Notified ids being fetched. Kept apart from `#inFlight`: a poll that read the row first must process it. */
  readonly #fetching = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  /** Per queue: notified ids (one reserved slot each) waiting for the next read, see `#readNotified`. */
  readonly #notified = new Map<string, { namespace: string; msgIds: string[] }>();
  #accepting = false;

  constructor(options: IntakeOptions) {
    this.#options = options;
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  /** Messages currently being processed (claimed steps plus messages still being looked at). */
  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  open(): void {
    this.#accepting = true;
  }

  /** Stop taking new messages; in-flight ones continue. */
  close(): void {
    this.#accepting = false;
  }

  /** Resolves when every message taken so far has been processed. */
  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Being processed by this worker (its lease is ours): a poll that sees it again must not process it twice. */
  isInFlight(queue: string, msgId: string): boolean {
    return this.#inFlight.has(`${queue}:${msgId}`);
  }

  /** A notification on one of the namespace channels. */
  onNotification(channel: string, payload: string | undefined): void {
    if (!this.#accepting) return;
    const parsed = parseNotification(payload);
    if (parsed.kind === 'ignored') {
      this.#options.logger.debug({ channel, reason: parsed.reason }, 'notification ignored');
      return;
    }
    const namespace = this.#options.queues.get(parsed.queue);
    if (namespace === undefined) return; // another queue on a shared channel: not ours (§3.2)
    const key = `${parsed.queue}:${parsed.msgId}`;
    if (this.#inFlight.has(key) || this.#fetching.has(key)) return;
    if (this.#options.slots.tryReserve(1) === 0) {
      this.#options.onDeferred();
      return;
    }
    this.#fetching.add(key); // one fetch per id; a concurrent poll that wins the row processes it instead
    const pending = this.#notified.get(parsed.queue);
    if (pending !== undefined) {
      pending.msgIds.push(parsed.msgId);
      return;
    }
    this.#notified.set(parsed.queue, { namespace, msgIds: [parsed.msgId] });
    // Notifications that arrive together (one TCP read of the LISTEN connection, e.g. a batch of steps enqueued
    // in one transaction) are emitted in one go: gather them until the I/O callbacks are done.
    setImmediate(() => void this.#readNotified(parsed.queue));
  }

  /**
   * One read for the notifications gathered on a queue: a single notification is fetched by id (exactly that
   * message, or nothing when another worker took it); a burst of k is one `pgmq.read` of up to k messages — one
   * round trip instead of k. The read takes whichever visible messages are oldest, not necessarily the notified
   * ones; any notified message it leaves is still visible, for the next read or the poller.
   */
  async #readNotified(queue: string): Promise<void> {
    const pending = this.#notified.get(queue);
    if (pending === undefined) return;
    this.#notified.delete(queue);
    const { namespace, msgIds } = pending;
    if (msgIds.length === 1 && this.#options.lease !== undefined) {
      const msgId = msgIds[0] as string;
      try {
        if (this.#accepting) await this.leaseAndSubmit({ queue, namespace, msgId, method: 'event' });
        else this.#options.slots.release(1);
      } catch (error) {
        this.#options.slots.release(1);
        this.#options.logger.warn(
          { queue, msg_ids: msgIds, error: (error as Error).message },
          'could not read notified messages; the poller will pick them up',
        );
      } finally {
        this.#fetching.delete(`${queue}:${msgId}`);
      }
      return;
    }
    const leasedAt = performance.now();
    let rows: { msgId: string; body: unknown }[] = [];
    try {
      if (msgIds.length === 1) {
        const row = await this.#options.fetchMessage(queue, msgIds[0] as string);
        if (row !== null) rows = [row];
      } else {
        rows = await this.#options.readMessages(queue, msgIds.length);
      }
    } catch (error) {
      this.#options.logger.warn(
        { queue, msg_ids: msgIds, error: (error as Error).message },
        'could not read notified messages; the poller will pick them up',
      );
    } finally {
      for (const id of msgIds) this.#fetching.delete(`${queue}:${id}`);
    }
    if (!this.#accepting) rows = []; // read but not processed: visible again after their visibility timeout
    const taken = rows.slice(0, msgIds.length);
    for (const row of taken) {
      this.submitReserved({ queue, namespace, msgId: row.msgId, body: row.body, method: 'event', leasedAt });
    }
    if (msgIds.length > taken.length) this.#options.slots.release(msgIds.length - taken.length);
  }

  /**
   * Tasker and pgmq in one database: leases a message (`target.msgId`, or the next visible one) in the statement
   * that hydrates and claims its step, then processes it. The caller has reserved one slot for it. Resolves once
   * the statement answered, with whether it leased a message; the slot is released when there is none or when
   * its processing ends. Rejects with the statement's error: nothing was leased, and the slot is still the
   * caller's. Until the statement answers, the message is not in flight here (a poll that reads it first
   * processes it), but the work is tracked, so that `drained()` waits for a claim the statement makes.
   */
  leaseAndSubmit(target: LeaseTarget): Promise<boolean> {
    const lease = this.#options.lease;
    if (lease === undefined) return Promise.reject(new Error('intake: no lease statement configured'));
    const leased = lease(target);
    const work: Promise<void> = leased
      .then(
        (taken) => {
          if (taken !== null) return this.#runLeased(target.queue, taken);
          this.#options.slots.release(1);
        },
        () => {}, // the caller gets the error and keeps the slot
      )
      .finally(() => this.#running.delete(work));
    this.#running.add(work);
    return leased.then((taken) => taken !== null);
  }

  async #runLeased(queue: string, taken: LeasedMessage): Promise<void> {
    const key = `${queue}:${taken.message.msgId}`;
    const ours = !this.#inFlight.has(key);
    // Our own message, still running here (its lease lapsed meanwhile): the statement found the step claimed and
    // claimed nothing, so there is nothing to do. Had it claimed, the claim must run.
    if (!ours && !taken.claimed) {
      this.#options.slots.release(1);
      return;
    }
    if (ours) this.#inFlight.add(key);
    try {
      await taken.run();
    } catch (error) {
      this.#options.logger.error(
        { queue, msg_id: taken.message.msgId, error: (error as Error)?.message },
        'unexpected error while processing a message',
      );
    } finally {
      if (ours) this.#inFlight.delete(key);
      this.#options.slots.release(1);
    }
  }

  /**
   * Hands a message to the processor; the caller has reserved one slot for it, which is released when
   * processing ends (or right away for a duplicate).
   */
  submitReserved(message: QueuedMessage): void {
    const key = `${message.queue}:${message.msgId}`;
    if (this.#inFlight.has(key)) {
      this.#options.slots.release(1);
      return;
    }
    this.#inFlight.add(key);
    const work = this.#options
      .process(message)
      .catch((error: unknown) => {
        this.#options.logger.error(
          { queue: message.queue, msg_id: message.msgId, error: (error as Error)?.message },
          'unexpected error while processing a message',
        );
      })
      .finally(() => {
        this.#inFlight.delete(key);
        this.#running.delete(work);
        this.#options.slots.release(1);
      });
    this.#running.add(work);
  }
}
