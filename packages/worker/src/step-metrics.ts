import type { StepInterceptor } from './interceptors.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * The worker's step metrics as an interceptor (README "Interceptors"): executions, steps running now, execution
 * time and the outcome, recorded once from the result every step ends with — after the user's interceptors,
 * which run inside this one, have settled it.
 */
export function metricsInterceptor(metrics: WorkerMetrics): StepInterceptor {
  return async function recordStepMetrics(ctx, next) {
    const labels = { namespace: ctx.namespace };
    metrics.stepsExecutions.inc(labels);
    metrics.activeExecutions.add(1, labels);
    const started = performance.now();
    try {
      const result = await next();
      metrics.executionDuration.observe(Math.round(performance.now() - started), {
        namespace: ctx.namespace,
        result: result.success ? 'success' : 'error',
      });
      if (result.success) metrics.stepsSuccesses.inc(labels);
      else {
        metrics.stepsFailures.inc({
          namespace: ctx.namespace,
          error_type: result.metadata?.error_type ?? 'unknown',
        });
      }
      return result;
    } finally {
      metrics.activeExecutions.add(-1, labels);
    }
  };
}
