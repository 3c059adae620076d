import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiHandler,
  ApiResponse,
  apiFailure,
  apiResult,
  defineApiHandler,
  parseRetryAfter,
  type StepContext,
} from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid } from './support.js';

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const status = Number(url.searchParams.get('status') ?? 200);
    if (url.pathname.endsWith('/slow')) {
      const timer = setTimeout(() => res.end('late'), 5_000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const retryAfter = url.searchParams.get('retry_after');
    if (retryAfter !== null) headers['retry-after'] = retryAfter;
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      res.writeHead(status, headers);
      res.end(
        JSON.stringify({
          path: url.pathname,
          method: req.method,
          echo: body === '' ? null : JSON.parse(body),
          tenant: req.headers['x-tenant'] ?? null,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function handlerFor(timeoutMs = 2_000) {
  return defineApiHandler('Api', { baseUrl, timeoutMs }, async ({ api, context }) => {
    const params: Record<string, string | number | undefined> = {
      status: context.getInputOr('status', 200),
      retry_after: context.getInputOr<string | undefined>('retry_after', undefined),
    };
    return apiResult(await api.get(context.getInputOr('path', '/orders'), { params }));
  });
}

describe('API handler', () => {
  it('returns the parsed body of a 2xx response', async () => {
    const run = await runHandler(handlerFor(), { input: { status: 200 } });
    const result = expectWireValid(run.result);
    expect(result.result).toEqual({ path: '/api/orders', method: 'GET', echo: null, tenant: null });
    expect(result.metadata.custom).toEqual({ http_status: 200 });
  });

  it('sends JSON bodies from a class handler', async () => {
    class CreateOrder extends ApiHandler {
      static override baseUrl = baseUrl;
      async call(ctx: StepContext) {
        return this.apiSuccess(await this.api(ctx).post('/orders', { json: { id: 1 } }));
      }
    }
    const run = await runHandler(CreateOrder);
    expect(run.value).toEqual({ path: '/api/orders', method: 'POST', echo: { id: 1 }, tenant: null });
  });

  it.each([
    [400, 'permanent_error', false],
    [401, 'permanent_error', false],
    [404, 'permanent_error', false],
    [422, 'permanent_error', false],
    [408, 'timeout', true],
    [429, 'rate_limited', true],
    [500, 'retryable_error', true],
    [502, 'retryable_error', true],
    [503, 'retryable_error', true],
  ])('classifies HTTP %d as %s (retryable %s)', async (status, errorType, retryable) => {
    const run = await runHandler(handlerFor(), { input: { status } });
    const result = expectWireValid(run.result);
    expect(result.metadata).toMatchObject({ retryable, error_type: errorType, error_code: `HTTP_${status}` });
    expect(result.error).toMatchObject({ status_code: status, retryable });
  });

  it('passes a 429 Retry-After to orchestration as the retry-after header and a RateLimit hint', async () => {
    const run = await runHandler(handlerFor(), { input: { status: 429, retry_after: '30' } });
    expect(expectWireValid(run.result).orchestration_metadata).toEqual({
      headers: { 'retry-after': '30' },
      error_context: null,
      backoff_hint: { backoff_type: 'RateLimit', delay_seconds: 30, context: 'HTTP 429 Retry-After' },
      custom: {},
    });
  });

  it('converts a 503 HTTP-date Retry-After to seconds', async () => {
    const date = new Date(Date.now() + 120_000).toUTCString();
    const run = await runHandler(handlerFor(), { input: { status: 503, retry_after: date } });
    const metadata = expectWireValid(run.result).orchestration_metadata;
    const seconds = Number(metadata?.headers['retry-after']);
    expect(seconds).toBeGreaterThanOrEqual(118);
    expect(seconds).toBeLessThanOrEqual(120);
    expect(metadata?.backoff_hint?.backoff_type).toBe('ServiceUnavailable');
  });

  it('ignores Retry-After on a permanent failure', () => {
    const failure = apiFailure(new ApiResponse(404, { 'retry-after': '10' }, null));
    expect(failure.error?.retryAfterSeconds).toBeUndefined();
    expect(parseRetryAfter('abc')).toBeUndefined();
    expect(parseRetryAfter(' 7 ')).toBe(7);
  });

  it('fails a request that exceeds its timeout as a retryable timeout', async () => {
    const run = await runHandler(handlerFor(50), { input: { path: '/slow' } });
    expect(expectWireValid(run.result)).toMatchObject({
      metadata: { retryable: true, error_type: 'timeout', error_code: 'HTTP_TIMEOUT' },
    });
  });

  it('aborts the request with the step signal (step timeout wins)', async () => {
    const run = await runHandler(handlerFor(10_000), { input: { path: '/slow' }, timeoutMs: 50 });
    expect(run.errorType).toBe('handler_timeout');
  });

  it('treats a refused connection as a retryable network error', async () => {
    const unreachable = defineApiHandler('Api', { baseUrl: 'http://127.0.0.1:1' }, async ({ api }) =>
      apiResult(await api.get('/x')),
    );
    const run = await runHandler(unreachable);
    expect(run).toMatchObject({ success: false, retryable: true, errorType: 'retryable_error' });
  });

  it('accepts an injected fetch', async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (url) => {
      seen.push(String(url));
      return new Response('plain text', { status: 200, headers: { 'content-type': 'text/plain' } });
    };
    const handler = defineApiHandler(
      'Api',
      { baseUrl: 'https://api.example.test/v1', fetch: fakeFetch },
      async ({ api }) => apiResult(await api.get('/items', { params: { page: 2, skip: undefined } })),
    );
    const run = await runHandler(handler);
    expect(seen).toEqual(['https://api.example.test/v1/items?page=2']);
    expect(run.value).toBe('plain text');
  });
});

describe("API settings from the template's handler.initialization", () => {
  class Orders extends ApiHandler {
    static override defaultHeaders = { 'x-tenant': 'from-class' };
    async call(ctx: StepContext) {
      return this.apiSuccess(await this.api(ctx).get(ctx.getInputOr('path', '/orders')));
    }
  }

  it('takes url and headers from initialization, over the class defaults', async () => {
    const run = await runHandler(Orders, {
      handler: { callable: 'Orders', initialization: { url: baseUrl, headers: { 'x-tenant': 'acme' } } },
    });
    expect(run.value).toMatchObject({ path: '/api/orders', tenant: 'acme' });
    const defaults = await runHandler(Orders, {
      handler: { callable: 'Orders', initialization: { base_url: baseUrl } },
    });
    expect(defaults.value).toMatchObject({ tenant: 'from-class' });
  });

  it('takes timeout in seconds (Ruby) or timeout_ms, and upstream TS’s static defaultTimeout', async () => {
    for (const initialization of [
      { url: baseUrl, timeout: 0.05 },
      { url: baseUrl, timeout_ms: 50 },
    ]) {
      const run = await runHandler(Orders, {
        handler: { callable: 'Orders', initialization },
        input: { path: '/slow' },
      });
      expect(run.result?.metadata).toMatchObject({ error_type: 'timeout', error_code: 'HTTP_TIMEOUT' });
    }
    class Quick extends Orders {
      static override baseUrl = baseUrl;
      static override defaultTimeout = 50;
    }
    expect((await runHandler(Quick, { input: { path: '/slow' } })).errorType).toBe('timeout');
  });

  it('applies to defineApiHandler, whose baseUrl becomes optional', async () => {
    const handler = defineApiHandler('Api', {}, async ({ api }) => apiResult(await api.get('/x')));
    const run = await runHandler(handler, { handler: { callable: 'Api', initialization: { url: baseUrl } } });
    expect(run.value).toMatchObject({ path: '/api/x' });
  });

  it('fails permanently on a missing base URL or a setting of the wrong type, naming it', async () => {
    const missing = await runHandler(Orders);
    expect(missing.result?.metadata).toMatchObject({ retryable: false, error_code: 'API_BASE_URL_MISSING' });
    const wrong = await runHandler(Orders, {
      handler: { callable: 'Orders', initialization: { url: baseUrl, timeout: 'soon' } },
    });
    expect(wrong).toMatchObject({ success: false, retryable: false, errorType: 'validation_error' });
    expect(wrong.result?.error?.message).toBe('handler.initialization.timeout must be a positive number');
  });
});
