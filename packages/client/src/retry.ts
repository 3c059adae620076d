// When and how long the client waits before sending a request again.

export interface RetryOptions {
  /** Requests in all, the first included (default 4). 1 turns retries off. */
  readonly attempts?: number;
  /** Backoff before the first retry (default 250 ms); it doubles per retry, with jitter. */
  readonly initialDelayMs?: number;
  /** Cap of every wait, a server's `Retry-After` included (default 5,000 ms). */
  readonly maxDelayMs?: number;
  /**
   * Whether `createTask` is retried too (default true). It is safe against tasker-orchestration 0.1.8: the
   * identity of every created task is hash(named task, context) under a unique index, so a create replayed after
   * an answer was lost cannot make a second task; it gets 409 (`TaskIdentityConflictError.afterRetry`).
   * Turn it off for a server that honours an `always_unique` identity strategy (docs/wire-types.md §18.4).
   */
  readonly createTask?: boolean;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly createTask: boolean;
}

export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, createTask: false };
  const attempts = options?.attempts ?? 4;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError('retry.attempts must be an integer ≥ 1');
  return {
    attempts,
    initialDelayMs: options?.initialDelayMs ?? 250,
    maxDelayMs: options?.maxDelayMs ?? 5_000,
    createTask: options?.createTask ?? true,
  };
}

/**
 * Statuses worth another attempt: the server's 5xx (database errors, 503 backpressure and circuit breaker), 408
 * (its connection pool timed out) and 429. Every other 4xx says the request itself is wrong.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Wait before retry number `retry` (1-based): "full jitter", uniformly in [0, min(max, initial·2^(retry−1))], so
 * clients that failed together do not come back together; at least the server's `Retry-After`; never beyond
 * `maxDelayMs`.
 */
export function retryDelay(
  retry: number,
  policy: RetryPolicy,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry - 1, 30));
  const jittered = Math.round(random() * ceiling);
  const floor = retryAfterSeconds === undefined ? 0 : retryAfterSeconds * 1000;
  return Math.min(policy.maxDelayMs, Math.max(jittered, floor));
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
