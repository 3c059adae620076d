// One call to the REST API over fetch: headers, a timeout per attempt, and retries with capped jittered backoff
// for the calls that may be repeated. Built on Node's fetch (undici) because it is all a JSON API over HTTP
// needs; an HTTP library would add a dependency and nothing this client uses.
import { setTimeout as sleep } from 'node:timers/promises';
import { authHeader, type ClientAuth } from './auth.js';
import { TaskerConnectionError } from './errors.js';
import { isRetryableStatus, parseRetryAfter, type RetryPolicy, retryDelay } from './retry.js';
import type { CallTrace } from './tracing.js';

export interface TransportConfig {
  /** Ends with `/`, so a path prefix (`https://gw.example/tasker/`) is kept. */
  readonly baseUrl: URL;
  readonly auth: ClientAuth | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly fetch: typeof globalThis.fetch;
}

export interface Exchange {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/tasks/…`: relative to the base URL; named in errors. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: string;
  /** Whether another attempt may follow a connection failure or a retryable status. */
  readonly retry: boolean;
  readonly signal: AbortSignal | undefined;
  /** The call's span: trace context headers on every attempt, the answer recorded. */
  readonly trace?: CallTrace;
}

/** The server's answer to the last attempt. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Requests sent for this call. */
  readonly attempts: number;
}

/**
 * Sends the request until an answer that is not retryable, or the last attempt's answer; throws
 * `TaskerConnectionError` when no attempt got one, and the signal's reason when the caller aborts.
 */
export async function send(config: TransportConfig, exchange: Exchange): Promise<Reply> {
  const url = new URL(exchange.path.replace(/^\//, ''), config.baseUrl);
  const search = exchange.query?.toString() ?? '';
  if (search !== '') url.search = search;
  const attempts = exchange.retry ? config.retry.attempts : 1;
  for (let attempt = 1; ; attempt++) {
    exchange.signal?.throwIfAborted();
    // Outside the try: a token source that fails is the caller's error, not a connection failure.
    const headers = await requestHeaders(config, exchange);
    let reply: Reply | undefined;
    let failure: unknown;
    try {
      reply = await attemptOnce(config, exchange, url, headers, attempt);
    } catch (error) {
      if (exchange.signal?.aborted) throw exchange.signal.reason;
      failure = error;
    }
    if (reply && (!isRetryableStatus(reply.status) || attempt >= attempts)) {
      exchange.trace?.replied(reply);
      return reply;
    }
    if (!reply && attempt >= attempts)
      throw new TaskerConnectionError(exchange.method, exchange.path, attempt, failure);
    const retryAfter = reply ? parseRetryAfter(reply.headers.get('retry-after')) : undefined;
    await pause(retryDelay(attempt, config.retry, retryAfter), exchange.signal);
  }
}

/** Asked again before every attempt, so a token source can hand out a fresh token. */
async function requestHeaders(config: TransportConfig, exchange: Exchange): Promise<Headers> {
  const headers = new Headers(config.headers);
  headers.set('accept', 'application/json');
  if (exchange.body !== undefined) headers.set('content-type', 'application/json');
  const credentials = await authHeader(config.auth);
  if (credentials) headers.set(credentials[0], credentials[1]);
  exchange.trace?.inject(headers);
  return headers;
}

async function attemptOnce(
  config: TransportConfig,
  exchange: Exchange,
  url: URL,
  headers: Headers,
  attempt: number,
): Promise<Reply> {
  const timeout = AbortSignal.timeout(config.timeoutMs);
  const response = await config.fetch(url, {
    method: exchange.method,
    headers,
    ...(exchange.body !== undefined ? { body: exchange.body } : {}),
    signal: exchange.signal ? AbortSignal.any([exchange.signal, timeout]) : timeout,
  });
  // The body is read under the same signal: a stalled body times out like a stalled connection.
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, attempts: attempt };
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
