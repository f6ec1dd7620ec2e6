import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server.js';
import { catalog, failure, startBilling } from './testkit.js';

/** Invoices as the official SDK drives them: draft, add_lines, finalize, and the wrong-state errors. */
describe('Stripe emulator invoices', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let shop: Awaited<ReturnType<typeof catalog>>;
  beforeAll(async () => {
    ({ emulator, stripe } = await startBilling());
    shop = await catalog(stripe);
  });
  afterAll(() => emulator.close());

  const draft = () =>
    stripe.invoices.create({
      customer: shop.customer.id,
      currency: 'usd',
      collection_method: 'send_invoice',
      days_until_due: 30,
      description: 'Services <rendered> & more',
      metadata: { ledgerbridge_invoice: 'inv_1' },
    });

  /** Four lines in one call: a catalog price with exclusive tax, sub-cent decimals with inclusive tax. */
  const addFourLines = (invoiceId: string) =>
    stripe.invoices.addLines(invoiceId, {
      lines: [
        { pricing: { price: shop.oneOff.id }, quantity: 3, tax_rates: [shop.salesTax.id] },
        {
          price_data: {
            currency: 'usd',
            product: shop.product.id,
            unit_amount_decimal: Stripe.Decimal.from('1234.5'),
          },
          quantity: 3,
          description: 'Design, 3 hours',
          tax_rates: [shop.vatIncluded.id],
          metadata: { line: 'b' },
        },
        {
          price_data: { currency: 'usd', product: shop.product.id, unit_amount: 999 },
          description: 'Flat fee',
        },
        {
          price_data: {
            currency: 'usd',
            product: shop.product.id,
            unit_amount_decimal: Stripe.Decimal.from('0.5'),
          },
        },
      ],
    });

  it('builds a draft in one add_lines call and finalizes it with exact totals', async () => {
    const invoice = await draft();
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'draft',
      number: null,
      hosted_invoice_url: null,
    });
    expect(invoice.due_date).toBe(invoice.created + 30 * 86_400);

    const filled = await addFourLines(invoice.id);
    // 3 × 25.00; 3 × 12.345 = 37.035 → 37.04; 9.99; 0.005 → 0.01 (half-up, never to even).
    expect(filled.lines.data.map((line) => line.amount)).toEqual([7500, 3704, 999, 1]);
    expect(filled.lines.data[1]?.pricing?.unit_amount_decimal?.toString()).toBe('1234.5');
    expect(filled.lines.data[1]?.pricing?.price_details?.product).toBe(shop.product.id);
    expect(filled.lines.data[1]?.metadata).toEqual({ line: 'b' });
    expect(filled.lines.data[0]?.description).toBe('3 × Consulting');
    // 8.25% of 75.00 = 6.1875 → 6.19 added; 20% VAT inside 37.04 = 6.1733 → 6.17 carved out.
    expect(filled.lines.data[0]?.taxes).toEqual([
      {
        amount: 619,
        tax_behavior: 'exclusive',
        tax_rate_details: { tax_rate: shop.salesTax.id },
        taxability_reason: 'standard_rated',
        taxable_amount: 7500,
        type: 'tax_rate_details',
      },
    ]);
    expect(filled.lines.data[1]?.taxes?.[0]).toMatchObject({
      amount: 617,
      tax_behavior: 'inclusive',
      taxable_amount: 3087,
    });
    expect(filled).toMatchObject({
      subtotal: 12_204,
      subtotal_excluding_tax: 11_587,
      total_excluding_tax: 11_587,
      total: 12_823,
      amount_due: 12_823,
      amount_remaining: 12_823,
      amount_paid: 0,
    });

    const final = await stripe.invoices.finalizeInvoice(invoice.id);
    expect(final.status).toBe('open');
    expect(final.number).toMatch(/^[A-Z0-9]{8}-0001$/);
    expect(final.hosted_invoice_url).toMatch(new RegExp(`^${emulator.url}/i/test_[\\w-]+$`));
    expect(final.invoice_pdf).toBe(`${final.hosted_invoice_url ?? ''}/pdf`);
    expect(final.status_transitions.finalized_at).toBeTypeOf('number');
    expect(final.total).toBe(12_823);

    // The PaymentIntent for the amount due is reached through the invoice's payments.
    const expanded = await stripe.invoices.retrieve(invoice.id, {
      expand: ['payments', 'confirmation_secret'],
    });
    const payment = expanded.payments?.data[0];
    expect(payment).toMatchObject({ amount_requested: 12_823, status: 'open', is_default: true });
    const intent = await stripe.paymentIntents.retrieve(String(payment?.payment.payment_intent));
    expect(intent).toMatchObject({ amount: 12_823, currency: 'usd', status: 'requires_payment_method' });
    expect(expanded.confirmation_secret?.client_secret).toBe(intent.client_secret);

    // A second invoice takes the next number in the account's sequence.
    const next = await draft();
    await stripe.invoices.addLines(next.id, { lines: [{ pricing: { price: shop.oneOff.id } }] });
    expect((await stripe.invoices.finalizeInvoice(next.id)).number).toBe(
      final.number?.replace(/0001$/, '0002'),
    );
  });

  it('pays with a test card, paid out of band, and answers wrong states with 400s', async () => {
    const invoice = await draft();
    await stripe.invoices.addLines(invoice.id, { lines: [{ pricing: { price: shop.oneOff.id } }] });
    const voidDraft = await failure(stripe.invoices.voidInvoice(invoice.id));
    expect(voidDraft.statusCode).toBe(400);
    expect(voidDraft.message).toMatch(/only void open or uncollectible invoices/);
    await stripe.invoices.finalizeInvoice(invoice.id);

    const deleteOpen = await failure(stripe.invoices.del(invoice.id));
    expect(deleteOpen).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'invoice_not_editable',
    });
    const addToOpen = await failure(stripe.invoices.addLines(invoice.id, { lines: [{ amount: 100 }] }));
    expect(addToOpen.statusCode).toBe(400);

    const declined = await failure(
      stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_chargeDeclined' }),
    );
    expect(declined).toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('open');

    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 2500, amount_remaining: 0, attempt_count: 2 });
    expect(paid.status_transitions.paid_at).toBeTypeOf('number');

    const refinalize = await failure(stripe.invoices.finalizeInvoice(invoice.id));
    expect(refinalize.statusCode).toBe(400);
    expect(refinalize.message).toBe(
      "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
    );
    expect((await failure(stripe.invoices.pay(invoice.id))).message).toBe('Invoice is already paid');
    expect((await failure(stripe.invoices.markUncollectible(invoice.id))).statusCode).toBe(400);

    const elsewhere = await draft();
    await stripe.invoices.addLines(elsewhere.id, { lines: [{ pricing: { price: shop.oneOff.id } }] });
    const oob = await stripe.invoices.pay(elsewhere.id, { paid_out_of_band: true });
    expect(oob).toMatchObject({ status: 'paid', amount_paid: 2500 });
    const [canceled] = (await stripe.paymentIntents.list({ customer: shop.customer.id, limit: 1 })).data;
    expect(canceled?.status).toBe('canceled');
  });

  it('voids, marks uncollectible, deletes drafts, and lists by status', async () => {
    const a = await draft();
    await stripe.invoices.addLines(a.id, { lines: [{ amount: 500, description: 'Setup' }] });
    await stripe.invoices.finalizeInvoice(a.id);
    const uncollectible = await stripe.invoices.markUncollectible(a.id);
    expect(uncollectible.status).toBe('uncollectible');
    const voided = await stripe.invoices.voidInvoice(a.id);
    expect(voided.status).toBe('void');
    expect(voided.status_transitions.voided_at).toBeTypeOf('number');

    const b = await draft();
    const item = await stripe.invoiceItems.create({ customer: shop.customer.id, invoice: b.id, amount: 700 });
    expect(item).toMatchObject({ object: 'invoiceitem', invoice: b.id, amount: 700, quantity: 1 });
    const deleted = await stripe.invoices.del(b.id);
    expect(deleted).toEqual({ id: b.id, object: 'invoice', deleted: true });
    expect((await failure(stripe.invoices.retrieve(b.id))).statusCode).toBe(404);
    expect((await failure(stripe.invoiceItems.retrieve(item.id))).statusCode).toBe(404);

    const voidIds = (await stripe.invoices.list({ status: 'void', customer: shop.customer.id })).data.map(
      (i) => i.id,
    );
    expect(voidIds).toEqual([a.id]);
  });

  it('checks every line before creating any, and names the bad parameter', async () => {
    const invoice = await draft();
    const missing = await failure(
      stripe.invoices.addLines(invoice.id, {
        lines: [{ pricing: { price: shop.oneOff.id } }, { pricing: { price: 'price_missing' } }],
      }),
    );
    expect(missing).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'lines[1][pricing][price]',
    });
    const unknown = await failure(
      stripe.invoices.addLines(invoice.id, {
        lines: [{ amount: 100, bogus: 1 } as Stripe.InvoiceAddLinesParams.Line],
      }),
    );
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'lines[0][bogus]' });
    expect((await stripe.invoices.listLineItems(invoice.id)).data).toEqual([]);
    expect((await stripe.invoiceItems.list({ invoice: invoice.id })).data).toEqual([]);
  });

  it('keeps pending invoice items until an invoice includes them, and edits drafts only', async () => {
    const pending = await stripe.invoiceItems.create({
      customer: shop.customer.id,
      unit_amount_decimal: Stripe.Decimal.from('333.333'),
      quantity: 3,
      currency: 'usd',
    });
    expect(pending).toMatchObject({ amount: 1000, invoice: null, quantity: 3 });
    const listed = await stripe.invoiceItems.list({ customer: shop.customer.id, pending: true });
    expect(listed.data.map((item) => item.id)).toContain(pending.id);

    const invoice = await stripe.invoices.create({
      customer: shop.customer.id,
      pending_invoice_items_behavior: 'include',
    });
    expect(invoice.lines.data.map((line) => line.parent?.invoice_item_details?.invoice_item)).toEqual([
      pending.id,
    ]);
    const updated = await stripe.invoiceItems.update(pending.id, { quantity: 6 });
    expect(updated.amount).toBe(2000);
    expect((await stripe.invoices.retrieve(invoice.id)).total).toBe(2000);

    const line = (await stripe.invoices.listLineItems(invoice.id)).data[0];
    const removed = await stripe.invoices.removeLines(invoice.id, {
      lines: [{ id: String(line?.id), behavior: 'unassign' }],
    });
    expect(removed.total).toBe(0);
    expect((await stripe.invoiceItems.retrieve(pending.id)).invoice).toBeNull();
  });

  it('replays an idempotent create instead of duplicating the invoice', async () => {
    const key = 'lb-invoice-42-create';
    const first = await stripe.invoices.create({ customer: shop.customer.id }, { idempotencyKey: key });
    const second = await stripe.invoices.create({ customer: shop.customer.id }, { idempotencyKey: key });
    expect(second.id).toBe(first.id);
    const lines = [{ pricing: { price: shop.oneOff.id } }];
    await stripe.invoices.addLines(first.id, { lines }, { idempotencyKey: `${key}-lines` });
    const again = await stripe.invoices.addLines(first.id, { lines }, { idempotencyKey: `${key}-lines` });
    expect(again.lines.data).toHaveLength(1);
    const created = (await stripe.events.list({ type: 'invoice.created', limit: 100 })).data;
    expect(created.filter((event) => (event.data.object as Stripe.Invoice).id === first.id)).toHaveLength(1);
  });

  it('emits the invoice lifecycle as events, in order', async () => {
    const invoice = await draft();
    await addFourLines(invoice.id);
    await stripe.invoices.update(invoice.id, { footer: 'Thank you' });
    await stripe.invoices.finalizeInvoice(invoice.id);
    await stripe.invoices.sendInvoice(invoice.id);
    await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    const events = (await stripe.events.list({ limit: 100 })).data.reverse();
    const related = events.filter((event) => {
      const object = event.data.object as { id?: string; invoice?: string | null };
      return object.id === invoice.id || object.invoice === invoice.id;
    });
    expect(related.map((event) => event.type)).toEqual([
      'invoice.created',
      'invoiceitem.created',
      'invoiceitem.created',
      'invoiceitem.created',
      'invoiceitem.created',
      'invoice.updated',
      'invoice.updated',
      'invoice.finalized',
      'invoice.sent',
      'invoice_payment.paid',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
    const footer = related[6];
    expect(footer?.data.previous_attributes).toEqual({ footer: null });
    // The card payment happens between finalization and the invoice being paid.
    const position = (type: string, id: string) =>
      events.findIndex((event) => event.type === type && (event.data.object as { id: string }).id === id);
    const intent = (await stripe.invoices.retrieve(invoice.id, { expand: ['payments'] })).payments?.data[0];
    const succeeded = position('payment_intent.succeeded', String(intent?.payment.payment_intent));
    expect(succeeded).toBeGreaterThan(position('invoice.finalized', invoice.id));
    expect(succeeded).toBeLessThan(position('invoice.paid', invoice.id));
  });
});
