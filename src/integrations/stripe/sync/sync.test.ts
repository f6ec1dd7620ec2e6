import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { type SyncHarness, type SyncTenant, startSyncHarness } from '../../../../test/stripe-sync.js';
import type { StripeObject } from '../../../../emulators/stripe/kernel/state.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { stripeClientFor } from '../../../../emulators/stripe/sdk.js';

type Product = Stripe.Product & StripeObject;
type Price = Stripe.Price & StripeObject;
type Customer = Stripe.Customer & StripeObject;
type Invoice = Stripe.Invoice & StripeObject;

interface InvoiceJson {
  id: string;
  number: number;
  total: number;
  status: string;
  payment_link_url: string | null;
  stripe_sync: { status: string | null; error: string | null };
}

/** Catalog, customers and invoice push over real HTTP against the Stripe emulator, real worker and jobs. */
describe.each(backends)('Stripe outbound sync on $name', (backend) => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness(backend);
  });
  afterAll(() => h.close());

  const link = (t: SyncTenant, localType: 'service' | 'contact' | 'invoice', localId: string) =>
    findLinkByLocal(h.api.db, { tenantId: t.tenantId, provider: 'stripe', localType, localId });

  /** A contact, two services and four billables: 1.5 h with 10% off and 20% inclusive tax, etc. */
  async function billedWork(
    t: SyncTenant,
    email = `ap-${Math.random().toString(36).slice(2, 8)}@globex.test`,
  ) {
    const contact = await t.post<{ id: string }>('/api/v1/contacts', {
      kind: 'organization',
      name: 'Globex',
      email,
    });
    const consult = await t.post<{ id: string }>('/api/v1/services', {
      code: 'CONSULT',
      name: 'Consulting',
      unit_price: 15_000,
      currency: 'USD',
    });
    const support = await t.post<{ id: string }>('/api/v1/services', {
      code: 'SUPPORT',
      name: 'Support plan',
      unit_price: 4_999,
      currency: 'USD',
      tax_rate: '8.875',
      recurring_interval: 'month',
    });
    const opportunity = await t.post<{ id: string }>('/api/v1/opportunities', {
      title: 'Website',
      contact_id: contact.id,
    });
    const billable = (body: Record<string, unknown>) =>
      t.post<{ id: string }>('/api/v1/billables', {
        parent_type: 'opportunity',
        parent_id: opportunity.id,
        ...body,
      });
    const billables = [
      await billable({
        service_id: consult.id,
        quantity: '1.5',
        discount: { kind: 'percent', rate: '10' },
        tax_rate: '20',
        tax_inclusive: true,
      }),
      await billable({ service_id: support.id, quantity: '3', tax_rate: '8.875' }),
      await billable({ service_id: consult.id, quantity: '0.333', unit_price: 12_345, tax_rate: '8.875' }),
      await billable({
        description: 'Travel',
        currency: 'USD',
        quantity: '2',
        unit_price: 3_333,
        discount: { kind: 'amount', amount: 500 },
      }),
    ];
    return { contact, consult, support, opportunity, billables };
  }

  async function invoiceAndSend(t: SyncTenant, billableIds: string[], dueDate?: string) {
    const invoice = await t.post<InvoiceJson>('/api/v1/invoices/from-billables', {
      billable_ids: billableIds,
      ...(dueDate === undefined ? {} : { due_date: dueDate }),
    });
    await t.post(`/api/v1/invoices/${invoice.id}/send`, {});
    return invoice;
  }

  it('creates a product and price per service, a new price on a price change, and archives', async () => {
    const t = await h.tenant();
    const service = await t.post<{ id: string }>('/api/v1/services', {
      code: 'AUDIT',
      name: 'Security audit',
      description: 'One-off review',
      unit_price: 250_000,
      currency: 'EUR',
      tax_rate: '19',
      tax_inclusive: true,
    });
    const plan = await t.post<{ id: string }>('/api/v1/services', {
      code: 'HOST',
      name: 'Hosting',
      unit_price: 2_500,
      currency: 'USD',
      recurring_interval: 'month',
    });
    await h.runJobs(t);

    const product = t.objects<Product>('product').find((p) => p.id === `lb_${service.id}`);
    expect(product).toMatchObject({
      name: 'AUDIT — Security audit',
      description: 'One-off review',
      active: true,
    });
    const firstPrice = t.objects<Price>('price').find((p) => p.id === product?.default_price);
    expect(firstPrice).toMatchObject({
      unit_amount: 250_000,
      currency: 'eur',
      recurring: null,
      tax_behavior: 'inclusive',
      active: true,
    });
    const hosting = t.objects<Price>('price').find((p) => p.product === `lb_${plan.id}`);
    expect(hosting?.recurring?.interval).toBe('month');
    expect((await link(t, 'service', service.id))?.externalId).toBe(`lb_${service.id}`);

    await t.patch(`/api/v1/services/${service.id}`, { unit_price: 275_000, name: 'Full audit' });
    await h.runJobs(t);
    const updated = t.objects<Product>('product').find((p) => p.id === `lb_${service.id}`);
    expect(updated?.name).toBe('AUDIT — Full audit');
    const prices = t.objects<Price>('price').filter((p) => p.product === `lb_${service.id}`);
    expect(prices).toHaveLength(2);
    const newPrice = prices.find((p) => p.id === updated?.default_price);
    expect(newPrice).toMatchObject({ unit_amount: 275_000, active: true });
    expect(prices.find((p) => p.id === firstPrice?.id)?.active).toBe(false);
    expect((await link(t, 'service', service.id))?.data).toMatchObject({
      price_id: newPrice?.id,
      unit_amount: 275_000,
    });

    const archive = await t.request('DELETE', `/api/v1/services/${service.id}`);
    expect(archive.statusCode, archive.body).toBe(200);
    await h.runJobs(t);
    const archived = t.objects<Product>('product').find((p) => p.id === `lb_${service.id}`);
    expect(archived?.active).toBe(false);
    expect(t.objects<Product>('product')).toHaveLength(2);
  });

  it('pushes an invoice from billables: Stripe’s total is ours to the cent, the payment link is stored', async () => {
    const t = await h.tenant();
    const work = await billedWork(t);
    const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const invoice = await invoiceAndSend(
      t,
      work.billables.map((b) => b.id),
      due,
    );
    await h.runJobs(t);

    const [stripeInvoice, ...others] = t.objects<Invoice>('invoice');
    expect(others).toHaveLength(0);
    expect(stripeInvoice).toMatchObject({
      status: 'open',
      total: invoice.total,
      amount_due: invoice.total,
      currency: 'usd',
      collection_method: 'send_invoice',
      description: `Invoice #${invoice.number}`,
      metadata: { ledgerbridge_invoice_id: invoice.id, ledgerbridge_tenant_id: t.tenantId },
    });
    const stored = await t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`);
    expect(stored.payment_link_url).toBe(stripeInvoice?.hosted_invoice_url);
    expect(stored.payment_link_url).toMatch(/\/i\//);
    expect(stored.stripe_sync).toEqual({ status: 'synced', error: null });
    expect((await link(t, 'invoice', invoice.id))?.externalId).toBe(stripeInvoice?.id);

    // One line per line, fractional quantities as one unit of the discounted amount, products linked.
    const lines = stripeInvoice?.lines.data ?? [];
    expect(lines).toHaveLength(4);
    expect(lines[0]?.description).toBe('Consulting — 1.5 × $150.00, 10% off');
    expect(lines[0]?.quantity).toBe(1);
    expect(lines[0]?.amount).toBe(20_250);
    expect(lines[0]?.pricing?.price_details?.product).toBe(`lb_${work.consult.id}`);
    expect(lines[1]).toMatchObject({ description: 'Support plan', quantity: 3, amount: 14_997 });
    expect(lines[3]).toMatchObject({ description: 'Travel — 2 × $33.33, $5.00 off', amount: 6_166 });
    // Tax rates: one per (percentage, inclusive), created once, so Stripe computes the tax itself.
    expect(t.objects('tax_rate')).toHaveLength(2);

    const timeline = await t.get<{ data: { message: string }[] }>(`/api/v1/invoices/${invoice.id}/timeline`);
    expect(timeline.data.map((e) => e.message)).toEqual(
      expect.arrayContaining(['Invoice was created in Stripe', 'Payment link was created']),
    );
    expect(timeline.data.map((e) => e.message)).not.toContain('Payment link was sent');
  });

  it('makes at most 4 calls per invoice once the customer and tax rates are linked, sending by email', async () => {
    const t = await h.tenant({ sendByEmail: true });
    const first = await billedWork(t);
    // The first invoice links the customer and both tax rates (20% inclusive, 8.875% exclusive).
    await invoiceAndSend(t, [first.billables[0]?.id ?? '', first.billables[1]?.id ?? '']);
    await h.runJobs(t);

    const more = await Promise.all(
      ['1.25', '7', '0.5'].map((quantity, i) =>
        t.post<{ id: string }>('/api/v1/billables', {
          parent_type: 'opportunity',
          parent_id: first.opportunity.id,
          service_id: i === 1 ? first.support.id : first.consult.id,
          quantity,
          tax_rate: i === 1 ? '8.875' : '20',
          tax_inclusive: i !== 1,
        }),
      ),
    );
    const before = t.requests().length;
    const invoice = await invoiceAndSend(
      t,
      more.map((b) => b.id),
    );
    await h.runJobs(t);
    const calls = t.requests().slice(before);
    expect(calls.map((c) => `${c.method} ${c.path.replace(/in_\w+/, ':id')}`)).toEqual([
      'POST /v1/invoices',
      'POST /v1/invoices/:id/add_lines',
      'POST /v1/invoices/:id/finalize',
      'POST /v1/invoices/:id/send',
    ]);
    expect(calls.every((c) => c.idempotencyKey?.startsWith(`lb-${t.tenantId}-${invoice.id}-`))).toBe(true);
    const stored = await t.get<InvoiceJson>(`/api/v1/invoices/${invoice.id}`);
    const pushed = t
      .objects<Invoice>('invoice')
      .find((i) => i.metadata?.ledgerbridge_invoice_id === invoice.id);
    expect(pushed?.total).toBe(stored.total);
    const timeline = await t.get<{ data: { message: string }[] }>(`/api/v1/invoices/${invoice.id}/timeline`);
    expect(timeline.data.map((e) => e.message)).toContain('Payment link was sent');
    expect(t.objects('customer')).toHaveLength(1);
  });

  it('links an existing Stripe customer with the contact’s email instead of creating one, and keeps it in sync', async () => {
    const t = await h.tenant();
    const email = 'billing@initech.test';
    const direct = stripeClientFor(h.emulator.url, h.emulator.secretKey, { maxNetworkRetries: 2 });
    const existing = await direct.customers.create(
      { email, name: 'Initech (Stripe)' },
      { stripeAccount: t.account.id },
    );
    await direct.customers.create({ email: 'someone-else@initech.test' }, { stripeAccount: t.account.id });
    const work = await billedWork(t, email);
    await invoiceAndSend(t, [work.billables[1]?.id ?? '']);
    await h.runJobs(t);

    expect(
      t
        .objects<Customer>('customer')
        .filter((c) => c.email === email)
        .map((c) => c.id),
    ).toEqual([existing.id]);
    expect(t.objects<Customer>('customer')).toHaveLength(2);
    expect((await link(t, 'contact', work.contact.id))?.externalId).toBe(existing.id);
    expect(t.objects<Invoice>('invoice')[0]?.customer).toBe(existing.id);

    await t.patch(`/api/v1/contacts/${work.contact.id}`, {
      name: 'Globex Corporation',
      phone: '+1 555 0100',
      billing_address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US' },
    });
    await h.runJobs(t);
    const customer = t.objects<Customer>('customer').find((c) => c.id === existing.id);
    expect(customer).toMatchObject({
      name: 'Globex Corporation',
      phone: '+1 555 0100',
      email,
      metadata: { ledgerbridge_contact_id: work.contact.id },
    });
    expect(customer?.address).toMatchObject({ line1: '1 Main St', city: 'Springfield', country: 'US' });
  });
});
