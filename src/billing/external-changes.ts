import {
  canTransitionBillable,
  type InvoiceStatus,
  money,
  outstandingBalance,
  toDecimalString,
} from '../domain/index.js';
import type { Queryable } from '../store/db.js';
import { type Invoice, type InvoicePatch, updateInvoice } from '../store/repositories/invoices.js';
import {
  deleteInvoiceLines,
  getInvoiceLines,
  insertInvoiceLines,
} from '../store/repositories/invoices-lines.js';
import type { Payment } from '../store/repositories/payments.js';
import { appendInvoiceEvent } from '../store/repositories/timeline.js';
import type { LineDraft } from './lines.js';
import { priceLines } from './lines.js';
import { actorEvent, type BillingActor } from './payments.js';
import { emitInvoicePaid } from '../workflows/engine/triggers.js';

/**
 * Changes another system is the authority for, applied to our records: an accounting system
 * (QuickBooks) that corrected the amount or due date of an invoice nobody has paid yet, or that
 * changed or voided a payment it recorded itself. Ordinary edits go through invoices.ts and
 * payments.ts, whose rules (drafts only, payments never shrink) stay as they are; these functions
 * exist because the other system's books have already changed, and ours must follow them.
 * Callers hold the invoice's lock (lockInvoice) for the whole transaction.
 */

/** Statuses whose amount or due date the other system may still change: nothing was paid. */
export function isRevisable(invoice: Invoice): boolean {
  return (invoice.status === 'open' || invoice.status === 'draft') && invoice.amountPaid === 0;
}

