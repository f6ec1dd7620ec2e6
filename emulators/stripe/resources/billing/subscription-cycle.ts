import type Stripe from 'stripe';
import { stripeId } from '../../kernel/ids.js';
import { type CustomerObject, type PriceObject, type TaxRateObject, unitAmountDecimal } from './catalog.js';
import { book, type Env, type Stored, update } from './env.js';
import { chargeDefault, finalize } from './invoice-actions.js';
import { newInvoice } from './invoice-object.js';
import { addLine, type InvoiceObject, lineTaxes, recalculate } from './lines.js';
import { formatAmount, lineAmount } from './money.js';

export type SubscriptionObject = Stored<Stripe.Subscription>;
export type SubscriptionItemObject = Stored<Stripe.SubscriptionItem>;

/**
 * The end of the `n`th period after the anchor. Months count from the anchor's day of month,
 * clamped to shorter months (Jan 31 → Feb 28 → Mar 31), as Stripe bills monthly subscriptions.
 */
export function periodBoundary(
  anchor: number,
  recurring: { interval: string; interval_count: number },
  n: number,
): number {
  const count = recurring.interval_count * n;
  if (recurring.interval === 'day') return anchor + count * 86_400;
  if (recurring.interval === 'week') return anchor + count * 7 * 86_400;
  const months = recurring.interval === 'year' ? count * 12 : count;
  const start = new Date(anchor * 1000);
  const targetMonth = start.getUTCMonth() + months;
  const year = start.getUTCFullYear() + Math.floor(targetMonth / 12);
  const month = ((targetMonth % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const end = Date.UTC(
    year,
    month,
    Math.min(start.getUTCDate(), lastDay),
    start.getUTCHours(),
    start.getUTCMinutes(),
    start.getUTCSeconds(),
  );
  return Math.floor(end / 1000);
}

function recurringOf(item: SubscriptionItemObject): { interval: string; interval_count: number } {
  return item.price.recurring ?? { interval: 'month', interval_count: 1 };
}

/** `1 × Gold (at $20.00 / month)`, the description Stripe gives subscription lines. */
function describe(env: Env, item: SubscriptionItemObject, unit: string, currency: string): string {
  const product = env.account.find('product', String(item.price.product));
  const name = product && typeof product.name === 'string' ? product.name : String(item.price.product);
  const recurring = recurringOf(item);
  const every =
    recurring.interval_count === 1
      ? recurring.interval
      : `every ${recurring.interval_count} ${recurring.interval}s`;
  const at = formatAmount(lineAmount(unit, 1), currency);
  return `${item.quantity ?? 1} × ${name} (at ${at} / ${every})`;
}

/**
 * Invoices one period of a subscription: a line per item for the period, the subscription's
 * default tax rates where an item has none. The first invoice is finalized (and, when charging
 * automatically, paid) at once; renewals start as drafts that finalize an hour later.
 */
export function invoicePeriod(
  env: Env,
  subscription: SubscriptionObject,
  reason: 'subscription_create' | 'subscription_cycle',
  period: { start: number; end: number },
  baseUrl: string,
): InvoiceObject {
  const customer = env.account.get<CustomerObject>('customer', String(subscription.customer));
  const invoice = newInvoice(env, {
    customer,
    currency: subscription.currency,
    collection_method:
      subscription.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
    billing_reason: reason,
    auto_advance: true,
    subscription: { id: subscription.id, metadata: subscription.metadata },
    period: reason === 'subscription_create' ? { start: period.start, end: period.start } : period,
  });
  // Set before any payment so the subscription's status can follow this invoice.
  subscription.latest_invoice = invoice.id;
  if (subscription.days_until_due !== null) {
    book(env.account).daysUntilDue.set(invoice.id, subscription.days_until_due);
    invoice.due_date = invoice.created + subscription.days_until_due * 86_400;
  }
  for (const item of subscription.items.data) {
    // The item holds a snapshot of the price without its currency_options (an includable field that
    // copies leave out); the stored price still has them, and a subscription in another currency needs them.
    const price = env.account.find<PriceObject>('price', item.price.id);
    const unit = unitAmountDecimal(price ?? (item.price as PriceObject), subscription.currency, 'items');
    const amount = lineAmount(unit, item.quantity ?? 1);
    const rates: TaxRateObject[] = item.tax_rates?.length
      ? item.tax_rates
      : (subscription.default_tax_rates ?? []);
    addLine(env.account, {
      id: stripeId('il'),
      object: 'line_item',
      amount,
      currency: subscription.currency,
      description: describe(env, item, unit, subscription.currency),
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: invoice.id,
      livemode: false,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: subscription.id,
          subscription_item: item.id,
        },
      },
      period,
      pretax_credit_amounts: [],
      pricing: {
        type: 'price_details',
        price_details: { price: item.price.id, product: String(item.price.product) },
        unit_amount_decimal: unit,
      },
      quantity: item.quantity ?? 1,
      quantity_decimal: String(item.quantity ?? 1),
      subscription: subscription.id,
      subtotal: amount,
      taxes: lineTaxes(amount, rates),
    });
  }
  recalculate(env.account, invoice);
  env.emit('invoice.created', invoice);
  if (reason === 'subscription_create') {
    finalize(env, invoice, baseUrl);
    if (invoice.status === 'open' && invoice.collection_method === 'charge_automatically')
      chargeDefault(env, invoice);
  }
  return invoice;
}

