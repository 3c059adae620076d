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
 * While a backlog lasts and the slots hold two full batches, two takes are in flight (`TAKES_IN_FLIGHT`): the
 * database answers one while the worker decodes and starts the steps of the other, instead of the two taking turns
 * (docs/performance.md §3.2). The second lane polls only while the first finds a backlog, so an idle worker still
 * reads once per interval. With fewer slots than two batches there is one lane, as splitting the slots into
 * smaller batches costs more per step (more statements) than the overlap gains.
 *
 * When the database is unreachable the loop backs off (capped, jittered) instead of spinning, and resumes by
 * itself; `lastProgressAt` only advances on a cycle that completed, which is what `/health/ready` checks.
 */

/**
 * Takes in flight at most while a backlog lasts. Two overlap the database's answer with the client's decoding; a
 * third measured no better (docs/performance.md §3.2).
 */
const TAKES_IN_FLIGHT = 2;

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

/** One poll loop's own state: whether it was woken since its cycle began, and how to end its pause. */
interface PollLane {
  /** 0: polls every interval; 1: polls only while lane 0 finds a backlog. */
  readonly index: number;
  woken: boolean;
  endPause: (() => void) | null;
}

export class FallbackPoller {
  readonly #options: PollerOptions;
  readonly #lanes: PollLane[];
  #stop: AbortController | null = null;
  #loops: Promise<void>[] | null = null;
  #lastProgressAt = 0;
  #consecutiveFailures = 0;

  constructor(options: PollerOptions) {
    this.#options = options;
    const lanes = Math.max(
      1,
      Math.min(TAKES_IN_FLIGHT, Math.floor(options.slots.capacity / options.batchSize)),
    );
    this.#lanes = Array.from({ length: lanes }, (_, index) => ({ index, woken: false, endPause: null }));
  }

  /** Epoch ms of the last completed cycle (0 = never). */
  get lastProgressAt(): number {
    return this.#lastProgressAt;
  }

  get healthy(): boolean {
    return this.#consecutiveFailures === 0 && this.#lastProgressAt > 0;
  }

  start(): void {
    if (this.#loops) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#loops = this.#lanes.map((lane) => this.#run(lane, stop.signal));
  }

  async stop(): Promise<void> {
    if (!this.#loops) return;
    this.#stop?.abort();
    for (const lane of this.#lanes) lane.endPause?.();
    await Promise.all(this.#loops);
    this.#loops = null;
  }

  /** Poll now instead of at the next tick (after a LISTEN reconnect, or when a deferred message waits). */
  wake(): void {
    for (const lane of this.#lanes) this.#wakeLane(lane);
  }

  #wakeLane(lane: PollLane): void {
    lane.woken = true;
    lane.endPause?.();
  }

  async #run(lane: PollLane, stop: AbortSignal): Promise<void> {
    const { logger, intervalMs, slots } = this.#options;
    const first = lane.index === 0;
    if (!first) await this.#pause(lane, null, stop);
    while (!stop.aborted) {
      // One macrotask first, so that slots released together (steps finishing in one batch) are taken as one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stop.aborted) break;
      lane.woken = false;
      let delay = intervalMs;
      let backlog = false;
      try {
        backlog = await this.#cycle(stop);
        if (first) {
          if (this.#consecutiveFailures > 0) logger.info({}, 'polling recovered');
          this.#consecutiveFailures = 0;
          this.#lastProgressAt = Date.now();
        }
      } catch (error) {
        // The first lane backs off and reports; the second stops until the first finds a backlog again.
        if (first) {
          delay = Math.max(intervalMs, backoffDelay(this.#consecutiveFailures, this.#options.backoff));
          this.#consecutiveFailures += 1;
          logger[this.#consecutiveFailures === 1 ? 'warn' : 'debug'](
            { error: (error as Error).message, retry_in_ms: delay, failures: this.#consecutiveFailures },
            'queue poll failed; intake paused until the database answers',
          );
        }
      }
      if (stop.aborted) break;
      // The second lane waits for no interval: only for the first lane's next backlog (or a wake-up).
      const pauseMs = first ? delay : null;
      if (backlog && first) for (const other of this.#lanes) if (other !== lane) this.#wakeLane(other);
      if (backlog || lane.woken) {
        // A take came back full: more messages are probably waiting. Do not sleep the poll interval (the pg-boss
        // trap, docs/performance.md §2.4): take again as soon as a handler slot is free. The interval still applies
        // once a take comes back short (queue drained) — the steady state with notifications is unchanged. Woken
        // during the cycle (a notification turned away for lack of slots, a LISTEN reconnect): the cycle's reads
        // may have started before what woke us, so look again too.
        if (slots.free === 0) await this.#pause(lane, pauseMs, stop, slots.whenReleased());
        continue;
      }
      await this.#pause(lane, pauseMs, stop);
    }
  }

  /**
   * Resolves after `ms` (never when null), or at once on `stop`, a wake-up or `until`, whichever comes first.
   */
  #pause(lane: PollLane, ms: number | null, stop: AbortSignal, until?: Promise<void>): Promise<void> {
    if (stop.aborted || lane.woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        if (timer !== undefined) clearTimeout(timer);
        stop.removeEventListener('abort', end);
        if (lane.endPause === end) lane.endPause = null;
        resolve();
      };
      const timer = ms === null ? undefined : setTimeout(end, ms);
      stop.addEventListener('abort', end, { once: true });
      lane.endPause = end;
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
