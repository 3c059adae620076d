import { describe, expect, it } from 'vitest';
import {
  checkpointYield,
  defineHandler,
  failure,
  type HandlerSource,
  PermanentError,
  type StepContext,
  StepHandler,
} from '../src/index.js';
import { type HandlerRun, type RunHandlerOptions, runHandler } from '../src/testing/index.js';

/** One piece of handler logic, written once and run through both handler styles. */
function logic(ctx: StepContext): unknown {
  const mode = ctx.getInput<string>('mode');
  if (mode === 'compute') {
    const base = ctx.getDependencyResult<{ value: number }>('step_1')?.value ?? 0;
    return { value: base * Number(ctx.getConfig('factor')), attempt: ctx.attempt };
  }
  if (mode === 'fail') return failure('declined', { errorType: 'payment_error', errorCode: 'DECLINED' });
  if (mode === 'throw') throw new PermanentError('invalid order', { errorCode: 'INVALID' });
  if (mode === 'yield') return { yielded: ctx.checkpointCursor() ?? null };
  return ctx.getInput('missing_field');
}

class ClassStyle extends StepHandler {
  call(ctx: StepContext) {
    if (ctx.getInput('mode') === 'yield' && !ctx.hasCheckpoint()) {
      return this.checkpointYield({ cursor: 10, itemsProcessed: 10 });
    }
    return logic(ctx);
  }
  refund(ctx: StepContext) {
    return { refunded: ctx.getInput('mode') };
  }
}

const functional = defineHandler(
  'Parity.Functional',
  { methods: { refund: ({ context }) => ({ refunded: context.getInput('mode') }) } },
  ({ context }) => {
    if (context.getInput('mode') === 'yield' && !context.hasCheckpoint()) {
      return checkpointYield({ cursor: 10, itemsProcessed: 10 });
    }
    return logic(context) as never;
  },
);

/** The run with per-run noise (uuids, timestamps, durations, stack frames) removed. */
function comparable(run: HandlerRun): unknown {
  const r = run.result;
  return {
    type: run.outcome.type,
    checkpoint: run.checkpoint === undefined ? undefined : { ...run.checkpoint, step_uuid: 'x' },
    result:
      r === undefined
        ? undefined
        : {
            ...r,
            step_uuid: 'x',
            metadata: { ...r.metadata, execution_time_ms: 0, completed_at: 'x', started_at: 'x' },
            error: r.error === null || r.error === undefined ? r.error : { ...r.error, backtrace: 'x' },
          },
  };
}

const scenarios: [string, RunHandlerOptions][] = [
  [
    'compute with deps, config and attempts',
    {
      input: { mode: 'compute' },
      dependencies: { step_1: { value: 7 } },
      handler: { initialization: { factor: 3 } },
      attempts: 1,
    },
  ],
  ['failure() result', { input: { mode: 'fail' } }],
  ['thrown PermanentError', { input: { mode: 'throw' } }],
  ['missing input', { input: { mode: 'missing' } }],
  ['checkpoint yield', { input: { mode: 'yield' } }],
  ['resume after yield', { input: { mode: 'yield' }, checkpoint: { cursor: 10, items_processed: 10 } }],
  ['method dispatch', { input: { mode: 'm' }, handler: { method: 'refund' } }],
];

describe('StepHandler class and defineHandler are equally capable', () => {
  it.each(scenarios)('%s gives the same outcome in both styles', async (_name, options) => {
    const run = (source: HandlerSource) =>
      runHandler(source, { ...options, handler: { callable: 'Parity.Handler', ...options.handler } });
    const [fromClass, fromFunction] = await Promise.all([run(ClassStyle), run(functional)]);
    expect(comparable(fromFunction)).toEqual(comparable(fromClass));
  });

  it('produces the expected values for the compute scenario', async () => {
    const run = await runHandler(functional, scenarios[0]?.[1]);
    expect(run.value).toEqual({ value: 21, attempt: 2 });
  });
});
