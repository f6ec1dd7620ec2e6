import { isRevisable, reviseUnpaidInvoice } from '../../../billing/external-changes.js';
import { money, toDecimalString } from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import type { Invoice } from '../../../store/repositories/invoices.js';
import { getInvoiceLines } from '../../../store/repositories/invoices-lines.js';
import type { QboObject } from '../types.js';
import { toMinor } from './amounts.js';
import {
  appendOnce,
  type Commit,
  ignored,
  type PullContext,
  type PullOutcome,
  processed,
  quickbooksActor,
  stringField,
} from './context.js';
import { importInvoice } from './invoice-import.js';
import { lineDrafts } from './invoice-lines.js';
import { adoptTermsDueDate } from './own-writes.js';
import {
  archiveFromQuickBooks,
  isVoidedInQuickBooks,
  resolveInvoice,
  voidFromQuickBooks,
} from './invoice-state.js';
import { taggedLocalId } from './tags.js';

/**
 * One QuickBooks invoice, applied as it is NOW (so a repeated or late notification changes nothing):
 * - deleted → ours archived;
 * - voided → ours voided (or a conflict note when payments are recorded here);
 * - amount or due date changed while nobody has paid → ours follows (QuickBooks is the authority for
 *   those two on unpaid invoices); with payments recorded, a changed amount is a conflict note;
 * - the due date QuickBooks gave our own create (we sent none) → ours, as QuickBooks' terms, not as
 *   a change (own-writes.ts);
 * - not one of ours → imported when settings.invoices_pull is on (invoice-import.ts).
 */
export async function pullInvoice(
  ctx: PullContext,
  qboInvoiceId: string,
  object: QboObject | undefined,
  commit: Commit,
): Promise<PullOutcome> {
  if (object === undefined) {
    return commit(async (tx) => {
      const invoice = await resolveInvoice(tx, ctx, qboInvoiceId, undefined);
      if (!invoice) return ignored(`QuickBooks invoice ${qboInvoiceId} is not a ledgerbridge invoice`);
      return archiveFromQuickBooks(tx, ctx, invoice, qboInvoiceId);
    });
  }
  const known =
    (await findLinkByExternal(ctx.db, {
      tenantId: ctx.tenantId,
      provider: 'quickbooks',
      localType: 'invoice',
      externalId: qboInvoiceId,
    })) !== undefined || taggedLocalId(object, 'inv') !== undefined;
  if (!known) return importInvoice(ctx, qboInvoiceId, object, commit);
  return commit(async (tx) => {
    const invoice = await resolveInvoice(tx, ctx, qboInvoiceId, object);
    if (!invoice)
      return ignored(`the ledgerbridge invoice behind QuickBooks invoice ${qboInvoiceId} is gone`);
    return applyInvoiceState(tx, ctx, invoice, qboInvoiceId, object);
  });
}

async function applyInvoiceState(
  tx: Queryable,
  ctx: PullContext,
  pulled: Invoice,
  qboInvoiceId: string,
  object: QboObject,
): Promise<PullOutcome> {
  if (isVoidedInQuickBooks(object, pulled.currency)) return voidFromQuickBooks(tx, ctx, pulled, qboInvoiceId);
  if (pulled.status === 'void' || pulled.status === 'archived') {
    return ignored(`the invoice is ${pulled.status} here; QuickBooks changes no longer apply to it`);
  }
  // The due date QuickBooks' terms gave our own create is no person's change (own-writes.ts).
  const adopted = await adoptTermsDueDate(tx, ctx, pulled, qboInvoiceId, object);
  const invoice = adopted ?? pulled;
  const outcome = await followQuickBooks(tx, ctx, invoice, qboInvoiceId, object);
  return adopted && outcome.status === 'ignored' ? processed : outcome;
}

async function followQuickBooks(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  qboInvoiceId: string,
  object: QboObject,
): Promise<PullOutcome> {
  const total = toMinor(object.TotalAmt, invoice.currency);
  const dueDate = stringField(object, 'DueDate');
  const data = { quickbooks_invoice_id: qboInvoiceId, quickbooks_sync_token: object.SyncToken ?? '' };
  if (isRevisable(invoice)) {
    const amountChanged = total !== invoice.total;
    const current = amountChanged
      ? ((await getInvoiceLines(tx, ctx.tenantId, [invoice.id])).get(invoice.id) ?? [])
      : [];
    const tax = (object.TxnTaxDetail as { TotalTax?: unknown } | undefined)?.TotalTax;
    const { changed } = await reviseUnpaidInvoice(tx, quickbooksActor(ctx.tenantId, ctx.via), invoice, {
      ...(amountChanged && {
        lines: await lineDrafts(tx, ctx.tenantId, invoice.currency, object, current),
        total,
        ...(tax !== undefined && { taxTotal: toMinor(tax, invoice.currency) }),
      }),
      ...(dueDate !== undefined && { dueDate }),
      message: revisionMessage(amountChanged, dueDate !== undefined && dueDate !== invoice.dueDate),
      data,
    });
    return changed.length > 0 ? processed : ignored('the invoice already matches QuickBooks');
  }
  if (total !== invoice.total) {
    const show = (amount: number) =>
      `${toDecimalString(money(amount, invoice.currency))} ${invoice.currency}`;
    const message =
      `Invoice amount was changed in QuickBooks to ${show(total)}, but payments are recorded here; ` +
      `it stays ${show(invoice.total)} — adjust it by hand`;
    await appendOnce(
      tx,
      {
        tenantId: ctx.tenantId,
        invoiceId: invoice.id,
        kind: 'quickbooks.amount_conflict',
        message,
        data: { ...data, quickbooks_total: total, total: invoice.total },
      },
      'quickbooks_sync_token',
      ctx.via,
    );
    return ignored(`conflict: ${message}`);
  }
  return ignored('nothing QuickBooks is the authority for has changed');
}

function revisionMessage(amount: boolean, dueDate: boolean): string {
  if (amount && dueDate) return 'Invoice amount and due date were changed in QuickBooks';
  if (amount) return 'Invoice amount was changed in QuickBooks';
  return 'Invoice due date was changed in QuickBooks';
}
