import type { StepContext } from '../context.js';
import { PermanentError, TimeoutError, ValidationError } from '../errors/classes.js';
import { coerceError } from '../errors/coerce.js';
import { ErrorType } from '../errors/error-types.js';
import {
  type BaseHandlerOptions,
  type DefinedHandler,
  defineHandler,
  type HandlerFn,
  markHandlerBase,
  StepHandler,
  type WithNames,
} from '../handler.js';
import { failure, type StepHandlerResult, success } from '../results.js';
import { type BackoffHint, type JsonObject, stringifyJson } from '../wire.js';

/** `error_type` of a rate-limited response (Rust's `APICapable` classification uses the same word). */
export const RATE_LIMITED = 'rate_limited';

export interface ApiClientOptions {
  baseUrl: string;
  /** Per request; the step's signal still applies. Default 30 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Injectable for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** Query parameters; `undefined` values are skipped. */
  params?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  /** Sent as is (wins over `json`). */
  body?: NonNullable<RequestInit['body']>;
}

/** A response with its body read (JSON when the content type says so, else text; null when empty). */
export class ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;

  constructor(status: number, headers: Record<string, string>, body: unknown) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }

  get isServerError(): boolean {
    return this.status >= 500 && this.status < 600;
  }

  /** 408, 429 and every 5xx; other 4xx (and anything else unsuccessful) are permanent. */
  get isRetryable(): boolean {
    return this.status === 408 || this.status === 429 || this.isServerError;
  }

  /** The `Retry-After` header as whole seconds from now (delta-seconds or an HTTP date), if present and valid. */
  get retryAfterSeconds(): number | undefined {
    return parseRetryAfter(this.headers['retry-after']);
  }
}

/** Parses a `Retry-After` value: delta-seconds, or an HTTP date converted to seconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** A small fetch wrapper bound to one step: every request carries the step's `AbortSignal` and a timeout. */
export class ApiClient {
  readonly #options: ApiClientOptions;
  readonly #signal: AbortSignal;

  constructor(options: ApiClientOptions, signal: AbortSignal) {
    this.#options = options;
    this.#signal = signal;
  }

  get(path: string, options?: Omit<RequestOptions, 'json' | 'body'>): Promise<ApiResponse> {
    return this.request('GET', path, options);
  }

  post(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request('POST', path, options);
  }

  put(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request('PUT', path, options);
  }

  patch(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request('PATCH', path, options);
  }

  delete(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request('DELETE', path, options);
  }

  /**
   * Sends a request. Any HTTP status resolves (classify it with `apiFailure`); a timeout throws a retryable
   * `TimeoutError`, a network failure a retryable error (`coerceError`), and a step abort rethrows its reason.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const timeoutMs = this.#options.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { ...this.#options.headers, ...options.headers };
    let body = options.body;
    if (body === undefined && options.json !== undefined) {
      // stringifyJson: task data may hold bigints (exact integers beyond 2^53), which JSON.stringify rejects.
      body = stringifyJson(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const doFetch = this.#options.fetch ?? fetch;
    try {
      const response = await doFetch(buildUrl(this.#options.baseUrl, path, options.params), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any([this.#signal, timeout]),
      });
      return new ApiResponse(response.status, headerRecord(response.headers), await readBody(response));
    } catch (thrown) {
      if (this.#signal.aborted) throw this.#signal.reason;
      if (timeout.aborted) {
        throw new TimeoutError(`${method} ${path} timed out after ${timeoutMs}ms`, {
          cause: thrown,
          errorCode: 'HTTP_TIMEOUT',
          context: { method, path, timeout_ms: timeoutMs },
        });
      }
      throw coerceError(thrown);
    }
  }
}

function buildUrl(baseUrl: string, path: string, params: RequestOptions['params']): string {
  const url = new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, key) => {
    record[key.toLowerCase()] = value;
  });
  return record;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** A success carrying the response body (or `result`), with the status in `metadata.custom`. */
export function apiSuccess(response: ApiResponse, result?: unknown): StepHandlerResult {
  return success(result ?? response.body ?? {}, { http_status: response.status });
}

/**
 * The failure an unsuccessful response stands for: 4xx permanent except 408 (`timeout`) and 429
 * (`rate_limited`), 5xx retryable (`retryable_error`). A retryable response's `Retry-After` becomes the
 * `retry-after` header orchestration's backoff calculator reads, plus a backoff hint (docs/protocol.md §5.2).
 */
export function apiFailure(response: ApiResponse, message?: string): StepHandlerResult {
  const retryable = response.isRetryable;
  const errorType =
    response.status === 408
      ? ErrorType.TIMEOUT
      : response.status === 429
        ? RATE_LIMITED
        : retryable
          ? ErrorType.RETRYABLE_ERROR
          : ErrorType.PERMANENT_ERROR;
  const retryAfterSeconds = retryable ? response.retryAfterSeconds : undefined;
  return failure(message ?? `HTTP ${response.status}`, {
    errorType,
    retryable,
    errorCode: `HTTP_${response.status}`,
    statusCode: response.status,
    context: { response_body: response.body },
    ...(retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds, backoffHint: backoffHint(response.status, retryAfterSeconds) }),
  });
}

