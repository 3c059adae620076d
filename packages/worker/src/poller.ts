import type { Logger } from '@tasker-bridge/core';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import type { LeaseRequest } from './hydrate.js';
import type { HandlerSlots } from './intake.js';

/**
 * The fallback poller (docs/protocol.md §3.3): every `intervalMs`, for each namespace queue in turn, take up to
 * `min(batchSize, free slots)` messages (leased, hydrated and claimed in one batch, `take.ts`) and hand them to
 * the processor. Slots are reserved before the take, so a message is never leased without a slot to run it. It
 * is the correctness path (LISTEN is only a latency hint) and, in `polling_only` mode, the only path.
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
  /**
   * Takes a batch whose `limit` slots were reserved (`StepIntake.take`, which takes the slots over): resolves with
   * how many messages were taken once the take answered; rejects when nothing could be read.
   */
  take: (request: LeaseRequest) => Promise<number>;
  logger: Logger;
  backoff?: BackoffPolicy;
}

export class FallbackPoller {
  readonly #options: PollerOptions;
  #stop: AbortController | null = null;
  /** A wake-up was asked for since the current cycle began. */
  #woken = false;
  /** Ends the current pause (`#pause`), if one is running. */
  #endPause: (() => void) | null = null;
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
    this.#endPause?.();
    await this.#loop;
    this.#loop = null;
  }

  /** Poll now instead of at the next tick (after a LISTEN reconnect, or when a deferred message waits). */
  wake(): void {
    this.#woken = true;
    this.#endPause?.();
  }

  async #run(stop: AbortSignal): Promise<void> {
    const { logger, intervalMs, slots } = this.#options;
    while (!stop.aborted) {
      // One macrotask first, so that slots released together (steps finishing in one batch) are taken as one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stop.aborted) break;
      this.#woken = false;
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
      if (backlog || this.#woken) {
        // A take came back full: more messages are probably waiting. Do not sleep the poll interval (the pg-boss
        // trap, docs/performance.md §2.4): take again as soon as a handler slot is free. The interval still applies
        // once a take comes back short (queue drained) — the steady state with notifications is unchanged. Woken
        // during the cycle (a notification turned away for lack of slots, a LISTEN reconnect): the cycle's reads
        // may have started before what woke us, so look again too.
        if (slots.free === 0) await this.#pause(delay, stop, slots.whenReleased());
        continue;
      }
      await this.#pause(delay, stop);
    }
  }

  /** Resolves after `ms`, or at once on `stop`, a wake-up or `until`, whichever comes first. */
  #pause(ms: number, stop: AbortSignal, until?: Promise<void>): Promise<void> {
    if (stop.aborted || this.#woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        stop.removeEventListener('abort', end);
        if (this.#endPause === end) this.#endPause = null;
        resolve();
      };
      const timer = setTimeout(end, ms);
      stop.addEventListener('abort', end, { once: true });
      this.#endPause = end;
      until?.then(end);
    });
  }

  /** One pass over the queues; true when some take returned as many messages as it asked for (backlog). */
  async #cycle(stop: AbortSignal): Promise<boolean> {
    const { queues, batchSize, slots } = this.#options;
    let backlog = false;
    for (const [queue, namespace] of queues) {
      if (stop.aborted) return backlog;
      const reserved = slots.tryReserve(batchSize);
      // Full: nothing may be read now, so whether messages wait is unknown. Report a backlog so the loop looks
      // again as soon as a slot frees instead of sleeping the interval (a wake-up can arrive before the release).
      if (reserved === 0) return true;
      const taken = await this.#options.take({
        queue,
        namespace,
        method: 'poll',
        msgIds: null,
        limit: reserved,
      });
      if (taken === reserved) backlog = true;
    }
    return backlog;
  }
}
