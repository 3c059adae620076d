import { describe, expect, it } from 'vitest';
import {
  ClassLookupResolver,
  defineHandler,
  type ExecutableHandler,
  HandlerRegistry,
  type HandlerResolver,
  markHandlerBase,
  type StepContext,
  StepHandler,
} from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

class MultiMethodHandler extends StepHandler {
  static override handlerName = 'ResolverTests.StepHandlers.MultiMethodHandler';
  call() {
    return { invoked_method: 'call' };
  }
  validate() {
    return { invoked_method: 'validate' };
  }
  process(ctx: StepContext) {
    return { invoked_method: 'process', amount: ctx.getInput<number>('amount') * 1.1 };
  }
}

class ConfiguredHandler extends StepHandler {
  call() {
    return { greeting: this.config.greeting };
  }
}

describe('HandlerRegistry', () => {
  it('registers, lists, checks and unregisters handlers', () => {
    const registry = new HandlerRegistry()
      .register(MultiMethodHandler)
      .register(defineHandler('fn.handler', () => ({})))
      .register('explicit.name', ConfiguredHandler);
    expect(registry.listHandlers()).toEqual([
      'ResolverTests.StepHandlers.MultiMethodHandler',
      'explicit.name',
      'fn.handler',
    ]);
    expect(registry.handlerCount).toBe(3);
    expect(registry.isRegistered('fn.handler')).toBe(true);
    expect(registry.unregister('fn.handler')).toBe(true);
    expect(registry.isRegistered('fn.handler')).toBe(false);
    registry.clear();
    expect(registry.listHandlers()).toEqual([]);
  });

  it('keeps registries isolated from one another', () => {
    const a = new HandlerRegistry().register('only.in.a', ConfiguredHandler);
    const b = new HandlerRegistry();
    expect(a.isRegistered('only.in.a')).toBe(true);
    expect(b.isRegistered('only.in.a')).toBe(false);
  });

  it('instantiates a class per resolution with the initialization; reuses objects', async () => {
    const registry = new HandlerRegistry().register('configured', ConfiguredHandler);
    const first = await registry.resolve({ callable: 'configured', initialization: { greeting: 'hi' } });
    const second = await registry.resolve({ callable: 'configured', initialization: { greeting: 'hi' } });
    expect(first).not.toBe(second);
    expect((first as ConfiguredHandler).config).toEqual({ greeting: 'hi' });
    const defined = defineHandler('shared', () => ({}));
    registry.register(defined);
    expect(await registry.resolve('shared')).toBe(defined);
  });

  it('accepts factories receiving the initialization', async () => {
    const registry = new HandlerRegistry().register('factory', (init) =>
      defineHandler('factory', () => ({ seen: init.answer })),
    );
    const run = await runHandler(registry, {
      handler: { callable: 'factory', initialization: { answer: 42 } },
    });
    expect(run.value).toEqual({ seen: 42 });
  });

  it('fails an unknown handler permanently with handler_not_found, as Rust', async () => {
    const run = await runHandler(new HandlerRegistry(), { handler: { callable: 'Missing.Handler' } });
    const result = expectWireValid(run.result);
    expect(result).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'handler_not_found' },
      error: { error_type: 'handler_not_found', retryable: false },
    });
    expect(result.error?.message).toContain('Missing.Handler');
  });

  it('lists template callables that nothing resolves', async () => {
    const registry = new HandlerRegistry().register(MultiMethodHandler);
    const template = {
      name: 't',
      namespace_name: 'n',
      version: '1',
      steps: [
        { name: 'a', handler: { callable: 'ResolverTests.StepHandlers.MultiMethodHandler' } },
        { name: 'b', handler: { callable: 'Nope.Handler' } },
        {
          name: 'c',
          handler: { callable: 'ResolverTests.StepHandlers.MultiMethodHandler', method: 'absent' },
        },
      ],
    };
    expect(await registry.missingHandlers(template)).toEqual([
      'Nope.Handler',
      'ResolverTests.StepHandlers.MultiMethodHandler',
    ]);
    await expect(registry.missingHandlers({ ...template, steps: [{ name: 'a' }] } as never)).rejects.toThrow(
      /\/steps\/0\/handler: is required/,
    );
  });
});

