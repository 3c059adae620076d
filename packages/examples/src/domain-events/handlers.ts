import { defineHandler, PermanentError, ValidationError } from '@tasker-bridge/core';

/**
 * Domain events `domain_events_ts/domain_event_publishing_ts`: four sequential steps whose templates declare
 * `publishes_events`; the worker publishes them after each result commits (`order.validated` fast on success,
 * `payment.processed` durable on success, `payment.failed` durable on failure, `inventory.updated` fast always,
 * `notification.sent` fast on success). The handlers only return the business values the event schemas describe.
 * `simulate_payment_failure: true` in the context makes the payment fail permanently (to see `payment.failed`).
 */
const NS = 'domain_events.step_handlers';

interface OrderInput {
  order_id?: string;
  customer_id?: string;
  amount?: number;
  items?: unknown[];
  simulate_payment_failure?: boolean;
}

export const ValidateOrderHandler = defineHandler<OrderInput>(`${NS}.ValidateOrderHandler`, ({ input }) => {
  if (typeof input.order_id !== 'string' || input.order_id === '')
    throw new ValidationError('order_id is required', { field: 'order_id' });
  if (typeof input.customer_id !== 'string' || input.customer_id === '')
    throw new ValidationError('customer_id is required', { field: 'customer_id' });
  if (typeof input.amount !== 'number' || input.amount <= 0)
    throw new ValidationError('amount must be positive', { field: 'amount' });
  return {
    order_id: input.order_id,
    customer_id: input.customer_id,
    amount: input.amount,
    validated_at: new Date().toISOString(),
  };
});

export const ProcessPaymentHandler = defineHandler<
  OrderInput,
  { order: { order_id: string; amount: number } }
>(
  `${NS}.ProcessPaymentHandler`,
  { depends: { order: 'domain_events_ts_validate_order' } },
  ({ deps, input, context }) => {
    if (input.simulate_payment_failure === true)
      throw new PermanentError(`Payment declined for order ${deps.order.order_id}`, {
        errorCode: 'DECLINED',
      });
    return {
      order_id: deps.order.order_id,
      payment_id: `pay_${context.stepUuid.replaceAll('-', '').slice(0, 16)}`,
      amount: deps.order.amount,
      processed_at: new Date().toISOString(),
    };
  },
);

export const UpdateInventoryHandler = defineHandler<OrderInput, { payment: { order_id: string } }>(
  `${NS}.UpdateInventoryHandler`,
  { depends: { payment: 'domain_events_ts_process_payment' } },
  ({ deps, input }) => ({
    order_id: deps.payment.order_id,
    items_updated: Array.isArray(input.items) ? input.items.length : 0,
    updated_at: new Date().toISOString(),
  }),
);

export const SendNotificationHandler = defineHandler<OrderInput, { inventory: { order_id: string } }>(
  `${NS}.SendNotificationHandler`,
  { depends: { inventory: 'domain_events_ts_update_inventory' } },
  ({ deps, input, config }) => ({
    order_id: deps.inventory.order_id,
    customer_id: input.customer_id,
    channels: Array.isArray(config.notification_channels) ? config.notification_channels : ['email'],
    sent_at: new Date().toISOString(),
  }),
);

export const domainEventHandlers = [
  ValidateOrderHandler,
  ProcessPaymentHandler,
  UpdateInventoryHandler,
  SendNotificationHandler,
] as const;
