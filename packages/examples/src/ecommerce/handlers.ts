import { defineHandler, PermanentError, RetryableError, ValidationError } from '@tasker-bridge/core';
import { fromCents, toCents } from '../shared/numbers.js';

/**
 * E-commerce order processing `ecommerce_ts/ecommerce_order_processing_ts` (blog post 1): validate_cart →
 * process_payment → update_inventory → create_order → send_confirmation.
 *
 * Catalogue (docs/upstream-workers.md §4.2): 1 Widget A 29.99 (stock 100), 2 Widget B 49.99 (50), 3 Widget C 19.99
 * (25), 4 Widget D 99.99 (0), 5 Widget E 14.99 (10); tax 8 % rounded to cents; shipping 5.99. The upstream e2e
 * cart (2 × #1 + 1 × #2) gives subtotal 109.97, tax 8.80, total 124.76. Payment tokens `tok_test_declined` and
 * `tok_test_insufficient_funds` fail permanently, `tok_test_network_error` retryably; an unknown product or
 * missing cart/payment is permanent; insufficient stock is retryable (stock may come back).
 */
const NS = 'Ecommerce.StepHandlers';

export const CATALOG: Readonly<Record<number, { name: string; price: number; stock: number }>> = {
  1: { name: 'Widget A', price: 29.99, stock: 100 },
  2: { name: 'Widget B', price: 49.99, stock: 50 },
  3: { name: 'Widget C', price: 19.99, stock: 25 },
  4: { name: 'Widget D', price: 99.99, stock: 0 },
  5: { name: 'Widget E', price: 14.99, stock: 10 },
};
const TAX_RATE = 0.08;
const SHIPPING_CENTS = 599;

interface CartInput {
  cart_items?: { product_id: number; quantity: number }[];
  customer_info?: { email?: string; name?: string };
  payment_info?: { method?: string; token?: string; amount?: number };
}
interface Cart {
  validated_items: {
    product_id: number;
    name: string;
    price: number;
    quantity: number;
    line_total: number;
  }[];
  subtotal: number;
  tax: number;
  shipping: number;
  total: number;
  item_count: number;
}

function productFor(id: number) {
  const product = CATALOG[id];
  if (product === undefined)
    throw new PermanentError(`Product ${id} not found`, { errorCode: 'UNKNOWN_PRODUCT' });
  return product;
}

export const ValidateCartHandler = defineHandler<CartInput>(`${NS}.ValidateCartHandler`, ({ input }) => {
  const items = input.cart_items;
  if (!Array.isArray(items) || items.length === 0)
    throw new ValidationError('cart_items must list at least one item', { field: 'cart_items' });
  let subtotalCents = 0;
  const validated = items.map((item) => {
    const product = productFor(item.product_id);
    if (product.stock < item.quantity)
      throw new RetryableError(
        `Insufficient stock for ${product.name}: ${product.stock} available, ${item.quantity} requested`,
        {
          errorCode: 'INSUFFICIENT_STOCK',
        },
      );
    const lineCents = toCents(product.price) * item.quantity;
    subtotalCents += lineCents;
    return {
      product_id: item.product_id,
      name: product.name,
      price: product.price,
      quantity: item.quantity,
      line_total: fromCents(lineCents),
    };
  });
  const taxCents = Math.round(subtotalCents * TAX_RATE);
  return {
    validated_items: validated,
    subtotal: fromCents(subtotalCents),
    tax: fromCents(taxCents),
    shipping: fromCents(SHIPPING_CENTS),
    total: fromCents(subtotalCents + taxCents + SHIPPING_CENTS),
    item_count: validated.reduce((n, i) => n + i.quantity, 0),
  } satisfies Cart;
});

const DECLINES: Record<string, [string, boolean]> = {
  tok_test_declined: ['Card was declined by the issuer', false],
  tok_test_insufficient_funds: ['Insufficient funds', false],
  tok_test_network_error: ['Payment gateway timeout', true],
};

export const ProcessPaymentHandler = defineHandler<CartInput, { cart: Cart }>(
  `${NS}.ProcessPaymentHandler`,
  { depends: { cart: 'validate_cart' } },
  ({ input, deps, context }) => {
    const payment = input.payment_info;
    if (typeof payment?.token !== 'string' || typeof payment.method !== 'string')
      throw new ValidationError('payment_info.method and payment_info.token are required', {
        field: 'payment_info',
      });
    const decline = DECLINES[payment.token];
    if (decline !== undefined) {
      const [message, retryable] = decline;
      throw retryable
        ? new RetryableError(message, { errorCode: 'GATEWAY_TIMEOUT' })
        : new PermanentError(message, { errorCode: 'PAYMENT_DECLINED' });
    }
    const id = context.stepUuid.replaceAll('-', '').slice(-12);
    return {
      payment_id: `pay_${id}`,
      transaction_id: `txn_${id}`,
      status: 'succeeded',
      amount_charged: deps.cart.total,
      currency: 'USD',
      payment_method: payment.method,
    };
  },
);

export const UpdateInventoryHandler = defineHandler<CartInput, { cart: Cart }>(
  `${NS}.UpdateInventoryHandler`,
  { depends: { cart: 'validate_cart' } },
  ({ deps }) => {
    const updated = deps.cart.validated_items.map((item) => {
      const product = productFor(item.product_id);
      if (product.stock < item.quantity)
        throw new RetryableError(`Stock for ${product.name} is no longer available`, {
          errorCode: 'INSUFFICIENT_STOCK',
        });
      return {
        product_id: item.product_id,
        name: product.name,
        previous_stock: product.stock,
        new_stock: product.stock - item.quantity,
        quantity_reserved: item.quantity,
      };
    });
    return {
      updated_products: updated,
      total_items_reserved: updated.reduce((n, u) => n + u.quantity_reserved, 0),
    };
  },
);

export const CreateOrderHandler = defineHandler<CartInput, { cart: Cart; payment: { payment_id: string } }>(
  `${NS}.CreateOrderHandler`,
  { depends: { cart: 'validate_cart', payment: 'process_payment' } },
  ({ input, deps, context }) => {
    const email = input.customer_info?.email;
    if (typeof email !== 'string' || email === '')
      throw new ValidationError('customer_info.email is required', { field: 'customer_info.email' });
    return {
      order_number: `ORD-${context.taskUuid.replaceAll('-', '').slice(-8).toUpperCase()}`,
      status: 'confirmed',
      total_amount: deps.cart.total,
      payment_id: deps.payment.payment_id,
      customer_email: email,
      item_count: deps.cart.item_count,
    };
  },
);

export const SendConfirmationHandler = defineHandler<
  CartInput,
  { order: { order_number: string; customer_email: string; total_amount: number } }
>(`${NS}.SendConfirmationHandler`, { depends: { order: 'create_order' } }, ({ deps }) => ({
  email_sent: true,
  recipient: deps.order.customer_email,
  subject: `Order ${deps.order.order_number} confirmed`,
  total_amount: deps.order.total_amount,
}));

export const ecommerceHandlers = [
  ValidateCartHandler,
  ProcessPaymentHandler,
  UpdateInventoryHandler,
  CreateOrderHandler,
  SendConfirmationHandler,
] as const;
