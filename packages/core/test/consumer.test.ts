import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateHandlerTypes } from '../src/codegen.js';
import { jsonSchema } from '../src/index.js';
import { runHandler } from '../src/testing/index.js';
import * as templateTyped from './consumer/template-handler.js';
import * as zodTyped from './consumer/zod-handler.js';

/**
 * The consumer fixtures (`test/consumer/`): what a strict-mode project writes with Zod and with a generated
 * template module. `tsc -p tsconfig.tests.json` proves their types (and that every `@ts-expect-error` line is an
 * error); this file proves they run as the types say, and that the generated module matches its generator.
 */
const here = dirname(fileURLToPath(import.meta.url));
const templateFile = join(here, 'consumer', 'order_pipeline.yaml');
const template = parseYaml(readFileSync(templateFile, 'utf8'));

describe('the generated template module', () => {
  it('is what `tasker-bridge codegen --schemas` writes today', async () => {
    expect(readFileSync(join(here, 'consumer', 'generated', 'order-pipeline.ts'), 'utf8')).toBe(
      await generateHandlerTypes(template, { schemas: true }),
    );
  });

  it('types deps from depends_on and checks input, deps and result with the template schemas', async () => {
    const order = { order_id: 'o-1', items: [{ sku: 'a', quantity: 2, unit_price: 10 }] };
    const validated = await runHandler(templateTyped.validateOrder, { template, input: order });
    expect(validated.value).toEqual({ order_id: 'o-1', total: 20 });

    const charged = await runHandler(templateTyped.chargePayment, {
      template,
      stepName: 'charge_payment',
      input: order,
      dependencies: { validate_order: validated.value },
    });
    expect(charged.value).toEqual({ charged: true, amount: 20 });

    const badInput = await runHandler(templateTyped.validateOrder, {
      template,
      input: { order_id: 'o-1', items: [{ sku: 'a', quantity: 0, unit_price: 10 }] },
    });
    expect(badInput).toMatchObject({ success: false, retryable: false, errorType: 'validation_error' });
    expect(badInput.result?.error?.message).toMatch(/input\/items\/0\/quantity: must be >= 1/);

    const badDep = await runHandler(templateTyped.chargePayment, {
      template,
      stepName: 'charge_payment',
      input: order,
      dependencies: { validate_order: { order_id: 'o-1', total: 'twenty' } },
    });
    expect(badDep.result?.error?.message).toMatch(/deps\/validate_order\/total: must be number/);
  });

  it('runs the class handler typed by the same module', async () => {
    const run = await runHandler(templateTyped.registry, {
      template,
      handler: { callable: 'ecommerce.AuditOrder' },
      input: { order_id: 'o-1', items: [] },
    });
    expect(run.value).toEqual({ items: 0 });
  });
});

describe('the Zod-typed consumer handler', () => {
  it('runs with validated values and fails bad input permanently, naming the path', async () => {
    const options = {
      handler: {
        callable: 'ecommerce.ChargePayment',
        initialization: { gateway_url: 'https://pay.example/v1' },
      },
      dependencies: { validate_order: { total: 40 } },
    };
    const run = await runHandler(zodTyped.registry, { ...options, input: { order_id: 'o-1' } });
    expect(run.value).toEqual({ order_id: 'o-1', charged: 40 });
    const bad = await runHandler(zodTyped.registry, { ...options, input: { order_id: 1 } });
    expect(bad.result?.error?.message).toMatch(/input\/order_id: /);
  });
});

describe('jsonSchema', () => {
  it('reports issues with their path and passes the value through unchanged', async () => {
    const schema = jsonSchema<{ a: { 'b/c': number } }>({
      type: 'object',
      properties: { a: { type: 'object', properties: { 'b/c': { type: 'integer' } } } },
    });
    const value = { a: { 'b/c': 1 }, extra: true };
    expect(await schema['~standard'].validate(value)).toEqual({ value });
    expect(await schema['~standard'].validate({ a: { 'b/c': 1.5 } })).toEqual({
      issues: [{ message: 'must be integer', path: ['a', 'b/c'] }],
    });
  });

  it('names a schema that does not compile', () => {
    const schema = jsonSchema({ title: 'Broken', type: 'no-such-type' });
    expect(() => schema['~standard'].validate({})).toThrow(/JSON Schema 'Broken' does not compile/);
  });
});