describe('method dispatch (handler.method)', () => {
  const registry = new HandlerRegistry().register(MultiMethodHandler);
  const callable = MultiMethodHandler.handlerName;

  it.each([
    [undefined, 'call'],
    ['call', 'call'],
    ['validate', 'validate'],
    ['process', 'process'],
  ])('method %s invokes %s', async (method, invoked) => {
    const run = await runHandler(registry, {
      handler: { callable, ...(method === undefined ? {} : { method }) },
      input: { amount: 100 },
    });
    expect(run.value).toMatchObject({ invoked_method: invoked });
  });

  it('computes with the dispatched method', async () => {
    const run = await runHandler(registry, {
      handler: { callable, method: 'process' },
      input: { amount: 100 },
    });
    expect((run.value as { amount: number }).amount).toBeCloseTo(110);
  });

  it('fails permanently when the method does not exist instead of running call', async () => {
    const run = await runHandler(registry, { handler: { callable, method: 'refund' } });
    expect(run).toMatchObject({ success: false, retryable: false, errorType: 'method_not_found' });
  });

  it.each([
    'toString',
    'constructor',
    'success',
    'failure',
    'checkpointYield',
    'hasOwnProperty',
    '__proto__',
  ])('refuses %s, which the handler class does not declare, as method_not_found', async (method) => {
    const run = await runHandler(registry, { handler: { callable, method } });
    expect(run).toMatchObject({ success: false, retryable: false, errorType: 'method_not_found' });
    expect(run.result?.error?.context).toMatchObject({ methods: ['call', 'process', 'validate'] });
  });

  it("limits a class to its static handlerMethods and skips a marked base class's helpers", async () => {
    class Helpers extends StepHandler {
      static {
        markHandlerBase(Helpers);
      }
      call() {
        return {};
      }
      audit() {
        return { audited: true };
      }
    }
    class Refunds extends Helpers {
      static override handlerMethods = ['refund'];
      refund() {
        return { refunded: true };
      }
      internal() {
        return { internal: true };
      }
    }
    const refunds = new HandlerRegistry().register('refunds', Refunds);
    expect((await runHandler(refunds, { handler: { callable: 'refunds', method: 'refund' } })).value).toEqual(
      {
        refunded: true,
      },
    );
    for (const method of ['internal', 'audit']) {
      const run = await runHandler(refunds, { handler: { callable: 'refunds', method } });
      expect(run.errorType).toBe('method_not_found');
    }
  });

  it('refuses what a defined handler does not declare, its own properties included', async () => {
    const defined = defineHandler('plain', () => ({}));
    for (const method of ['name', 'schemas', 'toString', 'version']) {
      const run = await runHandler(defined, { handler: { callable: 'plain', method } });
      expect(run.errorType).toBe('method_not_found');
    }
  });

  it('dispatches methods of defined handlers too', async () => {
    const defined = defineHandler(
      'multi',
      { methods: { refund: () => ({ invoked_method: 'refund' }) } },
      () => ({
        invoked_method: 'call',
      }),
    );
    const run = await runHandler(defined, { handler: { callable: 'multi', method: 'refund' } });
    expect(run.value).toEqual({ invoked_method: 'refund' });
  });
});

describe('resolver chain', () => {
  const modules = {
    PaymentHandlers: {
      ProcessPaymentHandler: MultiMethodHandler,
      Refund: defineHandler('refund', () => ({ r: 1 })),
    },
  };

  it('finds dotted and Ruby-style callables through a module root (class lookup, priority 100)', async () => {
    const registry = new HandlerRegistry({ resolvers: [new ClassLookupResolver(modules)] });
    expect(registry.listResolvers()).toEqual(['explicit_mapping', 'class_lookup']);
    expect(
      (await runHandler(registry, { handler: { callable: 'PaymentHandlers.ProcessPaymentHandler' } })).value,
    ).toEqual({
      invoked_method: 'call',
    });
    expect((await runHandler(registry, { handler: { callable: 'PaymentHandlers::Refund' } })).value).toEqual({
      r: 1,
    });
    expect(await registry.resolve('PaymentHandlers.Nothing')).toBeNull();
    expect(await registry.resolve('PaymentHandlers.constructor')).toBeNull();
  });

  it('prefers explicit mapping (priority 10) over class lookup', async () => {
    const registry = new HandlerRegistry({ resolvers: [new ClassLookupResolver(modules)] }).register(
      'PaymentHandlers.Refund',
      defineHandler('explicit', () => ({ explicit: true })),
    );
    expect((await runHandler(registry, { handler: { callable: 'PaymentHandlers.Refund' } })).value).toEqual({
      explicit: true,
    });
  });

  it('honours a resolver hint, bypassing the chain', async () => {
    const registry = new HandlerRegistry({ resolvers: [new ClassLookupResolver(modules)] }).register(
      'PaymentHandlers.Refund',
      defineHandler('explicit', () => ({ explicit: true })),
    );
    const hinted = await runHandler(registry, {
      handler: { callable: 'PaymentHandlers.Refund', resolver: 'class_lookup' },
    });
    expect(hinted.value).toEqual({ r: 1 });
    const unknown = await runHandler(registry, {
      handler: { callable: 'PaymentHandlers.Refund', resolver: 'nope' },
    });
    expect(unknown).toMatchObject({ success: false, retryable: false, errorType: 'handler_not_found' });
  });

  it('runs custom resolvers in priority order', async () => {
    const seen: string[] = [];
    const prefixResolver = (name: string, priority: number): HandlerResolver => ({
      name,
      priority,
      canResolve: (def) => def.callable.startsWith('custom:'),
      resolve: async (def): Promise<ExecutableHandler> => {
        seen.push(name);
        return defineHandler(def.callable, () => ({ by: name }));
      },
    });
    const registry = new HandlerRegistry()
      .addResolver(prefixResolver('late', 200))
      .addResolver(prefixResolver('early', 50));
    expect(registry.listResolvers()).toEqual(['explicit_mapping', 'early', 'late']);
    expect((await runHandler(registry, { handler: { callable: 'custom:thing' } })).value).toEqual({
      by: 'early',
    });
    expect(seen).toEqual(['early']);
  });
});
