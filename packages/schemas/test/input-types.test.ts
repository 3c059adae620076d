import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  decodeParsed,
  type HandlerDefinition,
  type HandlerDefinitionInput,
  type StepExecutionResult,
  type TaskTemplate,
  type TaskTemplateInput,
  WireValidationError,
} from '../src/index.js';

describe('…Input types (what a user writes by hand)', () => {
  it('require only what serde requires, and accept the full stored form', () => {
    const sparse = {
      name: 'order_pipeline',
      namespace_name: 'ecommerce',
      version: '1.0.0',
      steps: [
        { name: 'validate', handler: { callable: 'Validate' } },
        {
          name: 'charge',
          depends_on: ['validate'],
          handler: { callable: 'Charge' },
          retry: { max_attempts: 5 },
        },
      ],
    } satisfies TaskTemplateInput;
    expectTypeOf<TaskTemplate>().toExtend<TaskTemplateInput>();
    expectTypeOf<HandlerDefinition>().toExtend<HandlerDefinitionInput>();
    expectTypeOf<{ callable: string }>().toExtend<HandlerDefinitionInput>();
    expectTypeOf<{ name: string; version: string; steps: [] }>().not.toExtend<TaskTemplateInput>();

    const full = decodeParsed('TaskTemplate', sparse);
    expect(full).toMatchObject({
      description: null,
      system_dependencies: { primary: 'default', secondary: [] },
      environments: {},
      input_schema: null,
    });
    expect(full.steps[1]).toMatchObject({
      type: 'standard',
      dependencies: ['validate'],
      handler: { callable: 'Charge', method: null, resolver: null, initialization: {} },
      retry: { retryable: true, max_attempts: 5, backoff: 'exponential', backoff_base_ms: null },
    });
    // An absent retry is Rust's RetryConfiguration::default(), not `retry: {}`.
    expect(full.steps[0]?.retry).toMatchObject({ backoff_base_ms: 1000, max_backoff_ms: 30000 });
    expect(decodeParsed('TaskTemplate', full)).toEqual(full);
  });

  it('rejects what serde rejects', () => {
    expect(() => decodeParsed('HandlerDefinition', { method: 'call' })).toThrow(WireValidationError);
  });
});

describe('StepExecutionResult container default', () => {
  it('fills an absent metadata with StepExecutionMetadata defaults (completed_at = now)', () => {
    const before = Date.now();
    const result: StepExecutionResult = decodeParsed('StepExecutionResult', { success: true });
    expect(result).toMatchObject({
      step_uuid: '00000000-0000-0000-0000-000000000000',
      success: true,
      status: '',
      metadata: { execution_time_ms: 0, retryable: false, custom: {}, context: {} },
    });
    expect(Date.parse(result.metadata.completed_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(() => decodeParsed('StepExecutionResult', { metadata: null })).toThrow(/\/metadata/);
  });
});