export interface InvoiceRevision {
  /** The lines as the other system now has them (positions kept where they still exist). */
  readonly lines?: readonly LineDraft[] | undefined;
  /**
   * The total the other system computed. When our line math lands elsewhere (a cent of tax rounding),
   * theirs is kept: they hold the books.
   */
  readonly total?: number | undefined;
  readonly taxTotal?: number | undefined;
  readonly dueDate?: string | null | undefined;
  /** Timeline sentence, e.g. "Invoice amount was changed in QuickBooks". */
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * Revises an unpaid invoice's lines/total and due date. Billables of lines that no longer exist are
 * released to be billed again. Returns the invoice unchanged when nothing differs.
 */
export async function reviseUnpaidInvoice(
  tx: Queryable,
  who: BillingActor,
  invoice: Invoice,
  revision: InvoiceRevision,
): Promise<{ invoice: Invoice; changed: readonly string[] }> {
  if (!isRevisable(invoice)) {
    throw new Error(`invoice ${invoice.id} is ${invoice.status} with payments; it cannot be revised`);
  }
  const patch: { -readonly [K in keyof InvoicePatch]: InvoicePatch[K] } = {};
  const changed: string[] = [];
  let released: string[] = [];
  if (revision.lines !== undefined) {
    const priced = priceLines(invoice.currency, revision.lines);
    const total = revision.total ?? priced.totals.total;
    const tax = revision.total === undefined ? priced.totals.tax : (revision.taxTotal ?? priced.totals.tax);
    if (total !== invoice.total || (await linesDiffer(tx, invoice, revision.lines))) {
      const kept = new Set(revision.lines.flatMap((line) => (line.billableId ? [line.billableId] : [])));
      released = await releaseDroppedBillables(tx, invoice, kept);
      await deleteInvoiceLines(tx, invoice.tenantId, invoice.id);
      await insertInvoiceLines(tx, invoice.tenantId, invoice.id, priced.lines);
      Object.assign(patch, {
        subtotal: priced.totals.subtotal,
        discountTotal: priced.totals.discount,
        taxTotal: tax,
        total,
        balance: total,
      });
      changed.push('amount');
    }
  }
  if (revision.dueDate !== undefined && revision.dueDate !== invoice.dueDate) {
    patch.dueDate = revision.dueDate;
    changed.push('due_date');
  }
  if (changed.length === 0) return { invoice, changed };
  const updated = await updateInvoice(tx, invoice.tenantId, invoice.id, patch);
  await appendInvoiceEvent(tx, {
    ...actorEvent(who, invoice.id),
    kind: 'invoice.revised',
    message: revision.message,
    data: {
      ...revision.data,
      fields: changed,
      ...(changed.includes('amount') && { from_total: invoice.total, to_total: updated.total }),
      ...(changed.includes('due_date') && { from_due_date: invoice.dueDate, to_due_date: updated.dueDate }),
      ...(released.length > 0 && { released_billable_ids: released }),
    },
  });
  return { invoice: updated, changed };
}

async function linesDiffer(tx: Queryable, invoice: Invoice, drafts: readonly LineDraft[]): Promise<boolean> {
  const current = (await getInvoiceLines(tx, invoice.tenantId, [invoice.id])).get(invoice.id) ?? [];
  if (current.length !== drafts.length) return true;
  return current.some((line, index) => {
    const draft = drafts[index];
    return (
      !draft ||
      draft.description !== line.description ||
      draft.unitPrice !== line.unitPrice ||
      Number(draft.quantity) !== Number(line.quantity)
    );
  });
}

async function releaseDroppedBillables(
  tx: Queryable,
  invoice: Invoice,
  kept: ReadonlySet<string>,
): Promise<string[]> {
  const rows = await tx.query<{ id: string; status: 'unbilled' | 'invoiced' | 'paid' }>(
    'SELECT id, status FROM billables WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY id FOR UPDATE',
    [invoice.tenantId, invoice.id],
  );
  const dropped = rows.filter((row) => !kept.has(row.id) && canTransitionBillable(row.status, 'release'));
  if (dropped.length === 0) return [];
  const ids = dropped.map((row) => row.id);
  await tx.query(
    `UPDATE billables SET status = 'unbilled', invoice_id = NULL, updated_at = now()
     WHERE tenant_id = $1 AND id = ANY($2)`,
    [invoice.tenantId, ids],
  );
  return ids;
}

/**
 * A payment the other system recorded (source = that system) changed amount there, or was voided
 * or deleted (newAmount 0). The payment row follows: a new amount is stored, a zero one removes the
 * payment (the timeline keeps what it was). The invoice's amount_paid and balance follow, and its
 * status with them — including back from paid to partially paid or open, and its billables back from
 * paid to invoiced: the money is no longer received, so the invoice is owed again. Void, draft and
 * archived invoices are never moved (the caller reports a conflict instead). Payments with refunds
 * recorded against them cannot shrink below what was refunded.
 */
export async function adjustExternalPayment(
  tx: Queryable,
  who: BillingActor,
  invoice: Invoice,
  payment: Payment,
  newAmount: number,
  details: { readonly message: string; readonly data?: Readonly<Record<string, unknown>> },
): Promise<Invoice> {
  if (payment.invoiceId !== invoice.id)
    throw new Error(`payment ${payment.id} is not on invoice ${invoice.id}`);
  if (newAmount === payment.amount) return invoice;
  if (newAmount < payment.amountRefunded) {
    throw new Error(
      `payment ${payment.id} has ${payment.amountRefunded} refunded; it cannot become ${newAmount}`,
    );
  }
  const amountPaid = invoice.amountPaid - payment.amount + newAmount;
  const balance = outstandingBalance({ total: invoice.total, amountPaid });
  const status = statusAfterAdjustment(invoice.status, amountPaid, balance);
  if (newAmount === 0) {
    await tx.query('DELETE FROM payments WHERE tenant_id = $1 AND id = $2', [invoice.tenantId, payment.id]);
  } else {
    await tx.query('UPDATE payments SET amount = $3 WHERE tenant_id = $1 AND id = $2', [
      invoice.tenantId,
      payment.id,
      newAmount,
    ]);
  }
  const reopened =
    invoice.status === 'paid' && status !== 'paid' ? await reopenPaidBillables(tx, invoice) : [];
  const updated = await updateInvoice(tx, invoice.tenantId, invoice.id, {
    amountPaid,
    balance,
    status,
    ...(status === 'paid' && invoice.status !== 'paid' && { stamp: 'paid_at' as const }),
  });
  const show = (amount: number) => `${toDecimalString(money(amount, payment.currency))} ${payment.currency}`;
  await appendInvoiceEvent(tx, {
    ...actorEvent(who, invoice.id),
    kind: newAmount === 0 ? 'payment.removed' : 'payment.adjusted',
    message: `${details.message} (${show(payment.amount)} → ${show(newAmount)})`,
    data: {
      ...details.data,
      payment_id: payment.id,
      external_id: payment.externalId,
      from_amount: payment.amount,
      to_amount: newAmount,
      currency: payment.currency,
      from: invoice.status,
      to: status,
      balance,
      ...(reopened.length > 0 && { reopened_billable_ids: reopened }),
    },
  });
  if (status === 'paid' && invoice.status !== 'paid') await emitInvoicePaid(tx, updated);
  return updated;
}

function statusAfterAdjustment(current: InvoiceStatus, amountPaid: number, balance: number): InvoiceStatus {
  if (
    current !== 'open' &&
    current !== 'partially_paid' &&
    current !== 'paid' &&
    current !== 'uncollectible'
  ) {
    throw new Error(`an invoice that is ${current} does not take payment changes`);
  }
  if (balance === 0) return 'paid';
  if (current === 'uncollectible') return 'uncollectible';
  return amountPaid > 0 ? 'partially_paid' : 'open';
}

async function reopenPaidBillables(tx: Queryable, invoice: Invoice): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    `UPDATE billables SET status = 'invoiced', updated_at = now()
     WHERE tenant_id = $1 AND invoice_id = $2 AND status = 'paid' RETURNING id`,
    [invoice.tenantId, invoice.id],
  );
  return rows.map((row) => row.id).sort();
}
