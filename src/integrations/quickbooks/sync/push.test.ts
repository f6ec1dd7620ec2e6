import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { getQboInvoiceSyncState } from './store.js';
import { type PushHarness, type PushTenant, startPushHarness } from './test-harness.js';

interface InvoiceJson {
  id: string;
  number: number;
  total: number;
  tax_total: number;
  discount_total: number;
}

/** Customers, items and invoice push over real HTTP against the QuickBooks emulator, with a real worker. */
describe.each(backends)('QuickBooks push on $name', (backend) => {
  let h: PushHarness;
  beforeAll(async () => {
    h = await startPushHarness(backend);
  });
  afterAll(() => h.close());

  const link = (t: PushTenant, localType: 'contact' | 'service' | 'invoice', localId: string) =>
    findLinkByLocal(h.api.db, { tenantId: t.tenantId, provider: 'quickbooks', localType, localId });

  async function contact(t: PushTenant, name: string, email: string | null) {
    return t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name,
      ...(email ? { email } : {}),
    });
  }

  async function sendInvoice(
    t: PushTenant,
    contactId: string,
    lines: unknown[],
    extra: Record<string, unknown> = {},
  ) {
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines,
      due_date: '2030-01-31',
      ...extra,
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    return invoice;
  }

  const oneLine = [{ description: 'Work', quantity: '1', unit_price: 10_000 }];

  it('matches a customer by email, creates one otherwise, and resolves a DisplayName clash', async () => {
    const t = await h.tenant();
    const existing = await t.qbo.create('Customer', {
      DisplayName: 'Initech Holdings',
      PrimaryEmailAddr: { Address: 'ap@initech.test' },
    });
    await t.qbo.create('Customer', {
      DisplayName: 'Globex',
      PrimaryEmailAddr: { Address: 'other@elsewhere.test' },
    });

    const initech = await contact(t, 'Initech', 'ap@initech.test');
    const globex = await contact(t, 'Globex', 'billing@globex.test');
    const hooli = await contact(t, 'Hooli', 'ar@hooli.test');
    for (const c of [initech, globex, hooli]) await sendInvoice(t, c.id, oneLine);
    await h.runJobs(t);

    expect((await link(t, 'contact', initech.id))?.externalId).toBe(existing.Id);
    const customers = await t.all('Customer');
    expect(customers).toHaveLength(4);
    const globexLink = await link(t, 'contact', globex.id);
    const made = customers.find((c) => c.Id === globexLink?.externalId);
    expect(made).toMatchObject({
      DisplayName: 'Globex (billing@globex.test)',
      PrimaryEmailAddr: { Address: 'billing@globex.test' },
    });
    expect(String(made?.Notes)).toContain(`ledgerbridge:${globex.id}`);
    const hooliLink = await link(t, 'contact', hooli.id);
    expect(customers.find((c) => c.Id === hooliLink?.externalId)?.DisplayName).toBe('Hooli');
  });

  it('keeps the customer in step with the contact, re-reading a stale SyncToken (5010)', async () => {
    const t = await h.tenant();
    const c = await contact(t, 'Umbrella', 'ap@umbrella.test');
    await sendInvoice(t, c.id, oneLine);
    await h.runJobs(t);
    const linked = await link(t, 'contact', c.id);
    const id = linked?.externalId ?? '';
    // Someone edits the customer in QuickBooks: the SyncToken we keep is now stale.
    const [before] = await t.all('Customer', `Id = '${id}'`);
    const edited = await t.qbo.post('customer', {
      Id: id,
      SyncToken: before?.SyncToken,
      sparse: true,
      Notes: `${String(before?.Notes)} vip`,
    });
    expect(edited.status).toBe(200);

    await t.patch(`/api/v1/contacts/${c.id}`, {
      name: 'Umbrella Corp',
      email: 'billing@umbrella.test',
      billing_address: { line1: '1 Hive Way', city: 'Raccoon City', postal_code: '12345', country: 'US' },
    });
    await h.runJobs(t);
    const [after] = await t.all('Customer', `Id = '${id}'`);
    expect(after).toMatchObject({
      DisplayName: 'Umbrella Corp',
      PrimaryEmailAddr: { Address: 'billing@umbrella.test' },
      BillAddr: { Line1: '1 Hive Way', City: 'Raccoon City', PostalCode: '12345' },
    });
    expect(Number(after?.SyncToken)).toBe(Number(edited.body.Customer.SyncToken) + 1);
    const [job] = await h.api.db.query<{ state: string }>(
      "SELECT state FROM jobs WHERE tenant_id = $1 AND type = 'quickbooks.sync.contact'",
      [t.tenantId],
    );
    expect(job?.state).toBe('succeeded');
  });

  it('makes a Service item per service, updates it, and deactivates it when archived', async () => {
    const t = await h.tenant();
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'AUDIT',
      name: 'Security audit',
      description: 'One-off review',
      unit_price: 250_000,
      currency: 'USD',
    });
    await h.runJobs(t);
    const itemId = (await link(t, 'service', service.id))?.externalId ?? '';
    const [item] = await t.all('Item', `Id = '${itemId}'`);
    expect(item).toMatchObject({
      Name: 'AUDIT Security audit',
      Type: 'Service',
      UnitPrice: 2500,
      Active: true,
    });
    expect(item?.IncomeAccountRef?.value).toBeTruthy();

    await t.patch(`/api/v1/services/${service.id}`, { unit_price: 275_000 });
    await h.runJobs(t);
    expect((await t.all('Item', `Id = '${itemId}'`))[0]).toMatchObject({ UnitPrice: 2750 });
    const archived = await t.request('DELETE', `/api/v1/services/${service.id}`);
    expect(archived.statusCode).toBe(200);
    await h.runJobs(t);
    const inactive = await t.all('Item', `Id = '${itemId}' AND Active = false`);
    expect(inactive[0]).toMatchObject({ Active: false });
  });

  it('pushes an invoice whose QuickBooks total is ours to the cent: discounts, tax, fractional quantities', async () => {
    const t = await h.tenant();
    const c = await contact(t, 'Stark Industries', 'ap@stark.test');
    const consult = await t.post<{ id: string }>('/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 15_000,
      currency: 'USD',
    });
    const invoice = await sendInvoice(
      t,
      c.id,
      [
        {
          description: 'Consulting',
          service_id: consult.id,
          quantity: '1.5',
          unit_price: 15_000,
          discount: { kind: 'percent', rate: '10' },
          tax_rate: '20',
          tax_inclusive: true,
        },
        { description: 'Support', quantity: '3', unit_price: 4_999, tax_rate: '8.875' },
        {
          description: 'Review',
          service_id: consult.id,
          quantity: '0.333',
          unit_price: 12_345,
          tax_rate: '8.875',
        },
        {
          description: 'Travel',
          quantity: '2',
          unit_price: 3_333,
          discount: { kind: 'amount', amount: 500 },
        },
      ],
      { memo: 'Thanks for your business' },
    );
    await h.runJobs(t);

    const qboId = (await link(t, 'invoice', invoice.id))?.externalId ?? '';
    const [replica] = await t.all('Invoice', `Id = '${qboId}'`);
    expect(replica).toMatchObject({
      DocNumber: String(invoice.number),
      DueDate: '2030-01-31',
      BillEmail: { Address: 'ap@stark.test' },
    });
    expect(Math.round(Number(replica?.TotalAmt) * 100)).toBe(invoice.total);
    expect(Math.round(Number(replica?.TxnTaxDetail?.TotalTax) * 100)).toBe(invoice.tax_total);
    expect(String(replica?.PrivateNote)).toContain(`ledgerbridge:${invoice.id}`);
    for (const line of replica?.Line ?? []) {
      if (line.DetailType !== 'SalesItemLineDetail') continue;
      const { Qty, UnitPrice } = line.SalesItemLineDetail;
      expect(Math.round(Qty * UnitPrice * 100)).toBe(Math.round(line.Amount * 100));
    }
    expect(
      replica?.Line.find((l: { DetailType: string }) => l.DetailType === 'DiscountLineDetail')?.Amount,
    ).toBe(invoice.discount_total / 100);
    expect(await getQboInvoiceSyncState(h.api.db, t.tenantId, invoice.id)).toMatchObject({
      status: 'synced',
      error: null,
    });
    const timeline = await t.get<{ data: { message: string; system: string }[] }>(
      `/api/v1/invoices/${invoice.id}/timeline`,
    );
    expect(timeline.data.map((e) => e.message)).toContain('Invoice was synced with QuickBooks');

    // Voided here → voided there; the replica is kept, never deleted.
    await t.post(`/api/v1/invoices/${invoice.id}/void`, {});
    await h.runJobs(t);
    const [voided] = await t.all('Invoice', `Id = '${qboId}'`);
    expect(String(voided?.PrivateNote)).toMatch(/^Voided/);
    expect(Number(voided?.TotalAmt)).toBe(0);
  });

  it('fails visibly when QuickBooks’ total is not ours (a 3-decimal currency it keeps in cents)', async () => {
    const t = await h.tenant();
    await h.admin('POST', `/_emulator/companies/${t.realmId}/settings`, {
      multiCurrency: true,
      exchangeRates: { KWD: 3.25 },
    });
    const c = await contact(t, 'Gulf Trading', 'ap@gulf.test');
    const invoice = await sendInvoice(
      t,
      c.id,
      [{ description: 'Freight', quantity: '1', unit_price: 1_234 }],
      {
        currency: 'KWD',
      },
    );
    await h.runJobs(t);
    const state = await getQboInvoiceSyncState(h.api.db, t.tenantId, invoice.id);
    expect(state?.status).toBe('failed');
    expect(state?.error).toMatch(/QuickBooks total 1\.23.* differs from ledgerbridge total 1\.234 KWD/);
    const timeline = await t.get<{ data: { message: string }[] }>(`/api/v1/invoices/${invoice.id}/timeline`);
    expect(timeline.data.map((e) => e.message).join('\n')).toMatch(
      /Invoice was not synced with QuickBooks: QuickBooks total/,
    );
    // Nothing with a wrong total stays in the books, and nothing is linked.
    expect(await t.all('Invoice', `DocNumber = '${invoice.number}'`)).toHaveLength(0);
    expect(await link(t, 'invoice', invoice.id)).toBeUndefined();
  });

  it('never duplicates an invoice QuickBooks created when the answer was lost', async () => {
    const t = await h.tenant();
    const c = await contact(t, 'Wayne Enterprises', 'ap@wayne.test');
    await h.fault({
      kind: 'lost_response',
      count: 1,
      holdMs: 50,
      method: 'POST',
      entity: 'Invoice',
      realmId: t.realmId,
    });
    const invoice = await sendInvoice(t, c.id, oneLine);
    await h.runJobs(t, { fastForward: true });
    const replicas = await t.all('Invoice', `DocNumber = '${invoice.number}'`);
    expect(replicas).toHaveLength(1);
    expect((await link(t, 'invoice', invoice.id))?.externalId).toBe(replicas[0]?.Id);
    expect(await getQboInvoiceSyncState(h.api.db, t.tenantId, invoice.id)).toMatchObject({
      status: 'synced',
    });
  });

  it('rides out a 429 storm: jobs wait and retry, nothing is pushed twice', async () => {
    const t = await h.tenant();
    const c = await contact(t, 'Cyberdyne', 'ap@cyberdyne.test');
    await h.fault({ kind: 'throttle', count: 12, realmId: t.realmId });
    const invoices = [];
    for (let i = 0; i < 4; i += 1) invoices.push(await sendInvoice(t, c.id, oneLine));
    await h.runJobs(t, { fastForward: true });
    for (const invoice of invoices) {
      expect(await t.all('Invoice', `DocNumber = '${invoice.number}'`)).toHaveLength(1);
      expect(await getQboInvoiceSyncState(h.api.db, t.tenantId, invoice.id)).toMatchObject({
        status: 'synced',
      });
    }
    expect(await t.all('Customer')).toHaveLength(1);
    const jobs = await h.api.db.query<{ type: string; state: string; last_error: string | null }>(
      'SELECT type, state, attempts, last_error FROM jobs WHERE tenant_id = $1',
      [t.tenantId],
    );
    expect(jobs.filter((job) => job.state !== 'succeeded')).toEqual([]);
  });

  it('pushes nothing while invoices_push is off', async () => {
    const t = await h.tenant({ invoices_push: false });
    const c = await contact(t, 'Soylent', 'ap@soylent.test');
    const invoice = await sendInvoice(t, c.id, oneLine);
    await h.runJobs(t);
    expect(await t.all('Invoice')).toHaveLength(0);
    expect(await getQboInvoiceSyncState(h.api.db, t.tenantId, invoice.id)).toBeUndefined();
  });
});
