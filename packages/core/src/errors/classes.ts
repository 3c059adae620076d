import { ErrorType } from './error-types.js';

/**
 * Brands make `instanceof` work across duplicate copies of this package (two versions in one `node_modules`,
 * or a handler bundled with its own copy): every instance carries the brand names of its class chain under a
 * global symbol, and each branded class checks that list instead of its prototype chain.
 */
const BRANDS = Symbol.for('@tasker-bridge/core/error-brands');

interface Branded {
  readonly [BRANDS]: readonly string[];
}

function hasBrand(value: unknown, brand: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const brands = (value as Partial<Branded>)[BRANDS];
  return Array.isArray(brands) && brands.includes(brand);
}

export interface HandlerErrorOptions {
  /** `error_type` on the wire; defaults to the class's type. */
  errorType?: string;
  /** Whether orchestration may retry (`metadata.retryable`); defaults to the class's retryability. */
  retryable?: boolean;
  /** A stable, machine-readable code such as `PAYMENT_DECLINED` (`metadata.error_code`). */
  errorCode?: string;
  cause?: unknown;
  /** Goes to `metadata.custom`. */
  metadata?: Record<string, unknown>;
  /** Goes to `error.context`. */
  context?: Record<string, unknown>;
  /** An HTTP status behind the failure (`error.status_code`). */
  statusCode?: number;
  /** Asks orchestration to wait this long before the retry (a `retry-after` header, docs/protocol.md §5.2). */
  retryAfterSeconds?: number;
}

/**
 * Base class of every error a handler may throw on purpose. Throwing one is equivalent to returning the
 * `failure()` it describes; anything else thrown is converted by `coerceError`.
 */
export class HandlerError extends Error {
  static readonly brand: string = 'HandlerError';
  static readonly defaultErrorType: string = ErrorType.HANDLER_ERROR;
  static readonly defaultRetryable: boolean = true;

  declare readonly [BRANDS]: readonly string[];
  readonly errorType: string;
  readonly retryable: boolean;
  readonly errorCode: string | undefined;
  readonly metadata: Record<string, unknown>;
  readonly context: Record<string, unknown>;
  readonly statusCode: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: HandlerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const ctor = new.target as typeof HandlerError;
    this.name = ctor.name;
    this.errorType = options.errorType ?? ctor.defaultErrorType;
    this.retryable = options.retryable ?? ctor.defaultRetryable;
    this.errorCode = options.errorCode;
    this.metadata = options.metadata ?? {};
    this.context = options.context ?? {};
    this.statusCode = options.statusCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    Object.defineProperty(this, BRANDS, { value: brandsOf(ctor), enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // A user subclass without its own brand falls back to the ordinary prototype check.
    if (!Object.hasOwn(this, 'brand')) return Function.prototype[Symbol.hasInstance].call(this, value);
    return hasBrand(value, this.brand);
  }
}

function brandsOf(ctor: typeof HandlerError): string[] {
  const brands: string[] = [];
  for (let c: unknown = ctor; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c, 'brand')) brands.push((c as typeof HandlerError).brand);
  }
  return brands;
}

/** A failure that will not go away on retry (bad input, missing resource, declined payment). */
export class PermanentError extends HandlerError {
  static override readonly brand = 'PermanentError';
  static override readonly defaultErrorType: string = ErrorType.PERMANENT_ERROR;
  static override readonly defaultRetryable: boolean = false;
}

/** A transient failure that may succeed on a later attempt (network, rate limit, unavailable dependency). */
export class RetryableError extends HandlerError {
  static override readonly brand = 'RetryableError';
  static override readonly defaultErrorType: string = ErrorType.RETRYABLE_ERROR;
  static override readonly defaultRetryable: boolean = true;
}

export interface ValidationErrorOptions extends HandlerErrorOptions {
  /** The input field that failed validation. */
  field?: string;
}

/** Input that fails validation; permanent. */
export class ValidationError extends HandlerError {
  static override readonly brand = 'ValidationError';
  static override readonly defaultErrorType: string = ErrorType.VALIDATION_ERROR;
  static override readonly defaultRetryable: boolean = false;

  readonly field: string | undefined;

  constructor(message: string, options: ValidationErrorOptions = {}) {
    const { field, ...rest } = options;
    super(message, field === undefined ? rest : { ...rest, context: { field, ...rest.context } });
    this.field = field;
  }
}

/** An operation that ran out of time; retryable. */
export class TimeoutError extends HandlerError {
  static override readonly brand = 'TimeoutError';
  static override readonly defaultErrorType: string = ErrorType.TIMEOUT;
  static override readonly defaultRetryable: boolean = true;
}
