import type { Logger } from '@tasker-bridge/core';
import { type BackoffPolicy, backoffDelay, sleep } from './backoff.js';
import type { HandlerSlots, QueuedMessage } from './intake.js';

/**
 * The fallback poller (docs/protocol.md §3.3): every `intervalMs`, for each namespace queue in turn, read up
 * to `min(batchSize, free slots)` messages with a visibility timeout and hand them to the processor. Slots are
 * reserved before the read, so a message is never read without a slot to run it. It is the correctness path
 * (LISTEN is only a latency hint) and, in `polling_only` mode, the only path.
 *
 * When the database is unreachable the loop backs off (capped, jittered) instead of spinning, and resumes by
 * itself; `lastProgressAt` only advances on a cycle that completed, which is what `/health/ready` checks.
 */

export interface PollerOptions {
  /** Step queue name → namespace. */
  queues: ReadonlyMap<string, string>;
  intervalMs: number;
  batchSize: number;
  slots: HandlerSlots;
  read: (queue: string, limit: number) => Promise<{ msgId: string; body: unknown }[]>;
  isInFlight: (queue: string, msgId: string) => boolean;
  submitReserved: (message: QueuedMessage) => void;
  /**
   * Tasker and pgmq in one database: with a single slot free, lease the next visible message in the statement
   * that hydrates and claims it (`StepIntake.leaseAndSubmit`, which takes over the reserved slot); resolves with
   * whether a message was leased; rejects, keeping the slot reserved, when the statement failed.
   */
  leaseNext?: ((queue: string, namespace: string) => Promise<boolean>) | undefined;
  logger: Logger;
  backoff?: BackoffPolicy;
}

export class FallbackPoller {
  readonly #options: PollerOptions;
  #stop: AbortController | null = null;
  #wake: AbortController = new AbortController();
  #loop: Promise<void> | null = null;
  #lastProgressAt = 0;
  #consecutiveFailures = 0;

  constructor(options: PollerOptions) {
    this.#options = options;
  }

  /** Epoch ms of the last completed cycle (0 = never). */
  get lastProgressAt(): number {
    return this.#lastProgressAt;
  }

  get healthy(): boolean {
    return this.#consecutiveFailures === 0 && this.#lastProgressAt > 0;
  }

  start(): void {
    if (this.#loop) return;
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  async stop(): Promise<void> {
    if (!this.#loop) return;
    this.#stop?.abort();
    this.#wake.abort();
    await this.#loop;
    this.#loop = null;
  }

  /** Poll now instead of at the next tick (after a LISTEN reconnect, or when a deferred message waits). */
  wake(): void {
    this.#wake.abort();
  }

  async #run(stop: AbortSignal): Promise<void> {
    const { logger, intervalMs, slots } = this.#options;
    while (!stop.aborted) {
      let delay = intervalMs;
      let backlog = false;
      try {
        backlog = await this.#cycle(stop);
        if (this.#consecutiveFailures > 0) logger.info({}, 'polling recovered');
        this.#consecutiveFailures = 0;
        this.#lastProgressAt = Date.now();
      } catch (error) {
        delay = Math.max(intervalMs, backoffDelay(this.#consecutiveFailures, this.#options.backoff));
        this.#consecutiveFailures += 1;
        logger[this.#consecutiveFailures === 1 ? 'warn' : 'debug'](
          { error: (error as Error).message, retry_in_ms: delay, failures: this.#consecutiveFailures },
          'queue poll failed; intake paused until the database answers',
        );
      }
      if (stop.aborted) break;
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      if (backlog) {
        // A read came back full: more messages are probably waiting. Do not sleep the poll interval (the pg-boss
        // trap, docs/performance.md §2.4): read again as soon as a handler slot is free, after one macrotask so that
        // completions finishing together are read as one batch. The interval still applies once a read comes
        // back short (queue drained) — the steady state with notifications is unchanged.
        if (slots.free === 0) {
          await Promise.race([
            slots.whenReleased(),
            sleep(delay, AbortSignal.any([stop, this.#wake.signal])),
          ]);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await sleep(delay, AbortSignal.any([stop, this.#wake.signal]));
    }
  }

  /** One pass over the queues; true when some read returned as many rows as it asked for (backlog). */
  async #cycle(stop: AbortSignal): Promise<boolean> {
    const { queues, batchSize, slots, logger } = this.#options;
    let backlog = false;
    for (const [queue, namespace] of queues) {
      if (stop.aborted) return backlog;
      const reserved = slots.tryReserve(batchSize);
      // Full: nothing may be read now, so whether messages wait is unknown. Report a backlog so the loop looks
      // again as soon as a slot frees instead of sleeping the interval (a wake-up can arrive before the release).
      if (reserved === 0) return true;
      if (reserved === 1 && this.#options.leaseNext !== undefined) {
        // The steady state of a busy worker: one slot frees at a time. One round trip instead of read + claim.
        try {
          if (await this.#options.leaseNext(queue, namespace)) backlog = true;
          continue;
        } catch (error) {
          // The statement failed and leased nothing. If it fails for the oldest message itself (its step's
          // hydration or claim cannot be written), every retry would pick that message again and block the
          // queue: read it the plain way instead, so it gets its lease (and its own failure) and the queue moves.
          logger.warn(
            { queue, error: (error as Error).message },
            'lease-and-claim failed; reading the next message without claiming it first',
          );
        }
      }
      let rows: { msgId: string; body: unknown }[];
      const leasedAt = performance.now();
      try {
        rows = await this.#options.read(queue, reserved);
      } catch (error) {
        slots.release(reserved);
        throw error;
      }
      if (rows.length === reserved) backlog = true;
      let used = 0;
      for (const row of rows) {
        if (this.#options.isInFlight(queue, row.msgId)) continue;
        used += 1;
        this.#options.submitReserved({
          queue,
          namespace,
          msgId: row.msgId,
          body: row.body,
          method: 'poll',
          leasedAt,
        });
      }
      if (reserved - used > 0) slots.release(reserved - used);
    }
    return backlog;
  }
}
