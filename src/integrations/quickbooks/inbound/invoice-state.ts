import { cancelInvoiceRun } from '../../../workflows/engine/cancel.js';
import { canTransitionInvoice, money, toDecimalString, transitionInvoice } from '../../../domain/index.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import {
  getInvoice,
  type Invoice,
  type InvoicePatch,
  updateInvoice,
} from '../../../store/repositories/invoices.js';
import { moveInvoiceBillables } from '../../../store/repositories/invoices-billables.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { toMinor } from './amounts.js';
import {
  appendOnce,
  ignored,
  type PullContext,
  type PullOutcome,
  processed,
  quickbooksActor,
} from './context.js';
import { taggedLocalId } from './tags.js';

/**
 * Our invoice behind a QuickBooks invoice, locked for the rest of the transaction: by the link the
 * push (or an import) stored, else by the push's PrivateNote tag (the push created it a moment ago
 * and its link is about to commit). undefined: a QuickBooks invoice that is not one of ours.
 */
export async function resolveInvoice(
  tx: Queryable,
  ctx: PullContext,
  qboInvoiceId: string,
  object: QboObject | undefined,
): Promise<Invoice | undefined> {
  const link = await findLinkByExternal(tx, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    externalId: qboInvoiceId,
  });
  const localId = link?.localId ?? (object ? taggedLocalId(object, 'inv') : undefined);
  if (!localId) return undefined;
  return getInvoice(tx, ctx.tenantId, localId, { forUpdate: true });
}

/** QuickBooks keeps a voided invoice with zero amounts and "Voided" before its PrivateNote. */
export function isVoidedInQuickBooks(object: QboObject, currency: string): boolean {
  const note = object.PrivateNote;
  return typeof note === 'string' && note.startsWith('Voided') && toMinor(object.TotalAmt, currency) === 0;
}

/** Voided in QuickBooks: ours is voided too, when our state allows it; a conflict note otherwise. */
export async function voidFromQuickBooks(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  qboInvoiceId: string,
): Promise<PullOutcome> {
  if (invoice.status === 'void') return ignored('the invoice is already void');
  const data = { quickbooks_invoice_id: qboInvoiceId };
  if (!canTransitionInvoice(invoice.status, 'void')) {
    const paid = `${toDecimalString(money(invoice.amountPaid, invoice.currency))} ${invoice.currency}`;
    const message =
      invoice.amountPaid > 0
        ? `Invoice was voided in QuickBooks, but ${paid} of payments are recorded here; it stays ` +
          `${invoice.status.replaceAll('_', ' ')} — refund or adjust it by hand`
        : `Invoice was voided in QuickBooks, but it is ${invoice.status.replaceAll('_', ' ')} here; it stays so`;
    await appendOnce(
      tx,
      { tenantId: ctx.tenantId, invoiceId: invoice.id, kind: 'quickbooks.void_conflict', message, data },
      'quickbooks_invoice_id',
      ctx.via,
    );
    return ignored(`conflict: ${message}`);
  }
  await moveStatus(tx, ctx, invoice, 'void', 'invoice.voided', 'Invoice was voided in QuickBooks', data);
  return processed;
}

/** Deleted in QuickBooks: ours is archived (a sent invoice is never deleted here). */
export async function archiveFromQuickBooks(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  qboInvoiceId: string,
): Promise<PullOutcome> {
  if (invoice.status === 'archived') return ignored('the invoice is already archived');
  await moveStatus(
    tx,
    ctx,
    invoice,
    'archive',
    'invoice.archived',
    'Invoice was deleted in QuickBooks; archived here',
    {
      quickbooks_invoice_id: qboInvoiceId,
    },
  );
  return processed;
}

async function moveStatus(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  action: 'void' | 'archive',
  kind: string,
  message: string,
  data: Record<string, unknown>,
): Promise<Invoice> {
  const status = transitionInvoice(invoice.status, action);
  const patch: { -readonly [K in keyof InvoicePatch]: InvoicePatch[K] } = { status };
  let released: string[] = [];
  if (action === 'void') {
    patch.stamp = 'voided_at';
    released = await moveInvoiceBillables(tx, invoice.tenantId, invoice.id, 'release');
  }
  if (action === 'archive') patch.archivedFrom = invoice.status;
  const updated = await updateInvoice(tx, invoice.tenantId, invoice.id, patch);
  await appendInvoiceEvent(tx, {
    ...quickbooksActor(ctx.tenantId, ctx.via),
    invoiceId: invoice.id,
    kind,
    message,
    data: {
      from: invoice.status,
      to: status,
      ...data,
      ...(released.length > 0 && { released_billable_ids: released }),
    },
  });
  // Voided or deleted in QuickBooks: the invoice's workflow ends, as when it happens through our API.
  await cancelInvoiceRun(
    tx,
    invoice.tenantId,
    invoice.id,
    `the invoice was ${action === 'void' ? 'voided' : 'deleted'} in QuickBooks`,
  );
  return updated;
}
