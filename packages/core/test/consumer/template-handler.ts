// A consumer's template-typed handlers: types and run-time checks from the template's JSON Schemas, through the
// file `tasker-bridge codegen --schemas order_pipeline.yaml` wrote (generated/order-pipeline.ts). No casts, no type
// arguments; imports only published entry points, so the packed-packages test can compile it as it is.
import { HandlerRegistry, type StepContext, StepHandler } from '@tasker-bridge/core';
import {
  defineOrderPipelineHandler,
  type OrderPipelineHandlerArgs,
  type OrderPipelineInput,
} from './generated/order-pipeline.js';

export const validateOrder = defineOrderPipelineHandler(
  'validate_order',
  'ecommerce.ValidateOrder',
  ({ input }) => {
    const total = input.items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0);
    // @ts-expect-error quantity is a number (the input_schema's integer)
    const wrong: string = input.items[0]?.quantity;
    void wrong;
    return { order_id: input.order_id, total };
  },
);

export const chargePayment = defineOrderPipelineHandler(
  'charge_payment',
  'ecommerce.ChargePayment',
  ({ deps }) => {
    // deps.validate_order is typed by validate_order's result_schema, wired through depends_on.
    return { charged: deps.validate_order.total > 0, amount: deps.validate_order.total };
  },
);

/** A helper written apart from its handler, typed by the step's arguments. */
function receiptLine({ deps, input }: OrderPipelineHandlerArgs<'send_receipt'>): string {
  return `${input.order_id}: ${deps.charge_payment.amount}`;
}

export const sendReceipt = defineOrderPipelineHandler('send_receipt', 'ecommerce.SendReceipt', (args) => ({
  receipt: receiptLine(args),
  // @ts-expect-error charge_payment's result has `charged`, a boolean: no `total`
  total: args.deps.charge_payment.total.toFixed(2),
}));

defineOrderPipelineHandler('validate_order', 'bad', ({ input }) => ({
  order_id: input.order_id,
  // @ts-expect-error validate_order's result_schema requires `total` to be a number
  total: 'none',
}));

defineOrderPipelineHandler('charge_payment', 'bad', ({ deps }) => ({
  charged: true,
  // @ts-expect-error charge_payment does not depend on send_receipt
  amount: deps.send_receipt,
}));

/** A class handler typed by the same template. */
export class AuditOrder extends StepHandler {
  static override handlerName = 'ecommerce.AuditOrder';
  call(context: StepContext<OrderPipelineInput>) {
    return { items: context.inputData.items.length };
  }
}

export const registry = new HandlerRegistry()
  .register(validateOrder)
  .register(chargePayment)
  .register(sendReceipt)
  .register(AuditOrder);
