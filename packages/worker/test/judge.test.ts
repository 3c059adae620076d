import { describe, expect, it } from 'vitest';
import type { Claimed, Hydration, TakenMessage } from '../src/hydrate.js';
import type { QueuedMessage } from '../src/intake.js';
import { judge } from '../src/judge.js';

/** The verdict on a leased message from what hydrate-and-claim found (package README, "Leases"). */

const VT = 30;
const message: QueuedMessage = {
  queue: 'worker_ns_queue',
  namespace: 'ns',
  msgId: '42',
  body: {},
  method: 'poll',
  leasedAt: 0,
};
const stepMessage = {
  task_uuid: '01900000-0000-7000-8000-000000000001',
  step_uuid: '01900000-0000-7000-8000-000000000002',
  correlation_id: '01900000-0000-7000-8000-000000000003',
};
const hydrated = (hydration: Hydration): TakenMessage => ({
  kind: 'hydrated',
  message,
  stepMessage,
  hydration,
});
const claimed = (over: Partial<Claimed>): Claimed => ({
  kind: 'claimed',
  state: 'in_progress',
  stateAgeMs: 20_000,
  claimTransitionUuid: '01900000-0000-7000-8000-0000000000c1',
  claimMetadata: { worker_uuid: 'dead-worker', lease: { queue: message.queue, msg_id: message.msgId } },
  taskUuid: stepMessage.task_uuid,
  correlationId: stepMessage.correlation_id,
  ...over,
});

describe('judge', () => {
  it('archives a body that is not a StepMessage, naming the decoder error', () => {
    expect(judge({ kind: 'malformed', message, error: 'missing step_uuid' }, VT)).toEqual({
      kind: 'archive',
      reason: 'malformed_message',
      detail: 'body is not a StepMessage',
      state: null,
      error: 'missing step_uuid',
    });
  });

  it('leaves the message to its lease when the hydrate-and-claim statement failed', () => {
    expect(judge({ kind: 'failed', message, stepMessage, error: 'connection lost' }, VT)).toEqual({
      kind: 'hydration_failed',
      error: 'connection lost',
    });
  });

  it('archives what hydration says can never be claimed', () => {
    const skip: Hydration = {
      kind: 'skip',
      reason: 'task_not_found',
      detail: 'task does not exist',
      state: null,
    };
    expect(judge(hydrated(skip), VT)).toMatchObject({ kind: 'archive', reason: 'task_not_found' });
  });

  it('archives a stale duplicate: the step was claimed through another message, or without a lease', () => {
    const other = claimed({ claimMetadata: { lease: { queue: message.queue, msg_id: '7' } } });
    expect(judge(hydrated(other), VT)).toMatchObject({
      kind: 'archive',
      reason: 'not_claimable',
      detail: "step is 'in_progress', claimed through message 7",
    });
    const upstream = claimed({ claimMetadata: { event: '{"type":"Start"}' } });
    expect(judge(hydrated(upstream), VT)).toMatchObject({
      kind: 'archive',
      detail: "step is 'in_progress', claimed through a message acked at claim time",
    });
  });

  it('leaves a claim through this message younger than vt/2 to its owner', () => {
    const young = claimed({ stateAgeMs: (VT * 1000) / 2 - 1 });
    expect(judge(hydrated(young), VT)).toMatchObject({ kind: 'claim_too_recent' });
  });

  it('recovers an older claim through this message: worker_lost when in progress, the result re-sent when completed', () => {
    expect(judge(hydrated(claimed({})), VT)).toMatchObject({
      kind: 'recover',
      recovery: 'worker_lost',
      lostWorkerUuid: 'dead-worker',
    });
    const completed = claimed({
      state: 'enqueued_for_orchestration',
      claimMetadata: { lease: { queue: message.queue, msg_id: 42 } },
    });
    expect(judge(hydrated(completed), VT)).toMatchObject({
      kind: 'recover',
      recovery: 'result_resent',
      lostWorkerUuid: null,
    });
  });

  it('runs what this statement claimed, reports what it claimed but cannot run, leaves a lost race', () => {
    const claim = { transitionUuid: 'c', attempts: 1 };
    const unrunnable: Hydration = {
      kind: 'unrunnable',
      reason: 'template_invalid',
      detail: 'no template',
      claim,
      correlationId: stepMessage.correlation_id,
    };
    expect(judge(hydrated(unrunnable), VT)).toEqual({ kind: 'report_unrunnable', unrunnable });
    expect(judge(hydrated({ kind: 'claim_lost' }), VT)).toEqual({ kind: 'claim_lost' });
  });
});
