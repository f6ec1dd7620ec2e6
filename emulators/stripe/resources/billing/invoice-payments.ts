import type Stripe from 'stripe';
import { z } from 'zod';
import { stripeId } from '../../kernel/ids.js';
import { matchesCreated, newestFirst, paginate } from '../../kernel/list.js';
import { expand, listParams, parseParams, str } from '../../kernel/params.js';
import type { RequestContext } from '../../kernel/router.js';
import type { ResourceModule } from '../../server.js';
import type { TestCard } from './cards.js';
import type { Env, Stored } from './env.js';
import type { InvoiceObject } from './lines.js';
import { type Attempt, attemptPayment, newPaymentIntent, type PaymentIntentObject } from './payments.js';

export type InvoicePaymentObject = Stored<Stripe.InvoicePayment>;

/**
 * In this API version an invoice reaches its PaymentIntent through invoice payments: finalizing
 * creates the intent for the amount due and a default `invoice_payment` linking the two.
 */
export function openInvoicePayment(env: Env, invoice: InvoiceObject): InvoicePaymentObject {
  const intent = newPaymentIntent(env, {
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: typeof invoice.customer === 'string' ? invoice.customer : null,
    description: invoice.parent?.subscription_details ? 'Subscription update' : 'Payment for Invoice',
  });
  const payment: InvoicePaymentObject = {
    id: stripeId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: env.now,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: intent.id },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
  return env.account.insert(payment);
}

export function defaultPayment(env: Env, invoiceId: string): InvoicePaymentObject | undefined {
  return env.account
    .all<InvoicePaymentObject>('invoice_payment')
    .find((payment) => payment.invoice === invoiceId && payment.is_default);
}

export function intentOf(env: Env, invoiceId: string): PaymentIntentObject | undefined {
  const id = defaultPayment(env, invoiceId)?.payment.payment_intent;
  return typeof id === 'string' ? env.account.find<PaymentIntentObject>('payment_intent', id) : undefined;
}

/** Charges the card for an open invoice; on success the invoice is paid. */
export function collectWithCard(
  env: Env,
  invoice: InvoiceObject,
  card: TestCard,
  billing?: { name: string | null; email: string | null },
): Attempt {
  const payment = defaultPayment(env, invoice.id) ?? openInvoicePayment(env, invoice);
  const intent = intentOf(env, invoice.id);
  if (!intent) throw new Error(`invoice ${invoice.id} has no payment intent`);
  const attempt = attemptPayment(env, intent, card, billing);
  invoice.attempted = true;
  invoice.attempt_count += 1;
  if (attempt.error) {
    env.emit('invoice.payment_failed', invoice);
    syncSubscription(env, invoice, false);
    return attempt;
  }
  payment.status = 'paid';
  payment.amount_paid = intent.amount;
  payment.status_transitions.paid_at = env.now;
  env.emit('invoice_payment.paid', payment);
  markPaid(env, invoice, intent.amount);
  return attempt;
}

/** Paid, whether by card or out of band (`paid_out_of_band`, where the intent is canceled). */
export function markPaid(env: Env, invoice: InvoiceObject, amount: number, outOfBand = false): void {
  if (outOfBand) {
    cancelIntent(env, invoice.id, null);
    invoice.amount_paid_off_stripe = amount;
  }
  invoice.amount_paid = amount;
  invoice.amount_remaining = Math.max(0, invoice.amount_due - amount);
  invoice.status = 'paid';
  invoice.status_transitions.paid_at = env.now;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  env.emit('invoice.paid', invoice);
  env.emit('invoice.payment_succeeded', invoice);
  syncSubscription(env, invoice, true);
}

/**
 * A subscription follows its latest invoice: paid makes an incomplete or past-due subscription
 * active; a failed renewal payment makes an active one past due.
 */
export function syncSubscription(env: Env, invoice: InvoiceObject, paid: boolean): void {
  const id = invoice.parent?.subscription_details?.subscription;
  const subscription = typeof id === 'string' ? env.account.find('subscription', id) : undefined;
  if (!subscription || subscription.latest_invoice !== invoice.id) return;
  const next = paid
    ? subscription.status === 'incomplete' || subscription.status === 'past_due'
      ? 'active'
      : undefined
    : subscription.status === 'active' && invoice.billing_reason === 'subscription_cycle'
      ? 'past_due'
      : undefined;
  if (next === undefined) return;
  const previous = subscription.status;
  subscription.status = next;
  env.emit('customer.subscription.updated', subscription, { status: previous });
}

/** Voiding (or paying elsewhere) cancels the invoice's open PaymentIntent. */
export function cancelIntent(env: Env, invoiceId: string, reason: 'void_invoice' | null): void {
  const payment = defaultPayment(env, invoiceId);
  const intent = intentOf(env, invoiceId);
  if (!payment || !intent || intent.status === 'succeeded' || intent.status === 'canceled') return;
  intent.status = 'canceled';
  intent.canceled_at = env.now;
  intent.cancellation_reason = reason;
  payment.status = 'canceled';
  payment.status_transitions.canceled_at = env.now;
  env.emit('payment_intent.canceled', intent);
}

/** `payments` and `confirmation_secret` appear on an invoice only when asked for with expand[]. */
export function withIncludables(ctx: RequestContext, invoice: InvoiceObject): InvoiceObject {
  const wanted = Array.isArray(ctx.params.expand) ? (ctx.params.expand as unknown[]).map(String) : [];
  const rendered: InvoiceObject = { ...invoice };
  if (wanted.some((path) => path === 'payments' || path.startsWith('payments.'))) {
    const payments = ctx.account
      .all<InvoicePaymentObject>('invoice_payment')
      .filter((payment) => payment.invoice === invoice.id);
    rendered.payments = {
      object: 'list',
      data: payments,
      has_more: false,
      url: `/v1/invoice_payments?invoice=${invoice.id}`,
    };
  }
  if (wanted.includes('confirmation_secret')) {
    const intent = intentOf(ctx, invoice.id);
    rendered.confirmation_secret =
      intent?.client_secret && invoice.status === 'open'
        ? { client_secret: intent.client_secret, type: 'payment_intent' }
        : null;
  }
  return rendered;
}

const listSchema = z
  .object({
    ...listParams,
    invoice: str(255).optional(),
    status: z.enum(['canceled', 'open', 'paid']).optional(),
    payment: z
      .object({ type: z.enum(['payment_intent', 'payment_record']), payment_intent: str(255).optional() })
      .strict()
      .optional(),
  })
  .strict();

export const invoicePaymentResource: ResourceModule = (router) => {
  router.get('/v1/invoice_payments/:id', (ctx) => {
    parseParams(z.object({ expand: expand() }).strict(), ctx.params);
    return ctx.account.get('invoice_payment', String(ctx.pathParams.id));
  });
  router.get('/v1/invoice_payments', (ctx) => {
    const params = parseParams(listSchema, ctx.params);
    const payments = ctx.account
      .all<InvoicePaymentObject>('invoice_payment')
      .filter(
        (payment) =>
          (params.invoice === undefined || payment.invoice === params.invoice) &&
          (params.status === undefined || payment.status === params.status) &&
          (params.payment?.payment_intent === undefined ||
            payment.payment.payment_intent === params.payment.payment_intent) &&
          matchesCreated(payment.created, params.created),
      );
    return paginate(newestFirst(payments), params, '/v1/invoice_payments');
  });
};
