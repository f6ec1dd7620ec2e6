import { money, toDecimalString } from '../../../domain/index.js';
import { PermanentJobError } from '../../../jobs/errors.js';
import type { Db, Queryable } from '../../../store/db.js';
import {
  type ExternalLink,
  findLinkByLocal,
  upsertLink,
} from '../../../store/repositories/external-links.js';
import { getInvoice, type InvoiceWithLines, withLines } from '../../../store/repositories/invoices.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import type { QboObject } from '../types.js';
import { fromQboAmount } from './amounts.js';
import { hasFault, noteTag, type QboSyncContext, qbo, quote, requestIdFor, translate } from './context.js';
import { ensureCustomer } from './customers.js';
import { currencyFacts } from './facts.js';
import { invoiceBody } from './invoice-body.js';
import {
  bumpQboInvoiceGeneration,
  deleteQboLink,
  getQboInvoiceSyncState,
  setQboInvoiceSyncState,
  writeInvoiceOutcome,
} from './store.js';
import { createOnce, updateFresh } from './writes.js';

/**
 * One invoice → its QuickBooks replica, converging on the invoice's current state: a sent invoice is
 * created once (requestid from our ids and the generation; after an uncertain answer, a lookup by
 * DocNumber and our `ledgerbridge:inv_…` private-note tag first), then its TotalAmt must be our total
 * to the cent; a voided one is voided there. Archived invoices are never deleted in QuickBooks.
 *
 * A TotalAmt that differs is never let through: the QuickBooks copy is deleted (it has no payments
 * yet: they are pushed after the invoice), the generation is bumped so a later push may create
 * afresh, and the job fails for good with both totals and their parts spelled out.
 */
export const QBO_ACTOR = 'quickbooks:sync';

export interface InvoiceSyncResult {
  readonly quickbooks_invoice_id: string | null;
  readonly action: 'created' | 'found' | 'voided' | 'unchanged' | 'skipped';
  readonly note?: string;
}

interface InvoiceLinkData {
  sync_token?: string;
  total?: number;
  voided?: boolean;
  generation?: number;
}

export async function loadInvoice(ctx: QboSyncContext, invoiceId: string): Promise<InvoiceWithLines> {
  const found = await getInvoice(ctx.db, ctx.tenantId, invoiceId);
  if (!found) throw new PermanentJobError(`invoice ${invoiceId} does not exist`);
  return withLines(ctx.db, found);
}

export async function invoiceLink(ctx: QboSyncContext, invoiceId: string): Promise<ExternalLink | undefined> {
  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    localId: invoiceId,
  });
  if (link && link.externalAccount !== ctx.realmId) {
    throw new PermanentJobError(
      `invoice ${invoiceId} is in QuickBooks company ${link.externalAccount}, not ${ctx.realmId}`,
    );
  }
  return link;
}

export async function syncInvoice(ctx: QboSyncContext, invoiceId: string): Promise<InvoiceSyncResult> {
  const invoice = await loadInvoice(ctx, invoiceId);
  if (invoice.status === 'draft') {
    throw new PermanentJobError(`invoice #${invoice.number} is a draft; only sent invoices go to QuickBooks`);
  }
  const link = await invoiceLink(ctx, invoice.id);
  if (invoice.status === 'void') return voidReplica(ctx, invoice, link);
  if (link)
    return { quickbooks_invoice_id: link.externalId, action: 'unchanged', note: 'already in QuickBooks' };
  if (invoice.status === 'archived') {
    return { quickbooks_invoice_id: null, action: 'skipped', note: 'archived before it reached QuickBooks' };
  }
  return createReplica(ctx, invoice);
}

/** Our replica in QuickBooks, found by DocNumber and our private-note tag (a create whose answer was lost). */
export async function findReplica(
  ctx: QboSyncContext,
  invoice: InvoiceWithLines,
): Promise<QboObject | undefined> {
  const found = await qbo(`look up invoice #${invoice.number} in QuickBooks`, () =>
    ctx.client.query(`SELECT * FROM Invoice WHERE DocNumber = ${quote(String(invoice.number))}`),
  );
  return found.find((candidate) => String(candidate.PrivateNote ?? '').includes(noteTag(invoice.id)));
}

