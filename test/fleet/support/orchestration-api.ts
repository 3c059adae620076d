// The slice of tasker-orchestration 0.1.8's REST API the fleet tests use (routes in the crate's src/web/routes.rs,
// request body = tasker-shared `TaskRequest`, response = `TaskResponse`). Auth is off in our config.

import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

export interface TaskRequestBody {
  namespace: string;
  name: string;
  version: string;
  context: Record<string, unknown>;
  /** Required by `TaskRequest` (no serde default). */
  initiator?: string;
  source_system?: string;
  reason?: string;
  tags?: string[];
  priority?: number;
  idempotency_key?: string;
}

/** The fields of `TaskResponse` the tests read (it has more). */
export interface TaskResponse {
  task_uuid: string;
  name: string;
  namespace: string;
  version: string;
  status: string;
  completed_at: string | null;
  context: unknown;
  total_steps: number;
  completed_steps: number;
  failed_steps: number;
  execution_status: string;
  steps: Array<
    { workflow_step_uuid?: string; name: string; current_state: string } & Record<string, unknown>
  >;
}

export const TERMINAL_TASK_STATES = new Set(['complete', 'error', 'cancelled', 'resolved_manually']);

/**
 * Where a task with a permanently failed step comes to rest in upstream 0.1.8: the finalizer moves it to
 * `blocked_by_failures` (event PermanentFailure); only a second finalization of a blocked task moves it to `error`
 * (event GiveUp; tasker-orchestration src/orchestration/lifecycle/task_finalization/completion_handler.rs).
 */
export const SETTLED_TASK_STATES = new Set([...TERMINAL_TASK_STATES, 'blocked_by_failures']);

export class OrchestrationApi {
  constructor(readonly baseUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(30_000) };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * Submits a task. Upstream deduplicates tasks by identity, hash(named task, context) under the default STRICT
   * strategy (409 CONFLICT on a repeat). A per-request `idempotency_key` did not help in 0.1.8 (two different
   * keys with the same context still got 409; see NOTE.md), so each call adds a fresh `fleet_submission` to the
   * context unless it has one. Handlers ignore that field.
   */
  createTask(request: TaskRequestBody): Promise<TaskResponse> {
    return this.call('POST', '/v1/tasks', {
      initiator: 'tasker-bridge-fleet-test',
      source_system: 'tasker-bridge',
      reason: 'fleet interop test',
      tags: [],
      ...request,
      context: { fleet_submission: randomUUID(), ...request.context },
    }) as Promise<TaskResponse>;
  }

  getTask(taskUuid: string): Promise<TaskResponse> {
    return this.call('GET', `/v1/tasks/${taskUuid}`) as Promise<TaskResponse>;
  }

  /** Polls until the task reaches one of `states` (default: any terminal state). */
  async waitForTask(
    taskUuid: string,
    options: { timeoutMs?: number; states?: ReadonlySet<string> } = {},
  ): Promise<TaskResponse> {
    const states = options.states ?? TERMINAL_TASK_STATES;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let last: TaskResponse | undefined;
    for (;;) {
      last = await this.getTask(taskUuid);
      if (states.has(last.status)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `task ${taskUuid} still ${last.status} after ${options.timeoutMs ?? 60_000} ms: ` +
            JSON.stringify(last.steps.map((s) => [s.name, s.current_state])),
        );
      }
      await delay(250);
    }
  }
}
