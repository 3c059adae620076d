import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { stringifyJson } from '../wire.js';

/**
 * How `runStep` treats a template's JSON Schemas (no tasker worker checks them today, docs/upstream-workers.md
 * §6.5): `off` ignores them, `warn` logs violations and goes on, `enforce` fails the step permanently — a task
 * context violating the template's `input_schema` with `validation_error` before the handler runs, a success
 * violating the step's `result_schema` with `result_schema_violation`.
 */
export const SchemaMode = { OFF: 'off', WARN: 'warn', ENFORCE: 'enforce' } as const;
export type SchemaMode = (typeof SchemaMode)[keyof typeof SchemaMode];

/**
 * `SchemaMode`, under the name the `resultSchemaMode` options were introduced with (kept for their users; `@alias`
 * tells knip the second name is on purpose).
 * @alias
 */
export const ResultSchemaMode = SchemaMode;
/** @alias */
export type ResultSchemaMode = SchemaMode;

export interface SchemaIssue {
  /** JSON Pointer into the value, `''` for the root. */
  path: string;
  message: string;
}

export type ResultSchemaCheck = { ok: true } | { ok: false; issues: SchemaIssue[] };

const ajv = new Ajv({ allErrors: true, strict: false });
ajvFormats.default(ajv);

/** Compiled validators keyed by the schema's JSON text: hydrated steps carry a fresh schema object each time. */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 500;

/** The compiled validator of a JSON Schema (cached by its text); throws when the schema does not compile. */
export function validatorFor(schema: unknown): ValidateFunction {
  const key = stringifyJson(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(withoutBigints(schema) as object);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Checks a handler's `result` value against a step's `result_schema`. Throws when the schema itself does not
 * compile (a template error, which `runStep` logs instead of failing the step).
 */
export function checkResultSchema(schema: unknown, value: unknown): ResultSchemaCheck {
  const validate = validatorFor(schema);
  if (validate(withoutBigints(value))) return { ok: true };
  return {
    ok: false,
    issues: (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? e.keyword })),
  };
}

/**
 * ajv knows no bigint (an exact integer beyond 2^53, see `JsonValue`): it is checked as the nearest number,
 * which is still an integer, so `type: integer` holds and bounds compare to within f64 precision.
 */
export function withoutBigints(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(withoutBigints);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBigints(v)]));
}