async function createReplica(ctx: QboSyncContext, invoice: InvoiceWithLines): Promise<InvoiceSyncResult> {
  const { home, multiCurrency } = await currencyFacts(ctx);
  if (invoice.currency !== home && !multiCurrency) {
    throw new PermanentJobError(
      `invoice #${invoice.number} is in ${invoice.currency} but the QuickBooks company keeps its books in ${home} ` +
        'without multicurrency; turn on multicurrency in QuickBooks to sync it',
    );
  }
  const generation = (await getQboInvoiceSyncState(ctx.db, ctx.tenantId, invoice.id))?.generation ?? 0;
  const customerId = await ensureCustomer(
    ctx,
    invoice.contactId,
    invoice.currency === home ? undefined : invoice.currency,
  );
  const body = await invoiceBody(ctx, invoice, customerId);
  let created: { object: QboObject; found: boolean };
  try {
    created = await createOnce(
      ctx,
      `create invoice #${invoice.number} in QuickBooks`,
      'Invoice',
      body,
      requestIdFor(ctx, 'invoice', invoice.id, generation),
      () => findReplica(ctx, invoice),
    );
  } catch (error) {
    if (!hasFault(error, '6140')) throw error;
    const ours = await findReplica(ctx, invoice);
    if (!ours) {
      throw new PermanentJobError(
        `QuickBooks already has an invoice numbered ${invoice.number} that ledgerbridge did not create; ` +
          'renumber one of them in QuickBooks, then retry',
        { cause: error },
      );
    }
    created = { object: ours, found: true };
  }
  const replica = created.object;
  if (replica.Id === undefined) throw new PermanentJobError('QuickBooks returned an invoice without an Id');
  await saveLink(ctx, ctx.db, invoice.id, replica, { generation });
  await verifyTotal(ctx, invoice, replica);
  await succeeded(ctx, invoice.id, replica.Id, created.found ? 'found' : 'created');
  return { quickbooks_invoice_id: replica.Id, action: created.found ? 'found' : 'created' };
}

export async function saveLink(
  ctx: QboSyncContext,
  tx: Queryable,
  invoiceId: string,
  replica: QboObject,
  extra: InvoiceLinkData,
) {
  await upsertLink(tx, {
    tenantId: ctx.tenantId,
    provider: 'quickbooks',
    localType: 'invoice',
    localId: invoiceId,
    externalId: replica.Id ?? '',
    externalAccount: ctx.realmId,
    // due_date: what QuickBooks answered (its terms' date when we sent none): the pull tells our own
    // write coming back from a person's due-date edit by it (inbound/own-writes.ts).
    data: {
      ...extra,
      sync_token: replica.SyncToken,
      total: replica.TotalAmt,
      due_date: replica.DueDate ?? null,
    },
  });
}

/** The sentence the timeline and the API show when QuickBooks' total is not ours. */
export function totalMismatch(invoice: InvoiceWithLines, replica: QboObject): string | undefined {
  const theirs = fromQboAmount(replica.TotalAmt, invoice.currency);
  if (theirs === invoice.total) return undefined;
  const show = (amount: number | undefined, raw: unknown) =>
    amount === undefined
      ? String(raw)
      : `${toDecimalString(money(amount, invoice.currency))} ${invoice.currency}`;
  const tax = (replica.TxnTaxDetail as { TotalTax?: unknown } | undefined)?.TotalTax;
  const theirTax = fromQboAmount(tax ?? 0, invoice.currency);
  const detail =
    theirTax !== invoice.taxTotal
      ? ` (QuickBooks tax ${show(theirTax, tax)}, ours ${show(invoice.taxTotal, null)})`
      : '';
  return (
    `QuickBooks total ${show(theirs, replica.TotalAmt)} differs from ledgerbridge total ` +
    `${show(invoice.total, null)} on invoice #${invoice.number}${detail}`
  );
}

