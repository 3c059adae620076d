import type { Logger } from '@tasker-bridge/core';
import { sleep } from './backoff.js';
import type { WorkerMetrics } from './metrics.js';
import { extendLeases } from './pgmq.js';
import type { Queryable } from './sql/connections.js';

/**
 * Claim leases (README "Leases"; upstream has none, docs/protocol.md §4.5, §6.5). The step message's pgmq
 * visibility timeout is the lease on a claim: the message is read with a visibility timeout before the claim,
 * kept (not archived) while the step runs, and archived together with the result message. This keeper pushes
 * the visibility timeout of every held message to now + vt every vt/3 — one statement per queue per beat
 * (`pgmq.set_vt(queue, msg_ids[], vt)`; before pgmq 1.8, `set_vt` per message inside that one statement,
 * docs/protocol.md §8.2) — so a message only becomes visible again when its owner stopped beating (killed,
 * partitioned or stalled for longer than about 2/3 of vt). Whoever reads it then recovers the claim
 * (`process-step.ts`).
 *
 * A held message missing from a beat's result was archived by another worker that recovered the claim: the
 * lease is lost, `onLost` fires (the step's handler is cancelled; its late completion is fenced out anyway).
 */

export interface LeaseHandle {
  /** The completion is being written: a missing message no longer means the lease was lost. */
  finishing(): void;
  /** Stop extending (the message was archived, or is left to lapse). */
  release(): void;
}

interface Held {
  queue: string;
  msgId: string;
  onLost: () => void;
  finishing: boolean;
}

export interface LeaseKeeperOptions {
  /** The pgmq database. */
  db: Queryable;
  visibilityTimeoutSeconds: number;
  /** pgmq ≥ 1.8.0 has the array `set_vt` (`PgmqInfo.setVtArray`); older versions renew message by message. */
  setVtArray: boolean;
  logger: Logger;
  /** Heartbeat figures (`tasker_bridge_lease_*`). */
  metrics?: Pick<WorkerMetrics, 'leaseHeartbeats' | 'leaseHeartbeatDuration' | 'leasesLost'>;
}

export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  readonly #held = new Map<string, Held>();
  #stop: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #failures = 0;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
  }

  /** Beat period: vt/3, so two beats can be missed before a lease lapses. */
  get intervalMs(): number {
    return Math.max(100, Math.floor((this.#o.visibilityTimeoutSeconds * 1000) / 3));
  }

  /** Leases held now (claims in flight). */
  get heldCount(): number {
    return this.#held.size;
  }

  hold(queue: string, msgId: string, onLost: () => void): LeaseHandle {
    const key = `${queue}:${msgId}`;
    const held: Held = { queue, msgId, onLost, finishing: false };
    this.#held.set(key, held);
    return {
      finishing: () => {
        held.finishing = true;
      },
      release: () => {
        if (this.#held.get(key) === held) this.#held.delete(key);
      },
    };
  }

  /**
   * Extend one lease now (best effort): used right after a claim whose read was long ago (slow hydration or
   * claim), so the lease cannot lapse before the next beat.
   */
  async extendNow(queue: string, msgId: string): Promise<void> {
    try {
      await extendLeases(this.#o.db, this.#o.setVtArray, queue, [msgId], this.#o.visibilityTimeoutSeconds);
    } catch (error) {
      this.#o.logger.debug(
        { queue, msg_id: msgId, error: (error as Error).message },
        'lease extension failed',
      );
    }
  }

  start(): void {
    if (this.#loop) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#loop = (async () => {
      // Beats are scheduled from the previous beat's start, not its end: a slow beat (a loaded database) must not
      // stretch the period towards the visibility timeout.
      let next = performance.now() + this.intervalMs;
      while (!stop.signal.aborted) {
        await sleep(Math.max(0, next - performance.now()), stop.signal);
        if (stop.signal.aborted) break;
        next = performance.now() + this.intervalMs;
        await this.beat();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
    this.#loop = null;
  }

  /** One heartbeat: extend every held lease, queue by queue. Never throws. */
  async beat(): Promise<void> {
    const byQueue = new Map<string, Held[]>();
    for (const held of this.#held.values()) {
      const list = byQueue.get(held.queue) ?? [];
      list.push(held);
      byQueue.set(held.queue, list);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, list]) => {
        const metrics = this.#o.metrics;
        const started = performance.now();
        try {
          const extended = await extendLeases(
            this.#o.db,
            this.#o.setVtArray,
            queue,
            list.map((h) => h.msgId),
            this.#o.visibilityTimeoutSeconds,
          );
          metrics?.leaseHeartbeats.inc({ result: 'ok' });
          metrics?.leaseHeartbeatDuration.observe(performance.now() - started);
          if (this.#failures > 0) this.#o.logger.info({ queue }, 'lease heartbeat recovered');
          this.#failures = 0;
          for (const held of list) {
            if (extended.has(held.msgId) || held.finishing) continue;
            if (this.#held.get(`${queue}:${held.msgId}`) !== held) continue; // released meanwhile
            this.#held.delete(`${queue}:${held.msgId}`);
            metrics?.leasesLost.inc();
            held.onLost();
          }
        } catch (error) {
          metrics?.leaseHeartbeats.inc({ result: 'failed' });
          this.#failures += 1;
          // Leases lapse if this lasts longer than the vt; the steps are then recovered by whoever reads them.
          this.#o.logger[this.#failures === 1 ? 'warn' : 'debug'](
            { queue, held: list.length, error: (error as Error).message, failures: this.#failures },
            'lease heartbeat failed; retrying at the next beat',
          );
        }
      }),
    );
  }
}
