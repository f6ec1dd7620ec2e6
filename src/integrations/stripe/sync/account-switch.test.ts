import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeObject } from '../../../../emulators/stripe/kernel/state.js';
import { backends } from '../../../../test/databases.js';
import { type SyncHarness, type SyncTenant, startSyncHarness } from '../../../../test/stripe-sync.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';

type Invoice = Stripe.Invoice & StripeObject;
type Customer = Stripe.Customer & StripeObject;

interface InvoiceJson {
  id: string;
  total: number;
  payment_link_url: string | null;
  stripe_sync: { status: string | null; error: string | null };
}

/**
 * A business that disconnects its Stripe account and connects another: its contacts and services
 * become objects of the new account, new invoices go there, and what the old account holds stays
 * linked to it.
 */
describe.each(backends)('connecting a different Stripe account on $name', (backend) => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness(backend);
  });
  afterAll(() => h.close());

  const link = (t: SyncTenant, localType: 'service' | 'contact' | 'invoice', localId: string) =>
    findLinkByLocal(h.api.db, { tenantId: t.tenantId, provider: 'stripe', localType, localId });

  async function sendInvoice(t: SyncTenant, contactId: string, serviceId: string) {
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices', {
      contact_id: contactId,
      currency: 'USD',
      lines: [{ description: 'Consulting', quantity: '2', unit_price: 15_000, service_id: serviceId }],
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    await h.runJobs(t);
    return t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`);
  }

  it('makes the contact and the service anew in the new account and sends new invoices there', async () => {
    const before = await h.tenant();
    const contact = await before.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: 'Globex',
      email: 'ap@globex.test',
    });
    const service = await before.post<{ id: string }>('/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 15_000,
      currency: 'USD',
    });
    const first = await sendInvoice(before, contact.id, service.id);
    expect(first.stripe_sync.status).toBe('synced');
    const oldCustomer = (await link(before, 'contact', contact.id))?.externalId;

    const after = await h.switchAccount(before);
    expect(after.account.id).not.toBe(before.account.id);
    const second = await sendInvoice(after, contact.id, service.id);
    expect(second.stripe_sync).toEqual({ status: 'synced', error: null });
    expect(second.payment_link_url).toMatch(/^http/);

    // The new account has its own customer and product, and the new invoice, to the cent.
    const [customer] = after.objects<Customer>('customer');
    expect(customer).toMatchObject({ email: 'ap@globex.test' });
    expect(customer?.id).not.toBe(oldCustomer);
    expect(await link(after, 'contact', contact.id)).toMatchObject({
      externalId: customer?.id,
      externalAccount: after.account.id,
    });
    expect(await link(after, 'service', service.id)).toMatchObject({ externalAccount: after.account.id });
    const invoices = after.objects<Invoice>('invoice');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ customer: customer?.id, total: second.total });

    // The first invoice stays where it was made, in the old account, and is not pushed again.
    expect(await link(after, 'invoice', first.id)).toMatchObject({ externalAccount: before.account.id });
    expect(before.objects<Invoice>('invoice')).toHaveLength(1);
  });
});