export async function verifyTotal(
  ctx: QboSyncContext,
  invoice: InvoiceWithLines,
  replica: QboObject,
): Promise<void> {
  const mismatch = totalMismatch(invoice, replica);
  if (mismatch === undefined) return;
  const id = replica.Id ?? '';
  let token = replica.SyncToken ?? '0';
  for (let attempt = 0; ; attempt += 1) {
    try {
      await ctx.client.delete('Invoice', { Id: id, SyncToken: token });
      break;
    } catch (error) {
      if (!hasFault(error, '5010') || attempt > 2)
        throw translate(`delete invoice ${id} from QuickBooks`, error);
      const fresh = await qbo(`read invoice ${id}`, () => ctx.client.read('Invoice', id));
      if (!fresh) break;
      token = fresh.SyncToken ?? token;
    }
  }
  await writeInvoiceOutcome(ctx.db, ctx.tenantId, invoice.id, async (tx) => {
    await deleteQboLink(tx, ctx.tenantId, 'invoice', invoice.id);
    await bumpQboInvoiceGeneration(tx, ctx.tenantId, invoice.id);
  });
  throw new PermanentJobError(
    `${mismatch}; the QuickBooks copy was deleted so the books never show a wrong total`,
  );
}

async function voidReplica(
  ctx: QboSyncContext,
  invoice: InvoiceWithLines,
  link: ExternalLink | undefined,
): Promise<InvoiceSyncResult> {
  let id = link?.externalId;
  let token = typeof link?.data.sync_token === 'string' ? link.data.sync_token : undefined;
  if (link?.data.voided === true)
    return { quickbooks_invoice_id: id ?? null, action: 'unchanged', note: 'already void' };
  if (id === undefined) {
    // Never linked; a push that timed out may still have created it.
    if (!(await getQboInvoiceSyncState(ctx.db, ctx.tenantId, invoice.id))) {
      return { quickbooks_invoice_id: null, action: 'skipped', note: 'voided before it reached QuickBooks' };
    }
    const found = await findReplica(ctx, invoice);
    if (!found?.Id)
      return { quickbooks_invoice_id: null, action: 'skipped', note: 'voided before it reached QuickBooks' };
    id = found.Id;
    token = found.SyncToken;
  }
  const replicaId = id;
  const voided = await updateFresh(
    ctx,
    `void invoice #${invoice.number} in QuickBooks`,
    'Invoice',
    replicaId,
    token,
    (current) => (current && String(current.PrivateNote ?? '').startsWith('Voided') ? undefined : {}),
    'void',
  );
  await saveLink(ctx, ctx.db, invoice.id, { ...voided, Id: replicaId }, { voided: true });
  await succeeded(ctx, invoice.id, replicaId, 'voided');
  return { quickbooks_invoice_id: replicaId, action: 'voided' };
}

export async function succeeded(
  ctx: Pick<QboSyncContext, 'db' | 'tenantId' | 'realmId'>,
  invoiceId: string,
  replicaId: string,
  action: string,
) {
  await writeInvoiceOutcome(ctx.db, ctx.tenantId, invoiceId, async (tx) => {
    await setQboInvoiceSyncState(tx, ctx.tenantId, invoiceId, 'synced', null);
    await appendInvoiceEvent(tx, {
      tenantId: ctx.tenantId,
      invoiceId,
      actor: QBO_ACTOR,
      system: 'quickbooks',
      kind: 'quickbooks.invoice_synced',
      message: 'Invoice was synced with QuickBooks',
      data: { quickbooks_invoice_id: replicaId, action, realm_id: ctx.realmId },
    });
  });
}

/** A push that will not be retried: the sync state says why, and so does the invoice's timeline. */
export async function markInvoiceFailed(
  db: Db,
  tenantId: string,
  invoiceId: string,
  message: string,
  data: Record<string, unknown>,
): Promise<void> {
  await writeInvoiceOutcome(db, tenantId, invoiceId, async (tx) => {
    await setQboInvoiceSyncState(tx, tenantId, invoiceId, 'failed', message);
    await appendInvoiceEvent(tx, {
      tenantId,
      invoiceId,
      actor: QBO_ACTOR,
      system: 'quickbooks',
      kind: 'quickbooks.sync_failed',
      message: `Invoice was not synced with QuickBooks: ${message}`,
      data,
    });
  });
}
