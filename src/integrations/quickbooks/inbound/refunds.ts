import { recordRefundInTransaction } from '../../../billing/refunds.js';
import { money, toDecimalString } from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import { getInvoice } from '../../../store/repositories/invoices.js';
import {
  findRefundByExternalId,
  getPayment,
  type Payment,
  paymentFromRow,
  type Refund,
} from '../../../store/repositories/payments.js';
import type { QboObject } from '../types.js';
import { currencyOf, toMinor } from './amounts.js';
import {
  appendOnce,
  type Commit,
  ignored,
  lockImport,
  type PullContext,
  type PullOutcome,
  quickbooksActor,
  refValue,
  stringField,
} from './context.js';
import { homeCurrency } from './invoice-import.js';
import { taggedLocalId } from './tags.js';

/**
 * A RefundReceipt a person entered in QuickBooks: money paid back to a customer. QuickBooks ties it to
 * no payment (only to the customer), so it becomes a refund here (source 'quickbooks', external_id
 * its Id) only when exactly one payment of that customer's contact, in its currency, still has that
 * much left to refund. Otherwise nothing is guessed: each invoice that one of the contact's payments
 * in that currency paid gets a timeline note saying a refund was entered in QuickBooks and must be
 * recorded here by hand against the right payment.
 *
 * Receipts the push made from our refunds (linked, or tagged `ledgerbridge:ref_…` before the link
 * commits) are ours coming back and are never recorded twice. A receipt already recorded here that
 * QuickBooks later changes or deletes is a conflict note: a refund, once paid out, is not undone here.
 */
export async function pullRefundReceipt(
  ctx: PullContext,
  receiptId: string,
  object: QboObject | undefined,
  commit: Commit,
): Promise<PullOutcome> {
  const pushed =
    (
      await findLinkByExternal(ctx.db, {
        tenantId: ctx.tenantId,
        provider: 'quickbooks',
        localType: 'refund',
        externalId: receiptId,
      })
    )?.localId ?? (object ? taggedLocalId(object, 'ref') : undefined);
  if (pushed) {
    return ignored(
      `QuickBooks refund receipt ${receiptId} is ledgerbridge refund ${pushed}, pushed from here`,
    );
  }
  const currency = object ? currencyOf(object, await homeCurrency(ctx)) : undefined;
  return commit(async (tx) => {
    // Two deliveries of the same receipt would both find no refund and both record one.
    await lockImport(tx, ctx.tenantId, 'RefundReceipt', receiptId);
    const recorded = await findRefundByExternalId(tx, ctx.tenantId, 'quickbooks', receiptId);
    if (recorded) return changedAfterRecording(tx, ctx, recorded, receiptId, object);
    if (!object || currency === undefined) {
      return ignored(`QuickBooks refund receipt ${receiptId} is gone; nothing was recorded from it`);
    }
    const amount = toMinor(object.TotalAmt, currency);
    if (amount <= 0) return ignored(`QuickBooks refund receipt ${receiptId} refunds nothing`);
    const customerId = refValue(object.CustomerRef);
    const contact = customerId
      ? await findLinkByExternal(tx, {
          tenantId: ctx.tenantId,
          provider: 'quickbooks',
          localType: 'contact',
          externalId: customerId,
        })
      : undefined;
    if (!contact) {
      return ignored(`QuickBooks refund receipt ${receiptId} is for no ledgerbridge contact`);
    }
    const payments = await contactPayments(tx, ctx.tenantId, contact.localId, currency);
    const fits = payments.filter((payment) => payment.amount - payment.amountRefunded >= amount);
    const shown = `${toDecimalString(money(amount, currency))} ${currency}`;
    const [only] = fits;
    if (only && fits.length === 1) {
      await lockInvoices(tx, ctx.tenantId, only.invoiceId === null ? [] : [only.invoiceId]);
      const reason = stringField(object, 'PrivateNote') ?? null;
      await recordRefundInTransaction(tx, quickbooksActor(ctx.tenantId, ctx.via), only.id, {
        amount,
        reason: `Refunded in QuickBooks (refund receipt ${receiptId})${reason ? `: ${reason}` : ''}`.slice(
          0,
          1000,
        ),
        source: 'quickbooks',
        externalId: receiptId,
      });
      return { status: 'processed', note: `recorded as a refund of ${shown} of payment ${only.id}` };
    }
    const invoiceIds = [...new Set(payments.flatMap((payment) => payment.invoiceId ?? []))];
    if (invoiceIds.length === 0) {
      return ignored(
        `QuickBooks refund receipt ${receiptId} (${shown}) is for a contact with no ${currency} payment here`,
      );
    }
    const why =
      fits.length === 0
        ? `no payment of this customer here has ${shown} left to refund`
        : `${fits.length} payments of this customer here could be the one refunded`;
    const message =
      `A refund of ${shown} was entered in QuickBooks (refund receipt ${receiptId}), but ${why}; ` +
      'record it here by hand against the right payment';
    for (const invoiceId of await lockInvoices(tx, ctx.tenantId, invoiceIds)) {
      await appendOnce(
        tx,
        {
          tenantId: ctx.tenantId,
          invoiceId,
          kind: 'quickbooks.refund_unmatched',
          message,
          data: { quickbooks_refund_receipt_id: receiptId, amount, currency },
        },
        'quickbooks_refund_receipt_id',
        ctx.via,
      );
    }
    return ignored(`not recorded: ${message}`);
  });
}

