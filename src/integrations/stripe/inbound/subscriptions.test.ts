import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { findLinkByExternal, findLinkByLocal } from '../../../store/repositories/external-links.js';
import { invoiceFinalized } from './invoice-status.js';
import { type InboundHarness, type InboundTenant, startInboundHarness } from './test-harness.js';

interface SubscriptionJson {
  id: string;
  status: string;
  quantity: number;
  canceled_at: string | null;
}
interface InvoiceJson {
  id: string;
  number: number;
  status: string;
  currency: string;
  total: number;
  amount_paid: number;
  balance: number;
  payment_link_url: string | null;
}
interface LineJson {
  description: string;
  quantity: string;
  unit_price: number;
  service_id: string | null;
  amounts: { total: number };
}
interface PaymentJson {
  amount: number;
  source: string;
  fee_amount: number | null;
  card_last4: string | null;
}

const VISA = '4242 4242 4242 4242';
const MONTH = 31 * 86_400;

/**
 * Subscriptions end to end: our subscription → a Stripe subscription on the connected account →
 * each invoice Stripe issues for it imported once as ours (payment link included) → paid on the
 * hosted page → ours paid with Stripe's fee; the clock rolls a period, duplicated and reordered
 * webhooks and all; cancelling stops it in Stripe.
 */
