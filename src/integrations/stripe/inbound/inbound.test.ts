import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/databases.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { enqueueStripeReconcile, type ReconcileResult } from './reconcile.js';
import { type InboundHarness, type InboundTenant, startInboundHarness } from './test-harness.js';

interface InvoiceJson {
  id: string;
  status: string;
  total: number;
  amount_paid: number;
  amount_refunded: number;
  balance: number;
  payment_link_url: string | null;
}
interface PaymentJson {
  id: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  method: string;
  source: string;
  external_id: string | null;
  reference: string | null;
  fee_amount: number | null;
  card_brand: string | null;
  card_last4: string | null;
  stripe_payout_id: string | null;
}
interface TimelineEntry {
  system: string;
  actor: string;
  kind: string;
  message: string;
  data: Record<string, unknown> | null;
}
interface InboxRow {
  event_id: string;
  type: string;
  status: string;
  note: string | null;
  last_error: string | null;
  attempts: number;
}

const VISA = '4242 4242 4242 4242';
const DECLINED = '4000 0000 0000 0002';
const INSUFFICIENT = '4000 0000 0000 9995';

/**
 * Stripe → ledgerbridge over real HTTP: invoices pushed by the outbound sync, paid on the emulator's
 * hosted page, the emulator's signed webhooks delivered to our app on a real port, processed by a
 * real Worker. Every payment, refund and status change must appear once, correct to the cent.
 */
