import type { StepExecutionResult } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import {
  conditionMatches,
  defineHandler,
  definePublisher,
  PublicationCondition,
  willRetry,
} from '../src/index.js';
import { dependencyResult, runHandler } from '../src/testing/index.js';

const failed = (retryable: boolean) =>
  ({
    ...dependencyResult({}),
    success: false,
    metadata: { ...dependencyResult({}).metadata, retryable },
  }) as StepExecutionResult;

describe('publication conditions', () => {
  it.each([
    // succeeded, willRetry → which conditions fire
    [true, false, ['success', 'always']],
    [false, true, ['failure', 'retryable_failure', 'always']],
    [false, false, ['failure', 'permanent_failure', 'always']],
  ] as const)('succeeded %s, will retry %s: %j', (succeeded, retry, expected) => {
    const fired = Object.values(PublicationCondition).filter((c) =>
      conditionMatches(c, { succeeded, willRetry: retry }),
    );
    expect(fired).toEqual(expected);
  });

  it('will retry only a retryable failure with attempts left (attempts count this execution)', () => {
    expect(willRetry(failed(true), 1, 3)).toBe(true);
    expect(willRetry(failed(true), 3, 3)).toBe(false);
    expect(willRetry(failed(false), 1, 3)).toBe(false);
    expect(willRetry(dependencyResult({}), 1, 3)).toBe(false);
  });

  it('definePublisher needs a name', () => {
    expect(definePublisher('P', () => 1).name).toBe('P');
    expect(() => definePublisher('', () => 1)).toThrow(TypeError);
  });
});

describe('context.publish', () => {
  const stepDefinition = {
    publishes_events: [
      {
        name: 'order.shipped',
        description: 'shipped',
        condition: 'success' as const,
        schema: null,
        delivery_mode: 'durable' as const,
        publisher: null,
      },
    ],
  };

  it('records declared events as JSON, with their condition, in the outcome for the worker', async () => {
    const handler = defineHandler('Ship', ({ context }) => {
      context.publish('order.shipped', { at: new Date(0), id: 10n });
      context.publish('order.shipped', { again: true }, { condition: 'always' });
      return { shipped: true };
    });
    const run = await runHandler(handler, { handler: { callable: 'Ship' }, stepDefinition });
    expect(run.outcome.events).toEqual([
      { name: 'order.shipped', payload: { at: '1970-01-01T00:00:00.000Z', id: 10 }, condition: 'success' },
      { name: 'order.shipped', payload: { again: true }, condition: 'always' },
    ]);
  });

  it('fails the step permanently for an event the step does not declare', async () => {
    const handler = defineHandler('Ship', ({ context }) => {
      context.publish('order.lost', {});
      return {};
    });
    const run = await runHandler(handler, { handler: { callable: 'Ship' }, stepDefinition });
    expect(run).toMatchObject({ success: false, retryable: false });
    expect(run.result?.metadata.error_code).toBe('UNDECLARED_EVENT');
    expect(run.result?.error?.message).toMatch(
      /publishes no event 'order.lost' \(its publishes_events: order.shipped\)/,
    );
  });
});
