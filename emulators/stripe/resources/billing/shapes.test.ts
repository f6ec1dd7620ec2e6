import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server.js';
import { admin, catalog, startBilling } from './testkit.js';

const fixtures = (
  JSON.parse(readFileSync(new URL('../../testdata/fixtures3.json', import.meta.url), 'utf8')) as {
    resources: Record<string, Record<string, unknown>>;
  }
).resources;

/**
 * Keys the emulator renders beyond Stripe's fixture (newer than the fixture's API version, or
 * required by this SDK version's types), and fixture keys it leaves out. Short on purpose.
 */
const EXTRA: Record<string, readonly string[]> = {
  // Required by stripe@23's PaymentIntent type, newer than the fixture.
  payment_intent: ['allowed_payment_method_types', 'payment_record'],
  subscription_item: ['current_trial'],
};
// None today. (Invoices gain `amount_paid_off_stripe` only when paid out of band; this one is paid by card.)
const MISSING: Record<string, readonly string[]> = {};

/** Every billing object's top-level keys equal those of Stripe's published fixture of its type. */
describe('billing object shapes', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  const raw = async (path: string) => {
    const response = await fetch(`${emulator.url}${path}`, {
      headers: { authorization: `Bearer ${emulator.secretKey}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const objects: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    ({ emulator, stripe } = await startBilling());
    const shop = await catalog(stripe);
    const invoice = await stripe.invoices.create({ customer: shop.customer.id });
    await stripe.invoices.addLines(invoice.id, {
      lines: [{ pricing: { price: shop.oneOff.id }, tax_rates: [shop.salesTax.id] }],
    });
    await stripe.invoices.finalizeInvoice(invoice.id);
    await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    const charge = (await stripe.charges.list({ limit: 1 })).data[0];
    const refund = await stripe.refunds.create({ charge: String(charge?.id), amount: 100 });
    await admin(emulator, '/_emulator/clock/advance', { seconds: 3 * 86_400 });
    const payout = await stripe.payouts.create({ amount: 500, currency: 'usd' });
    const subscription = await stripe.subscriptions.create({
      customer: shop.customer.id,
      items: [{ price: shop.monthly.id }],
      collection_method: 'send_invoice',
      days_until_due: 7,
    });
    const item = (await stripe.invoiceItems.list({ limit: 1 })).data[0];
    const line = (await stripe.invoices.listLineItems(invoice.id)).data[0];
    objects.invoice = await raw(`/v1/invoices/${invoice.id}`);
    objects.invoiceitem = await raw(`/v1/invoiceitems/${String(item?.id)}`);
    objects.line_item =
      ((await raw(`/v1/invoices/${invoice.id}/lines`)).data as Record<string, unknown>[])[0] ?? {};
    objects.payment_intent = await raw(`/v1/payment_intents/${String(charge?.payment_intent)}`);
    objects.charge = await raw(`/v1/charges/${String(charge?.id)}`);
    objects.balance_transaction = await raw(
      `/v1/balance_transactions/${String(charge?.balance_transaction)}`,
    );
    objects.refund = await raw(`/v1/refunds/${refund.id}`);
    objects.payout = await raw(`/v1/payouts/${payout.id}`);
    objects.subscription = await raw(`/v1/subscriptions/${subscription.id}`);
    objects.subscription_item =
      (objects.subscription.items as { data: Record<string, unknown>[] }).data[0] ?? {};
    objects.balance = await raw('/v1/balance');
    objects.invoice_payment =
      ((await raw(`/v1/invoice_payments?invoice=${invoice.id}`)).data as Record<string, unknown>[])[0] ?? {};
    expect(line?.object).toBe('line_item');
  });
  afterAll(() => emulator.close());

  it.each([
    'invoice',
    'invoiceitem',
    'line_item',
    'payment_intent',
    'charge',
    'balance_transaction',
    'refund',
    'payout',
    'subscription',
    'subscription_item',
    'balance',
    'invoice_payment',
  ])('%s has the keys of Stripe’s fixture', (type) => {
    const expected = new Set(Object.keys(fixtures[type] ?? {}));
    for (const key of MISSING[type] ?? []) expected.delete(key);
    for (const key of EXTRA[type] ?? []) expected.add(key);
    expect(Object.keys(objects[type] ?? {}).sort()).toEqual([...expected].sort());
  });
});
