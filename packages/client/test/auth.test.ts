import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskerClient } from '../src/index.js';
import { json, startTestServer, TASK_UUID, type TestServer, taskBody, vector } from './support.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

describe('credentials', () => {
  it('sends a bearer token as `Authorization: Bearer …`', async () => {
    server.script(json(200, taskBody()));
    await new TaskerClient({ baseUrl: server.url, auth: { type: 'bearer', token: 'eyJ.t' } }).getTask(
      TASK_UUID,
    );
    expect(server.requests[0]?.headers.authorization).toBe('Bearer eyJ.t');
    expect(server.requests[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('asks a token function before every attempt, so a retry carries the rotated token', async () => {
    let issued = 0;
    const client = new TaskerClient({
      baseUrl: server.url,
      auth: { type: 'bearer', token: async () => `jwt-${++issued}` },
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
    });
    server.script(json(503, vector('ApiErrorBody', 'service_unavailable').json), json(200, taskBody()));
    await client.getTask(TASK_UUID);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
  });

  it('rejects with the error of a failing token source, sending nothing', async () => {
    const broken = new Error('vault unreachable');
    const client = new TaskerClient({
      baseUrl: server.url,
      auth: {
        type: 'bearer',
        token: () => {
          throw broken;
        },
      },
    });
    await expect(client.getTask(TASK_UUID)).rejects.toBe(broken);
    expect(server.requests).toHaveLength(0);
  });

  it("sends an API key in upstream's default header, X-API-Key", async () => {
    server.script(json(200, vector('TaskListResponse', 'empty').json));
    await new TaskerClient({ baseUrl: server.url, auth: { type: 'api_key', key: 'k-1' } }).listTasks();
    expect(server.requests[0]?.headers['x-api-key']).toBe('k-1');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("sends an API key in the header the server's api_key_header names", async () => {
    server.script(json(200, vector('TaskListResponse', 'empty').json));
    await new TaskerClient({
      baseUrl: server.url,
      auth: { type: 'api_key', key: 'k-2', header_name: 'X-Tasker-Key' },
    }).listTasks();
    expect(server.requests[0]?.headers['x-tasker-key']).toBe('k-2');
  });

  it('sends extra headers, the credentials winning over one of the same name', async () => {
    server.script(json(200, taskBody()));
    await new TaskerClient({
      baseUrl: server.url,
      auth: { type: 'api_key', key: 'real' },
      headers: { 'x-tenant': 'acme', 'X-API-Key': 'spoofed' },
    }).getTask(TASK_UUID);
    expect(server.requests[0]?.headers['x-tenant']).toBe('acme');
    expect(server.requests[0]?.headers['x-api-key']).toBe('real');
  });

  it('puts no credentials in error messages', async () => {
    server.script(json(401, vector('ApiErrorBody', 'authentication_invalid').json, { 'retry-after': '60' }));
    const error = await new TaskerClient({
      baseUrl: server.url,
      auth: { type: 'api_key', key: 'sekrit-key' },
    })
      .getTask(TASK_UUID)
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toContain('sekrit-key');
    expect(JSON.stringify(error)).not.toContain('sekrit-key');
    expect(server.requests).toHaveLength(1);
  });
});
