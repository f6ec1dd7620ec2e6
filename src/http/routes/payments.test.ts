import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { billableRow, createContact, createInvoice, pay, seedBillable } from './invoices-fixtures.js';

describe.each(backends)('payments API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let contactId: string;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    contactId = await createContact(tenant);
  });
  afterAll(() => api.close());

  it('takes a partial then a full payment: partially paid, then paid with its billables', async () => {
    const b1 = await seedBillable(api, tenant, { contactId, unitPrice: 6_000 });
    const b2 = await seedBillable(api, tenant, { contactId, unitPrice: 4_000 });
    const draft = (
      await tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [b1, b2] })
    ).json();
    await tenant.request('POST', `/api/v1/invoices/${draft.id}/send`);

    const first = await pay(tenant, draft.id, 2_500, { method: 'check', reference: 'chk 1001' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      object: 'payment',
      invoice_id: draft.id,
      contact_id: contactId,
      amount: 2_500,
      purpose: 'invoice',
      source: 'manual',
      method: 'check',
      reference: 'chk 1001',
    });
    let invoice = (await tenant.request('GET', `/api/v1/invoices/${draft.id}`)).json();
    expect(invoice).toMatchObject({
      status: 'partially_paid',
      amount_paid: 2_500,
      balance: 7_500,
      paid_at: null,
    });
    expect(await billableRow(api, tenant, b1)).toMatchObject({ status: 'invoiced' });

    const over = await pay(tenant, draft.id, 7_501);
    expect(over.statusCode).toBe(422);
    expect(over.json().error.code).toBe('overpayment');
    expect(over.json().error.message).toContain('7500');

    expect((await pay(tenant, draft.id, 7_500)).statusCode).toBe(201);
    invoice = (await tenant.request('GET', `/api/v1/invoices/${draft.id}`)).json();
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 10_000, balance: 0 });
    expect(invoice.paid_at).not.toBeNull();
    for (const id of [b1, b2])
      expect(await billableRow(api, tenant, id)).toEqual({ status: 'paid', invoice_id: draft.id });

    const more = await pay(tenant, draft.id, 1);
    expect(more.statusCode).toBe(409);
    expect(more.json().error.message).toContain('cannot record a payment on an invoice that is paid');
    const voidPaid = await tenant.request('POST', `/api/v1/invoices/${draft.id}/void`);
    expect(voidPaid.statusCode).toBe(409);
    expect(voidPaid.json().error.message).toContain('cannot void an invoice that is paid');

    const listed = (await tenant.request('GET', `/api/v1/invoices/${draft.id}/payments`)).json();
    expect(listed.data.map((p: { amount: number }) => p.amount)).toEqual([7_500, 2_500]);
    const timeline = (await tenant.request('GET', `/api/v1/invoices/${draft.id}/timeline`)).json().data;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'invoice.created',
      'invoice.sent',
      'payment.received',
      'payment.received',
      'invoice.paid',
    ]);
    expect(timeline[2]).toMatchObject({
      message: 'Payment received: 25.00 USD by check',
      data: { amount: 2_500, method: 'check', from: 'open', to: 'partially_paid' },
    });
  });

  it('refuses drafts, void invoices and other currencies', async () => {
    const draft = await createInvoice(tenant, contactId);
    const onDraft = await pay(tenant, draft.id, 100);
    expect(onDraft.statusCode).toBe(409);
    expect(onDraft.json().error).toMatchObject({ code: 'illegal_transition' });
    expect(onDraft.json().error.message).toContain('draft');

    const open = await createInvoice(tenant, contactId, { send: true });
    const euros = await pay(tenant, open.id, 100, { currency: 'EUR' });
    expect(euros.statusCode).toBe(400);
    expect(euros.json().error.code).toBe('currency_mismatch');
    await tenant.request('POST', `/api/v1/invoices/${open.id}/void`);
    expect((await pay(tenant, open.id, 100)).statusCode).toBe(409);
    const payments = await api.db.query(
      'SELECT count(*)::int AS n FROM payments WHERE invoice_id = ANY($1)',
      [[draft.id, open.id]],
    );
    expect(payments).toEqual([{ n: 0 }]);
  });

  it('records a provider payment once, however many times it is reported', async () => {
    const invoice = await createInvoice(tenant, contactId, { send: true });
    const stripe = { source: 'stripe', external_id: 'ch_123', method: 'card' };
    const first = await pay(tenant, invoice.id, 4_000, stripe);
    expect(first.statusCode).toBe(201);
    const again = await pay(tenant, invoice.id, 4_000, stripe);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const different = await pay(tenant, invoice.id, 4_001, stripe);
    expect(different.statusCode).toBe(409);
    expect(different.json().error.code).toBe('idempotency_conflict');

    const racing = await Promise.all(
      [1, 2, 3].map(() => pay(tenant, invoice.id, 1_000, { ...stripe, external_id: 'ch_race' })),
    );
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
    const after = (await tenant.request('GET', `/api/v1/invoices/${invoice.id}`)).json();
    expect(after).toMatchObject({ amount_paid: 5_000, balance: 5_000 });

    const noExternal = await pay(tenant, invoice.id, 1, { source: 'quickbooks' });
    expect(noExternal.statusCode).toBe(400);
    expect(noExternal.json().error.message).toContain('external_id');
  });

  it('refunds up to what was paid; the invoice stays paid and counts the refund', async () => {
    const invoice = await createInvoice(tenant, contactId, { send: true, total: 5_000 });
    const payment = (await pay(tenant, invoice.id, 5_000)).json();
    const url = `/api/v1/payments/${payment.id}/refunds`;

    const first = await tenant.request('POST', url, { amount: 1_200, reason: 'damaged item' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      object: 'refund',
      payment_id: payment.id,
      amount: 1_200,
      currency: 'USD',
    });
    const tooMuch = await tenant.request('POST', url, { amount: 3_801 });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().error.code).toBe('refund_exceeds_payment');
    expect(tooMuch.json().error.message).toContain('3800');
    const external = { amount: 3_800, source: 'stripe', external_id: 're_1' };
    expect((await tenant.request('POST', url, external)).statusCode).toBe(201);
    expect((await tenant.request('POST', url, external)).statusCode).toBe(200);

    expect((await tenant.request('GET', `/api/v1/payments/${payment.id}`)).json().amount_refunded).toBe(
      5_000,
    );
    expect((await tenant.request('GET', url)).json().data.map((r: { amount: number }) => r.amount)).toEqual([
      1_200, 3_800,
    ]);
    const after = (await tenant.request('GET', `/api/v1/invoices/${invoice.id}`)).json();
    expect(after).toMatchObject({ status: 'paid', amount_paid: 5_000, amount_refunded: 5_000, balance: 0 });
    const timeline = (await tenant.request('GET', `/api/v1/invoices/${invoice.id}/timeline`)).json().data;
    expect(timeline.slice(-2).map((e: { message: string }) => e.message)).toEqual([
      'Refund issued: 12.00 USD',
      'Refund issued: 38.00 USD',
    ]);
  });

  it('records standalone payments with a purpose', async () => {
    const base = { contact_id: contactId, amount: 2_999, currency: 'usd', method: 'cash' };
    const ok = await tenant.request('POST', '/api/v1/payments', { ...base, purpose: 'membership' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ invoice_id: null, purpose: 'membership', currency: 'USD' });
    const refund = await tenant.request('POST', `/api/v1/payments/${ok.json().id}/refunds`, { amount: 999 });
    expect(refund.statusCode).toBe(201);

    const noPurpose = await tenant.request('POST', '/api/v1/payments', base);
    expect(noPurpose.statusCode).toBe(400);
    expect(noPurpose.json().error.message).toContain('purpose');
    const invoicePurpose = await tenant.request('POST', '/api/v1/payments', { ...base, purpose: 'invoice' });
    expect(invoicePurpose.statusCode).toBe(400);
    const { contact_id: _, ...noContact } = base;
    const anonymous = await tenant.request('POST', '/api/v1/payments', { ...noContact, purpose: 'other' });
    expect(anonymous.statusCode).toBe(400);
    expect(anonymous.json().error.message).toContain('contact_id');

    const listed = (await tenant.request('GET', '/api/v1/payments?purpose=membership&method=cash')).json();
    expect(listed.data.map((p: { id: string }) => p.id)).toEqual([ok.json().id]);
  });

  it('answers 404 for another tenant’s payments and invoices', async () => {
    const invoice = await createInvoice(tenant, contactId, { send: true });
    const payment = (await pay(tenant, invoice.id, 100)).json();
    const stranger = await api.tenant();
    const strangerContact = await createContact(stranger);
    for (const [method, path, body] of [
      ['GET', `/api/v1/payments/${payment.id}`, undefined],
      ['GET', `/api/v1/payments/${payment.id}/refunds`, undefined],
      ['POST', `/api/v1/payments/${payment.id}/refunds`, { amount: 1 }],
      ['POST', '/api/v1/payments', { invoice_id: invoice.id, amount: 1, currency: 'USD', method: 'cash' }],
      [
        'POST',
        '/api/v1/payments',
        { contact_id: contactId, amount: 1, currency: 'USD', method: 'cash', purpose: 'other' },
      ],
    ] as const) {
      const response = await stranger.request(method, path, body);
      expect(response.statusCode, `${method} ${path}`).toBe(404);
      expect(response.json().error.code).toBe('resource_missing');
    }
    const mismatch = await tenant.request('POST', '/api/v1/payments', {
      invoice_id: invoice.id,
      contact_id: strangerContact,
      amount: 1,
      currency: 'USD',
      method: 'cash',
    });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().error.code).toBe('contact_mismatch');
    expect((await stranger.request('GET', '/api/v1/payments')).json().data).toEqual([]);
  });
});
