import { decodeParsed, type TaskTemplateInput } from '../wire.js';

export interface GenerateHandlerTypesOptions {
  /** Text of the first comment line; defaults to naming the template. */
  banner?: string;
}

/** `order_pipeline` → `OrderPipeline`. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** The schema with its `title` replaced, so the generated type is named after the template or step. */
function titled(schema: unknown, title: string): Record<string, unknown> {
  return { ...(schema as Record<string, unknown>), title };
}

/**
 * TypeScript source for a template's handlers: `<Template>Input` from `input_schema` (the task context a
 * handler reads as `context.inputData`), `<Step>Result` from each step's `result_schema`, and
 * `<Template>StepResults` mapping step names to those types, for `defineHandler<Input, Deps, Result>` and for
 * `StepContext<Input>`. Pair it with `resultSchemaMode` to check the same schemas at run time.
 *
 * json-schema-to-typescript (and its prettier) is loaded on first use only, so workers that never generate
 * code do not pay for it.
 *
 * `template` may be YAML-shaped or the full stored form (serde's defaults are applied); a template Rust would
 * not decode throws `WireValidationError`.
 */
export async function generateHandlerTypes(
  input: TaskTemplateInput,
  options: GenerateHandlerTypesOptions = {},
): Promise<string> {
  const template = decodeParsed('TaskTemplate', input);
  const { compile } = await import('json-schema-to-typescript');
  const compileOptions = { bannerComment: '', format: true, declareExternallyReferenced: true };
  const base = pascalCase(template.name);
  const parts: string[] = [
    `// ${options.banner ?? `Generated from task template ${template.namespace_name}/${template.name}@${template.version}`}.`,
    '// Do not edit: regenerate with generateHandlerTypes() from @tasker-bridge/core.',
  ];
  const inputName = `${base}Input`;
  if (template.input_schema !== null) {
    parts.push(await compile(titled(template.input_schema, inputName), inputName, compileOptions));
  } else {
    parts.push(`export type ${inputName} = Record<string, unknown>;\n`);
  }
  const resultEntries: string[] = [];
  for (const step of template.steps) {
    const schema = step.result_schema;
    if (schema === undefined || schema === null) continue;
    const typeName = `${pascalCase(step.name)}Result`;
    parts.push(await compile(titled(schema, typeName), typeName, compileOptions));
    resultEntries.push(`  ${JSON.stringify(step.name)}: ${typeName};`);
  }
  parts.push(`export interface ${base}StepResults {\n${resultEntries.join('\n')}\n}\n`);
  return parts.join('\n');
}