/** A receipt recorded here that QuickBooks now holds differently (or no longer): a note, never a change. */
async function changedAfterRecording(
  tx: Queryable,
  ctx: PullContext,
  refund: Refund,
  receiptId: string,
  object: QboObject | undefined,
): Promise<PullOutcome> {
  const amount = object ? toMinor(object.TotalAmt, refund.currency) : 0;
  if (amount === refund.amount) return ignored(`already recorded as refund ${refund.id}`);
  const payment = await getPayment(tx, ctx.tenantId, refund.paymentId);
  const [invoiceId] = await lockInvoices(tx, ctx.tenantId, payment?.invoiceId ? [payment.invoiceId] : []);
  const show = (minor: number) => `${toDecimalString(money(minor, refund.currency))} ${refund.currency}`;
  const message = object
    ? `Refund receipt ${receiptId} was changed in QuickBooks to ${show(amount)}, but ${show(refund.amount)} ` +
      'was recorded as refunded here; it stays so — adjust it by hand'
    : `Refund receipt ${receiptId} was deleted in QuickBooks, but its refund of ${show(refund.amount)} ` +
      'stays recorded here — adjust it by hand';
  if (invoiceId) {
    await appendOnce(
      tx,
      {
        tenantId: ctx.tenantId,
        invoiceId,
        kind: 'quickbooks.refund_conflict',
        message,
        data: {
          quickbooks_refund_receipt_id: receiptId,
          refund_id: refund.id,
          state: `${receiptId}:${object ? `${object.SyncToken ?? ''}:${amount}` : 'deleted'}`,
        },
      },
      'state',
      ctx.via,
    );
  }
  return ignored(`conflict: ${message}`);
}

/** The contact's payments in the currency, oldest first. */
async function contactPayments(
  tx: Queryable,
  tenantId: string,
  contactId: string,
  currency: string,
): Promise<Payment[]> {
  const rows = await tx.query(
    `SELECT * FROM payments WHERE tenant_id = $1 AND contact_id = $2 AND currency = $3
     ORDER BY received_at, id`,
    [tenantId, contactId, currency],
  );
  return rows.map(paymentFromRow);
}

/** Locks invoices in id order (as every writer of invoices does); returns those that exist. */
async function lockInvoices(tx: Queryable, tenantId: string, ids: readonly string[]): Promise<string[]> {
  const locked: string[] = [];
  for (const id of [...ids].sort()) {
    if (await getInvoice(tx, tenantId, id, { forUpdate: true })) locked.push(id);
  }
  return locked;
}