describe.each(backends)('Stripe inbound payments on $name', (backend) => {
  let h: InboundHarness;
  beforeAll(async () => {
    h = await startInboundHarness(backend);
  });
  afterAll(() => h.close());

  const newContact = (t: InboundTenant) =>
    t.send<{ id: string }>('POST', '/api/v1/contacts', {
      kind: 'organization',
      name: 'Globex',
      email: `ap-${Math.random().toString(36).slice(2, 8)}@globex.test`,
    });

  /** Our invoice for `amount`, created and sent through our API, then pushed to Stripe by the sync. */
  async function sentInvoice(t: InboundTenant, amount = 10_000, options: { settle?: boolean } = {}) {
    const contact = await newContact(t);
    const created = await t.send<InvoiceJson>('POST', '/api/v1/invoices', {
      contact_id: contact.id,
      currency: 'USD',
      lines: [{ description: 'Consulting', quantity: '1', unit_price: amount }],
    });
    await t.send('POST', `/api/v1/invoices/${created.id}/send`, {});
    if (options.settle === false) await h.jobsIdle(t);
    else await h.settle(t);
    const link = await findLinkByLocal(h.api.db, {
      tenantId: t.tenantId,
      provider: 'stripe',
      localType: 'invoice',
      localId: created.id,
    });
    if (!link) throw new Error(`invoice ${created.id} was not pushed to Stripe`);
    const invoice = await getInvoice(t, created.id);
    if (!invoice.payment_link_url) throw new Error(`invoice ${created.id} has no payment link`);
    return { invoice, stripeInvoiceId: link.externalId, url: invoice.payment_link_url };
  }

  const getInvoice = (t: InboundTenant, id: string) => t.send<InvoiceJson>('GET', `/api/v1/invoices/${id}`);
  const paymentsOf = async (t: InboundTenant, id: string) =>
    (await t.send<{ data: PaymentJson[] }>('GET', `/api/v1/invoices/${id}/payments`)).data;
  const timeline = async (t: InboundTenant, id: string) =>
    (await t.send<{ data: TimelineEntry[] }>('GET', `/api/v1/invoices/${id}/timeline`)).data;
  const inbox = (t: InboundTenant) =>
    h.api.db.query<InboxRow & Record<string, unknown>>(
      `SELECT event_id, type, status, note, last_error, attempts FROM webhook_inbox
       WHERE tenant_id = $1 ORDER BY received_at, id`,
      [t.tenantId],
    );

  /** The customer on the hosted invoice page, typing a card. */
  const pay = (url: string, number: string) =>
    fetch(`${url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ number, exp: '12 / 34', cvc: '123', name: 'Ada Lovelace' }).toString(),
    });

  async function intentOf(t: InboundTenant, stripeInvoiceId: string): Promise<string> {
    const payments = await t.stripe.invoicePayments.list({ invoice: stripeInvoiceId }, t.options);
    const intent = payments.data[0]?.payment.payment_intent;
    if (typeof intent !== 'string') throw new Error(`Stripe invoice ${stripeInvoiceId} has no PaymentIntent`);
    return intent;
  }

  /** Stripe's own fee for the PaymentIntent's charge, read from the emulator's balance transaction. */
  async function stripeFee(t: InboundTenant, paymentIntentId: string): Promise<number> {
    const intent = await t.stripe.paymentIntents.retrieve(
      paymentIntentId,
      { expand: ['latest_charge.balance_transaction'] },
      t.options,
    );
    const charge = intent.latest_charge;
    if (typeof charge !== 'object' || charge === null || typeof charge.balance_transaction !== 'object') {
      throw new Error('no balance transaction');
    }
    return charge.balance_transaction?.fee ?? Number.NaN;
  }

  it('a card payment on the hosted page pays our invoice once, with fee, brand and last 4 on the timeline', async () => {
    const t = await h.tenant();
    const { invoice, stripeInvoiceId, url } = await sentInvoice(t, 10_000);
    expect(invoice.status).toBe('open');

    const response = await pay(url, VISA);
    expect(response.status).toBe(200);
    await h.settle(t);

    expect(await getInvoice(t, invoice.id)).toMatchObject({
      status: 'paid',
      amount_paid: 10_000,
      balance: 0,
    });
    const paymentIntentId = await intentOf(t, stripeInvoiceId);
    const payments = await paymentsOf(t, invoice.id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      amount: 10_000,
      currency: 'USD',
      method: 'card',
      source: 'stripe',
      external_id: paymentIntentId,
      // 2.9% of 100.00 + 0.30, as Stripe charges for USD cards
      fee_amount: 320,
      card_brand: 'visa',
      card_last4: '4242',
    });
    expect(payments[0]?.reference).toMatch(/^ch_/);
    expect(await stripeFee(t, paymentIntentId)).toBe(320);

    const entries = await timeline(t, invoice.id);
    const received = entries.filter((entry) => entry.kind === 'payment.received');
    expect(received).toEqual([
      expect.objectContaining({
        system: 'stripe',
        actor: 'stripe:webhook',
        message: 'Payment received: 100.00 USD by card (visa •••• 4242)',
      }),
    ]);
    expect(received[0]?.data).toMatchObject({
      amount: 10_000,
      fee_amount: 320,
      external_id: paymentIntentId,
    });
    expect(entries.filter((entry) => entry.kind === 'invoice.paid')).toEqual([
      expect.objectContaining({ system: 'stripe', message: 'Invoice was paid in full' }),
    ]);

    // invoice.paid and payment_intent.succeeded describe one payment: one applied it, the other found it.
    const rows = await inbox(t);
    const paidEvents = rows.filter((row) => ['invoice.paid', 'payment_intent.succeeded'].includes(row.type));
    expect(paidEvents.map((row) => row.status).sort()).toEqual(['ignored', 'processed']);
    expect(paidEvents.find((row) => row.status === 'ignored')?.note).toMatch(/already recorded/);
    expect(rows.filter((row) => row.status === 'failed' || row.status === 'pending')).toEqual([]);
    // invoice.finalized arrived while our invoice was already open: nothing to change.
    expect(rows.find((row) => row.type === 'invoice.finalized')).toMatchObject({ status: 'ignored' });
  });

  it('declined cards go on the timeline once per attempt and leave the invoice unchanged', async () => {
    const t = await h.tenant();
    const { invoice, url } = await sentInvoice(t, 4_550);

    expect((await pay(url, DECLINED)).status).toBe(402);
    await h.settle(t);
    expect(await getInvoice(t, invoice.id)).toMatchObject({ status: 'open', amount_paid: 0, balance: 4_550 });
    expect(await paymentsOf(t, invoice.id)).toEqual([]);
    let failed = (await timeline(t, invoice.id)).filter((entry) => entry.kind === 'payment.failed');
    // Both invoice.payment_failed and payment_intent.payment_failed reported it: one entry.
    expect(failed).toEqual([
      expect.objectContaining({
        system: 'stripe',
        message: 'Payment failed: Your card was declined. (45.50 USD)',
      }),
    ]);

    expect((await pay(url, INSUFFICIENT)).status).toBe(402);
    await h.settle(t);
    failed = (await timeline(t, invoice.id)).filter((entry) => entry.kind === 'payment.failed');
    expect(failed.map((entry) => entry.message)).toEqual([
      'Payment failed: Your card was declined. (45.50 USD)',
      'Payment failed: Your card has insufficient funds. (45.50 USD)',
    ]);
    expect(new Set(failed.map((entry) => entry.data?.charge_id)).size).toBe(2);
    expect(await getInvoice(t, invoice.id)).toMatchObject({ status: 'open' });

    expect((await pay(url, VISA)).status).toBe(200);
    await h.settle(t);
    expect(await getInvoice(t, invoice.id)).toMatchObject({ status: 'paid', amount_paid: 4_550 });
    expect(await paymentsOf(t, invoice.id)).toHaveLength(1);
    expect((await timeline(t, invoice.id)).filter((entry) => entry.kind === 'payment.failed')).toHaveLength(
      2,
    );
  });

  it('every webhook delivered twice still makes one payment', async () => {
    const t = await h.tenant();
    h.emulator.webhooks.setMode({ duplicates: true });
    try {
      const { invoice, url } = await sentInvoice(t, 2_000);
      expect((await pay(url, VISA)).status).toBe(200);
      await h.settle(t);

      const ours = h.emulator.webhooks
        .deliveries()
        .filter((attempt) => attempt.endpoint_id === t.connection.webhookEndpointId);
      expect(ours.filter((attempt) => attempt.duplicate).length).toBeGreaterThan(0);
      expect(await paymentsOf(t, invoice.id)).toHaveLength(1);
      expect(await getInvoice(t, invoice.id)).toMatchObject({ status: 'paid', amount_paid: 2_000 });
      const rows = await inbox(t);
      expect(new Set(rows.map((row) => row.event_id)).size).toBe(rows.length);
      const received = (await timeline(t, invoice.id)).filter((entry) => entry.kind === 'payment.received');
      expect(received).toHaveLength(1);
    } finally {
      h.emulator.webhooks.setMode({ duplicates: false });
    }
  });

  it('events delivered in reverse end in the right state and never move an invoice backwards', async () => {
    const t = await h.tenant();
    h.emulator.webhooks.pause();
    try {
      const { stripeInvoiceId, url } = await sentInvoice(t, 8_000, { settle: false });
      expect((await pay(url, DECLINED)).status).toBe(402);
      expect((await pay(url, VISA)).status).toBe(200);
      const paymentIntentId = await intentOf(t, stripeInvoiceId);
      await t.stripe.refunds.create({ payment_intent: paymentIntentId, amount: 2_500 }, t.options);
      // Everything held so far goes out newest first: the refund before the payment, paid before finalized.
      h.emulator.webhooks.setMode({ outOfOrder: 'reverse', windowSize: 1_000, windowMs: 100 });
    } finally {
      h.emulator.webhooks.resume();
    }
    try {
      await h.settle(t);
    } finally {
      h.emulator.webhooks.setMode({ outOfOrder: false });
    }
    const invoices = await t.send<{ data: InvoiceJson[] }>('GET', '/api/v1/invoices');
    const [ours] = invoices.data;
    if (!ours) throw new Error('no invoice');
    expect(ours).toMatchObject({ status: 'paid', amount_paid: 8_000, amount_refunded: 2_500, balance: 0 });
    const payments = await paymentsOf(t, ours.id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ amount: 8_000, amount_refunded: 2_500, fee_amount: 262 });
    const entries = await timeline(t, ours.id);
    // The status only ever went forward: open (our send) → paid; nothing moved it back.
    const moves = entries.flatMap((entry) => (typeof entry.data?.to === 'string' ? [entry.data.to] : []));
    expect(moves).toEqual(['open', 'paid', 'paid']);
    expect(entries.filter((entry) => entry.kind === 'payment.failed')).toHaveLength(1);
    expect(entries.filter((entry) => entry.kind === 'refund.issued')).toHaveLength(1);

    const rows = await inbox(t);
    expect(rows.filter((row) => row.status !== 'processed' && row.status !== 'ignored')).toEqual([]);
    expect(rows.find((row) => row.type === 'invoice.finalized')?.note).toMatch(/already open|cannot move it/);
    expect(rows.find((row) => row.type === 'charge.refunded')).toMatchObject({ status: 'processed' });
  });

  it('refunds made in Stripe are recorded once each against the payment', async () => {
    const t = await h.tenant();
    const { invoice, stripeInvoiceId, url } = await sentInvoice(t, 10_000);
    expect((await pay(url, VISA)).status).toBe(200);
    await h.settle(t);
    const paymentIntentId = await intentOf(t, stripeInvoiceId);
    const first = await t.stripe.refunds.create(
      { payment_intent: paymentIntentId, amount: 3_000, reason: 'requested_by_customer' },
      t.options,
    );
    await h.settle(t);
    const second = await t.stripe.refunds.create({ payment_intent: paymentIntentId }, t.options);
    await h.settle(t);

    const [payment] = await paymentsOf(t, invoice.id);
    if (!payment) throw new Error('no payment');
    expect(payment.amount_refunded).toBe(10_000);
    const refunds = await t.send<{ data: Record<string, unknown>[] }>(
      'GET',
      `/api/v1/payments/${payment.id}/refunds`,
    );
    expect(refunds.data).toEqual([
      expect.objectContaining({
        amount: 3_000,
        source: 'stripe',
        external_id: first.id,
        reason: 'requested_by_customer',
      }),
      expect.objectContaining({ amount: 7_000, source: 'stripe', external_id: second.id }),
    ]);
    // The invoice stays paid (a refund never reopens it); amount_refunded shows the net.
    expect(await getInvoice(t, invoice.id)).toMatchObject({ status: 'paid', amount_refunded: 10_000 });
    const issued = (await timeline(t, invoice.id)).filter((entry) => entry.kind === 'refund.issued');
    expect(issued.map((entry) => [entry.system, entry.message])).toEqual([
      ['stripe', 'Refund issued: 30.00 USD'],
      ['stripe', 'Refund issued: 70.00 USD'],
    ]);
    const refundEvents = (await inbox(t)).filter((row) => row.type === 'charge.refunded');
    expect(refundEvents.map((row) => row.status)).toEqual(['processed', 'processed']);
  });

  it('reconciliation applies events whose webhooks never arrived, once', async () => {
    const t = await h.tenant();
    h.emulator.webhooks.pause();
    let invoiceId: string;
    try {
      const { invoice, url } = await sentInvoice(t, 12_345, { settle: false });
      invoiceId = invoice.id;
      expect((await pay(url, VISA)).status).toBe(200);
      expect((await inbox(t)).map((row) => row.type)).toEqual([]);

      await h.api.db.transaction((tx) => enqueueStripeReconcile(tx, t.tenantId, t.connection.id, 'test-1'));
      await h.jobsIdle(t);
      expect(await getInvoice(t, invoiceId)).toMatchObject({ status: 'paid', amount_paid: 12_345 });
      const payments = await paymentsOf(t, invoiceId);
      expect(payments).toHaveLength(1);
      // 2.9% of 123.45 = 3.58 (half up) + 0.30
      expect(payments[0]).toMatchObject({ fee_amount: 388, card_last4: '4242' });
      const rows = await inbox(t);
      expect(rows.map((row) => row.type)).toEqual(
        expect.arrayContaining(['invoice.finalized', 'invoice.paid', 'payment_intent.succeeded']),
      );
      expect(rows.filter((row) => row.status !== 'processed' && row.status !== 'ignored')).toEqual([]);
    } finally {
      h.emulator.webhooks.resume();
    }
    // The late webhooks now arrive: answered as duplicates, nothing applied twice.
    await h.settle(t);
    expect(await paymentsOf(t, invoiceId)).toHaveLength(1);
    const [job1] = await h.api.db.query<{ result: ReconcileResult }>(
      `SELECT result FROM jobs WHERE tenant_id = $1 AND type = 'stripe.reconcile'`,
      [t.tenantId],
    );
    expect(job1?.result.stored).toBeGreaterThanOrEqual(3);

    // A second run finds nothing new (the cursor moved, and the inbox dedupes the overlap).
    await h.api.db.transaction((tx) => enqueueStripeReconcile(tx, t.tenantId, t.connection.id, 'test-2'));
    await h.settle(t);
    const results = await h.api.db.query<{ result: ReconcileResult }>(
      `SELECT result FROM jobs WHERE tenant_id = $1 AND type = 'stripe.reconcile' ORDER BY created_at`,
      [t.tenantId],
    );
    expect(results.map((row) => row.result.stored)).toEqual([job1?.result.stored, 0]);
    expect(results[1]?.result.listed).toBeGreaterThan(0);
    const [cursor] = await h.api.db.query('SELECT * FROM stripe_event_cursors WHERE tenant_id = $1', [
      t.tenantId,
    ]);
    expect(cursor).toMatchObject({ connection_id: t.connection.id });
  });

  /**
   * Our invoice, sent before Stripe is connected so nothing pushes it, and a Stripe invoice for it
   * made and paid in Stripe, without our metadata: only a link (stored later) says they are one.
   */
  async function unlinkedPaidInvoice() {
    const base = await h.api.tenant('owner');
    const contact = (
      await base.request('POST', '/api/v1/contacts', { kind: 'individual', name: 'Ada' })
    ).json<{
      id: string;
    }>();
    const created = (
      await base.request('POST', '/api/v1/invoices', {
        contact_id: contact.id,
        currency: 'USD',
        lines: [{ description: 'Workshop', quantity: '2', unit_price: 2_500 }],
      })
    ).json<InvoiceJson>();
    expect((await base.request('POST', `/api/v1/invoices/${created.id}/send`, {})).statusCode).toBe(200);
    const t = await h.connect(base);

    const customer = await t.stripe.customers.create({ name: 'Ada' }, t.options);
    const draft = await t.stripe.invoices.create(
      { customer: customer.id, collection_method: 'charge_automatically', auto_advance: false },
      t.options,
    );
    await t.stripe.invoices.addLines(
      draft.id,
      { lines: [{ amount: 5_000, description: 'Workshop' }] },
      t.options,
    );
    await t.stripe.invoices.finalizeInvoice(draft.id, {}, t.options);
    await t.stripe.invoices.pay(draft.id, { payment_method: 'pm_card_visa' }, t.options);
    const link = () =>
      upsertLink(h.api.db, {
        tenantId: t.tenantId,
        provider: 'stripe',
        localType: 'invoice',
        localId: created.id,
        externalId: draft.id,
        externalAccount: t.account.id,
      });
    return { t, invoiceId: created.id, link };
  }

  async function expectPaidOnce(t: InboundTenant, invoiceId: string) {
    expect(await getInvoice(t, invoiceId)).toMatchObject({ status: 'paid', amount_paid: 5_000 });
    expect(await paymentsOf(t, invoiceId)).toEqual([
      // 2.9% of 50.00 + 0.30
      expect.objectContaining({ amount: 5_000, fee_amount: 175, card_brand: 'visa', source: 'stripe' }),
    ]);
    const rows = await inbox(t);
    expect(rows.filter((row) => row.status !== 'processed' && row.status !== 'ignored')).toEqual([]);
    expect(rows.filter((row) => row.last_error !== null)).toEqual([]);
  }

  it('an event about an invoice not linked yet is retried (pending, not failed) and applied once the link exists', async () => {
    const { t, invoiceId, link } = await unlinkedPaidInvoice();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rows = await inbox(t);
      // Between attempts an early event is pending (mid-attempt: processing), never failed.
      expect(rows.filter((row) => row.status === 'failed')).toEqual([]);
      const waiting = rows.find((row) => row.attempts >= 2 && row.status === 'pending');
      if (waiting) {
        expect(waiting.last_error).toMatch(/NotStoredYetError: Stripe invoice in_\w+ is not linked/);
        break;
      }
      if (Date.now() > deadline) throw new Error('no event was retried');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await getInvoice(t, invoiceId)).toMatchObject({ status: 'open', amount_paid: 0 });
    expect(await paymentsOf(t, invoiceId)).toEqual([]);

    await link();
    await h.settle(t);
    await expectPaidOnce(t, invoiceId);
  });

  it('events whose retries ran out stay pending, and reconciliation applies them once the link exists', async () => {
    const { t, invoiceId, link } = await unlinkedPaidInvoice();
    await h.settle(t);
    const rows = await inbox(t);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'pending', attempts: 12 });
      expect(row.last_error).toMatch(/^NotStoredYetError/);
    }
    expect(await paymentsOf(t, invoiceId)).toEqual([]);

    await link();
    await h.api.db.transaction((tx) => enqueueStripeReconcile(tx, t.tenantId, t.connection.id, 'after-link'));
    await h.settle(t);
    await expectPaidOnce(t, invoiceId);
    const [run] = await h.api.db.query<{ result: ReconcileResult }>(
      `SELECT result FROM jobs WHERE tenant_id = $1 AND type = 'stripe.reconcile'`,
      [t.tenantId],
    );
    expect(run?.result).toMatchObject({ stored: 0, redriven: rows.length });
  });

  it('voided and uncollectible in Stripe move our invoice forward, or note a conflict', async () => {
    const t = await h.tenant();
    const voided = await sentInvoice(t, 1_000);
    await t.stripe.invoices.voidInvoice(voided.stripeInvoiceId, {}, t.options);
    const writtenOff = await sentInvoice(t, 2_000);
    await t.stripe.invoices.markUncollectible(writtenOff.stripeInvoiceId, {}, t.options);
    // Paid by check here, then voided in Stripe: ours cannot follow.
    const conflicted = await sentInvoice(t, 3_000);
    await t.send('POST', '/api/v1/payments', {
      invoice_id: conflicted.invoice.id,
      amount: 1_000,
      currency: 'USD',
      method: 'check',
    });
    await t.stripe.invoices.voidInvoice(conflicted.stripeInvoiceId, {}, t.options);
    await h.settle(t);

    expect(await getInvoice(t, voided.invoice.id)).toMatchObject({ status: 'void' });
    expect((await timeline(t, voided.invoice.id)).at(-1)).toMatchObject({
      system: 'stripe',
      kind: 'invoice.voided',
      message: 'Invoice was voided in Stripe',
    });
    expect(await getInvoice(t, writtenOff.invoice.id)).toMatchObject({ status: 'uncollectible' });
    expect(await getInvoice(t, conflicted.invoice.id)).toMatchObject({
      status: 'partially_paid',
      amount_paid: 1_000,
    });
    const conflict = (await timeline(t, conflicted.invoice.id)).filter(
      (entry) => entry.kind === 'stripe.status_conflict',
    );
    expect(conflict).toEqual([
      expect.objectContaining({
        system: 'stripe',
        message:
          'Invoice was voided in Stripe, but 10.00 USD of payments are recorded here; it stays partially paid here — refund or adjust it by hand',
      }),
    ]);
    const voidEvents = (await inbox(t)).filter((row) => row.type === 'invoice.voided');
    expect(voidEvents.map((row) => row.status).sort()).toEqual(['ignored', 'processed']);
  });

  // Last: it moves the emulator's clock days ahead.
  it('a paid payout is stored with what it carried, and marks the payments it paid out', async () => {
    const t = await h.tenant();
    const { invoice, url } = await sentInvoice(t, 10_000);
    expect((await pay(url, VISA)).status).toBe(200);
    await h.settle(t);

    const admin = (path: string, body: unknown) =>
      fetch(`${h.emulator.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await admin('/_emulator/clock/advance', { seconds: 3 * 86_400 })).status).toBe(200);
    const run = await (await admin('/_emulator/payouts/run', { account: t.account.id })).json();
    const payoutId = (run as { payouts: { id: string }[] }).payouts[0]?.id;
    expect(payoutId).toMatch(/^po_/);
    expect((await admin('/_emulator/clock/advance', { seconds: 2 * 86_400 })).status).toBe(200);
    await h.settle(t);

    const [payout] = await h.api.db.query('SELECT * FROM stripe_payouts WHERE tenant_id = $1', [t.tenantId]);
    expect(payout).toMatchObject({
      id: payoutId,
      account: t.account.id,
      amount: 9_680,
      currency: 'USD',
      status: 'paid',
      automatic: true,
      gross_amount: 10_000,
      fee_amount: 320,
      net_amount: 9_680,
    });
    const [payment] = await paymentsOf(t, invoice.id);
    expect(payment?.stripe_payout_id).toBe(payoutId);
    const items = await h.api.db.query('SELECT * FROM stripe_payout_items WHERE tenant_id = $1', [
      t.tenantId,
    ]);
    expect(items).toEqual([
      expect.objectContaining({
        type: 'charge',
        amount: 10_000,
        fee: 320,
        net: 9_680,
        payment_id: payment?.id,
      }),
    ]);
    expect((await timeline(t, invoice.id)).at(-1)).toMatchObject({
      system: 'stripe',
      kind: 'payment.paid_out',
      message: 'Payment was paid out to the bank by Stripe (payout of 96.80 USD)',
    });
  });
});
