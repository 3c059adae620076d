import { noopLogger as logger } from '@tasker-bridge/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LeaseRequest } from '../src/hydrate.js';
import { HandlerSlots } from '../src/intake.js';
import { FallbackPoller } from '../src/poller.js';

const queues = new Map([['worker_ns_queue', 'ns']]);

/** A take the test answers itself: each call waits until the test settles it with a number of messages. */
function controlledTakes() {
  const pending: { request: LeaseRequest; answer: (taken: number) => void }[] = [];
  let onCall: () => void = () => {};
  const take = (request: LeaseRequest) =>
    new Promise<number>((resolve) => {
      pending.push({ request, answer: resolve });
      onCall();
    });
  /** Resolves once `n` takes are waiting for an answer. */
  const inFlight = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (pending.length >= n) resolve();
      };
      onCall = check;
      check();
    });
  return { take, pending, inFlight };
}

/** A started poller on one queue with the default batch of 10. */
function startPoller(
  slots: HandlerSlots,
  take: (request: LeaseRequest) => Promise<number>,
  intervalMs = 60_000,
) {
  const poller = new FallbackPoller({ queues, intervalMs, batchSize: 10, slots, take, logger });
  poller.start();
  return poller;
}

describe('fallback poller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps two takes in flight while a backlog lasts, when the slots hold two full batches', async () => {
    const slots = new HandlerSlots(20);
    const takes = controlledTakes();
    const poller = startPoller(slots, takes.take);
    try {
      await takes.inFlight(1);
      expect(takes.pending.map((t) => t.request.limit)).toEqual([10]);
      // A full answer is a backlog: the second lane takes a batch of its own.
      takes.pending.shift()?.answer(10);
      await takes.inFlight(1);
      expect(takes.pending[0]?.request.limit).toBe(10);
      expect(slots.free).toBe(0);
      // The first batch's steps finish: the first lane takes again while the second lane's take is still out.
      slots.release(10);
      await takes.inFlight(2);
      expect(takes.pending.map((t) => t.request.limit)).toEqual([10, 10]);
      for (const t of takes.pending.splice(0)) t.answer(0);
    } finally {
      await poller.stop();
    }
  });

  it.each([
    [10, 10],
    [1, 1],
  ])('with %i handler slots takes one batch of %i at a time', async (capacity, limit) => {
    const slots = new HandlerSlots(capacity);
    const takes = controlledTakes();
    const poller = startPoller(slots, takes.take);
    try {
      await takes.inFlight(1);
      expect(takes.pending.map((t) => t.request.limit)).toEqual([limit]);
      takes.pending.shift()?.answer(limit);
      // Every slot is the first batch's until its steps finish; then the next batch goes out, alone again.
      expect(slots.free).toBe(0);
      slots.release(limit);
      await takes.inFlight(1);
      expect(takes.pending.map((t) => t.request.limit)).toEqual([limit]);
      takes.pending.shift()?.answer(0);
    } finally {
      await poller.stop();
    }
  });

  it('idle, reads once per interval: the second lane polls only while the first finds a backlog', async () => {
    vi.useFakeTimers();
    const slots = new HandlerSlots(20);
    const limits: number[] = [];
    const take = async (request: LeaseRequest) => {
      limits.push(request.limit);
      slots.release(request.limit);
      return 0;
    };
    const poller = startPoller(slots, take, 100);
    await vi.advanceTimersByTimeAsync(1_050);
    const stopped = poller.stop();
    await vi.runAllTimersAsync();
    await stopped;
    // The first lane at 0, 100, … 1,000 ms; the second never found a backlog to help with.
    expect(limits).toHaveLength(11);
    expect(new Set(limits)).toEqual(new Set([10]));
  });
});
