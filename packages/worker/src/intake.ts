import type { Logger } from '@tasker-bridge/core';
import { parseJsonText } from '@tasker-bridge/schemas';
import { claimedHere, type LeaseRequest, type TakenMessage } from './hydrate.js';

/**
 * Intake: turns the ways a step message reaches the worker into batches to take (lease, hydrate, claim:
 * `take.ts`) and hands each taken message to the step processor (docs/protocol.md §3):
 * - a notification (`message_with_payload`, `message_ready`, `batch_ready`) is taken by id, its lease (visibility
 *   timeout) first. Upstream processes a payload without reading the row; we need the lease before the claim
 *   (package README, "Leases"). Of several workers notified of the same message only one gets the row, so the
 *   others skip the hydration and the failed claim. A burst of notifications on one queue (arriving together)
 *   becomes one take of as many messages: one statement for all of them;
 * - the fallback poller's batches (see `poller.ts`).
 *
 * Capacity is checked before anything is read or claimed: a message only enters when a handler slot is
 * reserved for it, so the worker never claims more steps than it can run (and never leases more messages than
 * free slots). A notification that finds no free slot is dropped — the row stays visible in the queue and the
 * poller takes it as soon as a slot frees. The same message arriving twice (notification + poll) is processed
 * once per worker.
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
  /**
   * Leases up to `request.limit` messages, hydrates and claims their steps (`MessageTaker.take`); rejects when
   * nothing could be read.
   */
  take: (request: LeaseRequest) => Promise<TakenMessage[]>;
  /**
   * Processes one taken message. The slot reserved for it is released when the returned promise settles, or
   * earlier, when processing calls `handlerDone` (its handler has returned; the completion statements that follow
   * need no handler slot) — as long as no more steps than the worker has slots are completing at once.
   */
  process: (taken: TakenMessage, handlerDone: () => void) => Promise<void>;
  /**
   * Wakes the poller: a notification was turned away for lack of capacity, and a slot has been released since,
   * so the queue is looked at now rather than at the next poll interval.
   */
  wakePoller: () => void;
  logger: Logger;
}

export class StepIntake {
  readonly #options: IntakeOptions;
  readonly #inFlight = new Set<string>();
  /** Notified ids being taken. Kept apart from `#inFlight`: a poll that leased the row first must process it. */
  readonly #fetching = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  /** Per queue: notified ids (one reserved slot each) waiting for the next take, see `#takeNotified`. */
  readonly #notified = new Map<string, { namespace: string; msgIds: string[] }>();
  #accepting = false;
  /** A notification was turned away while every slot was reserved: wake the poller at the next release. */
  #deferred = false;
  /** Steps whose handler returned and whose slot was released before their completion was sent. */
  #completing = 0;

  constructor(options: IntakeOptions) {
    this.#options = options;
  }

  get accepting(): boolean {
    return this.#accepting;
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
      this.#deferred = true;
      return;
    }
    this.#fetching.add(key); // one take per id; a concurrent poll that wins the row processes it instead
    const pending = this.#notified.get(parsed.queue);
    if (pending !== undefined) {
      pending.msgIds.push(parsed.msgId);
      return;
    }
    this.#notified.set(parsed.queue, { namespace, msgIds: [parsed.msgId] });
    // Notifications that arrive together (one TCP read of the LISTEN connection, e.g. a batch of steps enqueued
    // in one transaction) are emitted in one go: gather them until the I/O callbacks are done.
    setImmediate(() => void this.#takeNotified(parsed.queue));
  }

  /**
   * One take for the notifications gathered on a queue: a single notification is taken by id (exactly that
   * message, or nothing when another worker took it); a burst of k takes the k oldest visible messages — one
   * statement instead of k, though not necessarily the notified ones: any notified message it leaves is still
   * visible, for the next take or the poller.
   */
  async #takeNotified(queue: string): Promise<void> {
    const pending = this.#notified.get(queue);
    if (pending === undefined) return;
    this.#notified.delete(queue);
    const { namespace, msgIds } = pending;
    const unfetch = () => {
      for (const id of msgIds) this.#fetching.delete(`${queue}:${id}`);
    };
    if (!this.#accepting) {
      unfetch();
      this.#release(msgIds.length);
      return;
    }
    const request: LeaseRequest = {
      queue,
      namespace,
      method: 'event',
      msgIds: msgIds.length === 1 ? msgIds : null,
      limit: msgIds.length,
    };
    try {
      await this.take(request, unfetch);
    } catch (error) {
      this.#options.logger.warn(
        { queue, msg_ids: msgIds, error: (error as Error).message },
        'could not read notified messages; the poller will pick them up',
      );
    }
  }

  /**
   * Takes a batch (`request.limit` slots reserved for it by the caller) and processes every message taken, each
   * releasing its slot when done; the slots left unused are released at once. Resolves with how many messages
   * were taken, once the take answered; rejects (every slot released) when nothing could be read. The work is
   * tracked from the start, so that `drained()` waits for claims the take makes even while it is in flight.
   * `onAnswered` runs once the take answered or failed.
   */
  take(request: LeaseRequest, onAnswered: () => void = () => {}): Promise<number> {
    const taking = this.#options.take(request).finally(onAnswered);
    const work: Promise<void> = taking
      .then(
        (taken) => {
          this.#release(Math.max(0, request.limit - taken.length));
          return Promise.all(taken.slice(0, request.limit).map((t) => this.#run(t))).then(() => {});
        },
        () => this.#release(request.limit),
      )
      .finally(() => this.#running.delete(work));
    this.#running.add(work);
    return taking.then((taken) => taken.length);
  }

  /** Processes one taken message in its reserved slot, unless this worker is already processing it. */
  async #run(taken: TakenMessage): Promise<void> {
    const { message } = taken;
    const key = `${message.queue}:${message.msgId}`;
    const ours = !this.#inFlight.has(key);
    // Our own message, still running here (its lease lapsed meanwhile and the read leased it again): nothing was
    // claimed through it now, so there is nothing to do. Had the take claimed it, the claim must run.
    if (!ours && !claimedHere(taken)) {
      this.#release(1);
      return;
    }
    if (ours) this.#inFlight.add(key);
    // The slot is the handler's: once the handler has returned, the next step may be taken while this one's
    // completion is written (as upstream's dispatcher frees its permit and hands the result to its completion
    // channel). At most `capacity` steps complete that way at once; beyond that a step keeps its slot until sent,
    // so a slow database slows the intake down instead of piling up completions.
    let slotHeld = true;
    let completing = false;
    const handlerDone = () => {
      if (!slotHeld || this.#completing >= this.#options.slots.capacity) return;
      slotHeld = false;
      completing = true;
      this.#completing += 1;
      this.#release(1);
    };
    try {
      await this.#options.process(taken, handlerDone);
    } catch (error) {
      this.#options.logger.error(
        { queue: message.queue, msg_id: message.msgId, error: (error as Error)?.message },
        'unexpected error while processing a message',
      );
    } finally {
      if (ours) this.#inFlight.delete(key);
      if (completing) this.#completing -= 1;
      if (slotHeld) this.#release(1);
    }
  }

  #release(n: number): void {
    if (n === 0) return;
    this.#options.slots.release(n);
    if (this.#deferred) {
      this.#deferred = false;
      this.#options.wakePoller();
    }
  }
}
