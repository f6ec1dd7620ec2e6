import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from './server.js';
import { stripeClientFor } from './sdk.js';

/**
 * The keys of every object the core emulator renders must be those of Stripe's published fixture
 * of the same type (testdata/fixtures3.json), at the top level and in the nested hashes listed.
 */
const fixtures = (
  JSON.parse(readFileSync(new URL('./testdata/fixtures3.json', import.meta.url), 'utf8')) as {
    resources: Record<string, Record<string, unknown>>;
  }
).resources;

/**
 * Keys where the fixture (API version 2026-07-29) and the pinned SDK's types (2026-10-28.endive)
 * disagree. The emulator follows the SDK's types, which are the newer contract.
 */
const EXCEPTIONS: Readonly<Record<string, { readonly extra: readonly string[] }>> = {
  // Product.tax_details is a required (nullable) field in the SDK's Product type, newer than the fixture.
  product: { extra: ['tax_details'] },
  // BusinessProfile.specified_commercial_transactions_act_url is required in the SDK's type, absent from the fixture.
  'account.business_profile': { extra: ['specified_commercial_transactions_act_url'] },
};

function expectSameKeys(label: string, rendered: unknown, fixture: unknown): void {
  const extra = EXCEPTIONS[label]?.extra ?? [];
  const ours = Object.keys(rendered as object)
    .filter((key) => !extra.includes(key))
    .sort();
  expect(ours, label).toEqual(Object.keys(fixture as object).sort());
}

describe('Stripe emulator object shapes match Stripe fixtures', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  const rendered: Record<string, unknown> = {};

  beforeAll(async () => {
    emulator = await startStripeEmulator({ ratePerSecond: 0 });
    stripe = stripeClientFor(emulator.url, emulator.secretKey);
    // Read back over HTTP as raw JSON, so what is compared is exactly what goes on the wire.
    const raw = async (path: string) => {
      const response = await fetch(`${emulator.url}${path}`, {
        headers: { authorization: `Bearer ${emulator.secretKey}` },
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const customer = await stripe.customers.create({
      email: 'shape@example.com',
      address: { line1: '1 Main St' },
      invoice_settings: { rendering_options: { amount_tax_display: 'exclude_tax' } },
    });
    const product = await stripe.products.create({
      name: 'Shape',
      package_dimensions: { height: 1, length: 2, weight: 3, width: 4 },
    });
    const price = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 100,
      recurring: { interval: 'month' },
      transform_quantity: { divide_by: 10, round: 'up' },
    });
    const rate = await stripe.taxRates.create({ display_name: 'VAT', percentage: 20, inclusive: true });
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'https://example.com/hook',
      enabled_events: ['*'],
    });
    rendered.account = await raw('/v1/account');
    rendered.customer = await raw(`/v1/customers/${customer.id}`);
    rendered.product = await raw(`/v1/products/${product.id}`);
    rendered.price = await raw(`/v1/prices/${price.id}`);
    rendered.tax_rate = await raw(`/v1/tax_rates/${rate.id}`);
    rendered.webhook_endpoint = await raw(`/v1/webhook_endpoints/${endpoint.id}`);
    rendered.event = await raw(`/v1/events/${(await stripe.events.list({ limit: 1 })).data[0]?.id ?? ''}`);
    await stripe.customers.del(customer.id);
    rendered.deleted_customer = await raw(`/v1/customers/${customer.id}`);
  });
  afterAll(() => emulator.close());

  const types = [
    'account',
    'customer',
    'deleted_customer',
    'product',
    'price',
    'tax_rate',
    'event',
    'webhook_endpoint',
  ];
  it.each(types)('%s has the fixture keys', (type) => {
    expect(fixtures[type], `fixture for ${type}`).toBeDefined();
    expectSameKeys(type, rendered[type], fixtures[type]);
  });

  const nested: [string, string][] = [
    ['account', 'business_profile'],
    ['account', 'requirements'],
    ['account', 'future_requirements'],
    ['account', 'tos_acceptance'],
    ['account', 'external_accounts'],
    ['customer', 'address'],
    ['customer', 'invoice_settings'],
    ['product', 'package_dimensions'],
    ['price', 'recurring'],
    ['price', 'transform_quantity'],
    ['event', 'request'],
  ];
  it.each(nested)('%s.%s has the fixture keys', (type, field) => {
    const ours = (rendered[type] as Record<string, unknown>)[field];
    const theirs = fixtures[type]?.[field];
    expect(ours, `${type}.${field} rendered`).toBeTypeOf('object');
    expectSameKeys(`${type}.${field}`, ours, theirs);
  });

  it('renders the application of Connect events like the fixture', async () => {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: emulator.clientId,
      redirect_uri: 'http://127.0.0.1:9/cb',
    });
    const html = await (await fetch(`${emulator.url}/oauth/authorize?${query.toString()}`)).text();
    const authorization = /name="authorization" value="([^"]+)"/.exec(html)?.[1] ?? '';
    await fetch(`${emulator.url}/oauth/authorize/approve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ authorization }).toString(),
    });
    const connected = [...emulator.state.accounts.values()].find((a) => a.connectedTo !== undefined);
    const [event] = connected?.all('event') ?? [];
    expect(event?.type).toBe('account.application.authorized');
    expectSameKeys('application', (event?.data as { object: unknown }).object, fixtures.application);
  });
});
