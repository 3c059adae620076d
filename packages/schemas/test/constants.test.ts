import { describe, expect, it } from 'vitest';
import { STANDARD_ERROR_TYPES, STEP_STATES, TASK_STATES, validate, WIRE_SCHEMAS } from '../src/index.js';

describe('state and error-type constants', () => {
  it('list exactly the schema enums', () => {
    expect(Object.values(STEP_STATES)).toEqual(WIRE_SCHEMAS.StepState.enum);
    expect(Object.values(TASK_STATES)).toEqual(WIRE_SCHEMAS.TaskState.enum);
    expect(Object.values(STANDARD_ERROR_TYPES)).toEqual(WIRE_SCHEMAS.StandardErrorType.enum);
    expect(STEP_STATES.ENQUEUED_FOR_ORCHESTRATION).toBe('enqueued_for_orchestration');
  });

  it('reject legacy spellings serde rejects', () => {
    expect(validate('TaskState', 'in_progress').ok).toBe(false);
    expect(validate('StepState', 'InProgress').ok).toBe(false);
  });
});
