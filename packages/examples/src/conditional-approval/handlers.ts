import { DecisionHandler, type StepContext, StepHandler, ValidationError } from '@tasker-bridge/core';

/**
 * Conditional approval `conditional_approval_ts/approval_routing_ts`: validate → routing decision →
 * auto_approve_ts | manager_approval_ts | manager_approval_ts + finance_review_ts → finalize (deferred
 * convergence). Thresholds come from the decision step's `initialization.thresholds` (small 1000, large 5000):
 * amount < small → auto; small ≤ amount < large → manager; amount ≥ large → manager + finance
 * (docs/upstream-workers.md §4.2: exactly 1000 goes to the manager, exactly 5000 to both).
 */
const NS = 'conditional_approval.step_handlers';

interface ApprovalRequest {
  amount: number;
  requester: string;
  purpose: string;
}

export class ValidateRequestHandler extends StepHandler {
  static override handlerName = `${NS}.ValidateRequestHandler`;

  call(context: StepContext) {
    const { amount, requester, purpose } = context.inputData as Partial<
      Record<keyof ApprovalRequest, unknown>
    >;
    const problems: string[] = [];
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
      problems.push('amount must be a positive number');
    if (typeof requester !== 'string' || requester.trim() === '') problems.push('requester is required');
    if (typeof purpose !== 'string' || purpose.trim() === '') problems.push('purpose is required');
    if (problems.length > 0) throw new ValidationError(problems.join('; '), { context: { problems } });
    return this.success({ validated: true, amount, requester, purpose });
  }
}

export const APPROVAL_BRANCHES = ['auto_approve_ts', 'manager_approval_ts', 'finance_review_ts'] as const;

export class RoutingDecisionHandler extends DecisionHandler {
  static override handlerName = `${NS}.RoutingDecisionHandler`;
  static override allowedSteps = APPROVAL_BRANCHES;

  call(context: StepContext) {
    const { amount } = context.requireDependencyResult<ApprovalRequest>('validate_request_ts');
    const thresholds = context.getConfig<{ small?: number; large?: number }>('thresholds') ?? {};
    const small = thresholds.small ?? 1000;
    const large = thresholds.large ?? 5000;
    const [path, steps]: [string, string[]] =
      amount < small
        ? ['auto_approve', ['auto_approve_ts']]
        : amount < large
          ? ['manager_approval', ['manager_approval_ts']]
          : ['dual_approval', ['manager_approval_ts', 'finance_review_ts']];
    return this.route(steps, {
      routingContext: { amount, routing_path: path, thresholds: { small, large } },
    });
  }
}

function approval(context: StepContext, type: string, extra: Record<string, unknown>) {
  const request = context.requireDependencyResult<ApprovalRequest>('validate_request_ts');
  return {
    approved: true,
    approval_type: type,
    amount: request.amount,
    requester: request.requester,
    ...extra,
  };
}

export class AutoApproveHandler extends StepHandler {
  static override handlerName = `${NS}.AutoApproveHandler`;

  call(context: StepContext) {
    return this.success(approval(context, 'automatic', { reason: 'below the automatic approval threshold' }));
  }
}

export class ManagerApprovalHandler extends StepHandler {
  static override handlerName = `${NS}.ManagerApprovalHandler`;

  call(context: StepContext) {
    return this.success(approval(context, 'manager', { approver: 'manager@example.com' }));
  }
}

export class FinanceReviewHandler extends StepHandler {
  static override handlerName = `${NS}.FinanceReviewHandler`;

  call(context: StepContext) {
    return this.success(
      approval(context, 'finance', {
        approver: 'finance@example.com',
        audit_id: `AUDIT-${context.taskUuid}`,
      }),
    );
  }
}

/** Converges over whichever branches the decision created; the others simply have no result here. */
export class FinalizeApprovalHandler extends StepHandler {
  static override handlerName = `${NS}.FinalizeApprovalHandler`;

  call(context: StepContext) {
    const approvals = APPROVAL_BRANCHES.flatMap((step) => {
      const result = context.getDependencyResult<{
        approved: boolean;
        approval_type: string;
        approver?: string;
      }>(step);
      return result === undefined
        ? []
        : [{ type: result.approval_type, approved: result.approved, approver: result.approver ?? null }];
    });
    return this.success({
      final_approved: approvals.length > 0 && approvals.every((a) => a.approved),
      approval_count: approvals.length,
      approvals,
    });
  }
}

export const conditionalApprovalHandlers = [
  ValidateRequestHandler,
  RoutingDecisionHandler,
  AutoApproveHandler,
  ManagerApprovalHandler,
  FinanceReviewHandler,
  FinalizeApprovalHandler,
] as const;
