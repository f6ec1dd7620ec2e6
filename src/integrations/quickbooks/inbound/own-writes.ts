import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal } from '../../../store/repositories/external-links.js';
import { type Invoice, updateInvoice } from '../../../store/repositories/invoices.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { type PullContext, quickbooksActor, stringField } from './context.js';
import { taggedLocalId } from './tags.js';

/**
 * Our own writes come back through the pull like anyone's: a notification or a CDC sweep shows the
 * invoice the push created. An invoice sent without a due date gets one from QuickBooks on that
 * create (the customer's or the company's payment terms), and comparing it with ours (none) would
 * read as "due date was changed in QuickBooks" — a change nobody made.
 *
 * Such a date is recognised as QuickBooks' answer to our own write when it is the due date the push
 * recorded from QuickBooks' answer (link data `due_date`), or the object is the very version the push
 * recorded (`sync_token`: links written before due_date was recorded), or — the push's link not
 * committed yet — it is still the version our create made (tagged ours, SyncToken "0").
 *
 * It becomes our due date: the QuickBooks invoice, which QuickBooks may email and which its aging
 * reports use, is due then, and workflows (reminders, overdue steps) need a due date to act on.
 * It is recorded on the timeline as what it is, QuickBooks' terms, never as a person's change. Once
 * ours has a due date, any later difference is a person's edit (invoices.ts).
 */
export async function adoptTermsDueDate(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  qboInvoiceId: string,
  object: QboObject,
): Promise<Invoice | undefined> {
  const dueDate = stringField(object, 'DueDate');
  if (invoice.dueDate !== null || dueDate === undefined) return undefined;
  if (!(await isOwnWriteDueDate(tx, ctx, invoice, qboInvoiceId, object, dueDate))) return undefined;
  const updated = await updateInvoice(tx, ctx.tenantId, invoice.id, { dueDate });
  await appendInvoiceEvent(tx, {
    ...quickbooksActor(ctx.tenantId, ctx.via),
    invoiceId: invoice.id,
    kind: 'quickbooks.due_date_from_terms',
    message: `QuickBooks set the due date to ${dueDate} from its payment terms (the invoice was sent without one)`,
    data: {
      quickbooks_invoice_id: qboInvoiceId,
      quickbooks_sync_token: object.SyncToken ?? '',
      from_due_date: null,
      to_due_date: dueDate,
    },
  });
  return updated;
}

async function isOwnWriteDueDate(
  tx: Queryable,
  ctx: PullContext,
  invoice: Invoice,
  qboInvoiceId: string,
  object: QboObject,
  dueDate: string,
): Promise<boolean> {
  const link = await findLinkByExternal(tx, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    externalId: qboInvoiceId,
  });
  const token = typeof object.SyncToken === 'string' ? object.SyncToken : undefined;
  if (!link) return taggedLocalId(object, 'inv') === invoice.id && token === '0';
  if (link.localId !== invoice.id) return false;
  return link.data.due_date === dueDate || (token !== undefined && link.data.sync_token === token);
}
