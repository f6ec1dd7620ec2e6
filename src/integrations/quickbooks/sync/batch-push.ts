import { PermanentJobError, RetryableJobError } from '../../../jobs/errors.js';
import type { Contact } from '../../../store/repositories/contacts.js';
import type { InvoiceWithLines } from '../../../store/repositories/invoices.js';
import { type QboBatchItem, type QboBatchResult, type QboObject, QboUncertainError } from '../types.js';
import { noteTag, type QboSyncContext, qbo, quote, requestIdFor, translate } from './context.js';
import {
  byEmailQuery,
  contactLink,
  ensureCustomer,
  linkCustomer,
  loadContact,
  newCustomerBody,
  pickCustomer,
} from './customers.js';
import { currencyFacts } from './facts.js';
import { invoiceBody } from './invoice-body.js';
import { markInvoiceFailed, saveLink, succeeded, verifyTotal } from './invoice-push.js';
import { getQboInvoiceSyncState } from './store.js';

/**
 * Many invoices in a few requests (the backfill): QuickBooks' batch endpoint takes 30 operations per
 * request, so a page of 30 invoices costs one batch of email lookups and one of creates for the
 * customers it lacks, then one batch creating the invoices — instead of up to 90 requests.
 *
 * The same guarantees as one-by-one: the batch's `requestid` comes from the ids (and generations) in
 * it, so a retried batch is replayed; after an uncertain answer, or on a retry, the invoices are
 * looked up by DocNumber and our tag first; each invoice's TotalAmt is checked to the cent. An item
 * that fails fails only its invoice (state + timeline); a customer whose batch create fails goes the
 * one-by-one way (which resolves DisplayName clashes).
 */
export const BATCH_LIMIT = 30;

export interface BatchOutcome {
  readonly created: number;
  readonly found: number;
  readonly failed: number;
}

function outcomeOf(results: readonly QboBatchResult[], bId: string): QboBatchResult | undefined {
  return results.find((result) => result.bId === bId);
}

/** Customers for the contacts of the page: linked, found by email (one batch), or created (one batch). */
export async function customersFor(
  ctx: QboSyncContext,
  wanted: readonly { readonly contactId: string; readonly currency: string }[],
  home: string,
): Promise<Map<string, string>> {
  if (wanted.length > BATCH_LIMIT) throw new RangeError(`at most ${BATCH_LIMIT} customers per batch`);
  const customers = new Map<string, string>();
  const missing: { contact: Contact; currency: string | undefined }[] = [];
  for (const { contactId, currency } of wanted) {
    if (customers.has(contactId) || missing.some((m) => m.contact.id === contactId)) continue;
    const link = await contactLink(ctx, contactId);
    if (link) customers.set(contactId, link.externalId);
    else
      missing.push({
        contact: await loadContact(ctx, contactId),
        currency: currency === home ? undefined : currency,
      });
  }
  const withEmail = missing.filter((m) => m.contact.email !== null);
  if (withEmail.length > 0) {
    const found = await qbo('look up customers by email in QuickBooks', () =>
      ctx.client.batch(
        withEmail.map((m, index) => ({ bId: `q${index}`, query: byEmailQuery(m.contact.email ?? '') })),
      ),
    );
    const taken = new Set<string>();
    for (const [index, m] of withEmail.entries()) {
      const result = outcomeOf(found, `q${index}`);
      const rows = result && 'rows' in result ? result.rows : [];
      const customer = await pickCustomer(ctx, m.contact, rows, taken);
      if (customer?.Id === undefined) continue;
      taken.add(customer.Id);
      customers.set(m.contact.id, await linkCustomer(ctx, m.contact, customer));
    }
  }
  const toCreate = missing.filter((m) => !customers.has(m.contact.id));
  if (toCreate.length === 0) return customers;
  let created: QboBatchResult[] = [];
  try {
    created = await ctx.client.batch(
      toCreate.map((m, index) => ({
        bId: `c${index}`,
        operation: 'create',
        entity: 'Customer',
        body: newCustomerBody(m.contact, m.currency),
      })),
      { requestId: requestIdFor(ctx, 'customer-batch', ...toCreate.map((m) => m.contact.id)) },
    );
  } catch (error) {
    if (!(error instanceof QboUncertainError)) throw translate('create customers in QuickBooks', error);
    // Whatever landed is found by the one-by-one path below (DisplayName + our tag).
  }
  for (const [index, m] of toCreate.entries()) {
    const result = outcomeOf(created, `c${index}`);
    customers.set(
      m.contact.id,
      result && 'object' in result
        ? await linkCustomer(ctx, m.contact, result.object)
        : await ensureCustomer(ctx, m.contact.id, m.currency),
    );
  }
  return customers;
}

