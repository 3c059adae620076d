// Every failure of the client is one of these classes, each with a stable `code` (docs/contributing.md "API
// shape"). `instanceof` works across duplicate copies of this package: instances carry the brands of their class
// chain under a global symbol, and each class checks that list instead of its prototype chain.
import type { TaskResponse } from '@tasker-bridge/schemas';

const BRANDS = Symbol.for('@tasker-bridge/client/error-brands');

export const CLIENT_ERROR_CODES = {
  HTTP_ERROR: 'http_error',
  TASK_IDENTITY_CONFLICT: 'task_identity_conflict',
  TASK_NOT_FOUND: 'task_not_found',
  TEMPLATE_NOT_FOUND: 'template_not_found',
  TASK_NOT_CANCELLABLE: 'task_not_cancellable',
  AUTHENTICATION_FAILED: 'authentication_failed',
  AUTHORIZATION_FAILED: 'authorization_failed',
  CONNECTION_FAILED: 'connection_failed',
  INVALID_RESPONSE: 'invalid_response',
  INVALID_REQUEST: 'invalid_request',
  WAIT_TIMEOUT: 'wait_timeout',
} as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];

/** Base class of every error the client throws (an abort throws the signal's reason instead). */
export abstract class TaskerClientError extends Error {
  static readonly brand: string = 'TaskerClientError';
  abstract readonly code: ClientErrorCode;
  declare readonly [BRANDS]: readonly string[];

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const ctor = new.target;
    this.name = ctor.name;
    const brands: string[] = [];
    for (let c: unknown = ctor; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'brand')) brands.push((c as typeof TaskerClientError).brand);
    }
    Object.defineProperty(this, BRANDS, { value: brands, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!Object.hasOwn(this, 'brand')) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [BRANDS]?: unknown })[BRANDS];
    return Array.isArray(brands) && brands.includes((this as typeof TaskerClientError).brand);
  }
}

/** What the server answered to a request that did not succeed. */
export interface HttpFailure {
  readonly method: string;
  /** The request path, e.g. `/v1/tasks/…` (no query string, no credentials). */
  readonly path: string;
  readonly status: number;
  /** `error.code` of the server's JSON error body (`NOT_FOUND`, `CONFLICT`, …); undefined for a plain-text body. */
  readonly serverCode: string | undefined;
  /** `error.message`, or the plain-text body (axum's own rejections, e.g. 422 for a body serde cannot read). */
  readonly serverMessage: string;
  /** From the error body or the `Retry-After` header. */
  readonly retryAfterSeconds: number | undefined;
  /** Requests sent, retries included. */
  readonly attempts: number;
}

/** The server answered with a non-2xx status that no more specific class below describes. */
export class TaskerHttpError extends TaskerClientError {
  static override readonly brand: string = 'TaskerHttpError';
  readonly code: ClientErrorCode = CLIENT_ERROR_CODES.HTTP_ERROR;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly serverCode: string | undefined;
  readonly serverMessage: string;
  readonly retryAfterSeconds: number | undefined;
  readonly attempts: number;

  constructor(failure: HttpFailure, message?: string) {
    super(
      message ??
        `${failure.method} ${failure.path} answered ${failure.status}${failure.serverCode ? ` ${failure.serverCode}` : ''}: ${failure.serverMessage}`,
    );
    this.method = failure.method;
    this.path = failure.path;
    this.status = failure.status;
    this.serverCode = failure.serverCode;
    this.serverMessage = failure.serverMessage;
    this.retryAfterSeconds = failure.retryAfterSeconds;
    this.attempts = failure.attempts;
  }
}

/**
 * 409 from `POST /v1/tasks`: a task with this identity exists. In 0.1.8 the identity is hash(named task,
 * context) for every request, and it is unique over all tasks ever created, finished ones included
 * (docs/wire-types.md §18.4).
 */
export class TaskIdentityConflictError extends TaskerHttpError {
  static override readonly brand: string = 'TaskIdentityConflictError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.TASK_IDENTITY_CONFLICT;
  /**
   * True when the 409 answered a retry: an earlier attempt of this same call may have created the task (its
   * answer was lost). The server's answer names no task either way.
   */
  readonly afterRetry: boolean;

  constructor(failure: HttpFailure) {
    const afterRetry = failure.attempts > 1;
    super(
      failure,
      `a task with this identity (named task + context) already exists${
        afterRetry
          ? `; answered to retry ${failure.attempts - 1}, so an earlier attempt of this call may have created it`
          : ''
      }`,
    );
    this.afterRetry = afterRetry;
  }
}

