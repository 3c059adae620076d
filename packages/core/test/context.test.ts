import { parseJsonText } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { PermanentError, ValidationError } from '../src/index.js';
import { createStepContext, dependencyResult } from '../src/testing/index.js';

describe('StepContext', () => {
  const template = {
    name: 'order_pipeline',
    namespace_name: 'ecommerce',
    version: '2.0.0',
    steps: [
      {
        name: 'charge_payment',
        handler: { callable: 'ecommerce.Charge', method: 'charge', initialization: { gateway: 'stripe' } },
        retry: { max_attempts: 5 },
      },
    ],
  };

  it('exposes ids, names, inputs, configuration and retry data', () => {
    const ctx = createStepContext<{ amount: number }>({
      template,
      input: { amount: 250 },
      stepInputs: { region: 'eu' },
      attempts: 2,
    });
    expect(ctx.taskUuid).toBe(ctx.step.task.task.task_uuid);
    expect(ctx.stepUuid).toBe(ctx.step.workflow_step.workflow_step_uuid);
    expect(ctx.correlationId).toBe(ctx.step.task.task.correlation_id);
    expect(ctx).toMatchObject({
      namespace: 'ecommerce',
      taskName: 'order_pipeline',
      taskVersion: '2.0.0',
      stepName: 'charge_payment',
      templateStepName: 'charge_payment',
      inputData: { amount: 250 },
      stepInputs: { region: 'eu' },
      stepConfig: { gateway: 'stripe' },
      handlerMethod: 'charge',
      retryCount: 2,
      maxAttempts: 5,
      attempt: 3,
    });
    expect(ctx.inputData.amount).toBe(250);
    expect(ctx.getConfig('gateway')).toBe('stripe');
    expect(ctx.isRetry()).toBe(true);
    expect(ctx.isLastRetry()).toBe(false);
    expect(createStepContext({ template, attempts: 4 }).isLastRetry()).toBe(true);
    expect(createStepContext({ template }).isRetry()).toBe(false);
    expect(ctx.signal.aborted).toBe(false);
  });

  it('getInput names the missing field; getInputOr falls back', () => {
    const ctx = createStepContext({ input: { amount: 250, note: null } });
    expect(ctx.getInput<number>('amount')).toBe(250);
    expect(ctx.getInputOr('currency', 'EUR')).toBe('EUR');
    expect(ctx.getInputOr('note', 'none')).toBe('none');
    let caught: unknown;
    try {
      ctx.getInput('currency');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe('currency');
    expect((caught as ValidationError).message).toContain("'currency'");
    expect((caught as ValidationError).retryable).toBe(false);
  });

  it('returns a dependency value, its whole result, nested fields and prefixed groups', () => {
    const failed = { ...dependencyResult({}), success: false, status: 'failed' };
    const ctx = createStepContext({
      dependencies: { validate_order: { order: { total: 99.99 } }, batch_002: { n: 2 }, batch_001: { n: 1 } },
      dependencyResults: { legacy: failed },
    });
    expect(ctx.getDependencyResult('validate_order')).toEqual({ order: { total: 99.99 } });
    expect(ctx.getDependencyExecutionResult('validate_order')?.status).toBe('completed');
    expect(ctx.getDependencyExecutionResult('legacy')?.success).toBe(false);
    expect(ctx.getDependencyField('validate_order', 'order', 'total')).toBe(99.99);
    expect(ctx.getDependencyField('validate_order', 'order', 'missing', 'deeper')).toBeUndefined();
    expect(ctx.getDependencyResult('nope')).toBeUndefined();
    expect(ctx.hasDependencyResult('validate_order')).toBe(true);
    expect(ctx.getDependencyResultKeys()).toEqual(['batch_001', 'batch_002', 'legacy', 'validate_order']);
    expect(ctx.getAllDependencyResults('batch_')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(() => ctx.requireDependencyResult('nope')).toThrow(PermanentError);
    expect(() => ctx.requireDependencyResult('nope')).toThrow(/'nope'/);
  });

  it('reads checkpoint data', () => {
    const ctx = createStepContext({
      checkpoint: { cursor: 75, items_processed: 75, accumulated_results: { sum: 10 } },
    });
    expect(ctx.hasCheckpoint()).toBe(true);
    expect(ctx.checkpointCursor<number>()).toBe(75);
    expect(ctx.checkpointItemsProcessed).toBe(75);
    expect(ctx.accumulatedResults()).toEqual({ sum: 10 });
    const fresh = createStepContext();
    expect(fresh.hasCheckpoint()).toBe(false);
    expect(fresh.checkpointCursor()).toBeUndefined();
    expect(fresh.checkpointItemsProcessed).toBe(0);
  });

  it('looks up own keys only: inherited members such as constructor and toString are absent', () => {
    const ctx = createStepContext({ input: {}, handler: { initialization: {} }, dependencies: { a: {} } });
    expect(() => ctx.getInput('constructor')).toThrow(ValidationError);
    expect(ctx.getInputOr('toString', 'fallback')).toBe('fallback');
    expect(ctx.getConfig('hasOwnProperty')).toBeUndefined();
    expect(ctx.getDependencyResult('constructor')).toBeUndefined();
    expect(ctx.getDependencyExecutionResult('toString')).toBeUndefined();
    expect(ctx.hasDependencyResult('constructor')).toBe(false);
    expect(() => ctx.requireDependencyResult('valueOf')).toThrow(PermanentError);
    expect(ctx.getDependencyField('a', 'constructor')).toBeUndefined();
    expect(ctx.getDependencyField('a', '__proto__', 'constructor')).toBeUndefined();
  });

  it('reads __proto__ keys and step names as data, and integers beyond 2^53 as bigint', () => {
    // Parsed from text, as the worker reads a jsonb column: a `__proto__` literal in code would set the prototype.
    const input = parseJsonText('{"__proto__":{"id":9007199254740993},"max":18446744073709551615}');
    const dependencies = parseJsonText('{"__proto__":{"constructor":{"deep":[9007199254740993]}}}');
    const ctx = createStepContext({
      input: input as Record<string, unknown>,
      dependencies: dependencies as Record<string, unknown>,
    });
    expect(ctx.getInput('__proto__')).toEqual({ id: 9007199254740993n });
    expect(ctx.getInput('max')).toBe(18446744073709551615n);
    expect(Object.keys(ctx.inputData)).toEqual(['__proto__', 'max']);
    expect(ctx.hasDependencyResult('__proto__')).toBe(true);
    expect(ctx.getDependencyResultKeys()).toEqual(['__proto__']);
    expect(ctx.getDependencyResult('__proto__')).toEqual({ constructor: { deep: [9007199254740993n] } });
    expect(ctx.getDependencyField('__proto__', 'constructor', 'deep', '0')).toBe(9007199254740993n);
    expect(ctx.requireDependencyResult('__proto__')).toBeTypeOf('object');
    expect(ctx.getAllDependencyResults('__')).toHaveLength(1);
  });
});

describe('porting aliases on StepContext', () => {
  it('maxRetries is maxAttempts and handlerName the callable, as upstream TypeScript names them', () => {
    const ctx = createStepContext({ handler: { callable: 'payments.Charge' }, maxAttempts: 5 });
    expect(ctx.maxRetries).toBe(5);
    expect(ctx.maxRetries).toBe(ctx.maxAttempts);
    expect(ctx.handlerName).toBe('payments.Charge');
  });
});
