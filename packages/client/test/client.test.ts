import { decodeJson } from '@tasker-bridge/schemas';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  AuthorizationError,
  CLIENT_ERROR_CODES,
  InvalidRequestError,
  TaskerClient,
  TaskerHttpError,
  TaskerResponseError,
  TaskIdentityConflictError,
  TaskNotCancellableError,
  TaskNotFoundError,
  TemplateNotFoundError,
  UPSTREAM_REQUEST_DEFAULTS,
} from '../src/index.js';
import {
  json,
  startTestServer,
  TASK_UUID,
  type TestServer,
  taskBody,
  text,
  vector,
  vectors,
} from './support.js';

let server: TestServer;
let client: TaskerClient;

beforeEach(async () => {
  server = await startTestServer();
  client = new TaskerClient({ baseUrl: server.url, retry: { initialDelayMs: 1, maxDelayMs: 5 } });
});

afterEach(async () => {
  await server.close();
});

const LINEAR = { namespace: 'linear_workflow_ts', name: 'mathematical_sequence_ts', version: '1.0.0' };

describe('createTask', () => {
  it('sends a complete TaskRequest in Rust field order and decodes the TaskResponse', async () => {
    server.script(json(200, taskBody({ status: 'pending' })));
    const task = await client.createTask({ ...LINEAR, context: { even_number: 6 }, tags: ['t'] });

    expect(task.task_uuid).toBe(TASK_UUID);
    expect(task.status).toBe('pending');
    expect(task.steps.map((s) => s.name)).toEqual(['root', 'leaf']);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/tasks');
    expect(request?.headers['content-type']).toBe('application/json');
    const sent = JSON.parse(request?.body ?? '');
    expect(Object.keys(sent)).toEqual([
      'name',
      'namespace',
      'version',
      'context',
      'initiator',
      'source_system',
      'reason',
      'tags',
      'requested_at',
      'options',
      'priority',
      'correlation_id',
      'parent_correlation_id',
    ]);
    expect(sent).toMatchObject({
      ...LINEAR,
      context: { even_number: 6 },
      ...UPSTREAM_REQUEST_DEFAULTS,
      tags: ['t'],
    });
    expect(sent.correlation_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(sent.requested_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/); // NaiveDateTime: no zone
    // What the real Rust type would read back (the schema is checked against it in test/conformance).
    expect(decodeJson('TaskRequest', request?.body ?? '')).toEqual(sent);
  });

  it('takes initiator, source_system and reason from the client defaults, and a given idempotency key', async () => {
    const custom = new TaskerClient({
      baseUrl: server.url,
      requestDefaults: { initiator: 'billing', source_system: 'billing-api', reason: 'invoice due' },
    });
    server.script(json(200, taskBody()));
    await custom.createTask({ ...LINEAR, context: {}, idempotency_key: 'invoice-7', priority: 5 });
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({
      initiator: 'billing',
      source_system: 'billing-api',
      reason: 'invoice due',
      priority: 5,
      idempotency_key: 'invoice-7',
    });
  });

  it('turns 409 into TaskIdentityConflictError with a stable code', async () => {
    server.script(json(409, vector('ApiErrorBody', 'conflict_duplicate_identity').json));
    const error = await client.createTask({ ...LINEAR, context: { n: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskIdentityConflictError);
    expect(error).toBeInstanceOf(TaskerHttpError);
    expect(error).toMatchObject({
      code: CLIENT_ERROR_CODES.TASK_IDENTITY_CONFLICT,
      status: 409,
      serverCode: 'CONFLICT',
      serverMessage: 'A task with this identity already exists',
      afterRetry: false,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('turns 404 into TemplateNotFoundError', async () => {
    server.script(json(404, vector('ApiErrorBody', 'template_not_found').json));
    const error = await client.createTask({ ...LINEAR, name: 'nope', context: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateNotFoundError);
    expect((error as TemplateNotFoundError).code).toBe('template_not_found');
    expect((error as Error).message).toContain('Task template not found');
  });

  it('reports an axum plain-text rejection (422) by its text, without retrying it', async () => {
    server.script(
      text(422, 'Failed to deserialize the JSON body into the target type: missing field `initiator`'),
    );
    const error = await client.createTask({ ...LINEAR, context: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerHttpError);
    expect(error).toMatchObject({ code: 'http_error', status: 422, serverCode: undefined, attempts: 1 });
    expect((error as TaskerHttpError).serverMessage).toContain('missing field `initiator`');
  });

  it('rejects a request the schema rejects before sending it', async () => {
    await expect(client.createTask({ ...LINEAR, context: {}, priority: 2 ** 31 })).rejects.toMatchObject({
      code: 'wire_validation_failed',
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('getTask', () => {
  it('decodes every field of the TaskResponse Rust wrote', async () => {
    const body = vector('TaskResponse', 'retrying_third').json;
    server.script(json(200, body));
    const task = await client.getTask(TASK_UUID);
    expect(task).toEqual(decodeJson('TaskResponse', body));
    expect(task.completion_percentage).toBeCloseTo(33.333, 3);
    expect(task.steps[1]).toMatchObject({ current_state: 'waiting_for_retry', backoff_request_seconds: 5 });
    expect(server.requests[0]?.url).toBe(`/v1/tasks/${TASK_UUID}`);
    expect(server.requests[0]?.headers.accept).toBe('application/json');
  });

  it('turns 404 into TaskNotFoundError naming the task', async () => {
    server.script(json(404, vector('ApiErrorBody', 'not_found').json));
    const error = await client.getTask(TASK_UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect(error).toMatchObject({ code: 'task_not_found', taskUuid: TASK_UUID, status: 404 });
  });

  it('rejects a 2xx body that is not a TaskResponse with TaskerResponseError', async () => {
    server.script(json(200, JSON.stringify({ task_uuid: TASK_UUID })));
    const error = await client.getTask(TASK_UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
    expect((error as Error).cause).toMatchObject({ code: 'wire_validation_failed' });
  });

  it('keeps a base URL path prefix', async () => {
    const prefixed = new TaskerClient({ baseUrl: `${server.url}/tasker` });
    server.script(json(200, taskBody()));
    await prefixed.getTask(TASK_UUID);
    expect(server.requests[0]?.url).toBe(`/tasker/v1/tasks/${TASK_UUID}`);
  });
});

describe('listTasks', () => {
  it('sends the filters and page as the query string and decodes the pagination', async () => {
    server.script(json(200, vector('TaskListResponse', 'one_page_of_two').json));
    const list = await client.listTasks({
      namespace: 'linear_workflow_ts',
      status: 'completed',
      initiator: 'checkout',
      source_system: 'web',
      page: 1,
      per_page: 2,
    });
    expect(server.requests[0]?.url).toBe(
      '/v1/tasks?page=1&per_page=2&namespace=linear_workflow_ts&status=completed&initiator=checkout&source_system=web',
    );
    expect(list.tasks.map((t) => t.status)).toEqual(['completed', 'pending']);
    expect(list.pagination).toEqual({
      page: 1,
      per_page: 2,
      total_count: 3,
      total_pages: 2,
      has_next: true,
      has_previous: false,
    });
  });

  it('sends no query string without filters', async () => {
    server.script(json(200, vector('TaskListResponse', 'empty').json));
    expect((await client.listTasks()).tasks).toEqual([]);
    expect(server.requests[0]?.url).toBe('/v1/tasks');
  });

  it('refuses a status filter the server would turn into invalid SQL', async () => {
    // @ts-expect-error: the type allows completed | pending only
    const error = await client.listTasks({ status: 'error' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).code).toBe('invalid_request');
    expect(server.requests).toHaveLength(0);
  });
});

describe('cancelTask', () => {
  const cannotCancel = () => json(400, vector('ApiErrorBody', 'bad_request_cannot_cancel').json);

  it('sends DELETE, then answers with the task as GET reads it', async () => {
    // 0.1.8's DELETE answer has the execution status in `status`; GET has the task's state.
    server.script(
      json(200, taskBody({ status: 'waiting_for_dependencies' })),
      json(200, taskBody({ status: 'cancelled' })),
    );
    expect((await client.cancelTask(TASK_UUID)).status).toBe('cancelled');
    expect(server.requests.map((r) => [r.method, r.url])).toEqual([
      ['DELETE', `/v1/tasks/${TASK_UUID}`],
      ['GET', `/v1/tasks/${TASK_UUID}`],
    ]);
  });

  it('resolves with a task that is cancelled already', async () => {
    server.script(cannotCancel(), json(200, taskBody({ status: 'cancelled' })));
    expect((await client.cancelTask(TASK_UUID)).status).toBe('cancelled');
  });

  it('turns 400 for a task that ended otherwise into TaskNotCancellableError', async () => {
    server.script(cannotCancel(), json(200, taskBody({ status: 'complete' })));
    const error = await client.cancelTask(TASK_UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskNotCancellableError);
    expect(error).toMatchObject({ code: 'task_not_cancellable', taskUuid: TASK_UUID, status: 400 });
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'GET']);
  });

  it('resolves when a retry finds the task cancelled by the attempt whose answer was lost', async () => {
    server.script(
      json(503, vector('ApiErrorBody', 'service_unavailable').json),
      cannotCancel(),
      json(200, taskBody({ status: 'cancelled' })),
    );
    expect((await client.cancelTask(TASK_UUID)).status).toBe('cancelled');
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE', 'GET']);
  });
});

describe('every error body the real server writes', () => {
  // test/conformance/vectors/ApiErrorBody.json: ApiError::into_response's bodies and statuses.
  const expected: Record<string, { get: string; create: string }> = {
    not_found: { get: 'task_not_found', create: 'template_not_found' },
    template_not_found: { get: 'task_not_found', create: 'template_not_found' },
    conflict_duplicate_identity: { get: 'http_error', create: 'task_identity_conflict' },
    unauthorized: { get: 'authentication_failed', create: 'authentication_failed' },
    authentication_missing: { get: 'authentication_failed', create: 'authentication_failed' },
    authentication_invalid: { get: 'authentication_failed', create: 'authentication_failed' },
    forbidden: { get: 'authorization_failed', create: 'authorization_failed' },
    authorization_failed: { get: 'authorization_failed', create: 'authorization_failed' },
  };

  for (const c of vectors('ApiErrorBody')) {
    it(`${c.name} (${c.http_status}) maps to its class, with the server's code and message`, async () => {
      const headers = c.retry_after ? { 'retry-after': c.retry_after } : {};
      const noRetry = new TaskerClient({ baseUrl: server.url, retry: false });
      server.script(json(c.http_status ?? 0, c.json, headers), json(c.http_status ?? 0, c.json, headers));
      const body = decodeJson('ApiErrorBody', c.json);
      for (const [call, op] of [
        [() => noRetry.getTask(TASK_UUID), 'get'],
        [() => noRetry.createTask({ ...LINEAR, context: {} }), 'create'],
      ] as const) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TaskerHttpError);
        expect(error).toMatchObject({
          code: expected[c.name]?.[op] ?? 'http_error',
          status: c.http_status,
          serverCode: body.error.code,
          serverMessage: body.error.message,
        });
        if (c.name === 'backpressure') expect((error as TaskerHttpError).retryAfterSeconds).toBe(15);
      }
    });
  }

  it('401 and 403 are AuthenticationError and AuthorizationError', async () => {
    server.script(
      json(401, vector('ApiErrorBody', 'authentication_missing').json),
      json(403, vector('ApiErrorBody', 'authorization_failed').json),
    );
    await expect(client.listTasks()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client.listTasks()).rejects.toBeInstanceOf(AuthorizationError);
    expect(server.requests).toHaveLength(2); // neither is retried, whatever Retry-After says
  });
});