function backoffHint(status: number, delaySeconds: number): BackoffHint {
  const backoffType =
    status === 429 ? 'RateLimit' : status === 503 ? 'ServiceUnavailable' : 'ServerRequested';
  return {
    backoff_type: backoffType,
    delay_seconds: Math.min(delaySeconds, 4_294_967_295),
    context: `HTTP ${status} Retry-After`,
  } as BackoffHint;
}

/** `apiSuccess` for a 2xx response, else `apiFailure`. */
export function apiResult(response: ApiResponse, result?: unknown): StepHandlerResult {
  return response.ok ? apiSuccess(response, result) : apiFailure(response);
}

/**
 * The client settings of one step: the code's defaults, overridden by the template's `handler.initialization`,
 * whose keys follow upstream Ruby's API handler: `url` (or `base_url`), `timeout` in seconds (or `timeout_ms`) and
 * `headers` (merged over the defaults). A setting of the wrong type fails the step permanently, naming the key.
 */
export function apiClientOptions(
  defaults: Partial<ApiClientOptions>,
  initialization: Readonly<Record<string, unknown>>,
): ApiClientOptions {
  const read = (key: string, type: 'string' | 'number' | 'object'): unknown => {
    const value = Object.hasOwn(initialization, key) ? initialization[key] : undefined;
    if (value === undefined || value === null) return undefined;
    const ok =
      type === 'object'
        ? typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.values(value).every((v) => typeof v === 'string')
        : typeof value === type && (type !== 'number' || (Number.isFinite(value) && (value as number) > 0));
    if (!ok) {
      const expected = { string: 'a string', number: 'a positive number', object: 'an object of strings' }[
        type
      ];
      throw new ValidationError(`handler.initialization.${key} must be ${expected}`, {
        field: `config/${key}`,
      });
    }
    return value;
  };
  const baseUrl = (read('base_url', 'string') ?? read('url', 'string') ?? defaults.baseUrl) as
    | string
    | undefined;
  if (baseUrl === undefined || baseUrl === '') {
    throw new PermanentError(
      "The API handler has no base URL: set its baseUrl, or `url` in the template's handler.initialization",
      { errorCode: 'API_BASE_URL_MISSING' },
    );
  }
  const seconds = read('timeout', 'number') as number | undefined;
  const timeoutMs =
    (read('timeout_ms', 'number') as number | undefined) ??
    (seconds === undefined ? undefined : seconds * 1000) ??
    defaults.timeoutMs;
  const headers = {
    ...defaults.headers,
    ...(read('headers', 'object') as Record<string, string> | undefined),
  };
  return {
    baseUrl,
    headers,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(defaults.fetch === undefined ? {} : { fetch: defaults.fetch }),
  };
}

/**
 * Base class for HTTP-calling handlers; call `this.api(context)` per step. The statics are the defaults; the
 * template's `handler.initialization` (`url`, `timeout` in seconds, `headers`) overrides them per step, as in
 * upstream Ruby (`apiClientOptions`).
 */
export abstract class ApiHandler extends StepHandler {
  static {
    markHandlerBase(ApiHandler);
  }

  static baseUrl = '';
  static timeoutMs = 30_000;
  /** Upstream TypeScript's name for `timeoutMs`; when set, it wins. */
  static defaultTimeout?: number;
  static defaultHeaders: Record<string, string> = {};

  protected api(context: StepContext<unknown>): ApiClient {
    const ctor = this.constructor as typeof ApiHandler;
    const defaults = {
      baseUrl: ctor.baseUrl,
      timeoutMs: ctor.defaultTimeout ?? ctor.timeoutMs,
      headers: ctor.defaultHeaders,
    };
    return new ApiClient(apiClientOptions(defaults, this.config), context.signal);
  }

  protected apiSuccess(response: ApiResponse, result?: unknown): StepHandlerResult {
    return apiSuccess(response, result);
  }

  protected apiFailure(response: ApiResponse, message?: string): StepHandlerResult {
    return apiFailure(response, message);
  }
}

/**
 * A functional API handler; the function gets an `api` client bound to the step's signal. `baseUrl`, `timeoutMs`
 * and `headers` are defaults that the template's `handler.initialization` overrides (`apiClientOptions`).
 */
export function defineApiHandler<
  TInput = JsonObject,
  TDeps = Record<never, never>,
  TResult = unknown,
  TConfig = JsonObject,
  TNames extends string = keyof TDeps & string,
>(
  name: string,
  options: BaseHandlerOptions<TInput, TDeps, TResult, TConfig, TNames> & Partial<ApiClientOptions>,
  fn: HandlerFn<TInput, WithNames<TDeps, TNames>, TResult, TConfig, { api: ApiClient }>,
): DefinedHandler<TInput, TResult> {
  const { baseUrl, timeoutMs, headers, fetch: fetchImpl, ...handlerOptions } = options;
  const defaults: Partial<ApiClientOptions> = {
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(headers === undefined ? {} : { headers }),
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  };
  return defineHandler<TInput, TDeps, TResult, TConfig, never, TNames>(name, handlerOptions, (args) =>
    fn({
      ...args,
      api: new ApiClient(apiClientOptions(defaults, args.context.stepConfig), args.signal),
    }),
  );
}
