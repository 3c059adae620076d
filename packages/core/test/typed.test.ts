import { describe, expect, it } from 'vitest';
import { generateHandlerTypes } from '../src/codegen.js';
import { checkResultSchema, defineHandler, type StepContext, StepHandler } from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import { expectWireValid, recordingLogger } from './support.js';

const resultSchema = {
  type: 'object',
  required: ['squared_value'],
  properties: { squared_value: { type: 'integer' } },
  additionalProperties: false,
};

const template = {
  name: 'mathematical_sequence',
  namespace_name: 'linear_workflow',
  version: '1.0.0',
  input_schema: {
    type: 'object',
    required: ['even_number'],
    properties: { even_number: { type: 'integer', description: 'An even number' } },
  },
  steps: [
    { name: 'linear_step_1', handler: { callable: 'Square' }, result_schema: resultSchema },
    { name: 'linear_step_2', handler: { callable: 'Add' } },
  ],
};

describe('generateHandlerTypes', () => {
  it('writes input and result types named after the template and its steps', async () => {
    const source = await generateHandlerTypes(template);
    expect(source).toContain('Generated from task template linear_workflow/mathematical_sequence@1.0.0');
    expect(source).toMatch(/export interface MathematicalSequenceInput \{[\s\S]*even_number: number;/);
    expect(source).toMatch(/export interface LinearStep1Result \{\s*squared_value: number;\s*\}/);
    expect(source).toMatch(
      /export interface MathematicalSequenceStepResults \{\s*"linear_step_1": LinearStep1Result;\s*"linear_step_2": unknown;\s*\}/,
    );
    expect(source).toContain('export function defineMathematicalSequenceHandler<');
    expect(source).not.toContain('jsonSchema');
  });

  it('types the input as any JSON object without an input_schema', async () => {
    const { input_schema: _ignored, ...bare } = template;
    expect(await generateHandlerTypes(bare)).toContain('export type MathematicalSequenceInput = JsonObject;');
  });

  it("wires each step's deps to its depends_on, with the schemas in the step table when asked", async () => {
    const chained = {
      ...template,
      steps: [template.steps[0]!, { ...template.steps[1]!, depends_on: ['linear_step_1'] }],
    };
    const typesOnly = await generateHandlerTypes(chained);
    expect(typesOnly).toContain(
      '"linear_step_2": { "linear_step_1": MathematicalSequenceStepResults["linear_step_1"] };',
    );
    expect(typesOnly).toContain('"linear_step_2": { depends: ["linear_step_1"] },');
    const withSchemas = await generateHandlerTypes(chained, { schemas: true });
    expect(withSchemas).toContain(
      '"linear_step_2": { input: mathematicalSequenceSchemas.input, deps: { "linear_step_1": mathematicalSequenceSchemas.results["linear_step_1"] }, depends: [] },',
    );
  });
});

describe('result_schema checking', () => {
  const wrong = defineHandler<{ even_number: number }>('Square', ({ input }) => ({
    squared: input.even_number ** 2,
  }));
  const right = defineHandler<{ even_number: number }, never, { squared_value: number }>(
    'Square',
    ({ input }) => ({
      squared_value: input.even_number ** 2,
    }),
  );
  const options = { template, input: { even_number: 6 } };

  it('reports issues by path', () => {
    expect(checkResultSchema(resultSchema, { squared_value: 36 })).toEqual({ ok: true });
    const check = checkResultSchema(resultSchema, { squared_value: 'x' });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.issues[0]?.path).toBe('/squared_value');
  });

  it('off (default) ignores the schema', async () => {
    expect((await runHandler(wrong, options)).success).toBe(true);
  });

  it('warn logs the violation and keeps the result', async () => {
    const logger = recordingLogger();
    const run = await runHandler(wrong, { ...options, resultSchemaMode: 'warn', logger });
    expect(run.success).toBe(true);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg?.includes('result_schema'))).toBe(true);
  });

  it('enforce fails a violating result permanently and passes a conforming one', async () => {
    const bad = await runHandler(wrong, { ...options, resultSchemaMode: 'enforce' });
    expect(expectWireValid(bad.result)).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'result_schema_violation' },
    });
    expect(bad.result?.error?.message).toContain('squared_value');
    const good = await runHandler(right, { ...options, resultSchemaMode: 'enforce' });
    expect(good.value).toEqual({ squared_value: 36 });
  });

  it("a handler's own mode wins over the worker's", async () => {
    class Strict extends StepHandler {
      static override resultSchemaMode = 'enforce' as const;
      call(ctx: StepContext<{ even_number: number }>) {
        return { squared: ctx.inputData.even_number ** 2 };
      }
    }
    expect((await runHandler(Strict, { ...options, resultSchemaMode: 'off' })).errorType).toBe(
      'result_schema_violation',
    );
    const lenient = defineHandler('Square', { resultSchemaMode: 'off' }, () => ({ nope: 1 }));
    expect((await runHandler(lenient, { ...options, resultSchemaMode: 'enforce' })).success).toBe(true);
  });
});

describe('input_schema checking (inputSchemaMode)', () => {
  const echo = defineHandler('Square', ({ input }) => ({ seen: input }));
  const bad = { template, input: { even_number: 'six' } };

  it('off (default) runs the handler whatever the context', async () => {
    expect((await runHandler(echo, bad)).success).toBe(true);
  });

  it('warn logs the violation and runs the handler', async () => {
    const logger = recordingLogger();
    const run = await runHandler(echo, { ...bad, inputSchemaMode: 'warn', logger });
    expect(run.success).toBe(true);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg?.includes('input/even_number'))).toBe(true);
  });

  it('enforce fails the step permanently with validation_error before the handler runs', async () => {
    let ran = false;
    const spy = defineHandler('Square', () => {
      ran = true;
      return {};
    });
    const run = await runHandler(spy, { ...bad, inputSchemaMode: 'enforce' });
    expect(ran).toBe(false);
    expect(expectWireValid(run.result)).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'validation_error' },
      error: { context: { schema: 'input_schema', issues: [{ path: '/even_number' }] } },
    });
    expect(run.result?.error?.message).toMatch(/input\/even_number: must be integer/);
    expect(
      (await runHandler(spy, { template, input: { even_number: 6 }, inputSchemaMode: 'enforce' })).success,
    ).toBe(true);
  });
});
