import { stripeId } from '../../kernel/ids.js';
import type { CustomerObject } from './catalog.js';
import type { Env } from './env.js';
import { type InvoiceObject, recalculate } from './lines.js';

/** Stripe finalizes a draft with `auto_advance` about an hour after creating it. */
export const AUTO_FINALIZE_DELAY = 3_600;

export interface InvoiceSeed {
  customer: CustomerObject;
  currency: string;
  collection_method: 'charge_automatically' | 'send_invoice';
  billing_reason: 'manual' | 'subscription_create' | 'subscription_cycle';
  auto_advance: boolean;
  subscription?: { id: string; metadata: Record<string, string> };
  period?: { start: number; end: number };
}

/** A new draft invoice for the customer, with Stripe's defaults in every field. */
export function newInvoice(env: Env, seed: InvoiceSeed): InvoiceObject {
  const { customer } = seed;
  const invoice: InvoiceObject = {
    id: stripeId('in'),
    object: 'invoice',
    account_country: 'US',
    account_name: env.account.displayName,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: seed.auto_advance,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: seed.auto_advance ? env.now + AUTO_FINALIZE_DELAY : null,
    billing_reason: seed.billing_reason,
    collection_method: seed.collection_method,
    created: env.now,
    currency: seed.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address ?? null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: customer.shipping,
    customer_tax_exempt: customer.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: '' },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: seed.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: seed.subscription.metadata, subscription: seed.subscription.id },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: seed.period?.end ?? env.now,
    period_start: seed.period?.start ?? env.now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: {
      amount_tax_display: null,
      pdf: { page_size: 'auto' },
      template: null,
      template_version: null,
    },
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    // Not in the SDK's type any more, but Stripe still renders it (see its fixture).
    subscription: seed.subscription?.id ?? null,
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: env.now,
  };
  env.account.insert(invoice);
  recalculate(env.account, invoice);
  return invoice;
}
