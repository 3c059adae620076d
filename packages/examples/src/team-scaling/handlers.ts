import { defineHandler, PermanentError, RetryableError, ValidationError } from '@tasker-bridge/core';
import { fromCents, toCents } from '../shared/numbers.js';

/**
 * Team scaling (blog post 4): two teams own refund workflows in their own namespaces.
 *
 * `customer_success_ts/customer_success_process_refund_ts`: validate_refund_request → check_refund_policy →
 * get_manager_approval → execute_refund_workflow → update_ticket_status. Policy by customer tier (a customer id
 * containing `premium` or `gold` has that tier, otherwise standard): standard refunds up to 100.00 and needs a
 * manager's approval, gold up to 500.00 and premium up to 1,000.00 without one. Ticket ids containing `closed`
 * are refused.
 *
 * `payments_ts/payments_process_refund_ts`: validate_payment_eligibility → process_gateway_refund →
 * update_payment_records → notify_customer. Payment ids must look like `pay_…`; a refund above 10,000.00 or a
 * payment id containing `disputed` is refused; `pay_…_gateway_down` fails retryably at the gateway.
 */
const CS = 'TeamScaling.CustomerSuccess.StepHandlers';
const PAY = 'TeamScaling.Payments.StepHandlers';

const POLICIES = {
  standard: { max_cents: 10_000, requires_approval: true },
  gold: { max_cents: 50_000, requires_approval: false },
  premium: { max_cents: 100_000, requires_approval: false },
} as const;
type Tier = keyof typeof POLICIES;

interface RefundRequest {
  ticket_id?: string;
  customer_id?: string;
  refund_amount?: number;
  refund_reason?: string;
  customer_email?: string;
  payment_id?: string;
  requires_approval?: boolean;
}

export const ValidateRefundRequestHandler = defineHandler<RefundRequest>(
  `${CS}.ValidateRefundRequestHandler`,
  { inputs: ['ticket_id', 'customer_id', 'refund_amount', 'customer_email'] },
  ({ input }) => {
    if (typeof input.refund_amount !== 'number' || input.refund_amount <= 0)
      throw new ValidationError('refund_amount must be positive', { field: 'refund_amount' });
    const ticket = requiredString(input.ticket_id, 'ticket_id');
    if (ticket.includes('closed'))
      throw new PermanentError(`Ticket ${ticket} is closed`, { errorCode: 'TICKET_CLOSED' });
    const id = requiredString(input.customer_id, 'customer_id');
    const tier: Tier = id.includes('premium') ? 'premium' : id.includes('gold') ? 'gold' : 'standard';
    return {
      request_validated: true,
      ticket_id: input.ticket_id,
      customer_id: id,
      customer_tier: tier,
      refund_amount: input.refund_amount,
    };
  },
);

export const CheckRefundPolicyHandler = defineHandler<
  RefundRequest,
  { request: { customer_tier: Tier; refund_amount: number } }
>(`${CS}.CheckRefundPolicyHandler`, { depends: { request: 'validate_refund_request' } }, ({ deps }) => {
  const policy = POLICIES[deps.request.customer_tier];
  if (toCents(deps.request.refund_amount) > policy.max_cents)
    throw new PermanentError(
      `Refund of ${deps.request.refund_amount} exceeds the ${deps.request.customer_tier} limit of ${fromCents(policy.max_cents)}`,
      { errorCode: 'OVER_POLICY_LIMIT' },
    );
  return {
    policy_checked: true,
    policy_compliant: true,
    customer_tier: deps.request.customer_tier,
    max_allowed_amount: fromCents(policy.max_cents),
    requires_approval: policy.requires_approval,
  };
});

export const GetManagerApprovalHandler = defineHandler<
  RefundRequest,
  { policy: { requires_approval: boolean; customer_tier: Tier } }
>(`${CS}.GetManagerApprovalHandler`, { depends: { policy: 'check_refund_policy' } }, ({ deps, input }) => {
  const required = deps.policy.requires_approval && input.requires_approval !== false;
  return required
    ? { approval_obtained: true, approval_required: true, approver: 'manager@example.com' }
    : { approval_obtained: true, approval_required: false, auto_approved_for: deps.policy.customer_tier };
});

export const ExecuteRefundWorkflowHandler = defineHandler<
  RefundRequest,
  { request: { refund_amount: number; ticket_id: string }; approval: unknown }
