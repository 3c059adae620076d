export type { HandlerErrorOptions, ValidationErrorOptions } from './classes.js';
export { HandlerError, PermanentError, RetryableError, TimeoutError, ValidationError } from './classes.js';
export { boundedBacktrace, causeChain, coerceError } from './coerce.js';
export type { StandardErrorType } from './error-types.js';
export {
  ErrorType,
  isStandard,
  isTypicallyRetryable,
  normalizeErrorType,
  SystemErrorType,
} from './error-types.js';
