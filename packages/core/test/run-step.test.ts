import { encodeJson, parseJsonText } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import {
  defineHandler,
  HandlerRegistry,
  noopLogger,
  PermanentError,
  RetryableError,
  runStep,
  StepHandler,
  ValidationError,
} from '../src/index.js';
import { buildTaskSequenceStep, runHandler } from '../src/testing/index.js';
import { expectWireValid, recordingLogger } from './support.js';

describe('runStep', () => {
  it('normalises plain return values into successes', async () => {
    const value = async (v: unknown) => (await runHandler(defineHandler('v', () => v))).value;
    expect(await value({ a: 1 })).toEqual({ a: 1 });
    expect(await value([1, 2])).toEqual([1, 2]);
    expect(await value(undefined)).toEqual({});
    expect(await value(null)).toEqual({});
    expect(await value(42)).toEqual({ result: 42 });
    expect(await value('done')).toEqual({ result: 'done' });
  });

  it('accepts plain objects from class handlers', async () => {
    class Plain extends StepHandler {
      call() {
        return { plain: true };
      }
    }
    const run = await runHandler(Plain);
    expect(expectWireValid(run.result)).toMatchObject({ success: true, result: { plain: true } });
  });

  it('writes a BigInt beyond 64 bits as a decimal string (as Rust writes u128 results)', async () => {
    const run = await runHandler(defineHandler('big', () => ({ value: 6n ** 32n, at: new Date(0) })));
    expect(run.value).toEqual({ value: '7958661109946400884391936', at: '1970-01-01T00:00:00.000Z' });
  });

  it('keeps 64-bit BigInts as exact integers and __proto__ keys as data in the wire result', async () => {
    const input = parseJsonText(
      '{"__proto__":{"id":9007199254740993},"ids":[18446744073709551615,-9223372036854775808]}',
    );
    const run = await runHandler(
      defineHandler('echo', ({ input }) => ({ echoed: input, small: 5n })),
      { input: input as Record<string, unknown> },
    );
    const result = expectWireValid(run.result);
    expect(Object.keys(run.value as object)).toEqual(['echoed', 'small']);
    expect((run.value as { small: unknown }).small).toBe(5);
    expect(encodeJson('StepExecutionResult', result)).toContain(
      '"result":{"echoed":{"__proto__":{"id":9007199254740993},"ids":[18446744073709551615,-9223372036854775808]},"small":5}',
    );
  });

  it.each([
    [
      'PermanentError',
      () => new PermanentError('declined', { errorCode: 'DECLINED' }),
      'permanent_error',
      false,
    ],
    ['RetryableError', () => new RetryableError('later'), 'retryable_error', true],
    ['ValidationError', () => new ValidationError('bad', { field: 'x' }), 'validation_error', false],
    ['TypeError', () => new TypeError('oops'), 'handler_error', true],
    ['a string', () => 'thrown string', 'handler_error', true],
  ])('turns a thrown %s into a deterministic failure', async (_name, make, errorType, retryable) => {
    const run = await runHandler(
      defineHandler('throws', () => {
        throw make();
      }),
    );
    const result = expectWireValid(run.result);
    expect(result.status).toBe('failed');
    expect(result.metadata).toMatchObject({ error_type: errorType, retryable });
    expect(result.error).toMatchObject({ error_type: errorType, retryable });
  });

  it('keeps the cause chain and a bounded stack of a thrown error', async () => {
    const run = await runHandler(
      defineHandler('causes', () => {
        throw new PermanentError('charge failed', {
          cause: new Error('card expired', { cause: 'issuer said no' }),
        });
      }),
    );
    const error = expectWireValid(run.result).error;
    expect(error?.context).toEqual({
      cause: [
        { name: 'Error', message: 'card expired' },
        { name: 'string', message: 'issuer said no' },
      ],
    });
    expect(error?.backtrace?.length).toBeGreaterThan(0);
    expect(error?.backtrace?.length).toBeLessThanOrEqual(50);
    expect(error?.backtrace?.every((line) => line.startsWith('at '))).toBe(true);
    expect(run.result?.metadata.error_code).toBeNull();
  });

  it('times out a handler, aborts its signal and fails retryably with handler_timeout', async () => {
    let sawAbort = false;
    const run = await runHandler(
      defineHandler('hangs', ({ signal }) => {
        signal.addEventListener('abort', () => {
          sawAbort = true;
        });
        return new Promise(() => {});
      }),
      { timeoutMs: 30 },
    );
    expect(sawAbort).toBe(true);
    expect(expectWireValid(run.result)).toMatchObject({
      success: false,
      metadata: { retryable: true, error_type: 'handler_timeout' },
      error: { message: 'Handler timed out after 30ms', context: { timeout_ms: 30 } },
    });
  });

  it("applies the step's timeout_seconds when shorter than the worker cap", async () => {
    const run = await runHandler(
      defineHandler('hangs', () => new Promise(() => {})),
      {
        timeoutMs: 60_000,
        stepDefinition: { timeout_seconds: 0.02 as number },
      },
    );
    expect(run.errorType).toBe('handler_timeout');
  });

  it('reports a timeout even when the handler rejects with its own abort error', async () => {
    const run = await runHandler(
      defineHandler(
        'fetchy',
        ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new DOMException('x', 'AbortError'))),
          ),
      ),
      { timeoutMs: 20 },
    );
    expect(run.errorType).toBe('handler_timeout');
  });

  it('fails retryably with handler_cancelled when the worker aborts', async () => {
    const controller = new AbortController();
    const pending = runHandler(
      defineHandler('slow', () => new Promise(() => {})),
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 10);
    const run = await pending;
    expect(run).toMatchObject({ success: false, retryable: true, errorType: 'handler_cancelled' });
  });

  it('never throws, even for a malformed step', async () => {
    const outcome = await runStep({
      registry: new HandlerRegistry(),
      step: { ...buildTaskSequenceStep(), step_definition: undefined } as never,
      signal: new AbortController().signal,
      logger: noopLogger,
    });
    expect(outcome.type).toBe('result');
    if (outcome.type === 'result') expect(outcome.result.success).toBe(false);
    const hollow = await runStep({
      registry: new HandlerRegistry(),
      step: {} as never,
      signal: new AbortController().signal,
      logger: noopLogger,
    });
    expect(hollow.type === 'result' && expectWireValid(hollow.result).success).toBe(false);
  });

  it('fails permanently when the result cannot be serialised', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const run = await runHandler(defineHandler('cyclic', () => cyclic));
    expect(expectWireValid(run.result)).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'result_serialization_error' },
    });
  });

  it('logs with upstream field names, including duration_ms', async () => {
    const logger = recordingLogger();
    const step = buildTaskSequenceStep({ namespace: 'payments', handler: { callable: 'h' } });
    await runStep({
      registry: new HandlerRegistry().register(
        'h',
        defineHandler('h', ({ logger: l }) => l.info({ inside: true }, 'hi')),
      ),
      step,
      signal: new AbortController().signal,
      logger,
    });
    const done = logger.entries.find((e) => e.msg === 'step completed');
    expect(done?.obj).toMatchObject({
      namespace: 'payments',
      task_uuid: step.task.task.task_uuid,
      step_uuid: step.workflow_step.workflow_step_uuid,
      correlation_id: step.task.task.correlation_id,
      success: true,
    });
    expect(typeof done?.obj.duration_ms).toBe('number');
    expect(logger.entries.find((e) => e.msg === 'hi')?.obj).toMatchObject({
      inside: true,
      namespace: 'payments',
    });
  });
});
