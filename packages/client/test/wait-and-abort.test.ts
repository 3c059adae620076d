import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SETTLED_TASK_STATES, TaskerClient, TaskNotFoundError, TaskWaitTimeoutError } from '../src/index.js';
import { hang, json, startTestServer, TASK_UUID, type TestServer, taskBody, vector } from './support.js';

let server: TestServer;
let client: TaskerClient;

beforeEach(async () => {
  server = await startTestServer();
  client = new TaskerClient({ baseUrl: server.url, retry: { initialDelayMs: 1, maxDelayMs: 5 } });
});

afterEach(async () => {
  await server.close();
});

const inProcess = () => json(200, taskBody({ status: 'steps_in_process' }));

describe('waitForTask', () => {
  it('polls until a settled state by default, and returns that answer', async () => {
    server.script(inProcess(), inProcess(), json(200, taskBody({ status: 'blocked_by_failures' })));
    const task = await client.waitForTask(TASK_UUID, { pollIntervalMs: 1 });
    expect(task.status).toBe('blocked_by_failures');
    expect(SETTLED_TASK_STATES).toContain('blocked_by_failures');
    expect(server.requests).toHaveLength(3);
  });

  it('waits for the states given in `until`', async () => {
    server.script(
      json(200, taskBody({ status: 'blocked_by_failures' })),
      json(200, taskBody({ status: 'error' })),
    );
    expect((await client.waitForTask(TASK_UUID, { until: ['error'], pollIntervalMs: 1 })).status).toBe(
      'error',
    );
  });

  it('waits for a predicate over the whole answer', async () => {
    const stepsIn = (state: string) =>
      json(
        200,
        taskBody({
          steps: JSON.parse(taskBody()).steps.map((s: object) => ({ ...s, current_state: state })),
        }),
      );
    server.script(stepsIn('pending'), stepsIn('in_progress'));
    const task = await client.waitForTask(TASK_UUID, {
      until: (t) => t.steps.some((s) => s.current_state === 'in_progress'),
      pollIntervalMs: 1,
    });
    expect(task.steps[0]?.current_state).toBe('in_progress');
  });

  it('gives up after timeoutMs with TaskWaitTimeoutError carrying the last answer', async () => {
    for (let i = 0; i < 100; i++) server.script(inProcess());
    const error = await client
      .waitForTask(TASK_UUID, { timeoutMs: 150, pollIntervalMs: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(error).toMatchObject({ code: 'wait_timeout', taskUuid: TASK_UUID, timeoutMs: 150 });
    expect((error as TaskWaitTimeoutError).lastTask?.status).toBe('steps_in_process');
    expect((error as Error).message).toContain('root: complete');
  });

  it('times out an answer that never comes, without a last task', async () => {
    server.script(hang);
    const error = await client.waitForTask(TASK_UUID, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect((error as TaskWaitTimeoutError).lastTask).toBeUndefined();
  });

  it('passes other failures through (a task that does not exist)', async () => {
    server.script(json(404, vector('ApiErrorBody', 'not_found').json));
    await expect(client.waitForTask(TASK_UUID)).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it("rejects with the signal's reason when aborted between polls", async () => {
    for (let i = 0; i < 100; i++) server.script(inProcess());
    const controller = new AbortController();
    const waiting = client.waitForTask(TASK_UUID, { signal: controller.signal, pollIntervalMs: 60_000 });
    await server.received(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});

describe('abort', () => {
  it('rejects an in-flight request with the reason, without retrying', async () => {
    server.script(hang, json(200, taskBody()));
    const controller = new AbortController();
    const call = client.getTask(TASK_UUID, { signal: controller.signal });
    await server.received(1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('cuts a retry wait short', async () => {
    const slow = new TaskerClient({
      baseUrl: server.url,
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    server.script(json(503, vector('ApiErrorBody', 'service_unavailable').json, { 'retry-after': '60' }));
    const controller = new AbortController();
    const started = Date.now();
    const call = slow.createTask(
      { namespace: 'n', name: 't', version: '1', context: {} },
      { signal: controller.signal },
    );
    await server.received(1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing with a signal aborted already', async () => {
    await expect(client.listTasks({}, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(server.requests).toHaveLength(0);
  });
});
