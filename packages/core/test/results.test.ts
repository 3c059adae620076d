import { describe, expect, it } from 'vitest';
import { defineHandler, failure, RetryableError, StepHandlerResult, success } from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

describe('result factories', () => {
  it('success carries the value and custom metadata', () => {
    const result = success({ charged: true }, { gateway: 'stripe' });
    expect(result).toMatchObject({
      success: true,
      result: { charged: true },
      metadata: { gateway: 'stripe' },
    });
    expect(result.error).toBeUndefined();
    expect(result instanceof StepHandlerResult).toBe(true);
  });

  it('failure defaults to a non-retryable handler_error (Rust is_typically_retryable)', () => {
    expect(failure('boom').error).toMatchObject({ errorType: 'handler_error', retryable: false });
    expect(failure('later', { errorType: 'retryable_error' }).error?.retryable).toBe(true);
    expect(failure('slow', { errorType: 'timeout' }).error?.retryable).toBe(true);
    expect(failure('explicit', { errorType: 'permanent_error', retryable: true }).error?.retryable).toBe(
      true,
    );
  });

  it('withErrorCode / withErrorType return an updated copy and keep retryability', () => {
    const original = failure('declined', { retryable: false });
    const changed = original.withErrorCode('CARD_DECLINED').withErrorType('payment_error');
    expect(changed.error).toMatchObject({
      errorCode: 'CARD_DECLINED',
      errorType: 'payment_error',
      retryable: false,
    });
    expect(original.error?.errorCode).toBeUndefined();
    const ok = success({});
    expect(ok.withErrorCode('X')).toBe(ok);
  });
});

describe('wire results from runStep', () => {
  it('write a success in the shape of Rust success(), with no orchestration hints unless the handler gave some', async () => {
    const run = await runHandler(
      defineHandler('ok', () => success({ charge_id: 'ch_1' }, { gateway: 'stripe' })),
      { workerId: 'worker_1' },
    );
    const result = expectWireValid(run.result);
    expect(result).toMatchObject({
      success: true,
      status: 'completed',
      result: { charge_id: 'ch_1' },
      error: null,
      orchestration_metadata: null,
      metadata: {
        handler_version: '1.0.0',
        retryable: false,
        worker_id: 'worker_1',
        worker_hostname: null,
        custom: { gateway: 'stripe' },
        error_code: null,
        error_type: null,
        context: {},
      },
    });
    expect(Number.isInteger(result.metadata.execution_time_ms)).toBe(true);
    expect(result.metadata.completed_at).toMatch(RFC3339_Z);
    expect(result.metadata.started_at).toMatch(RFC3339_Z);
  });

  it('write a failure with error and metadata.retryable equal, and no empty optional keys', async () => {
    const run = await runHandler(
      defineHandler('fails', () =>
        failure('Payment gateway timed out', {
          errorType: 'retryable_error',
          errorCode: 'GATEWAY_TIMEOUT',
          statusCode: 504,
          context: { http_method: 'POST' },
        }),
      ),
    );
    const result = expectWireValid(run.result);
    expect(result).toMatchObject({
      success: false,
      status: 'failed',
      result: {},
      metadata: { retryable: true, error_code: 'GATEWAY_TIMEOUT', error_type: 'retryable_error' },
      error: {
        message: 'Payment gateway timed out',
        error_type: 'retryable_error',
        backtrace: null,
        retryable: true,
        status_code: 504,
        context: { http_method: 'POST' },
      },
    });
    const bare = expectWireValid((await runHandler(defineHandler('bare', () => failure('no')))).result);
    expect(bare.error).not.toHaveProperty('status_code');
    expect(bare.error).not.toHaveProperty('context');
    expect(bare.metadata.retryable).toBe(false);
  });

  it('measure execution time in whole milliseconds', async () => {
    const run = await runHandler(
      defineHandler('slow', async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return {};
      }),
    );
    const time = expectWireValid(run.result).metadata.execution_time_ms ?? 0;
    expect(Number.isInteger(time)).toBe(true);
    expect(time).toBeGreaterThanOrEqual(25);
  });

  it('write a retry-after from failure() or a thrown error as the header plus a ServerRequested hint', async () => {
    const fromFailure = await runHandler(
      defineHandler('wait', () => failure('busy', { retryable: true, retryAfterSeconds: 12.2 })),
    );
    const fromError = await runHandler(
      defineHandler('wait', () => {
        throw new RetryableError('busy', { retryAfterSeconds: 12.2 });
      }),
    );
    for (const run of [fromFailure, fromError]) {
      expect(expectWireValid(run.result).orchestration_metadata).toEqual({
        headers: { 'retry-after': '13' },
        error_context: null,
        backoff_hint: { backoff_type: 'ServerRequested', delay_seconds: 13, context: null },
        custom: {},
      });
    }
    const plain = await runHandler(defineHandler('plain', () => failure('no')));
    expect(expectWireValid(plain.result).orchestration_metadata).toBeNull();
  });

  it('turn a retry-after into the header orchestration reads, with the backoff hint', async () => {
    const run = await runHandler(
      defineHandler('limited', () =>
        failure('slow down', {
          errorType: 'rate_limited',
          retryable: true,
          retryAfterSeconds: 30,
          backoffHint: { backoff_type: 'RateLimit', delay_seconds: 30, context: null },
        }),
      ),
    );
    const result = expectWireValid(run.result);
    expect(result.orchestration_metadata).toEqual({
      headers: { 'retry-after': '30' },
      error_context: null,
      backoff_hint: { backoff_type: 'RateLimit', delay_seconds: 30, context: null },
      custom: {},
    });
  });
});
