import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server.js';
import { admin, catalog, failure, startBilling } from './testkit.js';

const DAY = 86_400;

/** Money after the invoice: charges with fees, balance, refunds, payouts, subscriptions on the clock. */
describe('Stripe emulator money flow', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let shop: Awaited<ReturnType<typeof catalog>>;
  beforeEach(async () => {
    ({ emulator, stripe } = await startBilling());
    shop = await catalog(stripe);
  });
  afterEach(() => emulator.close());

  async function paidInvoice(amount: number, currency = 'usd') {
    const invoice = await stripe.invoices.create({ customer: shop.customer.id, currency });
    await stripe.invoices.addLines(invoice.id, { lines: [{ amount, description: 'Work' }] });
    await stripe.invoices.finalizeInvoice(invoice.id);
    await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    const [charge] = (await stripe.charges.list({ customer: shop.customer.id, limit: 1 })).data;
    if (!charge) throw new Error('no charge');
    return charge;
  }

  it('records each card payment with a balance transaction carrying Stripe fee', async () => {
    const charge = await paidInvoice(2500);
    expect(charge).toMatchObject({
      status: 'succeeded',
      paid: true,
      amount: 2500,
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
      outcome: { type: 'authorized', network_status: 'approved_by_network' },
    });
    const txn = await stripe.balanceTransactions.retrieve(String(charge.balance_transaction));
    // 2.9% of 25.00 = 0.725 → 0.73, + 0.30.
    expect(txn).toMatchObject({
      type: 'charge',
      amount: 2500,
      fee: 103,
      net: 2397,
      status: 'pending',
      source: charge.id,
    });
    expect(txn.available_on).toBe(charge.created + 2 * DAY);
    expect(txn.fee_details).toEqual([
      {
        amount: 103,
        application: null,
        currency: 'usd',
        description: 'Stripe processing fees',
        type: 'stripe_fee',
      },
    ]);

    const yen = await paidInvoice(10_000, 'jpy');
    expect((await stripe.balanceTransactions.retrieve(String(yen.balance_transaction))).fee).toBe(360);

    const balance = await stripe.balance.retrieve();
    expect(balance.pending).toEqual(
      expect.arrayContaining([
        { amount: 2397, currency: 'usd', source_types: { card: 2397 } },
        { amount: 9640, currency: 'jpy', source_types: { card: 9640 } },
      ]),
    );
    await admin(emulator, '/_emulator/clock/advance', { seconds: 2 * DAY });
    expect((await stripe.balanceTransactions.retrieve(String(charge.balance_transaction))).status).toBe(
      'available',
    );
    expect((await stripe.balance.retrieve()).available).toContainEqual({
      amount: 2397,
      currency: 'usd',
      source_types: { card: 2397 },
    });
  });

  it('refunds partially, then fully, and refuses more than remains', async () => {
    const charge = await paidInvoice(2500);
    const partial = await stripe.refunds.create({
      charge: charge.id,
      amount: 1000,
      reason: 'requested_by_customer',
    });
    expect(partial).toMatchObject({ object: 'refund', amount: 1000, status: 'succeeded', charge: charge.id });
    const refundTxn = await stripe.balanceTransactions.retrieve(String(partial.balance_transaction));
    expect(refundTxn).toMatchObject({
      type: 'refund',
      amount: -1000,
      fee: 0,
      net: -1000,
      source: partial.id,
    });
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({
      amount_refunded: 1000,
      refunded: false,
    });

    const over = await failure(
      stripe.refunds.create({ payment_intent: String(charge.payment_intent), amount: 2000 }),
    );
    expect(over).toMatchObject({ statusCode: 400, param: 'amount' });
    expect(over.message).toBe('Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)');

    const rest = await stripe.refunds.create({ payment_intent: String(charge.payment_intent) });
    expect(rest.amount).toBe(1500);
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 2500, refunded: true });
    const again = await failure(stripe.refunds.create({ charge: charge.id }));
    expect(again).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });

    const refunded = (await stripe.events.list({ type: 'charge.refunded' })).data;
    expect(refunded).toHaveLength(2);
    expect(refunded[0]?.data.previous_attributes).toMatchObject({ amount_refunded: 1000, refunded: false });
    expect((await stripe.refunds.list({ charge: charge.id })).data.map((r) => r.amount)).toEqual([
      1500, 1000,
    ]);
  });

  it('pays out only available funds, sweeps them automatically, and lists what a payout carried', async () => {
    const first = await paidInvoice(2500);
    const second = await paidInvoice(10_000);
    const early = await failure(stripe.payouts.create({ amount: 100, currency: 'usd' }));
    expect(early).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });

    await admin(emulator, '/_emulator/clock/advance', { seconds: 2 * DAY + 60 });
    const manual = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
    expect(manual).toMatchObject({ status: 'pending', automatic: false, amount: 1000 });
    const { payouts } = (await admin(emulator, '/_emulator/payouts/run')) as { payouts: Stripe.Payout[] };
    // 2397 + (10000 − 320) − 1000 already paid out by hand.
    expect(payouts.map((payout) => [payout.amount, payout.currency, payout.automatic])).toEqual([
      [11_077, 'usd', true],
    ]);
    const payout = payouts[0];
    expect((await stripe.balance.retrieve()).available).toContainEqual({
      amount: 0,
      currency: 'usd',
      source_types: { card: 0 },
    });

    const carried = await stripe.balanceTransactions.list({ payout: String(payout?.id) });
    expect(carried.data.map((txn) => txn.source).sort()).toEqual([first.id, second.id, payout?.id].sort());
    const refused = await failure(stripe.balanceTransactions.list({ payout: manual.id }));
    expect(refused.message).toBe(
      'Balance transaction history can only be filtered on automatic transfers, not manual.',
    );

    await admin(emulator, '/_emulator/clock/advance', { seconds: DAY });
    expect((await stripe.payouts.retrieve(String(payout?.id))).status).toBe('paid');
    const paid = (await stripe.events.list({ type: 'payout.paid' })).data.map(
      (event) => (event.data.object as Stripe.Payout).id,
    );
    expect(paid.sort()).toEqual([manual.id, payout?.id].sort());
  });

  it('invoices a subscription every period as the clock advances, until it is canceled', async () => {
    const subscription = await stripe.subscriptions.create({
      customer: shop.customer.id,
      items: [{ price: shop.monthly.id, quantity: 2 }],
      collection_method: 'send_invoice',
      days_until_due: 7,
      metadata: { plan: 'gold' },
    });
    expect(subscription).toMatchObject({
      status: 'active',
      collection_method: 'send_invoice',
      days_until_due: 7,
    });
    const firstInvoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(firstInvoice).toMatchObject({
      status: 'open',
      billing_reason: 'subscription_create',
      total: 4000,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subscription.id, metadata: { plan: 'gold' } },
      },
    });
    expect(firstInvoice.lines.data[0]?.description).toBe('2 × Consulting (at $20.00 / month)');
    const item = subscription.items.data[0];
    expect(firstInvoice.lines.data[0]?.period).toEqual({
      start: item?.current_period_start,
      end: item?.current_period_end,
    });

    await admin(emulator, '/_emulator/clock/advance', { seconds: 32 * DAY });
    const invoices = async () => (await stripe.invoices.list({ subscription: subscription.id })).data;
    const [renewal] = await invoices();
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open', total: 4000 });
    expect(renewal?.number).toMatch(/-0002$/);
    const rolled = await stripe.subscriptions.retrieve(subscription.id);
    expect(rolled.items.data[0]?.current_period_start).toBe(item?.current_period_end);
    expect(rolled.latest_invoice).toBe(renewal?.id);

    await admin(emulator, '/_emulator/clock/advance', { seconds: 31 * DAY });
    expect(await invoices()).toHaveLength(3);
    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'cancellation_requested' },
    });
    await admin(emulator, '/_emulator/clock/advance', { seconds: 62 * DAY });
    expect(await invoices()).toHaveLength(3);
    expect((await stripe.subscriptions.list({ customer: shop.customer.id })).data).toEqual([]);
    // Older than the 30 days /v1/events keeps, so read the account's event log itself.
    const platform = emulator.state.platform;
    const types = platform.eventIds.map((id) => String(platform.objects.get(id)?.type));
    expect(types.filter((type) => type.startsWith('customer.subscription.'))).toEqual([
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.updated',
      'customer.subscription.deleted',
    ]);
  });

  it('charges an automatic subscription to the default card and makes it active', async () => {
    await stripe.customers.update(shop.customer.id, {
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: shop.customer.id,
      items: [{ price: shop.monthly.id }],
    });
    expect(subscription.status).toBe('active');
    expect((await stripe.invoices.retrieve(String(subscription.latest_invoice))).status).toBe('paid');
  });
});
