export type { StepDefinitionChanges, TestBatchOptions, TestStepOptions } from './build-step.js';
export { buildTaskSequenceStep, dependencyResult } from './build-step.js';
export type { HandlerRun, RunHandlerOptions, TestContextOptions } from './run-handler.js';
export { createStepContext, runHandler } from './run-handler.js';
