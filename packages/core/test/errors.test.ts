import { describe, expect, it, vi } from 'vitest';
import {
  boundedBacktrace,
  coerceError,
  ErrorType,
  HandlerError,
  isStandard,
  isTypicallyRetryable,
  normalizeErrorType,
  PermanentError,
  RetryableError,
  TimeoutError,
  ValidationError,
} from '../src/index.js';

describe('error types', () => {
  it('uses the snake_case vocabulary of Rust, upstream TS and Python', () => {
    expect(Object.values(ErrorType).sort()).toEqual(
      ['handler_error', 'permanent_error', 'retryable_error', 'timeout', 'validation_error'].sort(),
    );
  });

  it("reads Ruby's PascalCase names as the standard types", () => {
    expect(normalizeErrorType('PermanentError')).toBe('permanent_error');
    expect(normalizeErrorType('RetryableError')).toBe('retryable_error');
    expect(normalizeErrorType('ValidationError')).toBe('validation_error');
    expect(normalizeErrorType('TimeoutError')).toBe('timeout');
    expect(normalizeErrorType('UnexpectedError')).toBe('handler_error');
    expect(normalizeErrorType('payment_error')).toBe('payment_error');
    expect(isStandard('PermanentError')).toBe(true);
    expect(isStandard('timeout')).toBe(true);
    expect(isStandard('custom_error')).toBe(false);
  });

  it("classifies typical retryability as Rust's is_typically_retryable", () => {
    expect(isTypicallyRetryable('retryable_error')).toBe(true);
    expect(isTypicallyRetryable('timeout')).toBe(true);
    expect(isTypicallyRetryable('RetryableError')).toBe(true);
    expect(isTypicallyRetryable('permanent_error')).toBe(false);
    expect(isTypicallyRetryable('validation_error')).toBe(false);
    expect(isTypicallyRetryable('handler_error')).toBe(false);
  });
});

describe('error classes', () => {
  it('carry a stable errorType and retryability per class', () => {
    expect(new PermanentError('x')).toMatchObject({ errorType: 'permanent_error', retryable: false });
    expect(new RetryableError('x')).toMatchObject({ errorType: 'retryable_error', retryable: true });
    expect(new ValidationError('x', { field: 'amount' })).toMatchObject({
      errorType: 'validation_error',
      retryable: false,
      field: 'amount',
      context: { field: 'amount' },
    });
    expect(new TimeoutError('x')).toMatchObject({ errorType: 'timeout', retryable: true });
    expect(new HandlerError('x')).toMatchObject({ errorType: 'handler_error', retryable: true });
  });

  it('accept an error code, cause, metadata and retry-after', () => {
    const cause = new Error('socket closed');
    const error = new RetryableError('gateway down', {
      errorCode: 'GATEWAY_DOWN',
      cause,
      metadata: { gateway: 'stripe' },
      retryAfterSeconds: 30,
    });
    expect(error.errorCode).toBe('GATEWAY_DOWN');
    expect(error.cause).toBe(cause);
    expect(error.metadata).toEqual({ gateway: 'stripe' });
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.name).toBe('RetryableError');
  });

  it('keep instanceof working across a duplicate copy of the package', async () => {
    vi.resetModules();
    const copy = await import('../src/errors/classes.js');
    expect(copy.PermanentError).not.toBe(PermanentError);
    const foreign = new copy.PermanentError('from another copy');
    expect(foreign instanceof PermanentError).toBe(true);
    expect(foreign instanceof HandlerError).toBe(true);
    expect(foreign instanceof RetryableError).toBe(false);
    expect(new PermanentError('local') instanceof copy.PermanentError).toBe(true);
    expect(new Error('plain') instanceof PermanentError).toBe(false);
  });

  it('let user subclasses use the ordinary prototype check', () => {
    class CardDeclined extends PermanentError {}
    expect(new CardDeclined('no') instanceof CardDeclined).toBe(true);
    expect(new PermanentError('no') instanceof CardDeclined).toBe(false);
    expect(new CardDeclined('no') instanceof PermanentError).toBe(true);
  });
});

describe('coerceError', () => {
  it('returns handler errors unchanged', () => {
    const error = new PermanentError('x');
    expect(coerceError(error)).toBe(error);
  });

  it('turns an unexpected Error into a retryable handler_error keeping it as the cause', () => {
    const thrown = new TypeError('undefined is not a function');
    const error = coerceError(thrown);
    expect(error).toMatchObject({ errorType: 'handler_error', retryable: true, message: thrown.message });
    expect(error.cause).toBe(thrown);
    expect(error.stack).toBe(thrown.stack);
  });

  it('classifies network failures and aborts as retryable', () => {
    expect(coerceError(new TypeError('fetch failed'))).toMatchObject({
      errorType: 'retryable_error',
      errorCode: 'NETWORK_ERROR',
    });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(coerceError(reset)).toMatchObject({ errorType: 'retryable_error', errorCode: 'ECONNRESET' });
    expect(coerceError(new DOMException('The operation timed out', 'TimeoutError'))).toMatchObject({
      errorType: 'timeout',
      retryable: true,
    });
  });

  it('honours an error that declares its own retryability (e.g. upstream tasker errors)', () => {
    const upstream = Object.assign(new Error('declined'), { retryable: false, errorCode: 'DECLINED' });
    expect(coerceError(upstream)).toMatchObject({
      errorType: 'permanent_error',
      retryable: false,
      errorCode: 'DECLINED',
    });
  });

  it('describes non-Error throws deterministically', () => {
    expect(coerceError('boom')).toMatchObject({ message: 'boom', errorType: 'handler_error' });
    expect(coerceError({ code: 42 }).message).toBe('Non-error value thrown: {"code":42}');
    expect(coerceError(undefined).message).toBe('Non-error value thrown: undefined');
  });

  it('bounds the backtrace to 50 frames of 500 characters', () => {
    const error = new Error('deep');
    error.stack = [
      'Error: deep',
      ...Array.from({ length: 80 }, (_, i) => `    at f${i} (${'x'.repeat(900)})`),
    ].join('\n');
    const backtrace = boundedBacktrace(error) ?? [];
    expect(backtrace).toHaveLength(50);
    expect(backtrace.every((line) => line.length <= 500 && line.startsWith('at '))).toBe(true);
  });
});
