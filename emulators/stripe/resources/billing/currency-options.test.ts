import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server.js';
import { failure, startBilling } from './testkit.js';

/**
 * Multi-currency prices: one price with `currency_options` bills invoices and subscriptions in any of
 * its currencies at that currency's amount, refuses others, and shows the options only when expanded.
 */
describe('Stripe emulator currency_options', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let customer: Stripe.Customer;
  let product: Stripe.Product;
  beforeAll(async () => {
    ({ emulator, stripe } = await startBilling());
    customer = await stripe.customers.create({ name: 'Société Générale', email: 'ap@example.fr' });
    product = await stripe.products.create({
      name: 'Audit',
      default_price_data: {
        currency: 'usd',
        unit_amount: 10_000,
        currency_options: { eur: { unit_amount: 9_000 }, jpy: { unit_amount: 15_000 } },
        tax_behavior: 'exclusive',
      },
    });
  });
  afterAll(() => emulator.close());

  const defaultPrice = () => String(product.default_price);

  it('includes currency_options only when expanded, with the price’s own currency among them', async () => {
    const plain = await stripe.prices.retrieve(defaultPrice());
    expect(plain).not.toHaveProperty('currency_options');
    const expanded = await stripe.prices.retrieve(defaultPrice(), { expand: ['currency_options'] });
    expect(expanded.currency_options).toEqual({
      eur: {
        custom_unit_amount: null,
        tax_behavior: 'exclusive',
        unit_amount: 9_000,
        unit_amount_decimal: '9000',
      },
      jpy: {
        custom_unit_amount: null,
        tax_behavior: 'exclusive',
        unit_amount: 15_000,
        unit_amount_decimal: '15000',
      },
      usd: {
        custom_unit_amount: null,
        tax_behavior: 'exclusive',
        unit_amount: 10_000,
        unit_amount_decimal: '10000',
      },
    } as unknown as Record<string, Stripe.Price.CurrencyOptions>);
    const listed = await stripe.prices.list({ product: product.id, expand: ['data.currency_options'] });
    expect(listed.data[0]?.currency_options?.eur?.unit_amount).toBe(9_000);
    const viaProduct = await stripe.products.retrieve(product.id, { expand: ['default_price'] });
    expect(viaProduct.default_price).not.toHaveProperty('currency_options');
    const events = await stripe.events.list({ type: 'price.created' });
    expect(events.data[0]?.data.object).not.toHaveProperty('currency_options');
  });

  it('prices invoice lines and items in a listed currency at that currency’s amount', async () => {
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      currency: 'eur',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const filled = await stripe.invoices.addLines(invoice.id, {
      lines: [{ pricing: { price: defaultPrice() }, quantity: 2 }],
    });
    expect(filled.lines.data[0]).toMatchObject({ amount: 18_000, currency: 'eur' });
    expect(filled.lines.data[0]?.pricing?.unit_amount_decimal?.toString()).toBe('9000');

    const item = await stripe.invoiceItems.create({
      customer: customer.id,
      currency: 'jpy',
      pricing: { price: defaultPrice() },
    });
    expect(item).toMatchObject({ amount: 15_000, currency: 'jpy' });

    const gbp = await stripe.invoices.create({
      customer: customer.id,
      currency: 'gbp',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const refused = await failure(
      stripe.invoices.addLines(gbp.id, { lines: [{ pricing: { price: defaultPrice() } }] }),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.message).toContain("does not support the currency 'gbp'");
    expect(refused.param).toBe('lines[0][pricing][price]');
  });

  it('bills a subscription in a listed currency and refuses one in another', async () => {
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2_000,
      currency_options: { eur: { unit_amount: 1_800 } },
      recurring: { interval: 'month' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      currency: 'eur',
      items: [{ price: monthly.id, quantity: 3 }],
      collection_method: 'send_invoice',
      days_until_due: 14,
    });
    expect(subscription.currency).toBe('eur');
    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(invoice).toMatchObject({ currency: 'eur', subtotal: 5_400, total: 5_400 });
    expect(invoice.lines.data[0]?.description).toBe('3 × Audit (at €18.00 / month)');

    const refused = await failure(
      stripe.subscriptions.create({
        customer: customer.id,
        currency: 'chf',
        items: [{ price: monthly.id }],
        collection_method: 'send_invoice',
        days_until_due: 14,
      }),
    );
    expect(refused).toMatchObject({ statusCode: 400, param: 'items[0][price]' });
  });

  it('never changes a price’s own amount on update, and adds currency_options', async () => {
    const unknown = await failure(
      stripe.prices.update(defaultPrice(), { unit_amount: 1 } as Stripe.PriceUpdateParams),
    );
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown' });
    const updated = await stripe.prices.update(defaultPrice(), {
      currency_options: { gbp: { unit_amount: 7_900 } },
      expand: ['currency_options'],
    });
    expect(updated.unit_amount).toBe(10_000);
    expect(Object.keys(updated.currency_options ?? {}).sort()).toEqual(['eur', 'gbp', 'jpy', 'usd']);
  });
});
