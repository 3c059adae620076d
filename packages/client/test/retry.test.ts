import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TaskerClient,
  TaskerConnectionError,
  TaskerHttpError,
  TaskIdentityConflictError,
} from '../src/index.js';
import { isRetryableStatus, parseRetryAfter, retryDelay, retryPolicy } from '../src/retry.js';
import {
  drop,
  hang,
  json,
  startTestServer,
  TASK_UUID,
  type TestServer,
  taskBody,
  text,
  vector,
} from './support.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

const unavailable = () => json(503, vector('ApiErrorBody', 'service_unavailable').json);
const fast = (extra: object = {}) =>
  new TaskerClient({ baseUrl: server.url, retry: { initialDelayMs: 1, maxDelayMs: 10 }, ...extra });
const LINEAR = { namespace: 'linear_workflow_ts', name: 'mathematical_sequence_ts', version: '1.0.0' };

describe('retries of idempotent calls', () => {
  it('retries a GET on 5xx until it succeeds', async () => {
    server.script(
      unavailable(),
      json(500, vector('ApiErrorBody', 'database_error').json),
      json(200, taskBody()),
    );
    expect((await fast().getTask(TASK_UUID)).task_uuid).toBe(TASK_UUID);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a GET whose connection was dropped', async () => {
    server.script(drop, json(200, vector('TaskListResponse', 'empty').json));
    expect((await fast().listTasks()).tasks).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after the allowed attempts with the last answer', async () => {
    server.script(unavailable(), unavailable(), unavailable(), unavailable(), unavailable());
    const error = await fast()
      .getTask(TASK_UUID)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerHttpError);
    expect(error).toMatchObject({ status: 503, serverCode: 'SERVICE_UNAVAILABLE', attempts: 4 });
    expect(server.requests).toHaveLength(4);
  });

  it('never retries a 4xx', async () => {
    server.script(json(400, vector('ApiErrorBody', 'invalid_uuid').json), json(200, taskBody()));
    await expect(fast().getTask('not-a-uuid')).rejects.toMatchObject({
      status: 400,
      serverCode: 'INVALID_UUID',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a server that never answers as TaskerConnectionError after each attempt timed out', async () => {
    server.script(hang, hang);
    const client = fast({ timeoutMs: 50, retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 } });
    const error = await client.getTask(TASK_UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerConnectionError);
    expect(error).toMatchObject({ code: 'connection_failed', attempts: 2, method: 'GET' });
    expect((error as Error).message).toMatch(/timeout/i);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused connection as TaskerConnectionError', async () => {
    const port = await closedPort();
    const client = new TaskerClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await client.listTasks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerConnectionError);
    expect(error).toMatchObject({ attempts: 3, path: '/v1/tasks' });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('waits at least the Retry-After of a 503, capped by maxDelayMs', async () => {
    server.script(
      json(503, vector('ApiErrorBody', 'backpressure').json, { 'retry-after': '15' }),
      json(200, taskBody()),
    );
    const started = Date.now();
    await new TaskerClient({ baseUrl: server.url, retry: { initialDelayMs: 1, maxDelayMs: 300 } }).getTask(
      TASK_UUID,
    );
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(3_000);
  });

  it('sends no retry with retry: false', async () => {
    server.script(unavailable(), json(200, taskBody()));
    await expect(
      new TaskerClient({ baseUrl: server.url, retry: false }).getTask(TASK_UUID),
    ).rejects.toMatchObject({
      status: 503,
      attempts: 1,
    });
  });
});

describe('retries of createTask', () => {
  it('replays the very same body, and a 409 after a retry says so', async () => {
    server.script(unavailable(), drop, json(409, vector('ApiErrorBody', 'conflict_duplicate_identity').json));
    const error = await fast()
      .createTask({ ...LINEAR, context: { even_number: 6 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskIdentityConflictError);
    expect(error).toMatchObject({ afterRetry: true, attempts: 3 });
    expect((error as Error).message).toContain('an earlier attempt of this call may have created it');
    const bodies = server.requests.map((r) => r.body);
    expect(new Set(bodies).size).toBe(1); // same correlation_id and requested_at each time
  });

  it('is not retried with retry.createTask: false', async () => {
    server.script(unavailable(), json(200, taskBody()));
    const client = fast({ retry: { createTask: false } });
    await expect(client.createTask({ ...LINEAR, context: {} })).rejects.toMatchObject({
      status: 503,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('succeeds on a retry after a plain-text 502 from a proxy', async () => {
    server.script(text(502, 'Bad Gateway'), json(200, taskBody({ status: 'pending' })));
    expect((await fast().createTask({ ...LINEAR, context: {} })).status).toBe('pending');
  });
});

describe('backoff', () => {
  const policy = retryPolicy({ initialDelayMs: 100, maxDelayMs: 1_000 });

  it('is full jitter under a doubling, capped ceiling', () => {
    expect(retryDelay(1, policy, undefined, () => 0)).toBe(0);
    expect(retryDelay(1, policy, undefined, () => 1)).toBe(100);
    expect(retryDelay(3, policy, undefined, () => 1)).toBe(400);
    expect(retryDelay(30, policy, undefined, () => 1)).toBe(1_000);
  });

  it("takes the server's Retry-After as a floor, within the cap", () => {
    expect(retryDelay(1, policy, 0.5, () => 0)).toBe(500);
    expect(retryDelay(1, policy, 15, () => 0)).toBe(1_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('15')).toBe(15);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-03-21T12:00:00Z');
    expect(parseRetryAfter('Sat, 21 Mar 2026 12:00:30 GMT', now)).toBe(30);
  });

  it('retries 5xx, 408 and 429 only', () => {
    expect([500, 502, 503, 504, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('refuses a nonsensical attempt count', () => {
    expect(() => retryPolicy({ attempts: 0 })).toThrow(RangeError);
  });
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
