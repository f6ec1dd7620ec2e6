import type Stripe from 'stripe';
import type { ResourceModule } from '../../server.js';
import { resourceMissing } from '../../kernel/errors.js';
import type { AccountState } from '../../kernel/state.js';

/** `GET /v1/account`: the account the key (or Stripe-Account header) acts as; and its connected accounts. */
export const accountResource: ResourceModule = (router, { state }) => {
  router.get('/v1/account', ({ account }) => renderAccount(account));
  router.get('/v1/accounts/:id', ({ account, pathParams }) => {
    const id = String(pathParams.id);
    if (id === account.id) return renderAccount(account);
    const connected = state.account(id);
    if (!connected || connected.connectedTo !== account.id) throw resourceMissing('account', id);
    return renderAccount(connected);
  });
};

export function renderAccount(account: AccountState): Stripe.Account {
  const noRequirements = {
    alternatives: [],
    current_deadline: null,
    currently_due: [],
    disabled_reason: null,
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
  };
  // `settings` is rendered null: its many sub-objects describe dashboard features nothing here uses.
  return {
    id: account.id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: null,
      minority_owned_business_designation: null,
      name: account.displayName,
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    country: 'US',
    created: account.created,
    default_currency: 'usd',
    details_submitted: true,
    email: null,
    external_accounts: {
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/accounts/${account.id}/external_accounts`,
    },
    future_requirements: noRequirements,
    metadata: {},
    payouts_enabled: true,
    requirements: noRequirements,
    settings: null,
    tos_acceptance: { date: account.created, ip: null, user_agent: null },
    type: 'standard',
  };
}
