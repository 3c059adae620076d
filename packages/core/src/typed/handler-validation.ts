import type { StepContext } from '../context.js';
import { ValidationError } from '../errors/classes.js';
import { SystemErrorType } from '../errors/error-types.js';
import type { HandlerArgs, HandlerReturn, HandlerSchemas } from '../handler.js';
import { CheckpointYield } from '../handlers/checkpoint.js';
import { failure, StepHandlerResult } from '../results.js';
import { setMember } from '../wire.js';
import type { SchemaIssue } from './result-schema.js';
import { checkWithSchema, type StandardSchemaV1 } from './standard-schema.js';

/**
 * The checks at the edge of a defined handler (`defineHandler`'s schemas): data from other languages is validated
 * when it enters (task context, `handler.initialization`, ancestors' results) and the handler's value when it leaves,
 * so that a type is never only a compile-time promise (docs/upstream-workers.md §6.5).
 */

/** `input/even_number: expected number` — the part of the step the path is in, then the path inside it. */
function describe(issues: readonly SchemaIssue[], part: string): string {
  return issues.map((issue) => `${part}${issue.path}: ${issue.message}`).join('; ');
}

async function validated(
  context: StepContext<unknown>,
  part: string,
  schema: StandardSchemaV1 | undefined,
  value: unknown,
): Promise<unknown> {
  if (schema === undefined) return value;
  const check = await checkWithSchema(schema, value);
  if (check.ok) return check.value;
  const first = check.issues[0];
  throw new ValidationError(
    `Step '${context.stepName}': ${part} does not match the handler's schema: ${describe(check.issues, part)}`,
    {
      field: `${part}${first?.path ?? ''}`,
      context: { schema: part, issues: check.issues },
    },
  );
}

/**
 * The handler's arguments, each checked by its schema. Validated values replace the raw ones (a schema may apply
 * defaults or coercions), `context.inputData` included. Throws a permanent `ValidationError` naming the path.
 */
export async function validatedArgs(
  context: StepContext,
  schemas: HandlerSchemas,
  dependencies: readonly (readonly [param: string, step: string])[],
): Promise<HandlerArgs<unknown, unknown, unknown>> {
  const input = await validated(context, 'input', schemas.input, context.inputData);
  const config = await validated(context, 'config', schemas.config, context.stepConfig);
  const deps: Record<string, unknown> = {};
  for (const [param, step] of dependencies) {
    const schema =
      schemas.deps !== undefined && Object.hasOwn(schemas.deps, param) ? schemas.deps[param] : undefined;
    setMember(
      deps,
      param,
      await validated(context, `deps/${param}`, schema, context.requireDependencyResult(step)),
    );
  }
  const typed =
    input === context.inputData ? (context as StepContext<unknown>) : context.withInputData(input);
  return { context: typed, input, deps, config, signal: context.signal, logger: context.logger };
}

/**
 * What the handler returned, its success value checked by the `result` schema. A failing value becomes a
 * permanent `result_schema_violation` failure (as a violated template `result_schema` in `enforce` mode); failures
 * and checkpoint yields pass through.
 */
export async function validatedResult(
  output: HandlerReturn<unknown>,
  schema: StandardSchemaV1 | undefined,
): Promise<HandlerReturn<unknown>> {
  if (schema === undefined || output instanceof CheckpointYield) return output;
  if (output instanceof StepHandlerResult && !output.success) return output;
  const value = output instanceof StepHandlerResult ? output.result : output;
  const check = await checkWithSchema(schema, value);
  if (!check.ok) {
    return failure(`Result does not match the handler's result schema: ${describe(check.issues, 'result')}`, {
      errorType: SystemErrorType.RESULT_SCHEMA_VIOLATION,
      retryable: false,
      context: { issues: check.issues },
    });
  }
  return output instanceof StepHandlerResult
    ? StepHandlerResult.success(check.value, { ...output.metadata })
    : check.value;
}