describe.each(backends)('Stripe subscriptions on $name', (backend) => {
  let h: InboundHarness;
  beforeAll(async () => {
    h = await startInboundHarness(backend);
  });
  afterAll(() => h.close());

  const admin = (path: string, body: unknown) =>
    fetch(`${h.emulator.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const pay = (url: string, number: string) =>
    fetch(`${url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ number, exp: '12 / 34', cvc: '123', name: 'Ada Lovelace' }).toString(),
    });
  const invoicesOf = async (t: InboundTenant, contactId: string) =>
    (await t.send<{ data: InvoiceJson[] }>('GET', `/api/v1/invoices?contact_id=${contactId}`)).data.sort(
      (a, b) => a.number - b.number,
    );
  const stripeInvoiceOf = async (t: InboundTenant, invoiceId: string) => {
    const link = await findLinkByLocal(h.api.db, {
      tenantId: t.tenantId,
      provider: 'stripe',
      localType: 'invoice',
      localId: invoiceId,
    });
    if (!link) throw new Error(`invoice ${invoiceId} is not linked to Stripe`);
    return t.stripe.invoices.retrieve(link.externalId, {}, t.options);
  };

  it('bills each period through Stripe, exactly once, until canceled', async () => {
    const t = await h.tenant();
    const contact = await t.send<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Initech',
      email: `ap-${Math.random().toString(36).slice(2, 8)}@initech.test`,
    });
    const service = await t.send<{ id: string }>('POST', '/api/v1/services', {
      code: 'HOSTING',
      name: 'Managed hosting',
      unit_price: 2_500,
      currency: 'USD',
      recurring_interval: 'month',
    });
    const subscription = await t.send<SubscriptionJson>('POST', '/api/v1/subscriptions', {
      contact_id: contact.id,
      service_id: service.id,
      quantity: 2,
    });
    expect(subscription).toMatchObject({ status: 'active', quantity: 2, canceled_at: null });
    await h.settle(t);

    // A Stripe subscription on the connected account, on the service's recurring price.
    const link = await findLinkByLocal(h.api.db, {
      tenantId: t.tenantId,
      provider: 'stripe',
      localType: 'subscription',
      localId: subscription.id,
    });
    expect(link?.externalAccount).toBe(t.account.id);
    const stripeSubscription = await t.stripe.subscriptions.retrieve(String(link?.externalId), {}, t.options);
    expect(stripeSubscription).toMatchObject({
      status: 'active',
      collection_method: 'send_invoice',
      metadata: { ledgerbridge_subscription_id: subscription.id, ledgerbridge_tenant_id: t.tenantId },
    });
    expect(stripeSubscription.items.data[0]).toMatchObject({ quantity: 2, price: { unit_amount: 2_500 } });

    // The first invoice, imported as ours with its payment link.
    const [first, ...others] = await invoicesOf(t, contact.id);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ status: 'open', currency: 'USD', total: 5_000, balance: 5_000 });
    const stripeFirst = await stripeInvoiceOf(t, String(first?.id));
    expect(stripeFirst.id).toBe(stripeSubscription.latest_invoice);
    expect(first?.payment_link_url).toBe(stripeFirst.hosted_invoice_url);
    const detail = await t.send<{ lines: LineJson[] }>('GET', `/api/v1/invoices/${first?.id}`);
    expect(detail.lines).toHaveLength(1);
    expect(detail.lines[0]).toMatchObject({
      quantity: '2',
      unit_price: 2_500,
      service_id: service.id,
      amounts: { total: 5_000 },
    });

    // Paid on the hosted page: ours is paid, with Stripe's fee (2.9% + 30).
    expect((await pay(String(first?.payment_link_url), VISA)).status).toBe(200);
    await h.settle(t);
    const paid = await t.send<InvoiceJson>('GET', `/api/v1/invoices/${first?.id}`);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 5_000, balance: 0 });
    const payments = (await t.send<{ data: PaymentJson[] }>('GET', `/api/v1/invoices/${first?.id}/payments`))
      .data;
    expect(payments).toEqual([
      expect.objectContaining({ amount: 5_000, source: 'stripe', fee_amount: 175, card_last4: '4242' }),
    ]);

    // A month later, with every webhook sent twice and out of order: the renewal is imported once.
    h.emulator.webhooks.setMode({ duplicates: true, outOfOrder: 'shuffle', windowSize: 1_000, windowMs: 50 });
    try {
      expect((await admin('/_emulator/clock/advance', { seconds: MONTH })).status).toBe(200);
      expect((await admin('/_emulator/clock/advance', { seconds: 2 * 3_600 })).status).toBe(200);
      await h.settle(t);
    } finally {
      h.emulator.webhooks.setMode({ duplicates: false, outOfOrder: false });
    }
    await h.settle(t);
    const afterRenewal = await invoicesOf(t, contact.id);
    expect(afterRenewal.map((invoice) => invoice.status)).toEqual(['paid', 'open']);
    const second = afterRenewal[1];
    expect(second).toMatchObject({ total: 5_000, number: Number(first?.number) + 1 });
    const stripeSecond = await stripeInvoiceOf(t, String(second?.id));
    expect(stripeSecond.billing_reason).toBe('subscription_cycle');
    expect(second?.payment_link_url).toBe(stripeSecond.hosted_invoice_url);
    const backLink = await findLinkByExternal(h.api.db, {
      tenantId: t.tenantId,
      provider: 'stripe',
      localType: 'invoice',
      externalId: stripeSecond.id,
    });
    expect(backLink?.localId).toBe(second?.id);
    // The same finalized invoice once more (a replay the inbox could not dedupe): nothing new.
    const replayed = await h.api.db.transaction((tx) =>
      invoiceFinalized.apply(
        tx,
        {
          tenantId: t.tenantId,
          account: t.account.id,
          event: { id: 'evt_replayed', type: 'invoice.finalized', data: { object: stripeSecond } },
        },
        undefined,
      ),
    );
    expect(replayed.status).toBe('ignored');
    expect(await invoicesOf(t, contact.id)).toHaveLength(2);
    const inbox = await h.api.db.query<{ type: string; status: string; last_error: string | null }>(
      'SELECT type, status, last_error FROM webhook_inbox WHERE tenant_id = $1',
      [t.tenantId],
    );
    expect(inbox.filter((row) => row.status !== 'processed' && row.status !== 'ignored')).toEqual([]);
    expect(
      inbox.filter((row) => row.type === 'invoice.finalized' && row.status === 'processed'),
    ).toHaveLength(2);

    // Canceled here → canceled in Stripe, and no further period is billed.
    const canceled = await t.send<SubscriptionJson>(
      'POST',
      `/api/v1/subscriptions/${subscription.id}/cancel`,
    );
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceled_at).not.toBeNull();
    await h.settle(t);
    const after = await t.stripe.subscriptions.retrieve(stripeSubscription.id, {}, t.options);
    expect(after.status).toBe('canceled');
    expect((await admin('/_emulator/clock/advance', { seconds: MONTH })).status).toBe(200);
    await h.settle(t);
    expect(await invoicesOf(t, contact.id)).toHaveLength(2);
  });

  it('refuses a one-off service, and a second cancel', async () => {
    const t = await h.tenant();
    const contact = await t.send<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'individual',
      name: 'Ada',
    });
    const oneOff = await t.send<{ id: string }>('POST', '/api/v1/services', {
      code: 'SETUP',
      name: 'Setup',
      unit_price: 10_000,
      currency: 'USD',
    });
    const refused = await t.request('POST', '/api/v1/subscriptions', {
      contact_id: contact.id,
      service_id: oneOff.id,
    });
    expect(refused.statusCode).toBe(400);
    const monthly = await t.send<{ id: string }>('POST', '/api/v1/services', {
      code: 'PLAN',
      name: 'Plan',
      unit_price: 1_000,
      currency: 'USD',
      recurring_interval: 'month',
    });
    const subscription = await t.send<SubscriptionJson>('POST', '/api/v1/subscriptions', {
      contact_id: contact.id,
      service_id: monthly.id,
    });
    expect(subscription.quantity).toBe(1);
    await t.send('POST', `/api/v1/subscriptions/${subscription.id}/cancel`);
    const again = await t.request('POST', `/api/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(again.statusCode).toBe(409);
    const listed = await t.send<{ data: SubscriptionJson[] }>(
      'GET',
      `/api/v1/subscriptions?contact_id=${contact.id}&status=canceled`,
    );
    expect(listed.data.map((row) => row.id)).toEqual([subscription.id]);
    await h.settle(t);
  });
});
