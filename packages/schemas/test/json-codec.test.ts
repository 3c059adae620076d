import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson, type StepExecutionResult, WireValidationError } from '../src/index.js';

const stepUuid = '0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81';

function success(): StepExecutionResult {
  return {
    step_uuid: stepUuid,
    success: true,
    result: { charged: true, amount: 99.5 },
    metadata: {
      execution_time_ms: 42,
      handler_version: null,
      retryable: false,
      completed_at: '2026-03-21T12:00:01.250Z',
      worker_id: null,
      worker_hostname: null,
      started_at: null,
      custom: {},
      error_code: null,
      error_type: null,
      context: {},
    },
    status: 'completed',
    error: null,
    orchestration_metadata: null,
  };
}

describe('encodeJson', () => {
  it('writes the fields in Rust declaration order and Value objects key-sorted', () => {
    const text = encodeJson('StepExecutionResult', success());
    expect(Object.keys(JSON.parse(text))).toEqual([
      'step_uuid',
      'success',
      'result',
      'metadata',
      'status',
      'error',
      'orchestration_metadata',
    ]);
    expect(text).toContain('"result":{"amount":99.5,"charged":true}');
  });

  it('rejects a float where Rust has an integer, naming the path', () => {
    const value = success();
    value.metadata.execution_time_ms = 12.5;
    expect(() => encodeJson('StepExecutionResult', value)).toThrowError(
      /\/metadata\/execution_time_ms: must be integer/,
    );
  });

  it('rejects an orchestration_metadata without headers and custom (Rust rejects `{}`)', () => {
    const value = { ...success(), orchestration_metadata: {} } as unknown as StepExecutionResult;
    try {
      encodeJson('StepExecutionResult', value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireValidationError);
      expect((e as WireValidationError).code).toBe('wire_validation_failed');
      expect((e as WireValidationError).issues.map((i) => i.path)).toEqual([
        '/orchestration_metadata/headers',
        '/orchestration_metadata/custom',
      ]);
    }
  });

  it('re-prints timestamps the way chrono does (AutoSi fraction, offset folded into Z)', () => {
    const value = success();
    value.metadata.completed_at = '2026-03-21T14:00:01.000+02:00';
    value.metadata.started_at = '2026-03-21T12:00:00.120000Z';
    const parsed = JSON.parse(encodeJson('StepExecutionResult', value));
    expect(parsed.metadata.completed_at).toBe('2026-03-21T12:00:01Z');
    expect(parsed.metadata.started_at).toBe('2026-03-21T12:00:00.120Z');
  });

  it('accepts bigint for 64-bit fields and writes it exactly', () => {
    const value = success();
    value.metadata.execution_time_ms = 2n ** 62n;
    expect(encodeJson('StepExecutionResult', value)).toContain('"execution_time_ms":4611686018427387904');
  });

  it('rejects an unsafe integer number where a bigint is needed', () => {
    const value = success();
    value.metadata.execution_time_ms = 2 ** 60;
    expect(() => encodeJson('StepExecutionResult', value)).toThrowError(/must be passed as bigint/);
  });
});

describe('decodeJson', () => {
  it('ignores unknown keys and fills serde defaults like Rust', () => {
    const decoded = decodeJson(
      'StepExecutionResult',
      `{"step_uuid":"${stepUuid}","success":true,"status":"completed","result":{"charged":true},"camelCase":1,
        "metadata":{"execution_time_ms":42,"retryable":false,"completed_at":"2026-03-21T12:00:01.250Z"}}`,
    );
    expect(decoded).not.toHaveProperty('camelCase');
    expect(decoded.error).toBeNull();
    expect(decoded.metadata.custom).toEqual({});
    expect(decoded.metadata.handler_version).toBeNull();
  });

  it('keeps integers beyond 2^53 exact as bigint', () => {
    const text = encodeJson('StepExecutionResult', { ...success(), result: { big: 12345678901234567890n } });
    expect(decodeJson('StepExecutionResult', text).result).toEqual({ big: 12345678901234567890n });
  });

  it('rejects a Z on a NaiveDateTime', () => {
    expect(() =>
      decodeJson(
        'Task',
        JSON.stringify({
          task_uuid: stepUuid,
          named_task_uuid: stepUuid,
          complete: false,
          requested_at: '2026-03-21T12:00:00Z',
          identity_hash: 'h',
          priority: 0,
          created_at: '2026-03-21T12:00:00',
          updated_at: '2026-03-21T12:00:00',
          correlation_id: stepUuid,
        }),
      ),
    ).toThrowError(/\/requested_at: must be a timestamp with no zone/);
  });
});
