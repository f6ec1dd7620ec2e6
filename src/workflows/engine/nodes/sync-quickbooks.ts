import { readConnectionSettings } from '../../../integrations/quickbooks/connection/connection-settings.js';
import {
  enqueueQboInvoiceSync,
  enqueueQboPaymentPush,
  QBO_SYNC_INVOICE_JOB,
  QBO_SYNC_PAYMENT_JOB,
} from '../../../integrations/quickbooks/sync/enqueue.js';
import type { Queryable } from '../../../store/db.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import { paymentFromRow } from '../../../store/repositories/payments.js';
import type { NodeExecution, Outcome } from '../types.js';
import { awaitedJobs, RECHECK_QUEUED_MS, RECHECK_RUNNING_MS } from './awaited-jobs.js';
import { invoiceOf } from './invoice.js';

/** Payments recorded here (not pulled from QuickBooks, which has them) on the invoice. */
async function pushablePayments(tx: Queryable, tenantId: string, invoiceId: string) {
  const rows = await tx.query(
    `SELECT * FROM payments WHERE tenant_id = $1 AND invoice_id = $2 AND source <> 'quickbooks' ORDER BY id`,
    [tenantId, invoiceId],
  );
  return rows.map(paymentFromRow);
}

function quickbooksJobKeys(invoiceId: string, payments: readonly { id: string }[]): string[] {
  return [
    `${QBO_SYNC_INVOICE_JOB}:${invoiceId}:send`,
    ...payments.map((payment) => `${QBO_SYNC_PAYMENT_JOB}:${payment.id}`),
  ];
}

/** The QuickBooks jobs the step waits for on this invoice, by dedupe key (see reviveDeadJobs). */
export async function syncQuickbooksJobKeys(
  tx: Queryable,
  tenantId: string,
  invoiceId: string,
): Promise<string[]> {
  return quickbooksJobKeys(invoiceId, await pushablePayments(tx, tenantId, invoiceId));
}

/**
 * sync_quickbooks: QuickBooks gets the invoice's current state — the invoice itself and every
 * payment recorded on it here — through the QuickBooks push's own jobs. Each of those exists once
 * (dedupe keys per invoice and per payment), so this step only makes sure they are enqueued, and
 * completes when all of them succeeded: woken when one finishes, with a fallback look. Nothing is
 * written to QuickBooks by the step itself, so running it again can never write twice.
 */
export async function runSyncQuickbooks(execution: NodeExecution): Promise<Outcome> {
  const invoice = await invoiceOf(execution);
  if (!invoice) return { kind: 'fail', error: 'sync_quickbooks needs an invoice, and this run has none' };
  const { db } = execution.deps;
  const connection = await getLiveConnection(db, invoice.tenantId, 'quickbooks');
  if (!connection) return { kind: 'fail', error: 'QuickBooks is not connected' };
  if (!readConnectionSettings(connection).invoices_push) {
    return { kind: 'fail', error: 'the QuickBooks connection has invoices_push turned off' };
  }
  if (invoice.status === 'draft') {
    return { kind: 'fail', error: 'the invoice is a draft; only sent invoices go to QuickBooks' };
  }
  const keys = await db.transaction(async (tx) => {
    await enqueueQboInvoiceSync(tx, invoice.tenantId, invoice, 'send', 'workflow');
    const payments = await pushablePayments(tx, invoice.tenantId, invoice.id);
    for (const payment of payments) await enqueueQboPaymentPush(tx, invoice.tenantId, payment);
    return quickbooksJobKeys(invoice.id, payments);
  });
  const jobs = await awaitedJobs(db, invoice.tenantId, keys);
  const invoiceKey = keys[0] ?? '';
  if (!jobs.some((job) => job.dedupeKey === invoiceKey)) {
    // The connection's invoice_scope leaves this invoice out (created before connecting).
    return {
      kind: 'done',
      follow: ['next'],
      result: { skipped: 'the invoice is outside the QuickBooks invoice scope' },
    };
  }
  const failed = jobs.find((job) => job.state === 'dead' || job.state === 'cancelled');
  if (failed) {
    return { kind: 'fail', error: `the QuickBooks push failed: ${failed.lastError ?? failed.state}` };
  }
  if (jobs.every((job) => job.state === 'succeeded')) {
    return { kind: 'done', follow: ['next'], result: { pushed: jobs.map((job) => job.dedupeKey) } };
  }
  const running = jobs.some((job) => job.state === 'running');
  return {
    kind: 'wait',
    waitingFor: 'quickbooks_sync',
    recheckMs: running ? RECHECK_RUNNING_MS : RECHECK_QUEUED_MS,
  };
}
