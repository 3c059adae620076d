// Who ran a step, and the transition shapes competing consumers may leave, for the scenarios where our TS worker
// and an upstream Rust-core worker (tasker-py's or our native Rust worker) serve one namespace.

import { expect } from 'vitest';
import type { StepSnapshot } from './db-inspect.js';

/** worker_uuid of a transition's attribution (upstream writes it on completions, we on claims too). */
export function transitionWorker(t: { metadata: unknown }): string {
  return (t.metadata as { worker_uuid?: string } | null)?.worker_uuid ?? '(none)';
}

/** worker_uuid of the worker that completed a step (attribution on its completion transition). */
export function completedBy(step: StepSnapshot): string {
  const t = step.transitions.find((x) => x.to_state === 'enqueued_for_orchestration');
  return t ? transitionWorker(t) : '(none)';
}

/**
 * Asserts a completed step's transitions are one of the shapes competing consumers leave, and returns a line
 * describing the anomaly, if any. Both workers get every `message_with_payload` notification. Our claim and
 * completion are single statements conditional on the current state (`enqueued`, then `in_progress`), so our
 * worker never takes or completes a step another worker holds. Upstream's claim and completion read the state
 * *before* their transaction and then demote whatever row is `most_recent`, so a few milliseconds after our claim
 * the Rust core can take the step again, and after our completion it can complete it again (test/fleet/NOTE.md,
 * "Competing consumers"). Those are the only anomalies allowed: dispatched once, claimed at most twice,
 * completed at most twice (then once each), complete exactly once.
 */
export function expectCompetingClaimShape(
  step: StepSnapshot,
  where: string,
  tsWorkerUuid: string,
): string | null {
  const states = step.transitions.map((t) => t.to_state);
  expect(
    states.filter((s) => s === 'complete'),
    where,
  ).toHaveLength(1);
  if (step.attempts === 1) {
    expect(states, where).toEqual([
      'pending',
      'enqueued',
      'in_progress',
      'enqueued_for_orchestration',
      'complete',
    ]);
    return null;
  }
  expect(step.attempts, where).toBe(2);
  const completions = step.transitions.filter((t) => t.to_state === 'enqueued_for_orchestration');
  // The two claims and completions interleave in either order (ours may even complete before the Rust core
  // re-claims).
  expect(states.slice(0, 3), where).toEqual(['pending', 'enqueued', 'in_progress']);
  expect(states.at(-1), where).toBe('complete');
  const middle = states.slice(3, -1);
  expect(new Set(middle), where).toEqual(new Set(['in_progress', 'enqueued_for_orchestration']));
  expect(
    middle.filter((state) => state === 'in_progress'),
    where,
  ).toHaveLength(1);
  expect(completions.length, where).toBeGreaterThanOrEqual(1);
  expect(completions.length, where).toBeLessThanOrEqual(2);
  if (completions.length === 2) {
    // one completion each: ours and the Rust core's
    expect(
      completions.map(transitionWorker).filter((u) => u === tsWorkerUuid),
      where,
    ).toHaveLength(1);
  }
  return `${where}: claimed twice, completed ${completions.length}x`;
}