/**
 * Runs every billing period of the account's live subscriptions that has ended by now: each
 * rolls the items to the next period, emits customer.subscription.updated and invoices the period.
 */
export function runDueCycles(env: Env, baseUrl: string): void {
  for (const subscription of env.account.all<SubscriptionObject>('subscription')) {
    if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') continue;
    for (;;) {
      const first = subscription.items.data[0];
      if (!first || first.current_period_end > env.now) break;
      const boundary = first.current_period_end;
      const at: Env = { ...env, now: boundary };
      let period = { start: boundary, end: boundary };
      update(at, subscription, 'customer.subscription.updated', (target) => {
        for (const item of target.items.data) {
          const n = cyclesBetween(target.billing_cycle_anchor, boundary, recurringOf(item)) + 1;
          item.current_period_start = boundary;
          item.current_period_end = periodBoundary(target.billing_cycle_anchor, recurringOf(item), n);
          period = { start: boundary, end: item.current_period_end };
        }
      });
      subscription.latest_invoice = invoicePeriod(at, subscription, 'subscription_cycle', period, baseUrl).id;
    }
  }
}

function cyclesBetween(
  anchor: number,
  boundary: number,
  recurring: { interval: string; interval_count: number },
): number {
  let n = 0;
  while (periodBoundary(anchor, recurring, n + 1) <= boundary) n += 1;
  return n;
}

/** Drafts with auto_advance finalize about an hour after creation; due automatic charges are attempted. */
export function advanceInvoices(env: Env, baseUrl: string): void {
  for (const invoice of env.account.all<InvoiceObject>('invoice')) {
    if (
      invoice.status === 'draft' &&
      invoice.auto_advance &&
      (invoice.automatically_finalizes_at ?? Infinity) <= env.now
    ) {
      finalize(env, invoice, baseUrl);
    }
    if (
      invoice.status === 'open' &&
      invoice.collection_method === 'charge_automatically' &&
      (invoice.next_payment_attempt ?? Infinity) <= env.now
    ) {
      chargeDefault(env, invoice);
    }
  }
}

export function planOf(price: PriceObject): SubscriptionItemObject['plan'] {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export function cancelSubscription(
  env: Env,
  subscription: SubscriptionObject,
  details: {
    comment?: string | undefined;
    feedback?: Stripe.Subscription.CancellationDetails.Feedback | undefined;
  },
): void {
  subscription.status = 'canceled';
  subscription.canceled_at = env.now;
  subscription.ended_at = env.now;
  subscription.cancellation_details = {
    comment: details.comment ?? null,
    feedback: details.feedback ?? null,
    feedback_option: null,
    reason: 'cancellation_requested',
  };
  env.emit('customer.subscription.deleted', subscription);
}
