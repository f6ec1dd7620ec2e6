import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { type SyncHarness, type SyncTenant, startSyncHarness } from '../../../../test/stripe-sync.js';
import type { StripeObject } from '../../../../emulators/stripe/kernel/state.js';
import { stripeClientFor } from '../../../../emulators/stripe/sdk.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';

type Product = Stripe.Product & StripeObject;
type Price = Stripe.Price & StripeObject;
type Invoice = Stripe.Invoice & StripeObject;

/** Services with prices in other currencies → one Stripe price with `currency_options`, over real HTTP. */
describe.each(backends)('Stripe catalog sync in several currencies on $name', (backend) => {
  let h: SyncHarness;
  let stripe: Stripe;
  beforeAll(async () => {
    h = await startSyncHarness(backend);
    stripe = stripeClientFor(h.emulator.url, h.emulator.secretKey);
  });
  afterAll(() => h.close());

  const link = (t: SyncTenant, localId: string) =>
    findLinkByLocal(h.api.db, { tenantId: t.tenantId, provider: 'stripe', localType: 'service', localId });
  const productOf = (t: SyncTenant, serviceId: string) =>
    t.objects<Product>('product').find((p) => p.id === `lb_${serviceId}`);
  const pricesOf = (t: SyncTenant, serviceId: string) =>
    t.objects<Price>('price').filter((p) => p.product === `lb_${serviceId}`);
  /** The price as Stripe answers with `expand[]=currency_options`: every currency, the main one too. */
  const optionsOf = async (t: SyncTenant, priceId: string) => {
    const price = await stripe.prices.retrieve(
      priceId,
      { expand: ['currency_options'] },
      { stripeAccount: t.account.id },
    );
    return Object.fromEntries(
      Object.entries(price.currency_options ?? {}).map(([code, o]) => [
        code,
        [o.unit_amount, o.tax_behavior],
      ]),
    );
  };
  const priceCreates = (t: SyncTenant) =>
    t.requests().filter((r) => r.method === 'POST' && r.path === '/v1/prices').length;

  it('syncs other currencies as currency_options; a change to any of them is a new price', async () => {
    const t = await h.tenant();
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'AUDIT',
      name: 'Security audit',
      unit_price: 10_000,
      currency: 'USD',
      prices: [
        { currency: 'EUR', unit_price: 9_000 },
        { currency: 'JPY', unit_price: 15_000 },
      ],
      tax_rate: '19',
    });
    await h.runJobs(t);
    const first = productOf(t, service.id)?.default_price as string;
    expect(pricesOf(t, service.id)).toHaveLength(1);
    expect(await optionsOf(t, first)).toEqual({
      eur: [9_000, 'exclusive'],
      jpy: [15_000, 'exclusive'],
      usd: [10_000, 'exclusive'],
    });
    const plain = await stripe.prices.retrieve(first, {}, { stripeAccount: t.account.id });
    expect(plain).not.toHaveProperty('currency_options');
    expect((await link(t, service.id))?.data).toMatchObject({
      price_id: first,
      currency: 'usd',
      unit_amount: 10_000,
      currency_options: 'eur:9000 jpy:15000',
    });

    // Same amounts, other fields: the product changes, the price stays.
    await t.patch(`/api/v1/services/${service.id}`, { name: 'Full audit' });
    await h.runJobs(t);
    expect(productOf(t, service.id)?.name).toBe('AUDIT — Full audit');
    expect(pricesOf(t, service.id)).toHaveLength(1);
    expect(priceCreates(t)).toBe(0);

    // One secondary amount changes: a new price with every currency, the old one deactivated.
    await t.patch(`/api/v1/services/${service.id}`, {
      prices: [
        { currency: 'EUR', unit_price: 9_500 },
        { currency: 'JPY', unit_price: 15_000 },
      ],
    });
    await h.runJobs(t);
    const second = productOf(t, service.id)?.default_price as string;
    expect(second).not.toBe(first);
    expect(await optionsOf(t, second)).toEqual({
      eur: [9_500, 'exclusive'],
      jpy: [15_000, 'exclusive'],
      usd: [10_000, 'exclusive'],
    });
    expect(pricesOf(t, service.id).map((p) => [p.id, p.active])).toEqual(
      expect.arrayContaining([
        [first, false],
        [second, true],
      ]),
    );

    // Dropping the other currencies: a price in USD alone.
    await t.patch(`/api/v1/services/${service.id}`, { prices: [] });
    await h.runJobs(t);
    const third = productOf(t, service.id)?.default_price as string;
    expect(await optionsOf(t, third)).toEqual({ usd: [10_000, 'exclusive'] });
    expect(
      pricesOf(t, service.id)
        .filter((p) => p.active)
        .map((p) => p.id),
    ).toEqual([third]);
    expect((await link(t, service.id))?.data).toMatchObject({ price_id: third, currency_options: '' });
  });

  it('keeps the price of a service linked before services had other currencies', async () => {
    const t = await h.tenant();
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'HOST',
      name: 'Hosting',
      unit_price: 2_500,
      currency: 'USD',
      recurring_interval: 'month',
    });
    await h.runJobs(t);
    const current = await link(t, service.id);
    if (!current) throw new Error('service not linked');
    const { currency_options: _dropped, ...legacy } = current.data as Record<string, unknown>;
    await upsertLink(h.api.db, { ...current, data: legacy });

    await t.patch(`/api/v1/services/${service.id}`, { description: 'Managed hosting' });
    await h.runJobs(t);
    expect(pricesOf(t, service.id)).toHaveLength(1);
    expect(productOf(t, service.id)?.description).toBe('Managed hosting');
  });

  it('makes one price with its currency_options when creating the product was retried after a 500', async () => {
    const t = await h.tenant();
    h.emulator.traffic.addFault({
      kind: 'error',
      count: 1,
      pathPrefix: '/v1/products',
      method: 'POST',
      latencyMs: 0,
    });
    let service: { id: string };
    try {
      service = await t.post<{ id: string }>('/api/v1/services', {
        code: 'TRAIN',
        name: 'Training day',
        unit_price: 80_000,
        currency: 'GBP',
        prices: [{ currency: 'EUR', unit_price: 92_000 }],
      });
      await h.runJobs(t);
    } finally {
      h.emulator.traffic.clearFaults();
    }
    expect(t.requests().some((r) => r.status === 500)).toBe(true);
    const prices = pricesOf(t, service.id);
    expect(prices).toHaveLength(1);
    expect(await optionsOf(t, prices[0]?.id ?? '')).toEqual({
      eur: [92_000, 'unspecified'],
      gbp: [80_000, 'unspecified'],
    });
  });

  it('pushes an invoice in a secondary currency priced from the catalog in that currency', async () => {
    const t = await h.tenant();
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: 'Siemens',
      email: `ap-${Math.random().toString(36).slice(2, 8)}@siemens.test`,
    });
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 15_000,
      currency: 'USD',
      prices: [{ currency: 'EUR', unit_price: 13_500 }],
    });
    const opportunity = await t.post<{ id: string }>('/api/v1/opportunities', {
      title: 'Rollout',
      contact_id: contact.id,
    });
    const billable = await t.post<{ id: string; unit_price: number }>('/api/v1/billables', {
      parent_type: 'opportunity',
      parent_id: opportunity.id,
      service_id: service.id,
      currency: 'EUR',
      quantity: '3',
    });
    expect(billable.unit_price).toBe(13_500);
    const invoice = await t.post<{ id: string; total: number }>('/api/v1/invoices/from-billables', {
      billable_ids: [billable.id],
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    await h.runJobs(t);

    const [pushed, ...others] = t.objects<Invoice>('invoice');
    expect(others).toHaveLength(0);
    expect(pushed).toMatchObject({ currency: 'eur', total: 40_500, status: 'open' });
    expect(invoice.total).toBe(40_500);
    expect(pushed?.lines.data[0]).toMatchObject({ amount: 40_500, quantity: 3, currency: 'eur' });
    expect(pushed?.lines.data[0]?.pricing?.price_details?.product).toBe(`lb_${service.id}`);
  });
});
