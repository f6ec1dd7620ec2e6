import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestTenant } from '../../../test/api.js';
import { backends } from '../../../test/databases.js';
import { computeInvoice } from '../../domain/index.js';
import { billableRow, createContact, createInvoice, seedBillable } from './invoices-fixtures.js';

describe.each(backends)('invoices API on $name', (backend) => {
  let api: TestApi;
  let tenant: TestTenant;
  let contactId: string;
  beforeAll(async () => {
    api = await startTestApi(backend);
    tenant = await api.tenant();
    contactId = await createContact(tenant);
  });
  afterAll(() => api.close());

  it('invoices billables: one line each, in the order given, priced by the domain', async () => {
    const seeds = [
      { quantity: '1.5', unitPrice: 12_000, taxRate: '8.875' },
      { quantity: '0.333333', unitPrice: 9_999, discount: { kind: 'percent' as const, rate: '12.5' } },
      {
        quantity: '3',
        unitPrice: 2_500,
        discount: { kind: 'amount' as const, amount: 700 },
        taxRate: '20',
        taxInclusive: true,
      },
      { quantity: '2.25', unitPrice: 1_333, taxRate: '7.25' },
    ];
    const ids: string[] = [];
    for (const seed of seeds) ids.push(await seedBillable(api, tenant, { contactId, ...seed }));
    const order = [ids[2], ids[0], ids[3], ids[1]] as string[];

    const response = await tenant.request('POST', '/api/v1/invoices/from-billables', {
      billable_ids: order,
      due_date: '2030-01-31',
      memo: 'Thanks!',
    });
    expect(response.statusCode).toBe(201);
    const invoice = response.json();
    const expected = computeInvoice(
      'USD',
      [2, 0, 3, 1].map((i) => {
        const s = seeds[i] as (typeof seeds)[number] & {
          discount?: unknown;
          taxRate?: string;
          taxInclusive?: boolean;
        };
        return {
          quantity: s.quantity,
          unitPrice: s.unitPrice,
          ...(s.discount !== undefined && { discount: s.discount as { kind: 'amount'; amount: number } }),
          ...(s.taxRate !== undefined && { taxRate: s.taxRate, taxInclusive: s.taxInclusive ?? false }),
        };
      }),
    );
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'draft',
      contact_id: contactId,
      currency: 'USD',
      form_type: 'invoice',
      subtotal: expected.subtotal,
      discount_total: expected.discount,
      tax_total: expected.tax,
      total: expected.total,
      amount_paid: 0,
      balance: expected.total,
      due_date: '2030-01-31',
      memo: 'Thanks!',
      sent_at: null,
    });
    expect(invoice.issue_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(invoice.lines.map((l: { billable_id: string }) => l.billable_id)).toEqual(order);
    expect(invoice.lines.map((l: { position: number }) => l.position)).toEqual([1, 2, 3, 4]);
    expect(invoice.lines.map((l: { amounts: unknown }) => l.amounts)).toEqual(expected.lines);
    expect(invoice.lines[0]).toMatchObject({ quantity: '3', tax_rate: '20', tax_inclusive: true });
    expect(invoice.lines[3]).toMatchObject({
      quantity: '0.333333',
      discount: { kind: 'percent', rate: '12.5' },
    });

    for (const id of ids)
      expect(await billableRow(api, tenant, id)).toEqual({ status: 'invoiced', invoice_id: invoice.id });
    expect((await tenant.request('GET', `/api/v1/invoices/${invoice.id}`)).json()).toEqual(invoice);
    const timeline = (await tenant.request('GET', `/api/v1/invoices/${invoice.id}/timeline`)).json();
    expect(timeline.data).toHaveLength(1);
    expect(timeline.data[0]).toMatchObject({
      kind: 'invoice.created',
      message: 'Invoice was created',
      system: 'ledgerbridge',
    });
    expect(timeline.data[0].actor).toMatch(/^api_key:/);
  });

  it('refuses mixed currencies or contacts with 400 and writes nothing', async () => {
    const other = await api.tenant();
    const c1 = await createContact(other);
    const c2 = await createContact(other, 'Other Co');
    const usd = await seedBillable(api, other, { contactId: c1, currency: 'USD' });
    const eur = await seedBillable(api, other, { contactId: c1, currency: 'EUR' });
    const otherContact = await seedBillable(api, other, { contactId: c2 });

    const mixed = await other.request('POST', '/api/v1/invoices/from-billables', {
      billable_ids: [usd, eur],
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.code).toBe('mixed_currencies');
    expect(mixed.json().error.message).toContain('EUR');
    expect(mixed.json().error.message).toContain('USD');
    const contacts = await other.request('POST', '/api/v1/invoices/from-billables', {
      billable_ids: [usd, otherContact],
    });
    expect(contacts.statusCode).toBe(400);
    expect(contacts.json().error.code).toBe('mixed_contacts');

    const invoices = await api.db.query('SELECT count(*)::int AS n FROM invoices WHERE tenant_id = $1', [
      other.tenantId,
    ]);
    expect(invoices).toEqual([{ n: 0 }]);
    for (const id of [usd, eur, otherContact]) {
      expect(await billableRow(api, other, id)).toEqual({ status: 'unbilled', invoice_id: null });
    }
    // The failed attempts took no number: the first real invoice is still number 1.
    const first = await other.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [usd] });
    expect(first.json().number).toBe(1);
  });

  it('never bills the same billables twice, even when two requests race', async () => {
    const ids = [
      await seedBillable(api, tenant, { contactId }),
      await seedBillable(api, tenant, { contactId, unitPrice: 5_000 }),
    ];
    const [a, b] = await Promise.all([
      tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: ids }),
      tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [...ids].reverse() }),
    ]);
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([201, 409]);
    const loser = a?.statusCode === 409 ? a : b;
    expect(loser?.json().error.code).toBe('billable_already_invoiced');
    const lines = await api.db.query(
      'SELECT count(*)::int AS n FROM invoice_lines WHERE billable_id = ANY($1)',
      [ids],
    );
    expect(lines).toEqual([{ n: 2 }]);
  });

  it('numbers invoices per tenant from 1, distinct and consecutive under concurrency', async () => {
    const t1 = await api.tenant();
    const t2 = await api.tenant();
    const c1 = await createContact(t1);
    const c2 = await createContact(t2);
    expect((await createInvoice(t2, c2)).number).toBe(1);
    const numbers = await Promise.all(
      Array.from({ length: 6 }, () => createInvoice(t1, c1).then((i) => i.number)),
    );
    expect(numbers.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await createInvoice(t2, c2)).number).toBe(2);
  });

  it('edits and deletes drafts only; deleting frees the billables', async () => {
    const b1 = await seedBillable(api, tenant, { contactId, unitPrice: 4_000 });
    const draft = (
      await tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [b1] })
    ).json();

    const patched = await tenant.request('PATCH', `/api/v1/invoices/${draft.id}`, {
      memo: 'Net 30',
      lines: [
        { description: 'Consulting', quantity: '2.5', unit_price: 15_000, tax_rate: '10' },
        {
          description: 'Travel',
          quantity: '1',
          unit_price: 3_333,
          discount: { kind: 'amount', amount: 333 },
        },
      ],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      memo: 'Net 30',
      subtotal: 37_500 + 3_333,
      tax_total: 3_750,
      total: 41_250 + 3_000,
    });
    expect(patched.json().balance).toBe(patched.json().total);
    // Replacing the lines dropped the billable's line, so the billable is free again.
    expect(await billableRow(api, tenant, b1)).toEqual({ status: 'unbilled', invoice_id: null });

    const b2 = await seedBillable(api, tenant, { contactId });
    const second = (
      await tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [b2] })
    ).json();
    expect((await tenant.request('DELETE', `/api/v1/invoices/${second.id}`)).statusCode).toBe(204);
    expect(await billableRow(api, tenant, b2)).toEqual({ status: 'unbilled', invoice_id: null });
    expect((await tenant.request('GET', `/api/v1/invoices/${second.id}`)).statusCode).toBe(404);

    await tenant.request('POST', `/api/v1/invoices/${draft.id}/send`);
    const late = await tenant.request('PATCH', `/api/v1/invoices/${draft.id}`, { memo: 'too late' });
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({ code: 'illegal_transition' });
    expect(late.json().error.message).toContain('cannot edit an invoice that is open');
    const del = await tenant.request('DELETE', `/api/v1/invoices/${draft.id}`);
    expect(del.statusCode).toBe(409);
    expect(del.json().error.message).toContain('cannot delete an invoice that is open');
  });

  it('walks the lifecycle through the API and says which transition it refused', async () => {
    const b1 = await seedBillable(api, tenant, { contactId });
    const draft = (
      await tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [b1] })
    ).json();
    const url = `/api/v1/invoices/${draft.id}`;

    const early = await tenant.request('POST', `${url}/void`);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.message).toContain('cannot void an invoice that is draft');

    expect(draft.due_date).toBeNull();
    const sent = (await tenant.request('POST', `${url}/send`)).json();
    expect(sent).toMatchObject({ status: 'open' });
    expect(sent.sent_at).not.toBeNull();
    // Sent without a due date: due on receipt, stated, so Stripe and QuickBooks carry the same date.
    expect(sent.due_date).toBe(new Date().toISOString().slice(0, 10));
    const uncollectible = (await tenant.request('POST', `${url}/mark-uncollectible`)).json();
    expect(uncollectible.status).toBe('uncollectible');
    const archived = (await tenant.request('POST', `${url}/archive`)).json();
    expect(archived).toMatchObject({ status: 'archived', archived_from: 'uncollectible' });
    const restored = (await tenant.request('POST', `${url}/unarchive`)).json();
    expect(restored).toMatchObject({ status: 'uncollectible', archived_from: null });

    const voided = (await tenant.request('POST', `${url}/void`)).json();
    expect(voided.status).toBe('void');
    expect(voided.voided_at).not.toBeNull();
    // A voided invoice's billables can be invoiced again.
    expect(await billableRow(api, tenant, b1)).toEqual({ status: 'unbilled', invoice_id: null });
    expect(
      (await tenant.request('POST', '/api/v1/invoices/from-billables', { billable_ids: [b1] })).statusCode,
    ).toBe(201);

    const again = await tenant.request('POST', `${url}/send`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'illegal_transition' });
    expect(again.json().error.message).toContain('cannot send an invoice that is void');

    const timeline = (await tenant.request('GET', `${url}/timeline`)).json().data;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'invoice.created',
      'invoice.sent',
      'invoice.marked_uncollectible',
      'invoice.archived',
      'invoice.unarchived',
      'invoice.voided',
    ]);
    const times = timeline.map((e: { occurred_at: string }) => e.occurred_at);
    expect([...times].sort()).toEqual(times);
  });

  it('lists invoices with filters and a cursor', async () => {
    const t = await api.tenant();
    const c1 = await createContact(t);
    const c2 = await createContact(t, 'Second');
    const first = await createInvoice(t, c1);
    const second = await createInvoice(t, c2, { send: true });
    await t.request('PATCH', `/api/v1/invoices/${first.id}`, { due_date: '2031-06-15' });
    const third = await createInvoice(t, c1);

    const ids = async (query: string) =>
      (await t.request('GET', `/api/v1/invoices${query}`)).json().data.map((i: { id: string }) => i.id);
    expect(await ids('')).toEqual([third.id, second.id, first.id]);
    expect(await ids('?status=open')).toEqual([second.id]);
    expect(await ids(`?contact_id=${c1}`)).toEqual([third.id, first.id]);
    expect(await ids('?number=2')).toEqual([second.id]);
    expect(await ids('?due_from=2031-06-01&due_to=2031-06-30')).toEqual([first.id]);
    const page = (await t.request('GET', '/api/v1/invoices?limit=2')).json();
    expect(page.data).toHaveLength(2);
    expect(page.data[0].lines).toHaveLength(1);
    expect(await ids(`?limit=2&cursor=${page.next_cursor}`)).toEqual([first.id]);
    expect((await t.request('GET', '/api/v1/invoices?status=bogus')).statusCode).toBe(400);
  });

  it('validates lines and answers 404 for another tenant’s invoices and billables', async () => {
    const noLines = await tenant.request('POST', '/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines: [],
    });
    expect(noLines.statusCode).toBe(400);
    const badQty = await tenant.request('POST', '/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines: [{ description: 'x', quantity: '1.1234567', unit_price: 1 }],
    });
    expect(badQty.statusCode).toBe(400);
    expect(badQty.json().error.message).toContain('lines.0.quantity');
    const tooBigDiscount = await tenant.request('POST', '/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines: [
        { description: 'x', quantity: '1', unit_price: 100, discount: { kind: 'amount', amount: 101 } },
      ],
    });
    expect(tooBigDiscount.statusCode).toBe(422);
    expect(tooBigDiscount.json().error.message).toContain('line 1');

    const mine = await createInvoice(tenant, contactId);
    const myBillable = await seedBillable(api, tenant, { contactId });
    const stranger = await api.tenant();
    for (const [method, path] of [
      ['GET', `/api/v1/invoices/${mine.id}`],
      ['PATCH', `/api/v1/invoices/${mine.id}`],
      ['DELETE', `/api/v1/invoices/${mine.id}`],
      ['POST', `/api/v1/invoices/${mine.id}/send`],
      ['GET', `/api/v1/invoices/${mine.id}/timeline`],
      ['GET', `/api/v1/invoices/${mine.id}/payments`],
    ] as const) {
      const response = await stranger.request(method, path, method === 'PATCH' ? { memo: 'x' } : undefined);
      expect(response.statusCode, `${method} ${path}`).toBe(404);
      expect(response.json().error.code).toBe('resource_missing');
    }
    const steal = await stranger.request('POST', '/api/v1/invoices/from-billables', {
      billable_ids: [myBillable],
    });
    expect(steal.statusCode).toBe(404);
    const theirContact = await stranger.request('POST', '/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines: [{ description: 'x', quantity: '1', unit_price: 1 }],
    });
    expect(theirContact.statusCode).toBe(404);
    expect(await billableRow(api, tenant, myBillable)).toEqual({ status: 'unbilled', invoice_id: null });
  });
});
