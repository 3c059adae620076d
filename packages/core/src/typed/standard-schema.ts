import type { SchemaIssue } from './result-schema.js';

/**
 * The Standard Schema v1 interface (standardschema.dev), written out here rather than imported: the spec asks
 * libraries that accept schemas to carry the interface themselves, so Zod (3.24+, 4), Valibot (1), ArkType (2) and
 * any other implementation plug in with no dependency of ours. Only the structure matters; the names below are
 * ours. A schema is any object with a `~standard` property of this shape.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (
    value: unknown,
    options?: StandardValidateOptions | undefined,
  ) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Present only in the types: what the schema accepts and what it produces. */
  readonly types?: StandardTypes<Input, Output> | undefined;
}

export interface StandardValidateOptions {
  readonly libraryOptions?: Record<string, unknown> | undefined;
}

export interface StandardTypes<Input = unknown, Output = Input> {
  readonly input: Input;
  readonly output: Output;
}

export type StandardResult<Output> = StandardSuccess<Output> | StandardFailure;

export interface StandardSuccess<Output> {
  readonly value: Output;
  readonly issues?: undefined;
}

export interface StandardFailure {
  readonly issues: ReadonlyArray<StandardIssue>;
}

export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What a schema accepts. */
export type InferSchemaInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];

/** What a schema produces once a value passed it: the type a handler sees. */
export type InferSchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return typeof props === 'object' && props !== null && typeof props.validate === 'function';
}

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

/**
 * Runs a Standard Schema (synchronous or not) and reports issues with JSON Pointer paths, the form the
 * `result_schema` checks use, so every validation message in a step's error reads the same.
 */
export async function checkWithSchema<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
): Promise<SchemaCheck<T>> {
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({ path: pointer(issue.path), message: issue.message })),
  };
}

/** `['items', 0, 'sku']` → `/items/0/sku` (RFC 6901 escaping). */
function pointer(path: StandardIssue['path']): string {
  if (path === undefined) return '';
  return path
    .map((segment) => {
      const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
      return `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
    })
    .join('');
}
