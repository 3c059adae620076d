// TaskerClient: tasker-orchestration 0.1.8's task routes (tasker-orchestration src/web/routes.rs), typed by the
// wire types of @tasker-bridge/schemas (docs/wire-types.md §18).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  encodeJson,
  hasTraceContextTag,
  type TaskListResponse,
  type TaskResponse,
  type TaskState,
} from '@tasker-bridge/schemas';
import type { ClientAuth } from './auth.js';
import {
  AuthenticationError,
  AuthorizationError,
  type HttpFailure,
  TaskerHttpError,
  TaskIdentityConflictError,
  TaskNotCancellableError,
  TaskNotFoundError,
  TaskWaitTimeoutError,
  TemplateNotFoundError,
} from './errors.js';
import { type ListTasksQuery, listQueryString } from './list-query.js';
import { decodeReply, httpFailure, isSuccess } from './replies.js';
import { type RetryOptions, retryPolicy } from './retry.js';
import { type CreateTaskRequest, completeTaskRequest, type TaskRequestDefaults } from './task-request.js';
import { SETTLED_TASK_STATES } from './task-states.js';
import { type CallAttributes, type CallTrace, traceCall } from './tracing.js';
import { type Exchange, send, type TransportConfig } from './transport.js';

export interface TaskerClientOptions {
  /** The REST API's address, e.g. `http://localhost:8080` (a path prefix is kept: `https://gw.example/tasker`). */
  readonly baseUrl: string | URL;
  /** Credentials for a server with `[orchestration.web.auth] enabled = true`. */
  readonly auth?: ClientAuth | undefined;
  /** Sent with every request (a tenant or gateway header). The auth header wins over one of the same name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per attempt, body included (default 30,000 ms, the server's own request timeout). */
  readonly timeoutMs?: number;
  /** Retries on connection failures, 5xx, 408 and 429 (default: 4 attempts); `false` for none. */
  readonly retry?: RetryOptions | false;
  /** `initiator`, `source_system`, `reason` for requests that leave them out (else upstream's builder defaults). */
  readonly requestDefaults?: TaskRequestDefaults;
  /** Defaults to the global fetch (Node's undici). */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * With `@opentelemetry/api` installed: one span per call, and a created task carries the call's trace context in
   * its tags (`traceparent=…`), which parents the spans of its steps in `@tasker-bridge/worker` (README
   * "Tracing"). Default true; `false` makes no spans and adds no tags.
   */
  readonly tracing?: boolean;
}

export interface CallOptions {
  /** Aborts the call, a pending retry wait included; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface WaitForTaskOptions extends CallOptions {
  /** States to wait for, or a test of each answer (default: `SETTLED_TASK_STATES`). */
  readonly until?: Iterable<TaskState | (string & {})> | ((task: TaskResponse) => boolean);
  /** Gives up with `TaskWaitTimeoutError` after this long (default: wait until `until` or the signal). */
  readonly timeoutMs?: number;
  /** Between two `GET /v1/tasks/{uuid}` (default 500 ms). */
  readonly pollIntervalMs?: number;
}

export class TaskerClient {
  readonly baseUrl: URL;
  readonly #transport: TransportConfig;
  readonly #defaults: TaskRequestDefaults;
  readonly #tracing: boolean;

  constructor(options: TaskerClientOptions) {
    const base = new URL(options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    this.baseUrl = base;
    this.#defaults = options.requestDefaults ?? {};
    this.#tracing = options.tracing !== false;
    this.#transport = {
      baseUrl: base,
      auth: options.auth,
      headers: options.headers ?? {},
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: retryPolicy(options.retry),
      fetch: options.fetch ?? globalThis.fetch,
    };
  }

