// A consumer's Zod-typed handler: no casts, no type arguments, every type inferred from the schemas. Imports only
// published entry points, so the packed-packages test can compile this file as it is in a project of its own.
import { defineHandler, HandlerRegistry, type HandlerResultOf } from '@tasker-bridge/core';
import { z } from 'zod';

export const chargePayment = defineHandler(
  'ecommerce.ChargePayment',
  {
    input: z.object({ order_id: z.string(), coupon: z.string().optional() }),
    config: z.object({ gateway_url: z.url(), fee_percent: z.number().default(0) }),
    deps: { validate_order: z.object({ total: z.number().nonnegative() }) },
    result: z.object({ order_id: z.string(), charged: z.number() }),
  },
  ({ input, config, deps }) => {
    const charged = deps.validate_order.total * (1 + config.fee_percent / 100);
    // @ts-expect-error order_id is a string, not a number
    const wrongInput: number = input.order_id;
    // @ts-expect-error gateway_url is a string
    const wrongConfig: boolean = config.gateway_url;
    // @ts-expect-error validate_order has no field `sum`
    const wrongDep = deps.validate_order.sum;
    void [wrongInput, wrongConfig, wrongDep];
    return { order_id: input.order_id, charged };
  },
);

// @ts-expect-error the result schema says `charged` is a number
defineHandler('wrong', { result: z.object({ charged: z.number() }) }, () => ({ charged: 'yes' }));

export type ChargePaymentResult = HandlerResultOf<typeof chargePayment>;
const typed: ChargePaymentResult = { order_id: 'o-1', charged: 12.5 };
// @ts-expect-error the result type keeps the schema's field types
const untyped: ChargePaymentResult = { order_id: 'o-1', charged: '12.5' };
void [typed, untyped];

export const registry = new HandlerRegistry().register(chargePayment);
