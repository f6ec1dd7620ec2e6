import { applyRefund, money, type PaymentSource, toDecimalString } from '../domain/index.js';
import { AppError, invalidField, notFound } from '../http/errors.js';
import { enqueueQboRefundPush } from '../integrations/quickbooks/sync/enqueue.js';
import type { Db, Queryable } from '../store/db.js';
import { getInvoice, updateInvoice } from '../store/repositories/invoices.js';
import {
  findRefundByExternalId,
  getPayment,
  insertRefund,
  type Refund,
  setPaymentRefunded,
} from '../store/repositories/payments.js';
import { appendInvoiceEvent } from '../store/repositories/timeline.js';
import { actorEvent, type BillingActor, PG_UNIQUE_VIOLATION, type Recorded } from './payments.js';

export interface RefundRequest {
  readonly amount: number;
  readonly reason: string | null;
  readonly source: PaymentSource;
  readonly externalId: string | null;
}

/**
 * Refunds part or all of a payment. The invoice keeps its status and amount_paid (the domain's refund
 * decision); its amount_refunded grows so reports can show net cash.
 */
export async function recordRefund(
  db: Db,
  who: BillingActor,
  paymentId: string,
  request: RefundRequest,
): Promise<Recorded<Refund>> {
  requireExternalId(request);
  const replay = await existingRefund(db, who, paymentId, request);
  if (replay) return replay;
  try {
    return await db.transaction((tx) => refundInTransaction(tx, who, paymentId, request));
  } catch (error) {
    if ((error as { code?: unknown }).code === PG_UNIQUE_VIOLATION) {
      const raced = await existingRefund(db, who, paymentId, request);
      if (raced) return raced;
    }
    throw error;
  }
}

/** The same, inside the caller's transaction (an integration applying a provider event). */
export async function recordRefundInTransaction(
  tx: Queryable,
  who: BillingActor,
  paymentId: string,
  request: RefundRequest,
): Promise<Recorded<Refund>> {
  requireExternalId(request);
  return refundInTransaction(tx, who, paymentId, request);
}

function requireExternalId(request: RefundRequest): void {
  if (request.source !== 'manual' && request.externalId === null) {
    throw invalidField('external_id', `is required for ${request.source} refunds`);
  }
}

async function existingRefund(
  db: Queryable,
  who: BillingActor,
  paymentId: string,
  request: RefundRequest,
): Promise<Recorded<Refund> | undefined> {
  if (request.externalId === null) return undefined;
  const found = await findRefundByExternalId(db, who.tenantId, request.source, request.externalId);
  if (!found) return undefined;
  if (found.paymentId !== paymentId || found.amount !== request.amount) {
    throw new AppError(
      'conflict',
      'idempotency_conflict',
      `${found.source} refund ${found.externalId} was already recorded as ${found.id} for ${found.amount} ` +
        `${found.currency} on payment ${found.paymentId}`,
      { refund_id: found.id },
    );
  }
  return { value: found, created: false };
}

async function refundInTransaction(
  tx: Queryable,
  who: BillingActor,
  paymentId: string,
  request: RefundRequest,
): Promise<Recorded<Refund>> {
  const unlocked = await getPayment(tx, who.tenantId, paymentId);
  if (!unlocked) throw notFound('payment', paymentId);
  // Lock order is invoice, then payment — the same order recording a payment takes — so no deadlock.
  const invoice = unlocked.invoiceId
    ? await getInvoice(tx, who.tenantId, unlocked.invoiceId, { forUpdate: true })
    : undefined;
  const payment = await getPayment(tx, who.tenantId, paymentId, { forUpdate: true });
  if (!payment) throw notFound('payment', paymentId);
  const replay = await existingRefund(tx, who, paymentId, request);
  if (replay) return replay;

  const { refunded } = applyRefund(
    { amount: payment.amount, refunded: payment.amountRefunded, currency: payment.currency },
    money(request.amount, payment.currency),
  );
  const refund = await insertRefund(tx, who.tenantId, {
    paymentId,
    amount: request.amount,
    currency: payment.currency,
    reason: request.reason,
    source: request.source,
    externalId: request.externalId,
  });
  await setPaymentRefunded(tx, who.tenantId, paymentId, refunded);
  await enqueueQboRefundPush(tx, who.tenantId, refund, payment);
  if (invoice) {
    await updateInvoice(tx, who.tenantId, invoice.id, {
      amountRefunded: invoice.amountRefunded + refund.amount,
    });
    const amount = `${toDecimalString(money(refund.amount, refund.currency))} ${refund.currency}`;
    await appendInvoiceEvent(tx, {
      ...actorEvent(who, invoice.id),
      kind: 'refund.issued',
      message: `Refund issued: ${amount}`,
      data: {
        refund_id: refund.id,
        payment_id: paymentId,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason,
        source: refund.source,
      },
    });
  }
  return { value: refund, created: true };
}