  /**
   * `POST /v1/tasks`. Rejects with `TaskIdentityConflictError` when a task with the same identity exists
   * (in 0.1.8: the same named task and an equal context, whatever the template's strategy or the request's
   * `idempotency_key`), `TemplateNotFoundError` when no such template is registered. Retried like the reads
   * unless `retry.createTask` is false (see `RetryOptions.createTask` for why that is safe).
   */
  createTask(request: CreateTaskRequest, options: CallOptions = {}): Promise<TaskResponse> {
    const attributes = { namespace: request.namespace, 'tasker.task_name': request.name };
    return this.#traced('tasker.create_task', 'POST', '/v1/tasks', attributes, async (trace) => {
      const tags = request.tags ?? [];
      // The caller's own traceparent tag wins; a retried create sends these very bytes again.
      const traced =
        trace.tags.length > 0 && !hasTraceContextTag(tags)
          ? { ...request, tags: [...tags, ...trace.tags] }
          : request;
      const exchange: Exchange = {
        method: 'POST',
        path: '/v1/tasks',
        body: encodeJson('TaskRequest', completeTaskRequest(traced, this.#defaults)),
        retry: this.#transport.retry.createTask,
        signal: options.signal,
        trace,
      };
      const reply = await send(this.#transport, exchange);
      if (isSuccess(reply)) return decodeReply('TaskResponse', exchange, reply);
      const failure = httpFailure(exchange, reply);
      if (reply.status === 409) throw new TaskIdentityConflictError(failure);
      if (reply.status === 404) throw new TemplateNotFoundError(failure);
      throw commonFailure(failure);
    });
  }

  /** `GET /v1/tasks/{uuid}`: the task's state, counts and every step's readiness. */
  getTask(taskUuid: string, options: CallOptions = {}): Promise<TaskResponse> {
    const attributes = { task_uuid: taskUuid };
    return this.#traced('tasker.get_task', 'GET', TASK_ROUTE, attributes, async (trace) => {
      const exchange = this.#taskExchange('GET', taskUuid, options, trace);
      const reply = await send(this.#transport, exchange);
      if (isSuccess(reply)) return decodeReply('TaskResponse', exchange, reply);
      const failure = httpFailure(exchange, reply);
      if (reply.status === 404) throw new TaskNotFoundError(failure, taskUuid);
      throw commonFailure(failure);
    });
  }

  /**
   * `GET /v1/tasks`, newest first. Items carry no steps, and their `status` is `completed` or `pending` (the
   * task row's flag), not the task's state: `getTask` has that.
   */
  listTasks(query: ListTasksQuery = {}, options: CallOptions = {}): Promise<TaskListResponse> {
    const attributes: CallAttributes =
      typeof query.namespace === 'string' ? { namespace: query.namespace } : {};
    return this.#traced(
      'tasker.list_tasks',
      'GET',
      '/v1/tasks',
      attributes,
      async (trace) => {
        const exchange: Exchange = {
          method: 'GET',
          path: '/v1/tasks',
          query: listQueryString(query),
          retry: true,
          signal: options.signal,
          trace,
        };
        const reply = await send(this.#transport, exchange);
        if (isSuccess(reply)) return decodeReply('TaskListResponse', exchange, reply);
        throw commonFailure(httpFailure(exchange, reply));
      },
      (list) => ({ 'tasker.tasks_returned': list.tasks.length }),
    );
  }

