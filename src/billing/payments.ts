import {
  applyPayment,
  IllegalTransitionError,
  money,
  type PaymentMethod,
  type PaymentSource,
  toDecimalString,
} from '../domain/index.js';
import { AppError, invalidField, notFound } from '../http/errors.js';
import { enqueueQboPaymentPush } from '../integrations/quickbooks/sync/enqueue.js';
import type { Db, Queryable } from '../store/db.js';
import { getContact } from '../store/repositories/contacts.js';
import { type Invoice, updateInvoice } from '../store/repositories/invoices.js';
import { moveInvoiceBillables } from '../store/repositories/invoices-billables.js';
import {
  findPaymentByExternalId,
  insertPayment,
  type Payment,
  type PaymentPurpose,
} from '../store/repositories/payments.js';
import { appendInvoiceEvent, type EventSystem } from '../store/repositories/timeline.js';
import { emitPaymentEvents } from '../workflows/engine/triggers.js';
import { type Actor, event, lockInvoice, words } from './invoices.js';

/**
 * Who is acting, and in which system it happened: an integration reporting a provider's payment
 * (`system: 'stripe'`) puts that on the timeline; our own API is 'ledgerbridge', the default.
 */
export type BillingActor = Actor & { readonly system?: EventSystem };

/** The timeline fields of an event caused by `who` on an invoice. */
export function actorEvent(who: BillingActor, invoiceId: string) {
  return { ...event(who, invoiceId), system: who.system ?? ('ledgerbridge' as const) };
}

export interface PaymentRequest {
  readonly invoiceId: string | null;
  readonly contactId: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly source: PaymentSource;
  readonly externalId: string | null;
  readonly reference: string | null;
  readonly memo: string | null;
  readonly receivedAt: string | null;
  readonly purpose: PaymentPurpose | null;
  /** Known from the provider: its fee, and the card that paid. */
  readonly feeAmount?: number | null;
  readonly cardBrand?: string | null;
  readonly cardLast4?: string | null;
}

/** `created: false` means the same provider payment was already recorded and is returned as it was. */
export interface Recorded<T> {
  readonly value: T;
  readonly created: boolean;
}

export const PG_UNIQUE_VIOLATION = '23505';

/**
 * Records money received, against an invoice or standalone (with a purpose). A (source, external_id)
 * seen before returns the stored payment instead of recording it twice, which is what makes a
 * duplicate webhook or a retried sync harmless; the same id with a different amount is a conflict.
 */
export async function recordPayment(
  db: Db,
  who: BillingActor,
  request: PaymentRequest,
): Promise<Recorded<Payment>> {
  requireExternalId(request);
  const replay = await existingPayment(db, who, request);
  if (replay) return replay;
  try {
    return await db.transaction((tx) =>
      request.invoiceId === null
        ? recordStandalone(tx, who, request)
        : recordAgainstInvoice(tx, who, request.invoiceId, request),
    );
  } catch (error) {
    // Two first deliveries raced past the lookup; the unique index let one win. Answer as a replay.
    if ((error as { code?: unknown }).code === PG_UNIQUE_VIOLATION) {
      const raced = await existingPayment(db, who, request);
      if (raced) return raced;
    }
    throw error;
  }
}

/**
 * The same, inside the caller's transaction (an integration applying a provider event together with
 * marking the event processed). A replay of the same provider payment returns the stored one.
 */
export async function recordPaymentInTransaction(
  tx: Queryable,
  who: BillingActor,
  request: PaymentRequest,
): Promise<Recorded<Payment>> {
  requireExternalId(request);
  const replay = await existingPayment(tx, who, request);
  if (replay) return replay;
  return request.invoiceId === null
    ? recordStandalone(tx, who, request)
    : recordAgainstInvoice(tx, who, request.invoiceId, request);
}

function requireExternalId(request: PaymentRequest): void {
  if (request.source !== 'manual' && request.externalId === null) {
    throw invalidField('external_id', `is required for ${request.source} payments`);
  }
}

async function existingPayment(
  db: Queryable,
  who: Actor,
  request: PaymentRequest,
): Promise<Recorded<Payment> | undefined> {
  if (request.externalId === null) return undefined;
  const found = await findPaymentByExternalId(db, who.tenantId, request.source, request.externalId);
  if (!found) return undefined;
  sameAs(request, found);
  return { value: found, created: false };
}

/** A replay must describe the same payment; anything else is a different payment under a reused id. */
function sameAs(request: PaymentRequest, payment: Payment): void {
  const differs =
    payment.amount !== request.amount ||
    payment.currency !== request.currency ||
    (request.invoiceId !== null && payment.invoiceId !== request.invoiceId);
  if (differs) {
    throw new AppError(
      'conflict',
      'idempotency_conflict',
      `${payment.source} payment ${payment.externalId} was already recorded as ${payment.id} for ` +
        `${payment.amount} ${payment.currency}${payment.invoiceId ? ` on invoice ${payment.invoiceId}` : ''}; ` +
        'the same external_id cannot describe a different payment',
      { payment_id: payment.id },
    );
  }
}

