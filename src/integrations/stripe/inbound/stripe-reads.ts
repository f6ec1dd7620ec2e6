import type Stripe from 'stripe';
import type { PaymentMethod } from '../../../domain/index.js';
import { type InboundAccess, read, readAll } from './context.js';
import type { StripeInvoiceRef } from './resolve.js';

/** One successful PaymentIntent, as our payment will record it. */
export interface PaidIntent {
  readonly paymentIntentId: string;
  readonly chargeId: string | null;
  /** What was actually received for the invoice, in minor units. */
  readonly amount: number;
  /** Upper-cased, as we store currencies. */
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly feeAmount: number | null;
  readonly cardBrand: string | null;
  readonly cardLast4: string | null;
  /** When the charge was made (ISO), or null when unknown. */
  readonly receivedAt: string | null;
}

const BANK_METHODS = new Set([
  'ach_credit_transfer',
  'ach_debit',
  'acss_debit',
  'au_becs_debit',
  'bacs_debit',
  'customer_balance',
  'sepa_credit_transfer',
  'sepa_debit',
  'us_bank_account',
]);

/** Our payment method for Stripe's `payment_method_details.type`. */
export function methodOf(type: string | undefined): PaymentMethod {
  if (type === undefined || type === 'card' || type === 'card_present' || type === 'interac_present')
    return 'card';
  return BANK_METHODS.has(type) ? 'bank_transfer' : 'other';
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

/**
 * The PaymentIntent with its charge and the charge's balance transaction (for Stripe's fee), in one
 * call with expand. Undefined when it has not succeeded (nothing was received).
 */
export async function readPaidIntent(
  access: InboundAccess,
  paymentIntentId: string,
  amountForInvoice: number | null,
): Promise<PaidIntent | undefined> {
  const intent = await read(access, `read PaymentIntent ${paymentIntentId}`, (options) =>
    access.stripe.paymentIntents.retrieve(
      paymentIntentId,
      { expand: ['latest_charge.balance_transaction'] },
      options,
    ),
  );
  if (intent.status !== 'succeeded') return undefined;
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  const txn = charge && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
  const card = charge?.payment_method_details?.card ?? null;
  return {
    paymentIntentId: intent.id,
    chargeId: charge?.id ?? idOf(intent.latest_charge),
    amount: amountForInvoice ?? intent.amount_received,
    currency: intent.currency.toUpperCase(),
    method: methodOf(charge?.payment_method_details?.type),
    feeAmount: txn ? txn.fee : null,
    cardBrand: card?.brand ?? null,
    cardLast4: card?.last4 ?? null,
    receivedAt: charge ? new Date(charge.created * 1000).toISOString() : null,
  };
}

/** The invoice payments (in this API version, how an invoice reaches its PaymentIntents) of an invoice. */
export function invoicePaymentsOf(access: InboundAccess, invoiceId: string) {
  return readAll(access, `list the payments of Stripe invoice ${invoiceId}`, (options) =>
    access.stripe.invoicePayments.list({ invoice: invoiceId, limit: 100 }, options),
  );
}

/** The PaymentIntent of an invoice payment, when it is one. */
export function intentIdOf(payment: Stripe.InvoicePayment): string | null {
  return payment.payment.type === 'payment_intent' ? idOf(payment.payment.payment_intent) : null;
}

/** The Stripe invoice a PaymentIntent pays, with its invoice payment; undefined when it pays none. */
export async function invoiceOfIntent(
  access: InboundAccess,
  paymentIntentId: string,
): Promise<{ invoice: StripeInvoiceRef; payment: Stripe.InvoicePayment } | undefined> {
  const payments = await readAll(access, `find the invoice of PaymentIntent ${paymentIntentId}`, (options) =>
    access.stripe.invoicePayments.list(
      { payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 100 },
      options,
    ),
  );
  const payment = payments.find((candidate) => candidate.status === 'paid') ?? payments[0];
  const invoiceId = payment ? idOf(payment.invoice) : null;
  if (!payment || invoiceId === null) return undefined;
  const invoice = await read(access, `read Stripe invoice ${invoiceId}`, (options) =>
    access.stripe.invoices.retrieve(invoiceId, {}, options),
  );
  return { invoice: { id: invoice.id, metadata: invoice.metadata }, payment };
}
