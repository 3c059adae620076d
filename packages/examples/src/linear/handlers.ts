import { type StepContext, StepHandler } from '@tasker-bridge/core';
import { requireEvenNumber } from '../shared/even-number.js';

/**
 * Linear workflow `linear_workflow_ts/mathematical_sequence_ts`: square → add → multiply → divide.
 * The TS/Python convention (docs/upstream-workers.md §4.2): n=6 gives 36 → 46 → 138 → 69. Ruby and Rust square at
 * every step instead (6^16); we follow TS/Python. The constants come from the template's `initialization`
 * (`constant: 10`, `factor: 3`, `divisor: 2`), which upstream's YAML declares but its handlers hard-code.
 */
function configNumber(context: StepContext, key: string, fallback: number): number {
  const value = context.getConfig<unknown>(key);
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export class LinearStep1Handler extends StepHandler {
  static override handlerName = 'LinearWorkflow.StepHandlers.LinearStep1Handler';

  call(context: StepContext) {
    const n = requireEvenNumber(context.inputData.even_number);
    return this.success({ squared_value: n * n, operation: 'square', input: n });
  }
}

export class LinearStep2Handler extends StepHandler {
  static override handlerName = 'LinearWorkflow.StepHandlers.LinearStep2Handler';

  call(context: StepContext) {
    const squared = context.requireDependencyResult<{ squared_value: number }>('linear_step_1').squared_value;
    const constant = configNumber(context, 'constant', 10);
    return this.success({ added_value: squared + constant, operation: 'add', constant, input: squared });
  }
}

export class LinearStep3Handler extends StepHandler {
  static override handlerName = 'LinearWorkflow.StepHandlers.LinearStep3Handler';

  call(context: StepContext) {
    const added = context.requireDependencyResult<{ added_value: number }>('linear_step_2').added_value;
    const factor = configNumber(context, 'factor', 3);
    return this.success({ multiplied_value: added * factor, operation: 'multiply', factor, input: added });
  }
}

export class LinearStep4Handler extends StepHandler {
  static override handlerName = 'LinearWorkflow.StepHandlers.LinearStep4Handler';

  call(context: StepContext) {
    const multiplied = context.requireDependencyResult<{ multiplied_value: number }>(
      'linear_step_3',
    ).multiplied_value;
    const divisor = configNumber(context, 'divisor', 2);
    return this.success({
      final_value: multiplied / divisor,
      operation: 'divide',
      divisor,
      input: multiplied,
    });
  }
}

export const linearWorkflowHandlers = [
  LinearStep1Handler,
  LinearStep2Handler,
  LinearStep3Handler,
  LinearStep4Handler,
] as const;
