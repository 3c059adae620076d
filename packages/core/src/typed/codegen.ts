import { decodeParsed, stringifyJson, type TaskTemplate, type TaskTemplateInput } from '../wire.js';

export interface GenerateHandlerTypesOptions {
  /** Text of the first comment line; defaults to naming the template. */
  banner?: string;
  /**
   * Also write the template's JSON Schemas as Standard Schemas (`jsonSchema()`) into the step table, so that the
   * generated `define<Template>Handler` checks each step's input, dependency values and result at run time with the
   * same schemas its types come from.
   */
  schemas?: boolean;
}

/** `order_pipeline` → `OrderPipeline`. */
function pascalCase(name: string): string {
  const joined = name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
  // An identifier cannot start with a digit.
  return /^[0-9]/.test(joined) ? `T${joined}` : joined || 'Unnamed';
}

/** The schema with its `title` replaced, so the generated type is named after the template or step. */
function titled(schema: unknown, title: string): Record<string, unknown> {
  return { ...(schema as Record<string, unknown>), title };
}

const key = (name: string): string => JSON.stringify(name);

/**
 * TypeScript source for a template's handlers, so that `deps.validate_order` is typed by the template:
 *
 * - `<Template>Input` from `input_schema` (the task context, `input`), `JsonObject` without one;
 * - `<Step>Result` from each step's `result_schema`, and `<Template>StepResults` mapping every step name to its
 *   result type (`unknown` for a step without a `result_schema`);
 * - `<Template>StepDeps`: per step, its parents (`depends_on`) → their result types, i.e. its handler's `deps`;
 * - `<Template>HandlerArgs<'step'>` for class handlers and annotations;
 * - `<template>Steps`: per step, the `defineHandler` options that fill `deps` from `depends_on` (with
 *   `options.schemas`, also the `input`, `deps` and `result` Standard Schemas, `<template>Schemas`);
 * - `define<Template>Handler('step', name, fn)`: `defineHandler` with all of the above, so `fn`'s arguments are
 *   inferred from the template and a result that does not fit the step's `result_schema` does not compile.
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
  const value = base[0]?.toLowerCase() + base.slice(1);
  const withSchemas = options.schemas === true;
  const names = new Set([`${base}Input`, `${base}StepResults`, `${base}StepDeps`, `${base}HandlerArgs`]);

  const parts: string[] = [
    `// ${options.banner ?? `Generated from task template ${template.namespace_name}/${template.name}@${template.version}`}.`,
    `// Do not edit: regenerate with \`tasker-bridge codegen${withSchemas ? ' --schemas' : ''}\` (generateHandlerTypes() from @tasker-bridge/core/codegen).`,
    `import {\n  type DefinedHandler,\n  type DefineHandlerOptions,\n  defineHandler,\n  type HandlerArgs,\n  type HandlerFn,\n  type JsonObject,${withSchemas ? '\n  jsonSchema,' : ''}\n} from '@tasker-bridge/core';\n`,
  ];

  const inputName = `${base}Input`;
  if (template.input_schema !== null) {
    parts.push(await compile(titled(template.input_schema, inputName), inputName, compileOptions));
  } else {
    parts.push(
      `/** The template has no input_schema: the task context is any JSON object. */\nexport type ${inputName} = JsonObject;\n`,
    );
  }

  const resultTypes = new Map<string, string>();
  for (const step of template.steps) {
    const schema = step.result_schema;
    if (schema === undefined || schema === null) continue;
    let typeName = `${pascalCase(step.name)}Result`;
    for (let n = 2; names.has(typeName); n++) typeName = `${pascalCase(step.name)}Result${n}`;
    names.add(typeName);
    resultTypes.set(step.name, typeName);
    parts.push(await compile(titled(schema, typeName), typeName, compileOptions));
  }

  const results = template.steps.map((s) => `  ${key(s.name)}: ${resultTypes.get(s.name) ?? 'unknown'};`);
  parts.push(
    `/** Each step's result by step name; \`unknown\` where the step declares no result_schema. */\nexport interface ${base}StepResults {\n${results.join('\n')}\n}\n`,
  );
  const deps = template.steps.map((s) => {
    const parents = s.dependencies.map((p) => `${key(p)}: ${base}StepResults[${key(p)}]`);
    return `  ${key(s.name)}: ${parents.length === 0 ? 'Record<never, never>' : `{ ${parents.join('; ')} }`};`;
  });
  parts.push(
    `/** What each step's handler reads from its parents (depends_on) as \`deps.<parent>\`. */\nexport interface ${base}StepDeps {\n${deps.join('\n')}\n}\n`,
    `/** The arguments of the handler of \`step\`, typed by the template (for class handlers and annotations). */\nexport type ${base}HandlerArgs<S extends keyof ${base}StepDeps> = HandlerArgs<${inputName}, ${base}StepDeps[S]>;\n`,
  );

  if (withSchemas) parts.push(schemaTable(template, value, inputName, resultTypes));
  parts.push(stepTable(template, value, withSchemas, resultTypes), definer(base, value, inputName));
  return parts.join('\n');
}

/** `<template>Schemas`: the template's JSON Schemas as Standard Schemas (`jsonSchema<T>(…)`). */
function schemaTable(
  template: TaskTemplate,
  value: string,
  inputName: string,
  resultTypes: ReadonlyMap<string, string>,
): string {
  const lines = [
    `/** The template's JSON Schemas, checked at run time by the handlers \`${value}Steps\` configures. */`,
  ];
  lines.push(`export const ${value}Schemas = {`);
  if (template.input_schema !== null)
    lines.push(`  input: jsonSchema<${inputName}>(${stringifyJson(template.input_schema)}),`);
  lines.push('  results: {');
  for (const step of template.steps) {
    const typeName = resultTypes.get(step.name);
    if (typeName !== undefined)
      lines.push(`    ${key(step.name)}: jsonSchema<${typeName}>(${stringifyJson(step.result_schema)}),`);
  }
  lines.push('  },', '} as const;\n');
  return lines.join('\n');
}

/** `<template>Steps`: per step, the `defineHandler` options its place in the template implies. */
function stepTable(
  template: TaskTemplate,
  value: string,
  withSchemas: boolean,
  resultTypes: ReadonlyMap<string, string>,
): string {
  const lines = [
    `/** Per step, the defineHandler options that fill \`deps\` from depends_on${withSchemas ? ' and check input, deps and result' : ''}. */`,
    `export const ${value}Steps = {`,
  ];
  for (const step of template.steps) {
    const fields: string[] = [];
    const checked = withSchemas ? step.dependencies.filter((p) => resultTypes.has(p)) : [];
    const unchecked = step.dependencies.filter((p) => !checked.includes(p));
    if (withSchemas && template.input_schema !== null) fields.push(`input: ${value}Schemas.input`);
    if (checked.length > 0) {
      fields.push(
        `deps: { ${checked.map((p) => `${key(p)}: ${value}Schemas.results[${key(p)}]`).join(', ')} }`,
      );
    }
    fields.push(`depends: [${unchecked.map(key).join(', ')}]`);
    if (withSchemas && resultTypes.has(step.name))
      fields.push(`result: ${value}Schemas.results[${key(step.name)}]`);
    lines.push(`  ${key(step.name)}: { ${fields.join(', ')} },`);
  }
  lines.push('} as const;\n');
  return lines.join('\n');
}

/** `define<Template>Handler(step, name, fn)`. */
function definer(base: string, value: string, inputName: string): string {
  return `/**
 * \`defineHandler\` for a step of this template: \`fn\`'s \`input\` and \`deps\` are the template's types, and its
 * result must fit the step's result_schema (any result where it has none).
 */
export function define${base}Handler<
  S extends keyof ${base}StepDeps,
  TResult extends ${base}StepResults[S] = ${base}StepResults[S],
>(
  step: S,
  name: string,
  fn: HandlerFn<${inputName}, ${base}StepDeps[S], TResult>,
): DefinedHandler<${inputName}, TResult> {
  // The table entry of \`step\` is exactly what these types describe: both are written from the same template.
  type Options = DefineHandlerOptions<${inputName}, ${base}StepDeps[S], TResult, JsonObject, never, never>;
  const options = ${value}Steps[step] as unknown as Options;
  return defineHandler<${inputName}, ${base}StepDeps[S], TResult, JsonObject, never, never>(name, options, fn);
}
`;
}