async function recordStandalone(
  tx: Queryable,
  who: Actor,
  request: PaymentRequest,
): Promise<Recorded<Payment>> {
  if (request.purpose === null)
    throw invalidField('purpose', 'is required when the payment has no invoice_id');
  if (request.purpose === 'invoice') throw invalidField('purpose', "'invoice' needs an invoice_id");
  if (request.contactId === null)
    throw invalidField('contact_id', 'is required when the payment has no invoice_id');
  if (!(await getContact(tx, who.tenantId, request.contactId))) throw notFound('contact', request.contactId);
  money(request.amount, request.currency); // validates the amount for the currency
  const payment = await insertPayment(tx, who.tenantId, {
    ...request,
    contactId: request.contactId,
    purpose: request.purpose,
  });
  // Not for payments that came from QuickBooks (the enqueue skips source 'quickbooks': no echo).
  await enqueueQboPaymentPush(tx, who.tenantId, payment);
  return { value: payment, created: true };
}

async function recordAgainstInvoice(
  tx: Queryable,
  who: BillingActor,
  invoiceId: string,
  request: PaymentRequest,
): Promise<Recorded<Payment>> {
  if (request.purpose !== null && request.purpose !== 'invoice') {
    throw invalidField('purpose', "must be 'invoice' (or omitted) when invoice_id is set");
  }
  const invoice = await lockInvoice(tx, who.tenantId, invoiceId);
  if (request.contactId !== null && request.contactId !== invoice.contactId) {
    throw new AppError(
      'validation',
      'contact_mismatch',
      `contact_id ${request.contactId} is not the contact of invoice ${invoice.id} (${invoice.contactId})`,
    );
  }
  // Payments on one invoice are serialized by the lock, so this second look cannot race.
  const replay = await existingPayment(tx, who, request);
  if (replay) return replay;

  const outcome = payInvoice(invoice, request.amount, request.currency);
  const payment = await insertPayment(tx, who.tenantId, {
    ...request,
    contactId: invoice.contactId,
    purpose: 'invoice',
  });
  await enqueueQboPaymentPush(tx, who.tenantId, payment);
  const paid = outcome.status === 'paid';
  await updateInvoice(tx, who.tenantId, invoice.id, {
    amountPaid: outcome.amountPaid,
    balance: outcome.balance,
    status: outcome.status,
    ...(paid && { stamp: 'paid_at' as const }),
  });
  const amount = `${toDecimalString(money(payment.amount, payment.currency))} ${payment.currency}`;
  const card =
    payment.cardBrand !== null || payment.cardLast4 !== null
      ? ` (${[payment.cardBrand, payment.cardLast4 === null ? null : `•••• ${payment.cardLast4}`]
          .filter((part) => part !== null)
          .join(' ')})`
      : '';
  await appendInvoiceEvent(tx, {
    ...actorEvent(who, invoice.id),
    kind: 'payment.received',
    message: `Payment received: ${amount} by ${payment.method.replaceAll('_', ' ')}${card}`,
    data: {
      payment_id: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      method: payment.method,
      source: payment.source,
      from: invoice.status,
      to: outcome.status,
      balance: outcome.balance,
      ...(payment.externalId !== null && { external_id: payment.externalId }),
      ...(payment.feeAmount !== null && { fee_amount: payment.feeAmount }),
      ...(payment.cardBrand !== null && { card_brand: payment.cardBrand }),
      ...(payment.cardLast4 !== null && { card_last4: payment.cardLast4 }),
    },
  });
  if (paid) {
    const billables = await moveInvoiceBillables(tx, who.tenantId, invoice.id, 'mark_paid');
    await appendInvoiceEvent(tx, {
      ...actorEvent(who, invoice.id),
      kind: 'invoice.paid',
      message: 'Invoice was paid in full',
      data: {
        from: invoice.status,
        to: 'paid',
        ...(billables.length > 0 && { paid_billable_ids: billables }),
      },
    });
  }
  // Workflow triggers (payment received, invoice paid) and waiting steps, wherever the money came from.
  await emitPaymentEvents(tx, invoice, payment.id, paid);
  return { value: payment, created: true };
}

/** The domain decides the outcome; only the wording of a refused status is made about payments. */
function payInvoice(invoice: Invoice, amount: number, currency: string) {
  try {
    return applyPayment(invoice, money(amount, currency));
  } catch (error) {
    if (error instanceof IllegalTransitionError) {
      throw new IllegalTransitionError(
        'invoice',
        invoice.status,
        'record_payment',
        `cannot record a payment on an invoice that is ${words(invoice.status)}` +
          (invoice.status === 'draft' ? ' (send it first)' : ''),
      );
    }
    throw error;
  }
}
