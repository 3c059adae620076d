// Errors carry a stable `code` (docs/contributing.md "API shape"); `instanceof` works across duplicate package copies
// through a Symbol.for brand rather than class identity.

const BRAND = Symbol.for('@tasker-bridge/schemas/WireError');

export const WIRE_ERROR_CODES = {
  VALIDATION_FAILED: 'wire_validation_failed',
  DECODE_FAILED: 'wire_decode_failed',
} as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[keyof typeof WIRE_ERROR_CODES];

/** One reason a value does not match its wire type: a JSON Pointer into the value and what is wrong. */
export interface WireIssue {
  readonly path: string;
  readonly message: string;
}

export function formatIssues(issues: readonly WireIssue[]): string {
  return issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
}

abstract class WireError extends Error {
  abstract readonly code: WireErrorCode;
  readonly typeName: string;
  readonly [BRAND] = true;

  constructor(typeName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.typeName = typeName;
  }
}

function branded(value: unknown, code: WireErrorCode): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    (value as { code?: unknown }).code === code
  );
}

/** The value does not satisfy the wire type's schema (or Rust's decoding rules the schema encodes). */
export class WireValidationError extends WireError {
  readonly code = WIRE_ERROR_CODES.VALIDATION_FAILED;
  readonly issues: readonly WireIssue[];

  constructor(typeName: string, issues: readonly WireIssue[]) {
    super(typeName, `${typeName} is not valid wire data: ${formatIssues(issues)}`);
    this.name = 'WireValidationError';
    this.issues = issues;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, WIRE_ERROR_CODES.VALIDATION_FAILED);
  }
}

/** The bytes or text are not JSON / MessagePack at all. */
export class WireDecodeError extends WireError {
  readonly code = WIRE_ERROR_CODES.DECODE_FAILED;

  constructor(typeName: string, reason: string, options?: ErrorOptions) {
    super(typeName, `cannot decode ${typeName}: ${reason}`, options);
    this.name = 'WireDecodeError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, WIRE_ERROR_CODES.DECODE_FAILED);
  }
}
