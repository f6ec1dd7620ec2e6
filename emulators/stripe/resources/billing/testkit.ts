import type Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../server.js';
import { stripeClientFor } from '../../sdk.js';

/** An emulator with the rate limit off, and the SDK pointed at it (optionally as a connected account). */
export async function startBilling(): Promise<{ emulator: StripeEmulator; stripe: Stripe }> {
  const emulator = await startStripeEmulator({ ratePerSecond: 0 });
  const stripe = stripeClientFor(emulator.url, emulator.secretKey);
  return { emulator, stripe };
}

/** The error a failing SDK call rejects with. */
export function failure(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Stripe.errors.StripeError,
  );
}

/** A customer, a product with a one-off and a monthly price, and tax rates, made through the SDK. */
export async function catalog(stripe: Stripe, options: Stripe.RequestOptions = {}, currency = 'usd') {
  const customer = await stripe.customers.create({ name: 'Ada Lovelace', email: 'ada@example.com' }, options);
  const product = await stripe.products.create({ name: 'Consulting' }, options);
  const oneOff = await stripe.prices.create({ product: product.id, currency, unit_amount: 2500 }, options);
  const monthly = await stripe.prices.create(
    { product: product.id, currency, unit_amount: 2000, recurring: { interval: 'month' } },
    options,
  );
  const vatIncluded = await stripe.taxRates.create(
    { display_name: 'VAT', percentage: 20, inclusive: true },
    options,
  );
  const salesTax = await stripe.taxRates.create(
    { display_name: 'Sales tax', percentage: 8.25, inclusive: false },
    options,
  );
  return { customer, product, oneOff, monthly, vatIncluded, salesTax };
}

/** Calls an admin endpoint of the emulator. */
export async function admin(emulator: StripeEmulator, path: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
