// TypeScript handlers written for the fleet tests (the examples' handlers come from @tasker-bridge/examples).
// Each has a Python twin in test/fleet/python/fleet_handlers/ producing the same result or error, field for field.

import { defineHandler, failure } from '@tasker-bridge/core';

/** Fails (retryable) while the step's earlier attempts are fewer than the task context's `fail_times`. */
export const flakyStep = defineHandler<{ fail_times?: number }>(
  'fleet_shared.flaky_step',
  ({ context, input }) => {
    const failTimes = Number(input.fail_times ?? 1);
    const attempt = context.retryCount;
    if (attempt < failTimes) {
      return failure(`transient failure on attempt ${attempt}`, {
        errorType: 'retryable_error',
        retryable: true,
        errorCode: 'FLEET_TRANSIENT',
      });
    }
    return { recovered_after: attempt };
  },
);

export const permanentFailure = defineHandler('fleet_shared.permanent_failure', () =>
  failure('this step always fails permanently', {
    errorType: 'permanent_error',
    retryable: false,
    errorCode: 'FLEET_PERMANENT',
  }),
);

/** Python aliases for the shared-namespace failure templates (test/fleet/templates/shared). */
export const PYTHON_FAILURE_ALIASES: Record<string, string> = {
  'fleet_shared.flaky_step': 'fleet_handlers.failures.PyFlakyStep',
  'fleet_shared.permanent_failure': 'fleet_handlers.failures.PyPermanentFailure',
};

/** Python twins (python/fleet_handlers/examples.py) of @tasker-bridge/examples' linear and diamond handlers. */
export const PYTHON_EXAMPLE_ALIASES: Record<string, string> = {
  'LinearWorkflow.StepHandlers.LinearStep1Handler': 'fleet_handlers.examples.LinearStep1',
  'LinearWorkflow.StepHandlers.LinearStep2Handler': 'fleet_handlers.examples.LinearStep2',
  'LinearWorkflow.StepHandlers.LinearStep3Handler': 'fleet_handlers.examples.LinearStep3',
  'LinearWorkflow.StepHandlers.LinearStep4Handler': 'fleet_handlers.examples.LinearStep4',
  'diamond_workflow.step_handlers.DiamondStartHandler': 'fleet_handlers.examples.DiamondStart',
  'diamond_workflow.step_handlers.DiamondBranchBHandler': 'fleet_handlers.examples.DiamondBranchB',
  'diamond_workflow.step_handlers.DiamondBranchCHandler': 'fleet_handlers.examples.DiamondBranchC',
  'diamond_workflow.step_handlers.DiamondEndHandler': 'fleet_handlers.examples.DiamondEnd',
};
