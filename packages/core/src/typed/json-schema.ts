import type { ValidateFunction } from 'ajv';
import { validatorFor, withoutBigints } from './result-schema.js';
import type { StandardIssue, StandardSchemaV1 } from './standard-schema.js';

/**
 * A JSON Schema (a template's `input_schema` or `result_schema`) as a Standard Schema, checked with the same ajv
 * setup as `resultSchemaMode`, so a handler can take its runtime checks from the template that also gives its types:
 * `defineHandler(name, { input: jsonSchema<OrderInput>(template.input_schema) }, fn)`. `tasker-bridge codegen
 * --schemas` writes these next to the types. `T` is what the schema describes; nothing checks that it matches (the
 * generator writes both from the same schema). The value passes unchanged (ajv neither coerces nor fills defaults
 * here). The schema compiles on first use; one that does not compile throws then, naming the schema's `title`.
 */
export function jsonSchema<T>(schema: unknown): StandardSchemaV1<T, T> {
  let validate: ValidateFunction | undefined;
  return {
    '~standard': {
      version: 1,
      vendor: 'tasker-bridge/json-schema',
      validate(value) {
        validate ??= compile(schema);
        if (validate(withoutBigints(value))) return { value: value as T };
        return { issues: (validate.errors ?? []).map(issue) };
      },
    },
  };
}

function compile(schema: unknown): ValidateFunction {
  try {
    return validatorFor(schema);
  } catch (error) {
    const title = (schema as { title?: unknown } | null)?.title;
    throw new TypeError(
      `JSON Schema${typeof title === 'string' ? ` '${title}'` : ''} does not compile: ${(error as Error).message}`,
    );
  }
}

/** An ajv error as a Standard Schema issue; its JSON Pointer becomes path segments. */
function issue(error: { instancePath: string; message?: string; keyword: string }): StandardIssue {
  const path =
    error.instancePath === ''
      ? []
      : error.instancePath
          .slice(1)
          .split('/')
          .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  return { message: error.message ?? error.keyword, path };
}
