import type { Logger } from '@tasker-bridge/core';
import { type BackoffPolicy, backoffDelay, sleep } from './backoff.js';
import type { HandlerSlots, QueuedMessage } from './intake.js';

/**
 * The fallback poller (queue-protocol.md §3.3): every `intervalMs`, for each namespace queue in turn, read up
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
    const { logger, intervalMs } = this.#options;
    while (!stop.aborted) {
      let delay = intervalMs;
      try {
        await this.#cycle(stop);
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
      await sleep(delay, AbortSignal.any([stop, this.#wake.signal]));
    }
  }

  async #cycle(stop: AbortSignal): Promise<void> {
    const { queues, batchSize, slots } = this.#options;
    for (const [queue, namespace] of queues) {
      if (stop.aborted) return;
      const reserved = slots.tryReserve(batchSize);
      if (reserved === 0) return; // full: nothing may be read; the loop itself is still alive
      let rows: { msgId: string; body: unknown }[];
      try {
        rows = await this.#options.read(queue, reserved);
      } catch (error) {
        slots.release(reserved);
        throw error;
      }
      let used = 0;
      for (const row of rows) {
        if (this.#options.isInFlight(queue, row.msgId)) continue;
        used += 1;
        this.#options.submitReserved({ queue, namespace, msgId: row.msgId, body: row.body, method: 'poll' });
      }
      if (reserved - used > 0) slots.release(reserved - used);
    }
  }
}
