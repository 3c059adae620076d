import { describe, expect, it } from 'vitest';
import { assertValid, decodeJson, validate, WireValidationError } from '../src/index.js';

describe('validate', () => {
  it('names the path and the reason', () => {
    const r = validate('CursorConfig', {
      batch_id: '1',
      start_cursor: 0,
      end_cursor: 1,
      batch_size: 5_000_000_000,
    });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: '/batch_size', message: "must fit Rust's u32 (0..4294967295)" }],
    });
  });

  it('checks tagged unions by their tag', () => {
    expect(validate('DecisionPointOutcome', { type: 'create_steps' })).toMatchObject({
      ok: false,
      issues: [{ path: '/step_names', message: 'is required' }],
    });
    expect(validate('BatchProcessingOutcome', { type: 'CreateBatches' }).ok).toBe(false);
    expect(validate('DecisionPointOutcome', { type: 'no_branches' }).ok).toBe(true);
  });

  it('assertValid throws a WireValidationError with a stable code', () => {
    expect(() => assertValid('StepMessage', { task_uuid: 'X' })).toThrow(WireValidationError);
    try {
      assertValid('StepMessage', { task_uuid: 'X' });
    } catch (e) {
      expect((e as WireValidationError).code).toBe('wire_validation_failed');
      expect((e as Error).message).toMatch(/\/task_uuid: must be a lowercase hyphenated UUID/);
    }
  });
});

describe('decodeJson applies serde input rules', () => {
  it('fills TaskTemplate defaults and reads the depends_on / step_type aliases', () => {
    const t = decodeJson(
      'TaskTemplate',
      JSON.stringify({
        name: 't',
        namespace_name: 'n',
        version: '1',
        steps: [{ name: 'a', step_type: 'decision', depends_on: ['x'], handler: { callable: 'c' } }],
      }),
    );
    expect(t.system_dependencies).toEqual({ primary: 'default', secondary: [] });
    expect(t.steps[0]).toMatchObject({
      type: 'decision',
      dependencies: ['x'],
      retry: { backoff_base_ms: 1000 },
    });
  });

  it('rejects both a field and its alias, like serde ("duplicate field")', () => {
    expect(() =>
      decodeJson(
        'StepDefinition',
        '{"name":"s","handler":{"callable":"c"},"dependencies":[],"depends_on":[]}',
      ),
    ).toThrow(/duplicate field `dependencies`/);
  });
});
