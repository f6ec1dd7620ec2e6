import { storeNewInvoice } from '../../../billing/invoices.js';
import { transitionInvoice } from '../../../domain/index.js';
import { findLinkByExternal, upsertLink } from '../../../store/repositories/external-links.js';
import { updateInvoice } from '../../../store/repositories/invoices.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { currencyOf, toMinor } from './amounts.js';
import {
  type Commit,
  ignored,
  lockImport,
  type PullContext,
  type PullOutcome,
  processed,
  qbo,
  quickbooksActor,
  readObject,
  refValue,
  stringField,
} from './context.js';
import { contactForCustomer } from './customers.js';
import { lineDrafts } from './invoice-lines.js';
import { isVoidedInQuickBooks } from './invoice-state.js';

/**
 * An invoice a person created in QuickBooks becomes a ledgerbridge invoice, once, when
 * settings.invoices_pull is on (and, with invoice_scope 'new_only', only if it was created after
 * connecting). Its customer becomes its contact: the linked one, else one matched by email or name,
 * else imported. It arrives open (it is already issued in QuickBooks), with QuickBooks' lines and
 * total; payments already applied to it follow through its LinkedTxn (pull.ts). The link is stored
 * in the same transaction, and its unique key makes a second import of the same invoice (a webhook
 * and a CDC sweep at once) fail and retry into "already imported". Nothing is pushed back.
 */
export async function importInvoice(
  ctx: PullContext,
  qboInvoiceId: string,
  object: QboObject,
  commit: Commit,
): Promise<PullOutcome> {
  const { settings, connection, client } = ctx.session;
  if (!settings.invoices_pull) return ignored('invoices_pull is off: QuickBooks invoices are not imported');
  const created = createdAt(object);
  // MetaData.CreateTime has whole seconds: the second we connected in still counts as after.
  const connectedSecond = Math.floor(connection.connectedAt.getTime() / 1000) * 1000;
  if (settings.invoice_scope === 'new_only' && created !== undefined && created.getTime() < connectedSecond) {
    return ignored('created in QuickBooks before it was connected (invoice_scope new_only)');
  }
  const currency = currencyOf(object, await homeCurrency(ctx));
  if (isVoidedInQuickBooks(object, currency)) return ignored('voided in QuickBooks; nothing to import');
  const customerId = refValue(object.CustomerRef);
  if (!customerId) return ignored(`QuickBooks invoice ${qboInvoiceId} names no customer`);
  const customerLinked = await findLinkByExternal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'contact',
    externalId: customerId,
  });
  const customer = customerLinked ? undefined : await readObject(client, 'Customer', customerId);

  return commit(async (tx) => {
    const link = { tenantId: ctx.tenantId, provider: 'quickbooks' as const, localType: 'invoice' as const };
    await lockImport(tx, ctx.tenantId, 'Invoice', qboInvoiceId);
    const existing = await findLinkByExternal(tx, { ...link, externalId: qboInvoiceId });
    if (existing) return ignored(`already imported as ${existing.localId}`);
    const contactId = await contactForCustomer(tx, ctx, customerId, customer);
    if (!contactId) return ignored(`QuickBooks customer ${customerId} cannot be read; nothing to import`);
    const drafts = await lineDrafts(tx, ctx.tenantId, currency, object, []);
    if (drafts.length === 0) return ignored(`QuickBooks invoice ${qboInvoiceId} has no sales lines`);
    const memo = (object.CustomerMemo as { value?: unknown } | undefined)?.value;
    const draft = await storeNewInvoice(
      tx,
      quickbooksActor(ctx.tenantId, ctx.via),
      contactId,
      currency,
      drafts,
      {
        dueDate: stringField(object, 'DueDate') ?? null,
        memo: typeof memo === 'string' && memo !== '' ? memo : null,
        formType: 'invoice',
      },
    );
    const total = toMinor(object.TotalAmt, currency);
    const tax = (object.TxnTaxDetail as { TotalTax?: unknown } | undefined)?.TotalTax;
    const invoice = await updateInvoice(tx, ctx.tenantId, draft.id, {
      status: transitionInvoice('draft', 'send'),
      stamp: 'sent_at',
      // QuickBooks' total stands (its tax and discount lines are not lines here).
      total,
      balance: total,
      ...(tax !== undefined && { taxTotal: toMinor(tax, currency) }),
    });
    await upsertLink(tx, {
      ...link,
      localId: invoice.id,
      externalId: qboInvoiceId,
      externalAccount: client.realmId,
      data: { imported: true, doc_number: object.DocNumber ?? null },
    });
    const doc = typeof object.DocNumber === 'string' ? ` ${object.DocNumber}` : '';
    await appendInvoiceEvent(tx, {
      ...quickbooksActor(ctx.tenantId, ctx.via),
      invoiceId: invoice.id,
      kind: 'invoice.imported',
      message: `Invoice${doc} was created in QuickBooks and imported`,
      data: { quickbooks_invoice_id: qboInvoiceId, total, from: 'draft', to: invoice.status },
    });
    return processed;
  });
}

function createdAt(object: QboObject): Date | undefined {
  const text = (object.MetaData as { CreateTime?: unknown } | undefined)?.CreateTime;
  if (typeof text !== 'string') return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const homeCurrencies = new WeakMap<object, string>();

/** The company's home currency (Preferences), read once per session. */
export async function homeCurrency(ctx: PullContext): Promise<string> {
  const known = homeCurrencies.get(ctx.session);
  if (known) return known;
  const [preferences] = await qbo('read the QuickBooks company preferences', () =>
    ctx.session.client.query('SELECT * FROM Preferences'),
  );
  const home = (preferences?.CurrencyPrefs as { HomeCurrency?: { value?: unknown } } | undefined)
    ?.HomeCurrency?.value;
  const currency = typeof home === 'string' && /^[A-Z]{3}$/.test(home) ? home : 'USD';
  homeCurrencies.set(ctx.session, currency);
  return currency;
}