>(
  `${CS}.ExecuteRefundWorkflowHandler`,
  { depends: { request: 'validate_refund_request', approval: 'get_manager_approval' } },
  ({ deps, input, context }) => ({
    // In the blog post this step creates a task in the payments team's namespace; here it records the hand-off.
    task_delegated: true,
    target_namespace: 'payments_ts',
    target_workflow: 'payments_process_refund_ts',
    delegated_task_id: `refund_${context.taskUuid.slice(0, 8)}`,
    payment_id: input.payment_id ?? null,
    refund_amount: deps.request.refund_amount,
  }),
);

export const UpdateTicketStatusHandler = defineHandler<
  RefundRequest,
  { request: { ticket_id: string }; execution: unknown }
>(
  `${CS}.UpdateTicketStatusHandler`,
  { depends: { request: 'validate_refund_request', execution: 'execute_refund_workflow' } },
  ({ deps }) => ({ ticket_updated: true, ticket_id: deps.request.ticket_id, new_status: 'resolved' }),
);

interface PaymentRefundInput {
  payment_id?: string;
  refund_amount?: number;
  refund_reason?: string;
  customer_email?: string;
}

export const ValidatePaymentEligibilityHandler = defineHandler<PaymentRefundInput>(
  `${PAY}.ValidatePaymentEligibilityHandler`,
  { inputs: ['payment_id', 'refund_amount'] },
  ({ input }) => {
    const id = requiredString(input.payment_id, 'payment_id');
    if (!/^pay_[A-Za-z0-9_]+$/.test(id))
      throw new ValidationError(`payment_id '${id}' is not a payment id (pay_…)`, { field: 'payment_id' });
    if (typeof input.refund_amount !== 'number' || input.refund_amount <= 0)
      throw new ValidationError('refund_amount must be positive', { field: 'refund_amount' });
    if (toCents(input.refund_amount) > 1_000_000)
      throw new PermanentError('Refunds above 10000.00 need a manual review', {
        errorCode: 'AMOUNT_TOO_LARGE',
      });
    if (id.includes('disputed'))
      throw new PermanentError(`Payment ${id} is under dispute`, { errorCode: 'PAYMENT_DISPUTED' });
    return {
      payment_validated: true,
      payment_id: id,
      refund_amount: input.refund_amount,
      eligibility_status: 'eligible',
    };
  },
);

export const ProcessGatewayRefundHandler = defineHandler<
  PaymentRefundInput,
  { eligibility: { payment_id: string; refund_amount: number } }
>(
  `${PAY}.ProcessGatewayRefundHandler`,
  { depends: { eligibility: 'validate_payment_eligibility' } },
  ({ deps }) => {
    if (deps.eligibility.payment_id.endsWith('_gateway_down'))
      throw new RetryableError('Payment gateway unavailable', {
        errorCode: 'GATEWAY_UNAVAILABLE',
        retryAfterSeconds: 1,
      });
    return {
      refund_processed: true,
      refund_id: `rfnd_${deps.eligibility.payment_id.slice(4)}`,
      payment_id: deps.eligibility.payment_id,
      refund_amount: deps.eligibility.refund_amount,
      gateway_status: 'succeeded',
    };
  },
);

export const UpdatePaymentRecordsHandler = defineHandler<
  PaymentRefundInput,
  { refund: { refund_id: string; payment_id: string } }
>(`${PAY}.UpdatePaymentRecordsHandler`, { depends: { refund: 'process_gateway_refund' } }, ({ deps }) => ({
  records_updated: true,
  payment_id: deps.refund.payment_id,
  refund_id: deps.refund.refund_id,
  payment_status: 'refunded',
}));

export const NotifyCustomerHandler = defineHandler<
  PaymentRefundInput,
  { refund: { refund_id: string; refund_amount: number }; records: unknown }
>(
  `${PAY}.NotifyCustomerHandler`,
  { depends: { refund: 'process_gateway_refund', records: 'update_payment_records' } },
  ({ deps, input }) => ({
    notification_sent: typeof input.customer_email === 'string',
    recipient: input.customer_email ?? null,
    message: `Your refund ${deps.refund.refund_id} of ${deps.refund.refund_amount.toFixed(2)} is on its way`,
  }),
);

export const customerSuccessHandlers = [
  ValidateRefundRequestHandler,
  CheckRefundPolicyHandler,
  GetManagerApprovalHandler,
  ExecuteRefundWorkflowHandler,
  UpdateTicketStatusHandler,
] as const;

export const paymentsHandlers = [
  ValidatePaymentEligibilityHandler,
  ProcessGatewayRefundHandler,
  UpdatePaymentRecordsHandler,
  NotifyCustomerHandler,
] as const;

/** A context field that must be a string (presence is already checked by `inputs`). */
function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`, { field });
  return value;
}
