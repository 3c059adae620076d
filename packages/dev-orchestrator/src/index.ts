export { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.js';
export { BatchProcessingError } from './batch-workers.js';
export { DecisionPointError } from './decision-points.js';
export {
  DevOrchestrator,
  type DevOrchestratorOptions,
  type StepSnapshot,
  type TaskSnapshot,
  TaskWaitTimeoutError,
} from './orchestrator.js';
export type { ProgressEvent } from './progress.js';
export type { StepState } from './step-state-machine.js';
export { type CreatedTask, DuplicateTaskError, type TaskRequest } from './task-initializer.js';
export type { TaskState } from './task-state-machine.js';
export { TemplateError } from './template.js';
