import { validate, WireValidationError } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { defineHandler } from '../src/index.js';
import {
  buildTaskSequenceStep,
  createStepContext,
  dependencyResult,
  runHandler,
} from '../src/testing/index.js';
import { expectWireValid } from './support.js';

const template = {
  name: 'mathematical_sequence_ts',
  namespace_name: 'linear_workflow_ts',
  version: '1.0.0',
  steps: [
    { name: 'linear_step_1', handler: { callable: 'LinearWorkflow.StepHandlers.LinearStep1Handler' } },
    {
      name: 'linear_step_2',
      depends_on: ['linear_step_1'],
      handler: { callable: 'LinearWorkflow.StepHandlers.LinearStep2Handler', initialization: { add: 10 } },
    },
  ],
};

describe('test kit', () => {
  it('builds a hydrated step the schemas package accepts', () => {
    const step = buildTaskSequenceStep({
      template,
      stepName: 'linear_step_2',
      input: { even_number: 6 },
      dependencies: { linear_step_1: { squared_value: 36 } },
    });
    expect(validate('TaskSequenceStep', step).ok).toBe(true);
    expect(step.step_definition).toMatchObject({
      name: 'linear_step_2',
      dependencies: ['linear_step_1'],
      handler: {
        callable: 'LinearWorkflow.StepHandlers.LinearStep2Handler',
        method: null,
        resolver: null,
        initialization: { add: 10 },
      },
      retry: { retryable: true, max_attempts: 3, backoff: 'exponential' },
    });
    expect(step.task).toMatchObject({
      task_name: 'mathematical_sequence_ts',
      namespace_name: 'linear_workflow_ts',
    });
    expect(step.workflow_step.inputs).toEqual({ add: 10 });
    expectWireValid(step.dependency_results.linear_step_1);
  });

  it("completes a YAML-shaped template with serde's defaults and rejects one Rust would not decode", () => {
    const step = buildTaskSequenceStep({ template, stepName: 'linear_step_1' });
    expect(step.step_definition).toMatchObject({
      type: 'standard',
      dependencies: [],
      publishes_events: [],
      retry: { backoff_base_ms: 1000, max_backoff_ms: 30000 },
      handler: { method: null, resolver: null, initialization: {} },
    });
    expect(step.workflow_step.inputs).toBeNull();
    const broken = { ...template, steps: [{ name: 'x', handler: { callable: 'X', method: 7 } }] };
    expect(() => buildTaskSequenceStep({ template: broken as never })).toThrow(WireValidationError);
  });

  it('builds dependency results shaped as Rust success() writes them', () => {
    expect(expectWireValid(dependencyResult({ a: 1 }))).toMatchObject({
      success: true,
      status: 'completed',
      result: { a: 1 },
      orchestration_metadata: { headers: {}, error_context: null, backoff_hint: null, custom: {} },
    });
  });

  it('runs a template step end to end without a database', async () => {
    const step2 = defineHandler(
      'LinearWorkflow.StepHandlers.LinearStep2Handler',
      { depends: { prev: 'linear_step_1' } },
      ({ deps, config }) => ({
        added_value: (deps.prev as { squared_value: number }).squared_value + Number(config.add),
      }),
    );
    const run = await runHandler(step2, {
      template,
      stepName: 'linear_step_2',
      dependencies: { linear_step_1: { squared_value: 36 } },
    });
    expect(run).toMatchObject({ success: true, value: { added_value: 46 }, retryable: false, problems: [] });
    const missing = await runHandler(step2, { template, stepName: 'linear_step_2' });
    expect(missing).toMatchObject({ success: false, retryable: false });
  });

  it('declared inputs fail with a validation error naming the field', async () => {
    const step1 = defineHandler<{ even_number: number }>('S1', { inputs: ['even_number'] }, ({ input }) => ({
      squared_value: input.even_number ** 2,
    }));
    expect((await runHandler(step1, { input: { even_number: 6 } })).value).toEqual({ squared_value: 36 });
    const run = await runHandler(step1, { input: {} });
    expect(run).toMatchObject({ success: false, retryable: false, errorType: 'validation_error' });
    expect(run.result?.error?.message).toContain("'even_number'");
  });

  it('creates contexts for calling handler methods directly', () => {
    const ctx = createStepContext({ template, input: { even_number: 2 }, attempts: 1, maxAttempts: 2 });
    expect(ctx.stepName).toBe('linear_step_1');
    expect(ctx.isLastRetry()).toBe(true);
  });
});
