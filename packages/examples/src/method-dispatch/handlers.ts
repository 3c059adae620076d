import { type StepContext, StepHandler, ValidationError } from '@tasker-bridge/core';

/**
 * Method dispatch and resolver hints (`resolver_tests_ts/method_dispatch_ts`, `resolver_tests_ts/resolver_hints_ts`).
 * One handler class, several entry points: the template's `handler.method` picks `validate`, `process`
 * (amount × 1.1, a 10 % fee), `refund` or the default `call`; each result says which ran (`invoked_method`),
 * which upstream TS never achieved (docs/upstream-workers.md §2.6, §4.2). `handler.resolver: explicit_mapping` names
 * the resolver that must resolve the callable.
 */
interface DispatchInput {
  data?: { amount?: number; reason?: string };
  action_type?: string;
}

const data = (context: StepContext) => (context.inputData as DispatchInput).data ?? {};

export class MultiMethodHandler extends StepHandler {
  static override handlerName = 'ResolverTests.StepHandlers.MultiMethodHandler';

  call(context: StepContext) {
    return this.success({
      invoked_method: 'call',
      handler: 'MultiMethodHandler',
      input_received: data(context),
    });
  }

  validate(context: StepContext) {
    const input = data(context);
    if (typeof input.amount !== 'number')
      throw new ValidationError('data.amount is required', { field: 'data.amount' });
    return this.success({
      invoked_method: 'validate',
      handler: 'MultiMethodHandler',
      validated: true,
      input_validated: input,
    });
  }

  process(context: StepContext) {
    const amount = data(context).amount ?? 0;
    // Cents, so 100 → 110 exactly rather than 110.00000000000001.
    const processedCents = Math.round(amount * 110);
    return this.success({
      invoked_method: 'process',
      handler: 'MultiMethodHandler',
      original_amount: amount,
      processed_amount: processedCents / 100,
      processing_fee: (processedCents - Math.round(amount * 100)) / 100,
    });
  }

  refund(context: StepContext) {
    const input = data(context);
    return this.success({
      invoked_method: 'refund',
      handler: 'MultiMethodHandler',
      refund_amount: input.amount ?? 0,
      refund_reason: input.reason ?? 'not_specified',
      refund_id: `refund_${context.stepUuid.slice(0, 8)}`,
    });
  }
}

export class AlternateMethodHandler extends StepHandler {
  static override handlerName = 'ResolverTests.StepHandlers.AlternateMethodHandler';

  call() {
    return this.success({ invoked_method: 'call', handler: 'AlternateMethodHandler' });
  }

  execute_action(context: StepContext) {
    return this.success({
      invoked_method: 'execute_action',
      handler: 'AlternateMethodHandler',
      action_type: (context.inputData as DispatchInput).action_type ?? 'default_action',
    });
  }
}

export const methodDispatchHandlers = [MultiMethodHandler, AlternateMethodHandler] as const;
