import { enqueue } from '../../../jobs/queue.js';
import { getInvoice, type InvoiceWithLines, withLines } from '../../../store/repositories/invoices.js';
import { getPayment } from '../../../store/repositories/payments.js';
import { BATCH_LIMIT, type BatchOutcome, customersFor, pushInvoiceBatch } from './batch-push.js';
import type { QboSyncContext } from './context.js';
import { enqueueQboPaymentPush, QBO_BATCH_JOB, QBO_SYNC_MAX_ATTEMPTS, realmKey } from './enqueue.js';
import { currencyFacts } from './facts.js';
import { ensureItem } from './items.js';
import { setQboInvoiceSyncState } from './store.js';

/**
 * `invoice_scope: 'backfill'`: every invoice sent before (open, partially paid, paid, uncollectible)
 * that is not in QuickBooks yet is pushed, 30 to a batch request. The backfill job only pages through
 * them and enqueues one `quickbooks.sync.invoice_batch` job per page, so pages run side by side (under
 * the realm's limits); each page job pushes its invoices (batch-push.ts), then enqueues their
 * payments' jobs. A re-run skips what is linked already.
 */
export async function runBackfill(
  ctx: QboSyncContext,
): Promise<{ customers: number; invoices: number; pages: number }> {
  const customers = await backfillCustomers(ctx);
  let after = '';
  const totals = { customers, invoices: 0, pages: 0 };
  for (;;) {
    const page = await ctx.db.query<{ id: string }>(
      `SELECT i.id FROM invoices i
       WHERE i.tenant_id = $1 AND i.id > $2 AND i.status IN ('open', 'partially_paid', 'paid', 'uncollectible')
         AND NOT EXISTS (SELECT 1 FROM external_links l WHERE l.tenant_id = i.tenant_id AND l.provider = 'quickbooks'
                           AND l.local_type = 'invoice' AND l.local_id = i.id)
       ORDER BY i.id LIMIT ${BATCH_LIMIT}`,
      [ctx.tenantId, after],
    );
    if (page.length === 0) return totals;
    after = page[page.length - 1]?.id ?? after;
    const ids = page.map((row) => row.id);
    await ctx.db.transaction(async (tx) => {
      for (const id of ids) await setQboInvoiceSyncState(tx, ctx.tenantId, id, 'pending', null);
      await enqueue(tx, {
        tenantId: ctx.tenantId,
        type: QBO_BATCH_JOB,
        payload: { invoice_ids: ids },
        concurrencyKey: realmKey(ctx.realmId),
        maxAttempts: QBO_SYNC_MAX_ATTEMPTS,
      });
    });
    totals.invoices += ids.length;
    totals.pages += 1;
  }
}

/**
 * The customers of every invoice to backfill, 30 contacts to a batch, and their items, before any
 * page runs: pages running side by side then never race to create the same customer or item.
 */
async function backfillCustomers(ctx: QboSyncContext): Promise<number> {
  const { home } = await currencyFacts(ctx);
  const wanted = await ctx.db.query<{ contact_id: string; currency: string }>(
    `SELECT DISTINCT ON (i.contact_id) i.contact_id, i.currency FROM invoices i
     WHERE i.tenant_id = $1 AND i.status IN ('open', 'partially_paid', 'paid', 'uncollectible')
       AND NOT EXISTS (SELECT 1 FROM external_links l WHERE l.tenant_id = i.tenant_id AND l.provider = 'quickbooks'
                         AND l.local_type = 'contact' AND l.local_id = i.contact_id)
     ORDER BY i.contact_id, i.created_at`,
    [ctx.tenantId],
  );
  for (let start = 0; start < wanted.length; start += BATCH_LIMIT) {
    const group = wanted.slice(start, start + BATCH_LIMIT);
    await customersFor(
      ctx,
      group.map((row) => ({ contactId: row.contact_id, currency: row.currency })),
      home,
    );
  }
  // Their items too, for the same reason.
  const services = await ctx.db.query<{ service_id: string }>(
    `SELECT DISTINCT l.service_id FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
     WHERE l.tenant_id = $1 AND l.service_id IS NOT NULL AND i.status IN ('open', 'partially_paid', 'paid', 'uncollectible')
     ORDER BY l.service_id`,
    [ctx.tenantId],
  );
  for (const { service_id: serviceId } of services) await ensureItem(ctx, serviceId);
  return wanted.length;
}

/** One page of the backfill: its invoices in one batch, then their payments' jobs. */
export async function runInvoiceBatch(
  ctx: QboSyncContext,
  invoiceIds: readonly string[],
): Promise<BatchOutcome> {
  const invoices: InvoiceWithLines[] = [];
  for (const id of invoiceIds) {
    const invoice = await getInvoice(ctx.db, ctx.tenantId, id);
    if (invoice && ['open', 'partially_paid', 'paid', 'uncollectible'].includes(invoice.status)) {
      invoices.push(await withLines(ctx.db, invoice));
    }
  }
  const outcome = await pushInvoiceBatch(ctx, invoices);
  await ctx.db.transaction(async (tx) => {
    const paid = await tx.query<{ id: string }>(
      `SELECT id FROM payments WHERE tenant_id = $1 AND invoice_id = ANY($2::text[]) AND source <> 'quickbooks'
       ORDER BY created_at, id`,
      [ctx.tenantId, invoices.map((invoice) => invoice.id)],
    );
    for (const { id } of paid) {
      const payment = await getPayment(tx, ctx.tenantId, id);
      if (payment) await enqueueQboPaymentPush(tx, ctx.tenantId, payment);
    }
  });
  return outcome;
}
