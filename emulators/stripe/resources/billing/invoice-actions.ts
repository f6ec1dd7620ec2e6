import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { invalidRequest } from '../../kernel/errors.js';
import { bool, expand, parseParams, str } from '../../kernel/params.js';
import type { ResourceModule } from '../../server.js';
import { type CustomerObject, getCustomer } from './catalog.js';
import { cardFromPaymentMethod } from './cards.js';
import { book, type Env, hostedTokens } from './env.js';
import {
  cancelIntent,
  collectWithCard,
  markPaid,
  openInvoicePayment,
  syncSubscription,
  withIncludables,
} from './invoice-payments.js';
import { getInvoice } from './invoices.js';
import { type InvoiceObject, recalculate } from './lines.js';

const DAY = 86_400;
/**
 * draft → open: the number from the account's sequence, the hosted page and PDF, the due date, and
 * the PaymentIntent for the amount due. An invoice with nothing due is paid at once, as in Stripe.
 */
export function finalize(env: Env, invoice: InvoiceObject, baseUrl: string, autoAdvance?: boolean): void {
  if (invoice.status !== 'draft') {
    throw invalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.", {
      code: 'invoice_not_editable',
    });
  }
  const ledger = book(env.account);
  const token = `test_${randomBytes(24).toString('base64url')}`;
  hostedTokens(env.state).set(token, { accountId: env.account.id, invoiceId: invoice.id });
  const customer = env.account.find<CustomerObject>('customer', String(invoice.customer));
  if (invoice.number === null)
    invoice.number = `${ledger.prefix}-${String(ledger.nextNumber++).padStart(4, '0')}`;
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = env.now;
  invoice.effective_at ??= env.now;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${baseUrl}/i/${token}`;
  invoice.invoice_pdf = `${baseUrl}/i/${token}/pdf`;
  invoice.ending_balance = 0;
  if (customer) {
    invoice.customer_email = customer.email;
    invoice.customer_name = customer.name ?? null;
    invoice.customer_address = customer.address ?? null;
    invoice.customer_phone = customer.phone ?? null;
  }
  const days = ledger.daysUntilDue.get(invoice.id);
  if (invoice.collection_method === 'send_invoice' && days !== undefined)
    invoice.due_date = env.now + days * DAY;
  invoice.next_payment_attempt =
    invoice.collection_method === 'charge_automatically' && invoice.auto_advance ? env.now + 3_600 : null;
  recalculate(env.account, invoice);
  if (invoice.amount_due > 0) openInvoicePayment(env, invoice);
  env.emit('invoice.finalized', invoice);
  if (invoice.amount_due === 0) markPaid(env, invoice, 0);
}

/** Charges the customer's default payment method, as Stripe does for charge_automatically invoices. */
export function chargeDefault(env: Env, invoice: InvoiceObject): boolean {
  const customer = env.account.find<CustomerObject>('customer', String(invoice.customer));
  const method = customer?.invoice_settings.default_payment_method;
  invoice.next_payment_attempt = null;
  if (typeof method !== 'string') {
    invoice.attempted = true;
    invoice.attempt_count += 1;
    env.emit('invoice.payment_failed', invoice);
    syncSubscription(env, invoice, false);
    return false;
  }
  return collectWithCard(env, invoice, cardFromPaymentMethod(method)).error === null;
}

export const invoiceActionsResource: ResourceModule = (router, deps) => {
  router.post('/v1/invoices/:id/finalize', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(
      z.object({ auto_advance: bool().optional(), expand: expand() }).strict(),
      ctx.params,
    );
    finalize(ctx, invoice, deps.baseUrl(), params.auto_advance);
    return withIncludables(ctx, invoice);
  });

  router.post('/v1/invoices/:id/send', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    parseParams(z.object({ expand: expand() }).strict(), ctx.params);
    if (invoice.status === 'draft' || invoice.status === 'void') {
      throw invalidRequest(
        `You can't send an invoice that is ${invoice.status}. Only finalized invoices can be sent.`,
        {
          code: 'invoice_not_editable',
        },
      );
    }
    ctx.emit('invoice.sent', invoice);
    return withIncludables(ctx, invoice);
  });

  const paySchema = z
    .object({
      expand: expand(),
      forgive: bool().optional(),
      mandate: z.string().optional(),
      off_session: bool().optional(),
      paid_out_of_band: bool().optional(),
      payment_method: str(255).optional(),
      source: str(255).optional(),
    })
    .strict();
  router.post('/v1/invoices/:id/pay', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    const params = parseParams(paySchema, ctx.params);
    if (invoice.status === 'paid')
      throw invalidRequest('Invoice is already paid', { code: 'invoice_not_editable' });
    if (invoice.status === 'void') {
      throw invalidRequest('This invoice has been voided and can no longer be paid.', {
        code: 'invoice_not_editable',
      });
    }
    if (params.source !== undefined)
      throw invalidRequest(`No such source: '${params.source}'`, {
        param: 'source',
        code: 'resource_missing',
        status: 404,
      });
    const card =
      params.payment_method !== undefined ? cardFromPaymentMethod(params.payment_method) : undefined;
    if (invoice.status === 'draft') finalize(ctx, invoice, deps.baseUrl());
    if (invoice.status === 'paid') return withIncludables(ctx, invoice);
    if (params.paid_out_of_band) {
      markPaid(ctx, invoice, invoice.amount_remaining, true);
      return withIncludables(ctx, invoice);
    }
    if (card) {
      const attempt = collectWithCard(ctx, invoice, card);
      if (attempt.error) throw attempt.error;
      return withIncludables(ctx, invoice);
    }
    const customer = getCustomer(ctx.account, String(invoice.customer));
    if (typeof customer.invoice_settings.default_payment_method !== 'string') {
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
        { code: 'invoice_no_payment_method_types' },
      );
    }
    const attempt = collectWithCard(
      ctx,
      invoice,
      cardFromPaymentMethod(customer.invoice_settings.default_payment_method),
    );
    if (attempt.error) throw attempt.error;
    return withIncludables(ctx, invoice);
  });

  router.post('/v1/invoices/:id/void', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    parseParams(z.object({ expand: expand() }).strict(), ctx.params);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      throw invalidRequest(
        `You can only void open or uncollectible invoices. This invoice is ${invoice.status ?? 'unknown'}.`,
        { code: 'invoice_not_editable' },
      );
    }
    cancelIntent(ctx, invoice.id, 'void_invoice');
    invoice.status = 'void';
    invoice.status_transitions.voided_at = ctx.now;
    invoice.auto_advance = false;
    invoice.next_payment_attempt = null;
    ctx.emit('invoice.voided', invoice);
    return withIncludables(ctx, invoice);
  });

  router.post('/v1/invoices/:id/mark_uncollectible', (ctx) => {
    const invoice = getInvoice(ctx, String(ctx.pathParams.id));
    parseParams(z.object({ expand: expand() }).strict(), ctx.params);
    if (invoice.status !== 'open') {
      throw invalidRequest(
        `You can only mark open invoices as uncollectible. This invoice is ${invoice.status ?? 'unknown'}.`,
        { code: 'invoice_not_editable' },
      );
    }
    invoice.status = 'uncollectible';
    invoice.status_transitions.marked_uncollectible_at = ctx.now;
    invoice.auto_advance = false;
    invoice.next_payment_attempt = null;
    ctx.emit('invoice.marked_uncollectible', invoice);
    return withIncludables(ctx, invoice);
  });
};
