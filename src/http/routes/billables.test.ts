import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';

describe.each(backends)('billables API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let contactId: string;
  let ticketId: string;
  let serviceId: string;
  let seq = 0;
  const count = async () => (await api.db.query('SELECT count(*)::int AS n FROM billables'))[0];
  const setup = async (t: TestTenant) => {
    const contact = (
      await t.request('POST', '/api/v1/contacts', { kind: 'organization', name: 'Acme' })
    ).json();
    const ticket = (
      await t.request('POST', '/api/v1/tickets', { title: 'Leak', contact_id: contact.id })
    ).json();
    const service = (
      await t.request('POST', '/api/v1/services', {
        code: `CONSULT-${++seq}`,
        name: 'Consulting hour',
        description: 'Senior plumber',
        unit_price: 15000,
        currency: 'USD',
        tax_rate: '8.875',
      })
    ).json();
    return {
      contactId: contact.id as string,
      ticketId: ticket.id as string,
      serviceId: service.id as string,
    };
  };
  const create = (body: Record<string, unknown>, as: TestTenant = tenant) =>
    as.request('POST', '/api/v1/billables', { parent_type: 'ticket', parent_id: ticketId, ...body });
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    ({ contactId, ticketId, serviceId } = await setup(tenant));
  });
  afterAll(() => api.close());

  it('takes price, currency, description and tax from the catalog, with a fractional quantity', async () => {
    const created = await create({ service_id: serviceId, quantity: '1.50' });
    expect(created.statusCode).toBe(201);
    const billable = created.json();
    expect(billable).toMatchObject({
      object: 'billable',
      parent_type: 'ticket',
      parent_id: ticketId,
      contact_id: contactId,
      service_id: serviceId,
      description: 'Consulting hour — Senior plumber',
      quantity: '1.5',
      unit_price: 15000,
      currency: 'USD',
      discount: null,
      tax_rate: '8.875',
      tax_inclusive: false,
      status: 'unbilled',
      invoice_id: null,
      amount_preview: { gross: 22500, discount: 0, net: 22500, tax: 1997, total: 24497 },
    });
    expect(billable.id).toMatch(/^bil_/);
    expect((await tenant.request('GET', `/api/v1/billables/${billable.id}`)).json()).toEqual(billable);
  });

  it('lets a negotiated price, discount and tax override the catalog', async () => {
    const custom = await create({
      service_id: serviceId,
      quantity: '2',
      unit_price: 12000,
      discount: { kind: 'percent', rate: '10' },
      description: 'Emergency call-out',
    });
    expect(custom.statusCode).toBe(201);
    expect(custom.json()).toMatchObject({
      unit_price: 12000,
      currency: 'USD',
      description: 'Emergency call-out',
      discount: { kind: 'percent', rate: '10' },
      amount_preview: { gross: 24000, discount: 2400, net: 21600, tax: 1917, total: 23517 },
    });
    const euros = await create({ service_id: serviceId, unit_price: 9000, currency: 'eur', tax_rate: null });
    expect(euros.json()).toMatchObject({ currency: 'EUR', tax_rate: null, amount_preview: { total: 9000 } });
    const free = await create({ service_id: serviceId, unit_price: 0 });
    expect(free.json()).toMatchObject({ unit_price: 0, amount_preview: { total: 0 } });
  });

  it('computes tax-inclusive lines and amount discounts without a service', async () => {
    const vat = await create({
      description: 'Boiler service',
      unit_price: 1200,
      currency: 'EUR',
      tax_rate: '20',
      tax_inclusive: true,
      discount: { kind: 'amount', amount: 200 },
    });
    expect(vat.statusCode).toBe(201);
    expect(vat.json()).toMatchObject({
      service_id: null,
      discount: { kind: 'amount', amount: 200 },
      amount_preview: { gross: 1200, discount: 200, net: 833, tax: 167, total: 1000 },
    });
  });

  it.each([
    ['invalid_request', 'quantity', { quantity: '0' }],
    ['invalid_request', 'quantity', { quantity: '1.1234567' }],
    ['invalid_request', 'quantity', { quantity: 1.5 }],
    ['invalid_request', 'unit_price', { unit_price: 10.5 }],
    ['invalid_request', 'discount.rate', { discount: { kind: 'percent', rate: '150' } }],
    ['invalid_request', 'discount', { discount: { kind: 'amount', amount: 99999 } }],
    ['invalid_request', 'tax_rate', { tax_rate: 'abc' }],
    ['invalid_request', 'status', { status: 'paid' }],
    ['invalid_request', 'invoice_id', { invoice_id: 'inv_1' }],
    ['invalid_request', 'parent_type', { parent_type: 'project' }],
    ['invalid_reference', 'parent_id', { parent_id: 'tkt_missing' }],
    ['invalid_reference', 'parent_id', { parent_type: 'order' }],
    ['invalid_reference', 'service_id', { service_id: 'svc_missing' }],
    ['contact_mismatch', 'contact_id', { contact_id: 'con_other' }],
  ])('answers 400 %s naming %s and writes nothing', async (code, field, override) => {
    const before = await count();
    const response = await create({ description: 'D', unit_price: 1000, currency: 'USD', ...override });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe(code);
    expect(response.json().error.message).toContain(field);
    expect(await count()).toEqual(before);
  });

  it('requires price, currency and description when there is no service, and the catalog currency', async () => {
    const before = await count();
    for (const [field, body] of [
      ['unit_price', { description: 'D', currency: 'USD' }],
      ['currency', { description: 'D', unit_price: 1 }],
      ['description', { unit_price: 1, currency: 'USD' }],
      ['currency', { service_id: serviceId, currency: 'EUR' }],
    ] as const) {
      const response = await create(body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(new RegExp(`^${field}:`));
    }
    expect(await count()).toEqual(before);
  });

  it("refuses another tenant's parent, service and billable ids", async () => {
    const stranger = await api.tenant();
    const theirs = await setup(stranger);
    const before = await count();
    const parent = await create({ parent_id: theirs.ticketId, service_id: serviceId });
    expect(parent.json().error).toMatchObject({ code: 'invalid_reference' });
    const service = await create({ service_id: theirs.serviceId });
    expect(service.json().error).toMatchObject({ code: 'invalid_reference' });
    expect(await count()).toEqual(before);

    const billable = (
      await stranger.request('POST', '/api/v1/billables', {
        parent_type: 'ticket',
        parent_id: theirs.ticketId,
        service_id: theirs.serviceId,
      })
    ).json();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { quantity: '9' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await tenant.request(method, `/api/v1/billables/${billable.id}`, body);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('resource_missing');
    }
    const nested = await tenant.request('GET', `/api/v1/tickets/${theirs.ticketId}/billables`);
    expect(nested.statusCode).toBe(404);
    const listed = (await tenant.request('GET', '/api/v1/billables?limit=200')).json();
    expect(listed.data.map((b: { id: string }) => b.id)).not.toContain(billable.id);
    expect((await stranger.request('GET', `/api/v1/billables/${billable.id}`)).json().quantity).toBe('1');
  });

  it('refuses an archived service for new billables', async () => {
    const service = (
      await tenant.request('POST', '/api/v1/services', {
        code: 'OLD',
        name: 'Old',
        unit_price: 1,
        currency: 'USD',
      })
    ).json();
    await tenant.request('DELETE', `/api/v1/services/${service.id}`);
    const before = await count();
    const response = await create({ service_id: service.id });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('service_archived');
    expect(response.json().error.message).toContain('archived');
    expect(await count()).toEqual(before);
  });

  it('edits and deletes unbilled billables only', async () => {
    const billable = (await create({ service_id: serviceId })).json();
    const patched = await tenant.request('PATCH', `/api/v1/billables/${billable.id}`, {
      quantity: '3',
      discount: { kind: 'amount', amount: 5000 },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ quantity: '3', amount_preview: { gross: 45000, discount: 5000 } });
    const recurrency = await tenant.request('PATCH', `/api/v1/billables/${billable.id}`, { currency: 'EUR' });
    expect(recurrency.statusCode).toBe(400);
    expect(recurrency.json().error.message).toMatch(/^unit_price:/);
    const readOnly = await tenant.request('PATCH', `/api/v1/billables/${billable.id}`, { status: 'paid' });
    expect(readOnly.statusCode).toBe(400);

    for (const status of ['invoiced', 'paid']) {
      await api.db.query('UPDATE billables SET status = $2 WHERE id = $1', [billable.id, status]);
      const edit = await tenant.request('PATCH', `/api/v1/billables/${billable.id}`, { quantity: '1' });
      expect(edit.statusCode).toBe(409);
      expect(edit.json().error).toMatchObject({ code: 'billable_not_editable' });
      expect(edit.json().error.message).toContain(status);
      const removal = await tenant.request('DELETE', `/api/v1/billables/${billable.id}`);
      expect(removal.statusCode).toBe(409);
    }
    expect((await tenant.request('GET', `/api/v1/billables/${billable.id}`)).json().quantity).toBe('3');

    const unbilled = (await create({ service_id: serviceId })).json();
    const removed = await tenant.request('DELETE', `/api/v1/billables/${unbilled.id}`);
    expect(removed.json()).toEqual({ id: unbilled.id, object: 'billable', deleted: true });
    expect((await tenant.request('GET', `/api/v1/billables/${unbilled.id}`)).statusCode).toBe(404);
  });

  it('lets viewers read but not write', async () => {
    const billable = (await create({ service_id: serviceId })).json();
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
    const body = { parent_type: 'ticket', parent_id: ticketId, service_id: serviceId };
    expect((await as('POST', '/api/v1/billables', body)).statusCode).toBe(403);
    expect((await as('PATCH', `/api/v1/billables/${billable.id}`, { quantity: '2' })).statusCode).toBe(403);
    expect((await as('DELETE', `/api/v1/billables/${billable.id}`)).statusCode).toBe(403);
    expect((await as('GET', `/api/v1/billables/${billable.id}`)).statusCode).toBe(200);
    expect((await as('GET', `/api/v1/tickets/${ticketId}/billables`)).statusCode).toBe(200);
  });

  it('filters, nests under parents and pages with a cursor', async () => {
    const own = await api.tenant();
    const mine = await setup(own);
    const opportunity = (
      await own.request('POST', '/api/v1/opportunities', { title: 'Deal', contact_id: mine.contactId })
    ).json();
    const order = (
      await own.request('POST', '/api/v1/orders', { title: 'PO', contact_id: mine.contactId })
    ).json();
    const ids: string[] = [];
    for (const [parentType, parentId, currency] of [
      ['ticket', mine.ticketId, 'USD'],
      ['opportunity', opportunity.id, 'EUR'],
      ['ticket', mine.ticketId, 'USD'],
      ['order', order.id, 'USD'],
    ] as const) {
      const response = await own.request('POST', '/api/v1/billables', {
        parent_type: parentType,
        parent_id: parentId,
        service_id: mine.serviceId,
        unit_price: 100,
        currency,
      });
      ids.push(response.json().id);
    }
    await api.db.query('UPDATE billables SET status = $2 WHERE id = $1', [ids[2], 'invoiced']);
    const idsOf = async (url: string) =>
      (await own.request('GET', url)).json().data.map((b: { id: string }) => b.id);
    expect(await idsOf(`/api/v1/billables?parent_type=ticket`)).toEqual([ids[2], ids[0]]);
    expect(await idsOf(`/api/v1/billables?parent_id=${opportunity.id}`)).toEqual([ids[1]]);
    expect(await idsOf('/api/v1/billables?currency=eur')).toEqual([ids[1]]);
    expect(await idsOf('/api/v1/billables?status=unbilled&currency=USD')).toEqual([ids[3], ids[0]]);
    expect(await idsOf(`/api/v1/billables?contact_id=${mine.contactId}`)).toEqual([...ids].reverse());
    expect(await idsOf(`/api/v1/tickets/${mine.ticketId}/billables`)).toEqual([ids[2], ids[0]]);
    expect(await idsOf(`/api/v1/tickets/${mine.ticketId}/billables?status=invoiced`)).toEqual([ids[2]]);
    expect(await idsOf(`/api/v1/orders/${order.id}/billables`)).toEqual([ids[3]]);
    expect(await idsOf(`/api/v1/opportunities/${opportunity.id}/billables`)).toEqual([ids[1]]);
    expect((await own.request('GET', `/api/v1/orders/${mine.ticketId}/billables`)).statusCode).toBe(404);

    const first = (await own.request('GET', '/api/v1/billables?limit=3')).json();
    expect(first.data.map((b: { id: string }) => b.id)).toEqual([ids[3], ids[2], ids[1]]);
    const second = (await own.request('GET', `/api/v1/billables?limit=3&cursor=${first.next_cursor}`)).json();
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
  });
});
