import { describe, expect, it } from 'vitest';
import { batchOutcomeFrom } from '../src/batch-workers.js';
import { decisionOutcomeFrom } from '../src/decision-points.js';
import {
  decodeStepResult,
  HydrationError,
  normalizedStatus,
  parseStepMessage,
} from '../src/result-hydrator.js';
import { parseTemplate, TemplateError } from '../src/template.js';

const uuid = '0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81';

describe('decoding what workers wrote, as serde does', () => {
  it('reads a StepMessage or names what is wrong', () => {
    const message = { task_uuid: uuid, step_uuid: uuid, correlation_id: uuid };
    expect(parseStepMessage({ ...message, extra: 1 })).toEqual(message);
    expect(() => parseStepMessage({ step_uuid: 'not-a-uuid' })).toThrow(HydrationError);
    expect(() => parseStepMessage({ step_uuid: 'not-a-uuid' })).toThrow(
      /Invalid StepMessage format: .*step_uuid/,
    );
  });

  it('accepts a sparse StepExecutionResult (container default) and rejects what serde rejects', () => {
    const sparse = decodeStepResult({ success: true });
    expect(sparse).toMatchObject({ success: true, status: '', metadata: { retryable: false } });
    expect(normalizedStatus(sparse!)).toBe('completed');
    expect(decodeStepResult({ success: 'yes' })).toBeUndefined();
    expect(decodeStepResult({ orchestration_metadata: {} })).toBeUndefined();
    expect(decodeStepResult({ error: { message: 'boom' } })).toBeUndefined();
  });

  it('reads outcomes strictly', () => {
    expect(
      decisionOutcomeFrom({ decision_point_outcome: { type: 'create_steps', step_names: ['a'] } }),
    ).toEqual({
      type: 'create_steps',
      step_names: ['a'],
    });
    expect(decisionOutcomeFrom({ decision_point_outcome: { type: 'create_steps' } })).toBeUndefined();
    expect(batchOutcomeFrom({ batch_processing_outcome: { type: 'no_batches' } })).toEqual({
      type: 'no_batches',
    });
    expect(
      batchOutcomeFrom({ batch_processing_outcome: { type: 'create_batches', worker_count: 1 } }),
    ).toBeUndefined();
  });

  it('reads a template with serde defaults and aliases; refuses a broken or empty one', () => {
    const template = parseTemplate(
      {
        name: 't',
        namespace_name: 'n',
        version: '1',
        steps: [
          { name: 'a', handler: { callable: 'A' } },
          { name: 'b', step_type: 'decision', depends_on: ['a'], handler: { callable: 'B' } },
        ],
      },
      'n/t/1',
    );
    expect(template.steps[1]).toMatchObject({ type: 'decision', dependencies: ['a'] });
    expect(template.steps[0]?.retry).toMatchObject({ retryable: true, max_attempts: 3 });
    expect(() =>
      parseTemplate({ name: 't', namespace_name: 'n', version: '1', steps: [{ name: 'a' }] }, 'x'),
    ).toThrow(TemplateError);
    expect(() => parseTemplate({ name: 't', namespace_name: 'n', version: '1', steps: [] }, 'x')).toThrow(
      /Empty steps array/,
    );
    expect(() => parseTemplate(null, 'x')).toThrow(/No task handler configuration/);
  });
});