/** Our replicas among the invoices numbered like these (a batch whose answer was lost). */
async function replicasByNumber(
  ctx: QboSyncContext,
  invoices: readonly InvoiceWithLines[],
): Promise<Map<string, QboObject>> {
  const numbers = invoices.map((invoice) => quote(String(invoice.number))).join(', ');
  const rows = await qbo('look up invoices in QuickBooks', () =>
    ctx.client.query(`SELECT * FROM Invoice WHERE DocNumber IN (${numbers}) MAXRESULTS 1000`),
  );
  const found = new Map<string, QboObject>();
  for (const invoice of invoices) {
    const replica = rows.find((row) => String(row.PrivateNote ?? '').includes(noteTag(invoice.id)));
    if (replica) found.set(invoice.id, replica);
  }
  return found;
}

/** Pushes up to 30 sent invoices that are not in QuickBooks yet. */
export async function pushInvoiceBatch(
  ctx: QboSyncContext,
  invoices: readonly InvoiceWithLines[],
): Promise<BatchOutcome> {
  if (invoices.length > BATCH_LIMIT) throw new RangeError(`at most ${BATCH_LIMIT} invoices per batch`);
  const { home, multiCurrency } = await currencyFacts(ctx);
  let failed = 0;
  const pushable: InvoiceWithLines[] = [];
  for (const invoice of invoices) {
    if (invoice.currency !== home && !multiCurrency) {
      failed += 1;
      await markInvoiceFailed(
        ctx.db,
        ctx.tenantId,
        invoice.id,
        `invoice #${invoice.number} is in ${invoice.currency} but QuickBooks keeps ${home} without multicurrency`,
        {},
      );
    } else pushable.push(invoice);
  }
  if (pushable.length === 0) return { created: 0, found: 0, failed };
  const customers = await customersFor(ctx, pushable, home);

  const bodies = new Map<string, QboObject>();
  for (const invoice of pushable)
    bodies.set(invoice.id, await invoiceBody(ctx, invoice, customers.get(invoice.contactId) ?? ''));

  const existing = ctx.retrying ? await replicasByNumber(ctx, pushable) : new Map<string, QboObject>();
  const toCreate = pushable.filter((invoice) => !existing.has(invoice.id));
  const generations = await Promise.all(
    toCreate.map(
      async (invoice) => (await getQboInvoiceSyncState(ctx.db, ctx.tenantId, invoice.id))?.generation ?? 0,
    ),
  );
  const items: QboBatchItem[] = toCreate.map((invoice, index) => ({
    bId: `i${index}`,
    operation: 'create',
    entity: 'Invoice',
    body: bodies.get(invoice.id) ?? {},
  }));
  let results: QboBatchResult[] = [];
  if (items.length > 0) {
    const requestId = requestIdFor(
      ctx,
      'invoice-batch',
      ...toCreate.map((invoice, index) => `${invoice.id}:${generations[index] ?? 0}`),
    );
    try {
      results = await ctx.client.batch(items, { requestId });
    } catch (error) {
      if (!(error instanceof QboUncertainError)) throw translate('create invoices in QuickBooks', error);
      for (const [id, replica] of await replicasByNumber(ctx, toCreate)) existing.set(id, replica);
      if (toCreate.some((invoice) => !existing.has(invoice.id))) {
        throw new RetryableJobError(`QuickBooks did not answer a batch of invoices: ${error.message}`);
      }
    }
  }

  let created = 0;
  let found = 0;
  for (const invoice of pushable) {
    const adopted = existing.get(invoice.id);
    const result = adopted ? undefined : outcomeOf(results, `i${toCreate.indexOf(invoice)}`);
    const replica = adopted ?? (result && 'object' in result ? result.object : undefined);
    try {
      if (!replica?.Id) {
        const reason =
          result && 'fault' in result
            ? `QuickBooks refused invoice #${invoice.number}: ${result.fault.message}`
            : 'no answer for it in the batch';
        throw new PermanentJobError(reason);
      }
      await saveLink(ctx, ctx.db, invoice.id, replica, {
        generation: generations[toCreate.indexOf(invoice)] ?? 0,
      });
      await verifyTotal(ctx, invoice, replica);
      await succeeded(ctx, invoice.id, replica.Id, adopted ? 'found' : 'created');
      if (adopted) found += 1;
      else created += 1;
    } catch (error) {
      if (!(error instanceof PermanentJobError)) throw error;
      failed += 1;
      await markInvoiceFailed(ctx.db, ctx.tenantId, invoice.id, error.message, {
        job_id: ctx.job.id,
        batch: true,
      });
    }
  }
  return { created, found, failed };
}