/** 404 from `GET`/`DELETE /v1/tasks/{uuid}`. */
export class TaskNotFoundError extends TaskerHttpError {
  static override readonly brand: string = 'TaskNotFoundError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.TASK_NOT_FOUND;
  readonly taskUuid: string;

  constructor(failure: HttpFailure, taskUuid: string) {
    super(failure, `task ${taskUuid} not found`);
    this.taskUuid = taskUuid;
  }
}

/** 404 from `POST /v1/tasks`: no template is registered under that namespace, name and version. */
export class TemplateNotFoundError extends TaskerHttpError {
  static override readonly brand: string = 'TemplateNotFoundError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.TEMPLATE_NOT_FOUND;
}

/** 400 from `DELETE /v1/tasks/{uuid}`: the task is in a terminal state. */
export class TaskNotCancellableError extends TaskerHttpError {
  static override readonly brand: string = 'TaskNotCancellableError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.TASK_NOT_CANCELLABLE;
  readonly taskUuid: string;

  constructor(failure: HttpFailure, taskUuid: string) {
    super(failure, `task ${taskUuid} cannot be cancelled: ${failure.serverMessage}`);
    this.taskUuid = taskUuid;
  }
}

/** 401: credentials missing, unknown, expired or malformed (`[orchestration.web.auth]`). */
export class AuthenticationError extends TaskerHttpError {
  static override readonly brand: string = 'AuthenticationError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.AUTHENTICATION_FAILED;
}

/** 403: the credentials lack the route's permission (e.g. `tasks:create`). */
export class AuthorizationError extends TaskerHttpError {
  static override readonly brand: string = 'AuthorizationError';
  override readonly code: ClientErrorCode = CLIENT_ERROR_CODES.AUTHORIZATION_FAILED;
}

/** No answer: the connection failed or an attempt timed out, on every attempt allowed. */
export class TaskerConnectionError extends TaskerClientError {
  static override readonly brand: string = 'TaskerConnectionError';
  readonly code: ClientErrorCode = CLIENT_ERROR_CODES.CONNECTION_FAILED;
  readonly method: string;
  readonly path: string;
  readonly attempts: number;

  constructor(method: string, path: string, attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? describeCause(cause) : String(cause);
    super(`${method} ${path}: no answer after ${attempts} attempt${attempts === 1 ? '' : 's'} (${reason})`, {
      cause,
    });
    this.method = method;
    this.path = path;
    this.attempts = attempts;
  }
}

/** undici reports "fetch failed" and puts the reason (ECONNREFUSED, …) in `cause`. */
function describeCause(error: Error): string {
  const inner = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${inner}`;
}

/** A 2xx answer whose body is not the wire type the route returns (checked against its JSON Schema). */
export class TaskerResponseError extends TaskerClientError {
  static override readonly brand: string = 'TaskerResponseError';
  readonly code: ClientErrorCode = CLIENT_ERROR_CODES.INVALID_RESPONSE;
  readonly method: string;
  readonly path: string;
  readonly status: number;

  constructor(method: string, path: string, status: number, cause: unknown) {
    super(
      `${method} ${path} answered ${status} with a body that is not what the route returns: ${String(cause)}`,
      {
        cause,
      },
    );
    this.method = method;
    this.path = path;
    this.status = status;
  }
}

/** The client refused to send a request the server would mishandle (see the message). */
export class InvalidRequestError extends TaskerClientError {
  static override readonly brand: string = 'InvalidRequestError';
  readonly code: ClientErrorCode = CLIENT_ERROR_CODES.INVALID_REQUEST;
}

/** `waitForTask` ran out of time before the task reached a state it waits for. */
export class TaskWaitTimeoutError extends TaskerClientError {
  static override readonly brand: string = 'TaskWaitTimeoutError';
  readonly code: ClientErrorCode = CLIENT_ERROR_CODES.WAIT_TIMEOUT;
  readonly taskUuid: string;
  readonly timeoutMs: number;
  /** The last answer of `GET /v1/tasks/{uuid}`, if any came. */
  readonly lastTask: TaskResponse | undefined;

  constructor(taskUuid: string, timeoutMs: number, lastTask: TaskResponse | undefined) {
    const where = lastTask
      ? `still ${lastTask.status} (${lastTask.steps.map((s) => `${s.name}: ${s.current_state}`).join(', ')})`
      : 'no answer yet';
    super(`task ${taskUuid} after ${timeoutMs} ms: ${where}`);
    this.taskUuid = taskUuid;
    this.timeoutMs = timeoutMs;
    this.lastTask = lastTask;
  }
}
