import { randomUUID } from 'node:crypto';
import { defineHandler, PermanentError, ValidationError } from '@tasker-bridge/core';
import { fromCents, toCents } from '../shared/numbers.js';

/**
 * Order fulfillment `order_fulfillment_ts/business_workflow_ts` (upstream: Ruby and Rust only,
 * `rust_e2e_order_fulfillment/business_workflow`): validate_order → reserve_inventory → process_payment
 * (needs validate + reserve) → ship_order (needs all three).
 *
 * The order total is Σ price × quantity in cents, so the upstream e2e order (2 × 29.99 + 1 × 149.99) is exactly
 * 209.97; orders above 50,000 are refused; the gateway fee is 2.9 % rounded to cents (6.09 on 209.97).
 */
const NS = 'order_fulfillment.step_handlers';
const MAX_ORDER_CENTS = 5_000_000;
const GATEWAY_FEE_RATE = 0.029;

interface OrderItem {
  product_id: string | number;
  quantity: number;
  price: number;
}
interface OrderInput {
  customer_info?: { id?: unknown; email?: unknown; name?: unknown };
  order_items?: OrderItem[];
  payment_info?: { method?: string; token?: string };
  shipping_info?: { address?: string; method?: string };
}

export interface ValidatedOrder {
  customer_id: unknown;
  validated_items: (OrderItem & { line_total: number })[];
  order_total: number;
  total_amount: number;
  item_count: number;
}

export const ValidateOrderHandler = defineHandler<OrderInput>(`${NS}.ValidateOrderHandler`, ({ input }) => {
  const customer = input.customer_info;
  if (customer?.id === undefined || customer.id === null)
    throw new ValidationError('customer_info.id is required', { field: 'customer_info.id' });
  if (typeof customer.email !== 'string' || customer.email === '')
    throw new ValidationError('customer_info.email is required', { field: 'customer_info.email' });
  const items = input.order_items;
  if (!Array.isArray(items) || items.length === 0)
    throw new ValidationError('order_items must list at least one item', { field: 'order_items' });

  let totalCents = 0;
  const validated = items.map((item, index) => {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0)
      throw new ValidationError(`order_items[${index}].quantity must be a positive integer`);
    if (typeof item.price !== 'number' || item.price < 0)
      throw new ValidationError(`order_items[${index}].price must be a non-negative number`);
    const lineCents = toCents(item.price) * item.quantity;
    totalCents += lineCents;
    return { ...item, line_total: fromCents(lineCents) };
  });
  if (totalCents > MAX_ORDER_CENTS) {
    throw new PermanentError(`Order total ${fromCents(totalCents)} exceeds the maximum of 50000`, {
      errorCode: 'ORDER_TOO_LARGE',
    });
  }
  const total = fromCents(totalCents);
  return {
    customer_id: customer.id,
    validated_items: validated,
    order_total: total,
    total_amount: total,
    item_count: validated.reduce((n, i) => n + i.quantity, 0),
    validation_status: 'complete',
  } satisfies ValidatedOrder & Record<string, unknown>;
});

export const ReserveInventoryHandler = defineHandler<OrderInput, { order: ValidatedOrder }>(
  `${NS}.ReserveInventoryHandler`,
  { depends: { order: 'validate_order' } },
  ({ deps }) => {
    const reservationId = `RES-${randomUUID().slice(0, 8).toUpperCase()}`;
    return {
      reservation_id: reservationId,
      reservation_status: 'confirmed',
      items_reserved: deps.order.validated_items.length,
      total_reserved_value: deps.order.order_total,
      reservations: deps.order.validated_items.map((item) => ({
        product_id: item.product_id,
        quantity_reserved: item.quantity,
        reference: `${reservationId}-${item.product_id}`,
      })),
    };
  },
);

export const ProcessPaymentHandler = defineHandler<
  OrderInput,
  { order: ValidatedOrder; reservation: { reservation_id: string } }
>(
  `${NS}.ProcessPaymentHandler`,
  { depends: { order: 'validate_order', reservation: 'reserve_inventory' } },
  ({ deps, input }) => {
    const payment = input.payment_info;
    if (typeof payment?.method !== 'string' || typeof payment.token !== 'string')
      throw new ValidationError('payment_info.method and payment_info.token are required', {
        field: 'payment_info',
      });
    const amountCents = toCents(deps.order.order_total);
    const feeCents = Math.round(amountCents * GATEWAY_FEE_RATE);
    return {
      payment_processed: true,
      transaction_id: `TXN-${randomUUID().slice(0, 12).toUpperCase()}`,
      amount_charged: fromCents(amountCents),
      gateway_fee: fromCents(feeCents),
      net_amount: fromCents(amountCents - feeCents),
      payment_method: payment.method,
      reservation_id: deps.reservation.reservation_id,
      payment_status: 'completed',
    };
  },
);

export const ShipOrderHandler = defineHandler<
  OrderInput,
  { order: ValidatedOrder; reservation: { reservation_id: string }; payment: { transaction_id: string } }
>(
  `${NS}.ShipOrderHandler`,
  { depends: { order: 'validate_order', reservation: 'reserve_inventory', payment: 'process_payment' } },
  ({ deps, input }) => {
    const shipping = input.shipping_info;
    if (typeof shipping?.address !== 'string' || shipping.address === '')
      throw new ValidationError('shipping_info.address is required', { field: 'shipping_info.address' });
    return {
      shipment_id: `SHIP-${randomUUID().slice(0, 8).toUpperCase()}`,
      tracking_number: `TRK${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`,
      shipping_status: 'label_created',
      shipping_method: shipping.method ?? 'standard',
      transaction_id: deps.payment.transaction_id,
      reservation_id: deps.reservation.reservation_id,
      items_shipped: deps.order.item_count,
    };
  },
);

export const orderFulfillmentHandlers = [
  ValidateOrderHandler,
  ReserveInventoryHandler,
  ProcessPaymentHandler,
  ShipOrderHandler,
] as const;
