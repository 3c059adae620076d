import { defineHandler, PermanentError, ValidationError } from '@tasker-bridge/core';

/**
 * User registration across services `microservices_ts/user_registration_ts` (blog post 3):
 * create_user_account → {setup_billing_profile, initialize_preferences} (parallel) → send_welcome_sequence →
 * update_user_status. Plans: free (no billing), pro 29.00/month, enterprise 299.00/month.
 */
const NS = 'Microservices.StepHandlers';
const PLANS: Record<string, { price: number; billing_required: boolean; features: string[] }> = {
  free: { price: 0, billing_required: false, features: ['basic_dashboard'] },
  pro: { price: 29, billing_required: true, features: ['basic_dashboard', 'advanced_analytics'] },
  enterprise: {
    price: 299,
    billing_required: true,
    features: ['basic_dashboard', 'advanced_analytics', 'sso', 'audit_log'],
  },
};

interface RegistrationInput {
  user_info?: { email?: string; name?: string; plan?: string; phone?: string; source?: string };
}
interface Account {
  user_id: string;
  email: string;
  name: string;
  plan: string;
}

export const CreateUserAccountHandler = defineHandler<RegistrationInput>(
  `${NS}.CreateUserAccountHandler`,
  ({ input, context }) => {
    const user = input.user_info;
    if (typeof user?.email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user.email))
      throw new ValidationError('user_info.email must be an email address', { field: 'user_info.email' });
    if (typeof user.name !== 'string' || user.name.trim() === '')
      throw new ValidationError('user_info.name is required', { field: 'user_info.name' });
    const plan = user.plan ?? 'free';
    if (PLANS[plan] === undefined)
      throw new PermanentError(`Unknown plan '${plan}'`, { errorCode: 'UNKNOWN_PLAN' });
    return {
      user_id: `usr_${context.taskUuid.replaceAll('-', '').slice(-12)}`,
      email: user.email,
      name: user.name,
      plan,
      source: user.source ?? 'web',
      status: 'created',
    } satisfies Account & Record<string, unknown>;
  },
);

export const SetupBillingProfileHandler = defineHandler<RegistrationInput, { account: Account }>(
  `${NS}.SetupBillingProfileHandler`,
  { depends: { account: 'create_user_account' } },
  ({ deps }) => {
    const plan = PLANS[deps.account.plan] ?? PLANS.free;
    if (!plan?.billing_required)
      return {
        user_id: deps.account.user_id,
        billing_required: false,
        plan: deps.account.plan,
        monthly_price: 0,
      };
    return {
      user_id: deps.account.user_id,
      billing_required: true,
      billing_id: `bill_${deps.account.user_id.slice(4)}`,
      plan: deps.account.plan,
      monthly_price: plan.price,
      status: 'active',
    };
  },
);

export const InitializePreferencesHandler = defineHandler<RegistrationInput, { account: Account }>(
  `${NS}.InitializePreferencesHandler`,
  { depends: { account: 'create_user_account' } },
  ({ deps }) => ({
    user_id: deps.account.user_id,
    preferences: {
      email_notifications: true,
      marketing_emails: deps.account.plan !== 'free',
      theme: 'light',
      features: PLANS[deps.account.plan]?.features ?? [],
    },
  }),
);

export const SendWelcomeSequenceHandler = defineHandler<
  RegistrationInput,
  {
    account: Account;
    billing: { billing_required: boolean };
    preferences: { preferences: { email_notifications: boolean } };
  }
>(
  `${NS}.SendWelcomeSequenceHandler`,
  {
    depends: {
      account: 'create_user_account',
      billing: 'setup_billing_profile',
      preferences: 'initialize_preferences',
    },
  },
  ({ deps, input }) => {
    const channels = ['email'];
    if (typeof input.user_info?.phone === 'string') channels.push('sms');
    const messages = ['welcome'];
    if (deps.billing.billing_required) messages.push('billing_confirmation');
    return {
      user_id: deps.account.user_id,
      channels,
      messages_sent: messages,
      message_count: messages.length,
    };
  },
);

export const UpdateUserStatusHandler = defineHandler<
  RegistrationInput,
  { account: Account; welcome: { message_count: number } }
>(
  `${NS}.UpdateUserStatusHandler`,
  { depends: { account: 'create_user_account', welcome: 'send_welcome_sequence' } },
  ({ deps }) => ({
    user_id: deps.account.user_id,
    status: 'active',
    plan: deps.account.plan,
    onboarding_complete: true,
    welcome_messages: deps.welcome.message_count,
  }),
);

export const microservicesHandlers = [
  CreateUserAccountHandler,
  SetupBillingProfileHandler,
  InitializePreferencesHandler,
  SendWelcomeSequenceHandler,
  UpdateUserStatusHandler,
] as const;
