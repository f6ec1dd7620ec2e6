/*
 * Pure payment rules: how a payment changes an invoice, and how much of a payment can be refunded.
 *
 * REFUND DECISION. A refund reduces what was kept from a payment but does not reopen the invoice, as in
 * Stripe: the invoice stays paid (its amountPaid is unchanged) and the refund is recorded against the
 * payment. Re-billing after a refund is a new invoice or credit note, never a silent change to a sent one.
 */
import { CurrencyMismatchError, MoneyError, OverpaymentError, RefundExceedsPaymentError } from './errors.js';
import { type InvoiceStatus, transitionInvoice } from './invoice-status.js';
import type { Money } from './money.js';
import { assertSafeAmount } from './money.js';

export { OverpaymentError, RefundExceedsPaymentError } from './errors.js';

export type PaymentMethod = 'card' | 'bank_transfer' | 'cash' | 'check' | 'other';
export type PaymentSource = 'manual' | 'stripe' | 'quickbooks';

export const PAYMENT_METHODS: readonly PaymentMethod[] = Object.freeze([
  'card',
  'bank_transfer',
  'cash',
  'check',
  'other',
]);
export const PAYMENT_SOURCES: readonly PaymentSource[] = Object.freeze(['manual', 'stripe', 'quickbooks']);

export interface PayableInvoice {
  readonly total: number;
  readonly amountPaid: number;
  readonly currency: string;
  readonly status: InvoiceStatus;
}

export interface PaymentOutcome {
  readonly amountPaid: number;
  readonly balance: number;
  readonly status: InvoiceStatus;
}

/**
 * Applies one payment to an invoice. A payment that settles the balance exactly pays the invoice; anything
 * less leaves it partially paid. Overpayments are refused rather than turned into customer credit: credit
 * balances are a separate feature and silently keeping extra money would break reconciliation with QBO.
 *
 * Throws MoneyError (amount ≤ 0 or inconsistent invoice), CurrencyMismatchError, IllegalTransitionError
 * (the invoice's status does not accept payments: draft, paid, void, archived) and OverpaymentError.
 */
export function applyPayment(invoice: PayableInvoice, payment: Money): PaymentOutcome {
  assertSafeAmount(payment.amount);
  if (payment.amount <= 0) throw new MoneyError(`payment amount must be positive, got ${payment.amount}`);
  if (payment.currency !== invoice.currency) {
    throw new CurrencyMismatchError(invoice.currency, payment.currency);
  }
  const balance = outstandingBalance(invoice);

  // The status check comes first so that paying a paid or void invoice says so, not "overpayment".
  const action = payment.amount >= balance ? 'record_full_payment' : 'record_partial_payment';
  const status = transitionInvoice(invoice.status, action);
  if (payment.amount > balance) throw new OverpaymentError(payment.amount, balance, invoice.currency);

  const amountPaid = invoice.amountPaid + payment.amount;
  return { amountPaid, balance: invoice.total - amountPaid, status };
}

/** What is still owed; validates the invoice's own amounts, which come from storage or another system. */
export function outstandingBalance(invoice: Pick<PayableInvoice, 'total' | 'amountPaid'>): number {
  assertSafeAmount(invoice.total);
  assertSafeAmount(invoice.amountPaid);
  if (invoice.total < 0 || invoice.amountPaid < 0 || invoice.amountPaid > invoice.total) {
    throw new MoneyError(`inconsistent invoice: amountPaid ${invoice.amountPaid} of total ${invoice.total}`);
  }
  return invoice.total - invoice.amountPaid;
}

export interface RefundablePayment {
  readonly amount: number;
  readonly refunded: number;
}

/** How much of a payment can still be refunded. */
export function refundableAmount(payment: RefundablePayment): number {
  assertSafeAmount(payment.amount);
  assertSafeAmount(payment.refunded);
  if (payment.amount <= 0 || payment.refunded < 0 || payment.refunded > payment.amount) {
    throw new MoneyError(`inconsistent payment: refunded ${payment.refunded} of ${payment.amount}`);
  }
  return payment.amount - payment.refunded;
}

/**
 * Records a refund against a payment (several partial refunds may follow each other). Only the payment
 * changes; see the REFUND DECISION above for why the invoice does not.
 */
export function applyRefund(
  payment: RefundablePayment & { readonly currency: string },
  refund: Money,
): { refunded: number; fullyRefunded: boolean } {
  assertSafeAmount(refund.amount);
  if (refund.amount <= 0) throw new MoneyError(`refund amount must be positive, got ${refund.amount}`);
  if (refund.currency !== payment.currency) {
    throw new CurrencyMismatchError(payment.currency, refund.currency);
  }
  const refundable = refundableAmount(payment);
  if (refund.amount > refundable) {
    throw new RefundExceedsPaymentError(refund.amount, refundable, payment.currency);
  }
  const refunded = payment.refunded + refund.amount;
  return { refunded, fullyRefunded: refunded === payment.amount };
}
