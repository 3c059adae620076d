// The fleet scenarios' client of the server's REST API: @tasker-bridge/client with two additions.
// - Every created task gets a fresh `fleet_submission` in its context unless it has one: upstream 0.1.8
//   deduplicates tasks by hash(named task, context) over all tasks ever created (409 on a repeat; a request's
//   `idempotency_key` does not change that, NOTE.md), and the scenarios submit equal contexts again. The
//   handlers ignore the field.
// - Waits poll every 250 ms (the client's default is 500).
// - Calls are retried for longer than the client's default (4 attempts, waits capped at 5 s): on a loaded 2-core
//   CI machine the server can answer 503 for a while (its backpressure asks callers to come back in 15 to 60 s).

import { randomUUID } from 'node:crypto';
import {
  type CallOptions,
  type CreateTaskRequest,
  TaskerClient,
  type TaskResponse,
  type WaitForTaskOptions,
} from '@tasker-bridge/client';

export class FleetApi extends TaskerClient {
  constructor(baseUrl: string) {
    super({
      baseUrl,
      requestDefaults: {
        initiator: 'tasker-bridge-fleet-test',
        source_system: 'tasker-bridge',
        reason: 'fleet interop test',
      },
      retry: { attempts: 6, maxDelayMs: 15_000 },
    });
  }

  override createTask(request: CreateTaskRequest, options?: CallOptions): Promise<TaskResponse> {
    const context = { fleet_submission: randomUUID(), ...(request.context as Record<string, unknown>) };
    return super.createTask({ ...request, context }, options);
  }

  override waitForTask(taskUuid: string, options: WaitForTaskOptions = {}): Promise<TaskResponse> {
    return super.waitForTask(taskUuid, { pollIntervalMs: 250, ...options });
  }
}
