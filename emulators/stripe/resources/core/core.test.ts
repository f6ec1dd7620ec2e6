import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server.js';
import { stripeClientFor } from '../../sdk.js';

/** Customers, products, prices, tax rates and events as the official SDK sees them. */
describe('Stripe emulator core resources', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startStripeEmulator({ ratePerSecond: 0 });
    stripe = stripeClientFor(emulator.url, emulator.secretKey);
  });
  afterAll(() => emulator.close());

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected the call to fail'),
      (error: unknown) => error as Stripe.errors.StripeError,
    );

  it('creates, retrieves, updates and deletes a customer, with events', async () => {
    const customer = await stripe.customers.create({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      address: { line1: '1 Analytical Way', city: 'London', country: 'GB' },
      metadata: { contact: 'c_1', tier: 'gold' },
      preferred_locales: ['en'],
    });
    expect(customer).toMatchObject({
      object: 'customer',
      name: 'Ada Lovelace',
      address: { line1: '1 Analytical Way', line2: null, city: 'London', country: 'GB' },
      preferred_locales: ['en'],
      tax_exempt: 'none',
    });
    expect(customer.id).toMatch(/^cus_/);
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);

    // Metadata merges; an empty value removes one key.
    const updated = await stripe.customers.update(customer.id, {
      email: 'ada@lovelace.example',
      metadata: { tier: '', region: 'eu' },
    });
    expect(updated.metadata).toEqual({ contact: 'c_1', region: 'eu' });
    const [updatedEvent] = (await stripe.events.list({ type: 'customer.updated', limit: 1 })).data;
    expect(updatedEvent?.data.object).toMatchObject({ id: customer.id, email: 'ada@lovelace.example' });
    expect(updatedEvent?.data.previous_attributes).toEqual({
      email: 'ada@example.com',
      metadata: { tier: 'gold', region: null },
    });

    const deleted = await stripe.customers.del(customer.id);
    expect(deleted).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(customer.id)).toEqual({
      id: customer.id,
      object: 'customer',
      deleted: true,
    });
    const types = (await stripe.events.list({ limit: 3 })).data.map((event) => event.type);
    expect(types).toEqual(['customer.deleted', 'customer.updated', 'customer.created']);
    expect((await failure(stripe.customers.update(customer.id, { name: 'x' }))).statusCode).toBe(404);
  });

  it('pages lists with has_more, starting_after, ending_before and auto-pagination', async () => {
    const email = 'pager@example.com';
    const created: string[] = [];
    for (let i = 0; i < 7; i += 1) created.push((await stripe.customers.create({ email, name: `P${i}` })).id);
    const newest = [...created].reverse();
    const first = await stripe.customers.list({ email, limit: 3 });
    expect(first.data.map((c) => c.id)).toEqual(newest.slice(0, 3));
    expect(first.has_more).toBe(true);
    const second = await stripe.customers.list({ email, limit: 3, starting_after: newest[2] ?? '' });
    expect(second.data.map((c) => c.id)).toEqual(newest.slice(3, 6));
    const back = await stripe.customers.list({ email, limit: 2, ending_before: newest[3] ?? '' });
    expect(back.data.map((c) => c.id)).toEqual(newest.slice(1, 3));
    const all = await stripe.customers.list({ email, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(all.map((c) => c.id)).toEqual(newest);
  });

  it('searches customers by email, name and metadata, paging with next_page', async () => {
    await stripe.customers.create({
      email: 'grace@navy.example',
      name: 'Grace Hopper',
      metadata: { unit: 'navy' },
    });
    await stripe.customers.create({
      email: 'grace2@navy.example',
      name: 'Grace Hopper',
      metadata: { unit: 'cobol' },
    });
    const byEmail = await stripe.customers.search({ query: "email:'GRACE@navy.example'" });
    expect(byEmail.object).toBe('search_result');
    expect(byEmail.data.map((c) => c.email)).toEqual(['grace@navy.example']);
    const both = await stripe.customers.search({ query: "name:'Grace Hopper' AND metadata['unit']:'cobol'" });
    expect(both.data.map((c) => c.email)).toEqual(['grace2@navy.example']);
    const page = await stripe.customers.search({ query: "name:'Grace Hopper'", limit: 1 });
    expect(page.has_more).toBe(true);
    expect(page.next_page).toBeTruthy();
    const everyone = await stripe.customers
      .search({ query: "name:'Grace Hopper'", limit: 1 })
      .autoPagingToArray({ limit: 10 });
    expect(everyone).toHaveLength(2);
    const bad = await failure(stripe.customers.search({ query: 'email = x' }));
    expect(bad.param).toBe('query');
  });

  it('names unknown and missing parameters as Stripe does, nested ones in bracket notation', async () => {
    const unknown = await failure(stripe.customers.create({ bogus: 1 } as Stripe.CustomerCreateParams));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'bogus', statusCode: 400 });
    const nested = await failure(
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 100,
        product_data: { name: 'x', bogus: 'y' } as Stripe.PriceCreateParams.ProductData,
      }),
    );
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'product_data[bogus]' });
    const missing = await failure(stripe.products.create({} as Stripe.ProductCreateParams));
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'name' });
    const absent = await failure(stripe.products.retrieve('prod_doesnotexist'));
    expect(absent).toMatchObject({ code: 'resource_missing', statusCode: 404 });
  });

  it('archives products, refuses to delete one with prices, and expands default_price', async () => {
    const product = await stripe.products.create({
      name: 'Consulting hour',
      default_price_data: { currency: 'usd', unit_amount: 15000 },
    });
    expect(product.default_price).toMatch(/^price_/);
    const expanded = await stripe.products.retrieve(product.id, { expand: ['default_price'] });
    expect(expanded.default_price).toMatchObject({
      object: 'price',
      unit_amount: 15000,
      product: product.id,
    });
    const refused = await failure(stripe.products.del(product.id));
    expect(refused.statusCode).toBe(400);
    expect(refused.message).toMatch(/cannot be deleted/);
    const archived = await stripe.products.update(product.id, { active: false });
    expect(archived.active).toBe(false);
    const active = await stripe.products.list({ active: true, ids: [product.id] });
    expect(active.data).toEqual([]);
    const lonely = await stripe.products.create({ name: 'No prices' });
    expect(await stripe.products.del(lonely.id)).toEqual({ id: lonely.id, object: 'product', deleted: true });
    expect((await failure(stripe.products.retrieve(lonely.id))).statusCode).toBe(404);
  });

  it('creates prices with currency_options, never changes amounts, and expands data.product', async () => {
    const product = await stripe.products.create({ name: 'Audit' });
    const price = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 5000,
      currency_options: { eur: { unit_amount: 4600 } },
      recurring: { interval: 'month', interval_count: 3 },
      tax_behavior: 'exclusive',
      lookup_key: 'audit_quarterly',
    });
    expect(price).toMatchObject({ type: 'recurring', unit_amount: 5000, recurring: { interval_count: 3 } });
    expect(price.unit_amount_decimal?.toString()).toBe('5000');
    expect('currency_options' in price).toBe(false);
    const withOptions = await stripe.prices.retrieve(price.id, { expand: ['currency_options'] });
    expect(withOptions.currency_options?.eur?.unit_amount).toBe(4600);
    expect(withOptions.currency_options?.usd?.unit_amount).toBe(5000);

    const immutable = await failure(
      stripe.prices.update(price.id, { unit_amount: 1 } as Stripe.PriceUpdateParams),
    );
    expect(immutable).toMatchObject({ code: 'parameter_unknown', param: 'unit_amount' });
    const renamed = await stripe.prices.update(price.id, { nickname: 'Quarterly audit', active: false });
    expect(renamed).toMatchObject({ nickname: 'Quarterly audit', active: false, unit_amount: 5000 });

    const decimal = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('12.5'),
    });
    expect(decimal.unit_amount).toBeNull();
    expect(decimal.unit_amount_decimal?.toString()).toBe('12.5');

    const listed = await stripe.prices.list({ product: product.id, expand: ['data.product'] });
    expect(listed.data).toHaveLength(2);
    expect(listed.data.every((p) => (p.product as Stripe.Product).name === 'Audit')).toBe(true);
    expect((await stripe.prices.list({ lookup_keys: ['audit_quarterly'] })).data.map((p) => p.id)).toEqual([
      price.id,
    ]);
    const taken = await failure(
      stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        lookup_key: 'audit_quarterly',
      }),
    );
    expect(taken.param).toBe('lookup_key');
  });

  it('creates tax rates whose percentage cannot change', async () => {
    const rate = await stripe.taxRates.create({
      display_name: 'VAT',
      percentage: 19,
      inclusive: false,
      country: 'DE',
      tax_type: 'vat',
    });
    expect(rate).toMatchObject({
      object: 'tax_rate',
      percentage: 19,
      inclusive: false,
      country: 'DE',
      active: true,
    });
    const error = await failure(
      stripe.taxRates.update(rate.id, { percentage: 7 } as Stripe.TaxRateUpdateParams),
    );
    expect(error).toMatchObject({ code: 'parameter_unknown', param: 'percentage' });
    await stripe.taxRates.update(rate.id, { active: false });
    expect((await stripe.taxRates.list({ active: false })).data.map((r) => r.id)).toContain(rate.id);
    const missing = await failure(
      stripe.taxRates.create({ display_name: 'GST', percentage: 5 } as Stripe.TaxRateCreateParams),
    );
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'inclusive' });
  });

  it('replays an idempotent request and refuses the key with other parameters', async () => {
    const key = `idem-${Date.now()}`;
    const first = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
    const again = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.products.list({ limit: 100 })).data.filter((p) => p.name === 'Once')).toHaveLength(
      1,
    );
    const conflict = await failure(stripe.products.create({ name: 'Twice' }, { idempotencyKey: key }));
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('lists events by type, types[] and wildcard, and hides those older than 30 days', async () => {
    const product = await stripe.products.create({ name: 'Eventful' });
    await stripe.products.update(product.id, { description: 'now described' });
    const productEvents = await stripe.events.list({ type: 'product.*', limit: 2 });
    expect(productEvents.data.map((e) => e.type)).toEqual(['product.updated', 'product.created']);
    const both = await stripe.events.list({ types: ['product.created', 'tax_rate.created'], limit: 100 });
    expect(new Set(both.data.map((e) => e.type))).toEqual(new Set(['product.created', 'tax_rate.created']));
    const event = await stripe.events.retrieve(productEvents.data[0]?.id ?? '');
    expect(event.data.previous_attributes).toMatchObject({ description: null });
    emulator.state.clock.advance(31 * 24 * 60 * 60);
    expect((await stripe.events.list({ limit: 100 })).data).toEqual([]);
  });
});