  /**
   * `DELETE /v1/tasks/{uuid}`: cancels the task and its unfinished steps, then resolves with the task as
   * `getTask` reads it: 0.1.8's DELETE answer carries the execution status (`waiting_for_dependencies`, …) in
   * `status`, not the task's state. Idempotent: a task cancelled already (by an earlier call, or by an attempt
   * whose answer was lost) resolves the same way; one that ended otherwise rejects with `TaskNotCancellableError`.
   */
  cancelTask(taskUuid: string, options: CallOptions = {}): Promise<TaskResponse> {
    const attributes = { task_uuid: taskUuid };
    return this.#traced('tasker.cancel_task', 'DELETE', TASK_ROUTE, attributes, async (trace) => {
      const exchange = this.#taskExchange('DELETE', taskUuid, options, trace);
      const reply = await send(this.#transport, exchange);
      if (isSuccess(reply)) {
        decodeReply('TaskResponse', exchange, reply); // checked like every answer, then superseded by the GET
        return this.getTask(taskUuid, options);
      }
      const failure = httpFailure(exchange, reply);
      if (reply.status === 404) throw new TaskNotFoundError(failure, taskUuid);
      // The server's only 400 with this code here: "Cannot cancel a completed task", i.e. any terminal state.
      if (reply.status === 400 && failure.serverCode === 'BAD_REQUEST') {
        const task = await this.getTask(taskUuid, options);
        if (task.status === 'cancelled') return task;
        throw new TaskNotCancellableError(failure, taskUuid);
      }
      throw commonFailure(failure);
    });
  }

  /**
   * Polls `GET /v1/tasks/{uuid}` until the task is in one of `until`'s states (by default a settled one:
   * terminal, or `blocked_by_failures`), and returns that answer.
   */
  waitForTask(taskUuid: string, options: WaitForTaskOptions = {}): Promise<TaskResponse> {
    // One span for the wait; each poll's getTask is a child span.
    return this.#traced('tasker.wait_for_task', undefined, TASK_ROUTE, { task_uuid: taskUuid }, () =>
      this.#waitForTask(taskUuid, options),
    );
  }

  async #waitForTask(taskUuid: string, options: WaitForTaskOptions): Promise<TaskResponse> {
    const matches = predicate(options.until ?? SETTLED_TASK_STATES);
    const deadline = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    let last: TaskResponse | undefined;
    try {
      for (;;) {
        last = await this.getTask(taskUuid, signal ? { signal } : {});
        if (matches(last)) return last;
        await sleep(options.pollIntervalMs ?? 500, undefined, signal ? { signal } : {});
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (deadline?.aborted) throw new TaskWaitTimeoutError(taskUuid, options.timeoutMs ?? 0, last);
      throw error;
    }
  }

  #taskExchange(
    method: 'GET' | 'DELETE',
    taskUuid: string,
    options: CallOptions,
    trace: CallTrace,
  ): Exchange {
    // GET is safe, and cancelTask makes DELETE idempotent: a repeated cancel finds the task cancelled.
    return {
      method,
      path: `/v1/tasks/${encodeURIComponent(taskUuid)}`,
      retry: true,
      signal: options.signal,
      trace,
    };
  }

  /** One span per call (`tracing.ts`), named for the call, with the route and the server as attributes. */
  #traced<T extends TaskResponse | TaskListResponse>(
    name: string,
    method: Exchange['method'] | undefined,
    route: string,
    attributes: CallAttributes,
    call: (trace: CallTrace) => Promise<T>,
    describe: (value: T) => CallAttributes = describeTask as (value: T) => CallAttributes,
  ): Promise<T> {
    const base = this.baseUrl;
    return traceCall(
      this.#tracing,
      name,
      {
        ...attributes,
        ...(method === undefined ? {} : { 'http.request.method': method }),
        'url.template': route,
        'server.address': base.hostname,
        'server.port': Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      },
      call,
      describe,
    );
  }
}

/** The `{uuid}` routes, as span attributes name them. */
const TASK_ROUTE = '/v1/tasks/{task_uuid}';

/** A task answer's ids and state, as span attributes (upstream's field names). */
function describeTask(value: TaskResponse | TaskListResponse): CallAttributes {
  if (!('task_uuid' in value)) return {};
  return {
    task_uuid: value.task_uuid,
    correlation_id: value.correlation_id,
    namespace: value.namespace,
    'tasker.task_status': value.status,
  };
}

function commonFailure(failure: HttpFailure): TaskerHttpError {
  if (failure.status === 401) return new AuthenticationError(failure);
  if (failure.status === 403) return new AuthorizationError(failure);
  return new TaskerHttpError(failure);
}

function predicate(until: NonNullable<WaitForTaskOptions['until']>): (task: TaskResponse) => boolean {
  if (typeof until === 'function') return until;
  const states = new Set<string>(until);
  return (task) => states.has(task.status);
}
