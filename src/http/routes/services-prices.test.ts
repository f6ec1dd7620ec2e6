import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';

/** A service's prices in other currencies: validation, storage, and billables priced from them. */
describe.each(backends)('service prices in other currencies on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let seq = 0;
  const code = () => `MULTI-${++seq}`;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
  });
  afterAll(() => api.close());

  const create = (body: Record<string, unknown>) =>
    tenant.request('POST', '/api/v1/services', {
      code: code(),
      name: 'Audit',
      unit_price: 10_000,
      currency: 'USD',
      ...body,
    });

  it('stores prices per currency in that currency’s minor units, sorted, and replaces them on PATCH', async () => {
    const created = await create({
      prices: [
        { currency: 'jpy', unit_price: 15_000 },
        { currency: 'EUR', unit_price: 9_000 },
        { currency: 'KWD', unit_price: 30_500 },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const service = created.json();
    expect(service.prices).toEqual([
      { currency: 'EUR', unit_price: 9_000 },
      { currency: 'JPY', unit_price: 15_000 },
      { currency: 'KWD', unit_price: 30_500 },
    ]);
    expect((await tenant.request('GET', `/api/v1/services/${service.id}`)).json()).toEqual(service);
    const [row] = await api.db.query('SELECT prices FROM services WHERE id = $1', [service.id]);
    expect(row?.prices).toEqual([
      { currency: 'EUR', unit_price: 9_000 },
      { currency: 'JPY', unit_price: 15_000 },
      { currency: 'KWD', unit_price: 30_500 },
    ]);

    const renamed = await tenant.request('PATCH', `/api/v1/services/${service.id}`, { name: 'Full audit' });
    expect(renamed.json().prices).toEqual(service.prices);
    const replaced = await tenant.request('PATCH', `/api/v1/services/${service.id}`, {
      prices: [{ currency: 'GBP', unit_price: 7_900 }],
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json().prices).toEqual([{ currency: 'GBP', unit_price: 7_900 }]);
    const cleared = await tenant.request('PATCH', `/api/v1/services/${service.id}`, { prices: [] });
    expect(cleared.json().prices).toEqual([]);

    const plain = await create({});
    expect(plain.json().prices).toEqual([]);
  });

  it('refuses the main currency, a currency twice, unknown codes and amounts that are not minor units', async () => {
    const cases: [unknown, string][] = [
      [[{ currency: 'usd', unit_price: 9_000 }], 'prices[0].currency'],
      [
        [
          { currency: 'EUR', unit_price: 9_000 },
          { currency: 'eur', unit_price: 9_100 },
        ],
        'prices[1].currency',
      ],
      [[{ currency: 'XYZ', unit_price: 1 }], 'prices.0.currency'],
      [[{ currency: 'EUR', unit_price: 90.5 }], 'prices.0.unit_price'],
      [[{ currency: 'JPY', unit_price: -1 }], 'prices.0.unit_price'],
      [[{ currency: 'EUR', amount: 9_000 }], 'prices.0'],
    ];
    const count = async () =>
      (
        await api.db.query('SELECT count(*)::int AS n FROM services WHERE tenant_id = $1', [tenant.tenantId])
      )[0];
    const before = await count();
    for (const [prices, field] of cases) {
      const response = await create({ prices });
      expect(response.statusCode, JSON.stringify(prices)).toBe(400);
      expect(response.body, JSON.stringify(prices)).toContain(field);
    }
    expect(await count()).toEqual(before);

    const service = (await create({ prices: [{ currency: 'EUR', unit_price: 9_000 }] })).json();
    const clash = await tenant.request('PATCH', `/api/v1/services/${service.id}`, { currency: 'EUR' });
    expect(clash.statusCode).toBe(400);
    expect(clash.json().error.message).toContain('prices[0].currency');
    const swapped = await tenant.request('PATCH', `/api/v1/services/${service.id}`, {
      currency: 'EUR',
      unit_price: 9_000,
      prices: [{ currency: 'USD', unit_price: 10_000 }],
    });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(swapped.json()).toMatchObject({
      currency: 'EUR',
      prices: [{ currency: 'USD', unit_price: 10_000 }],
    });
  });

  it('prices a billable in another currency from the catalog, and an invoice from it', async () => {
    const service = (
      await create({
        prices: [
          { currency: 'EUR', unit_price: 9_000 },
          { currency: 'JPY', unit_price: 15_000 },
        ],
        tax_rate: '19',
      })
    ).json();
    const contact = (
      await tenant.request('POST', '/api/v1/contacts', { kind: 'organization', name: 'Siemens' })
    ).json();
    const opportunity = (
      await tenant.request('POST', '/api/v1/opportunities', { title: 'Audit', contact_id: contact.id })
    ).json();
    const billable = (body: Record<string, unknown>) =>
      tenant.request('POST', '/api/v1/billables', {
        parent_type: 'opportunity',
        parent_id: opportunity.id,
        service_id: service.id,
        quantity: '2',
        ...body,
      });

    const usd = await billable({});
    expect(usd.json()).toMatchObject({ unit_price: 10_000, currency: 'USD' });
    const eur = await billable({ currency: 'eur' });
    expect(eur.statusCode, eur.body).toBe(201);
    expect(eur.json()).toMatchObject({ unit_price: 9_000, currency: 'EUR', tax_rate: '19' });
    const jpy = await billable({ currency: 'JPY', quantity: '1' });
    expect(jpy.json()).toMatchObject({ unit_price: 15_000, currency: 'JPY' });
    const negotiated = await billable({ currency: 'GBP', unit_price: 8_000 });
    expect(negotiated.json()).toMatchObject({ unit_price: 8_000, currency: 'GBP' });
    const unpriced = await billable({ currency: 'GBP' });
    expect(unpriced.statusCode).toBe(400);
    expect(unpriced.json().error.message).toContain('USD, EUR, JPY');

    const invoice = await tenant.request('POST', '/api/v1/invoices/from-billables', {
      billable_ids: [eur.json().id],
    });
    expect(invoice.statusCode, invoice.body).toBe(201);
    expect(invoice.json()).toMatchObject({
      currency: 'EUR',
      subtotal: 18_000,
      tax_total: 3_420,
      total: 21_420,
    });
  });
});
