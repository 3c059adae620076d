// Generated from task template ecommerce/order_pipeline@1.0.0.
// Do not edit: regenerate with `tasker-bridge codegen --schemas` (generateHandlerTypes() from @tasker-bridge/core/codegen).
import {
  type DefinedHandler,
  type DefineHandlerOptions,
  defineHandler,
  type HandlerArgs,
  type HandlerFn,
  type JsonObject,
  jsonSchema,
} from '@tasker-bridge/core';

export interface OrderPipelineInput {
  order_id: string;
  items: {
    sku: string;
    quantity: number;
    unit_price: number;
    [k: string]: unknown;
  }[];
  coupon?: string;
  [k: string]: unknown;
}

export interface ValidateOrderResult {
  order_id: string;
  total: number;
}

export interface ChargePaymentResult {
  charged: boolean;
  amount: number;
  [k: string]: unknown;
}

/** Each step's result by step name; `unknown` where the step declares no result_schema. */
export interface OrderPipelineStepResults {
  "validate_order": ValidateOrderResult;
  "charge_payment": ChargePaymentResult;
  "send_receipt": unknown;
}

/** What each step's handler reads from its parents (depends_on) as `deps.<parent>`. */
export interface OrderPipelineStepDeps {
  "validate_order": Record<never, never>;
  "charge_payment": { "validate_order": OrderPipelineStepResults["validate_order"] };
  "send_receipt": { "validate_order": OrderPipelineStepResults["validate_order"]; "charge_payment": OrderPipelineStepResults["charge_payment"] };
}

/** The arguments of the handler of `step`, typed by the template (for class handlers and annotations). */
export type OrderPipelineHandlerArgs<S extends keyof OrderPipelineStepDeps> = HandlerArgs<OrderPipelineInput, OrderPipelineStepDeps[S]>;

/** The template's JSON Schemas, checked at run time by the handlers `orderPipelineSteps` configures. */
export const orderPipelineSchemas = {
  input: jsonSchema<OrderPipelineInput>({"type":"object","required":["order_id","items"],"properties":{"order_id":{"type":"string"},"items":{"type":"array","items":{"type":"object","required":["sku","quantity","unit_price"],"properties":{"sku":{"type":"string"},"quantity":{"type":"integer","minimum":1},"unit_price":{"type":"number","minimum":0}}}},"coupon":{"type":"string"}}}),
  results: {
    "validate_order": jsonSchema<ValidateOrderResult>({"type":"object","required":["order_id","total"],"additionalProperties":false,"properties":{"order_id":{"type":"string"},"total":{"type":"number"}}}),
    "charge_payment": jsonSchema<ChargePaymentResult>({"type":"object","required":["charged","amount"],"properties":{"charged":{"type":"boolean"},"amount":{"type":"number"}}}),
  },
} as const;

/** Per step, the defineHandler options that fill `deps` from depends_on and check input, deps and result. */
export const orderPipelineSteps = {
  "validate_order": { input: orderPipelineSchemas.input, depends: [], result: orderPipelineSchemas.results["validate_order"] },
  "charge_payment": { input: orderPipelineSchemas.input, deps: { "validate_order": orderPipelineSchemas.results["validate_order"] }, depends: [], result: orderPipelineSchemas.results["charge_payment"] },
  "send_receipt": { input: orderPipelineSchemas.input, deps: { "validate_order": orderPipelineSchemas.results["validate_order"], "charge_payment": orderPipelineSchemas.results["charge_payment"] }, depends: [] },
} as const;

/**
 * `defineHandler` for a step of this template: `fn`'s `input` and `deps` are the template's types, and its
 * result must fit the step's result_schema (any result where it has none).
 */
export function defineOrderPipelineHandler<
  S extends keyof OrderPipelineStepDeps,
  TResult extends OrderPipelineStepResults[S] = OrderPipelineStepResults[S],
>(
  step: S,
  name: string,
  fn: HandlerFn<OrderPipelineInput, OrderPipelineStepDeps[S], TResult>,
): DefinedHandler<OrderPipelineInput, TResult> {
  // The table entry of `step` is exactly what these types describe: both are written from the same template.
  type Options = DefineHandlerOptions<OrderPipelineInput, OrderPipelineStepDeps[S], TResult, JsonObject, never, never>;
  const options = orderPipelineSteps[step] as unknown as Options;
  return defineHandler<OrderPipelineInput, OrderPipelineStepDeps[S], TResult, JsonObject, never, never>(name, options, fn);
}
