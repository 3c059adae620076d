// @tasker-bridge/client — a typed client for tasker-orchestration 0.1.8's REST API (docs/wire-types.md §18).

export type {
  ApiErrorBody,
  PaginationInfo,
  StepReadinessStatus,
  TaskListQuery,
  TaskListResponse,
  TaskRequest,
  TaskResponse,
  TaskState,
} from '@tasker-bridge/schemas';
export { type ClientAuth, DEFAULT_API_KEY_HEADER, type TokenSource } from './auth.js';
export {
  type CallOptions,
  TaskerClient,
  type TaskerClientOptions,
  type WaitForTaskOptions,
} from './client.js';
export {
  AuthenticationError,
  AuthorizationError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  type HttpFailure,
  InvalidRequestError,
  TaskerClientError,
  TaskerConnectionError,
  TaskerHttpError,
  TaskerResponseError,
  TaskIdentityConflictError,
  TaskNotCancellableError,
  TaskNotFoundError,
  TaskWaitTimeoutError,
  TemplateNotFoundError,
} from './errors.js';
export { LIST_STATUS_FILTERS, type ListStatusFilter, type ListTasksQuery } from './list-query.js';
export type { RetryOptions } from './retry.js';
export {
  type CreateTaskRequest,
  type TaskRequestDefaults,
  UPSTREAM_REQUEST_DEFAULTS,
} from './task-request.js';
export { SETTLED_TASK_STATES, TERMINAL_TASK_STATES } from './task-states.js';
