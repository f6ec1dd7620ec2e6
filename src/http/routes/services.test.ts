import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';

describe.each(backends)('services API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let seq = 0;
  const code = () => `SVC-${++seq}`;
  const count = async () => (await api.db.query('SELECT count(*)::int AS n FROM services'))[0];
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
  });
  afterAll(() => api.close());

  it('creates, reads, updates, archives and unarchives a service', async () => {
    const created = await tenant.request('POST', '/api/v1/services', {
      code: 'CONSULT-HR',
      name: 'Consulting hour',
      unit_price: 15000,
      currency: 'usd',
      tax_rate: '8.8750',
      recurring_interval: 'month',
    });
    expect(created.statusCode).toBe(201);
    const service = created.json();
    expect(service).toMatchObject({
      object: 'service',
      code: 'CONSULT-HR',
      description: null,
      unit_price: 15000,
      currency: 'USD',
      tax_rate: '8.875',
      tax_inclusive: false,
      status: 'active',
      recurring_interval: 'month',
    });
    expect(service.id).toMatch(/^svc_/);
    expect((await tenant.request('GET', `/api/v1/services/${service.id}`)).json()).toEqual(service);

    const patched = await tenant.request('PATCH', `/api/v1/services/${service.id}`, {
      unit_price: 16000,
      tax_rate: null,
      description: 'One hour of senior consulting',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ unit_price: 16000, tax_rate: null, name: 'Consulting hour' });

    const archived = await tenant.request('DELETE', `/api/v1/services/${service.id}`);
    expect(archived.statusCode).toBe(200);
    expect(archived.json()).toMatchObject({ id: service.id, status: 'archived', unit_price: 16000 });
    const rows = await api.db.query('SELECT status FROM services WHERE id = $1', [service.id]);
    expect(rows).toEqual([{ status: 'archived' }]);

    const restored = await tenant.request('PATCH', `/api/v1/services/${service.id}`, { status: 'active' });
    expect(restored.json()).toMatchObject({ status: 'active' });
  });

  it('refuses a duplicate code with 409 naming it, per tenant', async () => {
    const first = await tenant.request('POST', '/api/v1/services', {
      code: 'DUP-1',
      name: 'A',
      unit_price: 100,
      currency: 'EUR',
    });
    expect(first.statusCode).toBe(201);
    const before = await count();
    const again = await tenant.request('POST', '/api/v1/services', {
      code: 'DUP-1',
      name: 'B',
      unit_price: 200,
      currency: 'EUR',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'already_exists' });
    expect(again.json().error.message).toContain('DUP-1');
    expect(await count()).toEqual(before);

    const other = await tenant.request('POST', '/api/v1/services', {
      code: 'DUP-2',
      name: 'C',
      unit_price: 300,
      currency: 'EUR',
    });
    const renamed = await tenant.request('PATCH', `/api/v1/services/${other.json().id}`, { code: 'DUP-1' });
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json().error.message).toContain('DUP-1');
    const unchanged = await tenant.request('GET', `/api/v1/services/${other.json().id}`);
    expect(unchanged.json().code).toBe('DUP-2');

    const elsewhere = await (
      await api.tenant()
    ).request('POST', '/api/v1/services', {
      code: 'DUP-1',
      name: 'Another tenant',
      unit_price: 100,
      currency: 'EUR',
    });
    expect(elsewhere.statusCode).toBe(201);
  });

  it.each([
    ['unit_price', { unit_price: 19.99 }],
    ['unit_price', { unit_price: -1 }],
    ['currency', { currency: 'XYZ' }],
    ['tax_rate', { tax_rate: '101' }],
    ['tax_rate', { tax_rate: '8.87501' }],
    ['tax_rate', { tax_rate: 8.875 }],
    ['recurring_interval', { recurring_interval: 'fortnight' }],
    ['code', { code: 'has space' }],
    ['colour', { colour: 'red' }],
  ])('names the bad field %s, answers 400 and writes nothing', async (field, override) => {
    const before = await count();
    const response = await tenant.request('POST', '/api/v1/services', {
      code: code(),
      name: 'Widget',
      unit_price: 1999,
      currency: 'USD',
      ...override,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    expect(response.json().error.message).toContain(field);
    expect(await count()).toEqual(before);
  });

  it("answers 404 for another tenant's service, never its data", async () => {
    const other = await api.tenant();
    const theirs = (
      await other.request('POST', '/api/v1/services', {
        code: 'X',
        name: 'X',
        unit_price: 1,
        currency: 'USD',
      })
    ).json();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await tenant.request(method, `/api/v1/services/${theirs.id}`, body);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('resource_missing');
    }
    const list = (await tenant.request('GET', '/api/v1/services?limit=200')).json();
    expect(list.data.map((s: { id: string }) => s.id)).not.toContain(theirs.id);
    expect((await other.request('GET', `/api/v1/services/${theirs.id}`)).json()).toMatchObject({
      name: 'X',
      status: 'active',
    });
  });

  it('lets viewers read but not write', async () => {
    const service = (
      await tenant.request('POST', '/api/v1/services', {
        code: code(),
        name: 'V',
        unit_price: 1,
        currency: 'USD',
      })
    ).json();
    const viewer = await tenant.keyFor('viewer');
    const as = (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: Record<string, unknown>,
    ) =>
      api.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${viewer}` },
        ...(payload && { payload }),
      });
    const post = await as('POST', '/api/v1/services', {
      code: code(),
      name: 'N',
      unit_price: 1,
      currency: 'USD',
    });
    expect(post.statusCode).toBe(403);
    expect((await as('PATCH', `/api/v1/services/${service.id}`, { name: 'N' })).statusCode).toBe(403);
    expect((await as('DELETE', `/api/v1/services/${service.id}`)).statusCode).toBe(403);
    expect((await as('GET', `/api/v1/services/${service.id}`)).statusCode).toBe(200);
    expect((await as('GET', '/api/v1/services')).statusCode).toBe(200);
  });

  it('filters by status and currency and pages with a cursor', async () => {
    const own = await api.tenant();
    const ids: string[] = [];
    for (const [i, currency] of ['USD', 'EUR', 'USD', 'JPY', 'USD'].entries()) {
      const response = await own.request('POST', '/api/v1/services', {
        code: `P-${i}`,
        name: `Plan ${i}`,
        unit_price: 100 * (i + 1),
        currency,
      });
      ids.push(response.json().id);
    }
    await own.request('DELETE', `/api/v1/services/${ids[2]}`);
    const idsOf = async (query: string) =>
      (await own.request('GET', `/api/v1/services?${query}`)).json().data.map((s: { id: string }) => s.id);
    expect(await idsOf('currency=usd')).toEqual([ids[4], ids[2], ids[0]]);
    expect(await idsOf('status=archived')).toEqual([ids[2]]);
    expect(await idsOf('status=active&currency=USD')).toEqual([ids[4], ids[0]]);
    expect(await idsOf(`created_to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).toEqual([]);

    const first = (await own.request('GET', '/api/v1/services?limit=3')).json();
    expect(first.data.map((s: { id: string }) => s.id)).toEqual([ids[4], ids[3], ids[2]]);
    const second = (await own.request('GET', `/api/v1/services?limit=3&cursor=${first.next_cursor}`)).json();
    expect(second).toMatchObject({ next_cursor: null });
    expect(second.data.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[0]]);

    const bad = await own.request('GET', '/api/v1/services?status=deleted');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('status');
  });
});
