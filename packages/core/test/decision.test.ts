import { validate } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import {
  Decision,
  DecisionHandler,
  decisionSuccess,
  defineDecisionHandler,
  defineHandler,
  type StepContext,
  skipBranches,
} from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

const template = {
  name: 'approval_routing',
  namespace_name: 'conditional_approval',
  version: '1.0.0',
  steps: [
    { name: 'routing_decision', type: 'decision' as const, handler: { callable: 'Routing' } },
    { name: 'auto_approve', dependencies: ['routing_decision'], handler: { callable: 'Auto' } },
    { name: 'manager_approval', dependencies: ['routing_decision'], handler: { callable: 'Manager' } },
    { name: 'finance_review', dependencies: ['routing_decision'], handler: { callable: 'Finance' } },
  ],
};

function route(amount: number): string[] {
  if (amount < 1000) return ['auto_approve'];
  if (amount < 5000) return ['manager_approval'];
  return ['manager_approval', 'finance_review'];
}

class RoutingHandler extends DecisionHandler {
  static override allowedSteps = ['auto_approve', 'manager_approval', 'finance_review'];
  call(ctx: StepContext) {
    return this.route(route(ctx.getInput<number>('amount')), {
      routingContext: { amount: ctx.getInput('amount') },
    });
  }
}

describe('decision handlers', () => {
  it.each([
    [500, ['auto_approve']],
    [1000, ['manager_approval']],
    [2500, ['manager_approval']],
    [5000, ['manager_approval', 'finance_review']],
  ])('amount %d activates %j', async (amount, steps) => {
    const run = await runHandler(RoutingHandler, { template, input: { amount } });
    const result = expectWireValid(run.result);
    const outcome = (result.result as { decision_point_outcome: unknown }).decision_point_outcome;
    expect(outcome).toEqual({ type: 'create_steps', step_names: steps });
    expect(validate('DecisionPointOutcome', outcome).ok).toBe(true);
    expect((result.result as { routing_context: unknown }).routing_context).toEqual({ amount });
    expect(run.problems).toEqual([]);
  });

  it('writes no_branches with the reason', () => {
    expect(skipBranches('nothing to do').result).toEqual({
      decision_point_outcome: { type: 'no_branches' },
      reason: 'nothing to do',
    });
    expect(Decision.skip('x', { a: 1 }).result).toMatchObject({ routing_context: { a: 1 } });
  });

  it('validates activated step names', () => {
    expect(() => decisionSuccess([])).toThrow(/at least one/);
    expect(() => decisionSuccess(['a', 'a'])).toThrow(/twice/);
    expect(() => decisionSuccess([''])).toThrow(/non-empty/);
    expect(() => decisionSuccess(['other'], { allowedSteps: ['a'] })).toThrow(/not a declared branch/);
    expect(Decision.route(['a']).result).toEqual({
      decision_point_outcome: { type: 'create_steps', step_names: ['a'] },
    });
  });

  it('defineDecisionHandler routes from a list, skips on an empty one, and enforces allowedSteps', async () => {
    const handler = defineDecisionHandler(
      'Routing',
      { allowedSteps: ['auto_approve', 'manager_approval', 'finance_review'] },
      ({ context }) => {
        const amount = context.getInput<number>('amount');
        return amount <= 0 ? [] : amount > 1e6 ? ['ceo_approval'] : route(amount);
      },
    );
    expect((await runHandler(handler, { template, input: { amount: 500 } })).value).toMatchObject({
      decision_point_outcome: { type: 'create_steps', step_names: ['auto_approve'] },
    });
    expect((await runHandler(handler, { template, input: { amount: 0 } })).value).toMatchObject({
      decision_point_outcome: { type: 'no_branches' },
    });
    const rogue = await runHandler(handler, { template, input: { amount: 2e6 } });
    expect(rogue).toMatchObject({ success: false, retryable: false, errorType: 'permanent_error' });
  });

  it('fails a decision step permanently when its result has no valid outcome', async () => {
    const forgetful = defineHandler('Routing', () => ({ routed: true }));
    const missing = await runHandler(forgetful, { template });
    expect(expectWireValid(missing.result)).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'invalid_outcome' },
    });
    const malformed = await runHandler(
      defineHandler('Routing', () => ({ decision_point_outcome: { type: 'CreateSteps' } })),
      { template },
    );
    expect(malformed.errorType).toBe('invalid_outcome');
  });

  it('the test kit reports activated steps that are not children in the template', async () => {
    const run = await runHandler(
      defineHandler('Routing', () => Decision.route(['validate_request'])),
      { template },
    );
    expect(run.problems).toEqual([
      "decision 'routing_decision' activates 'validate_request', which is not one of its children in the template",
    ]);
  });
});
