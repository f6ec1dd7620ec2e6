import { enqueue } from '../../../jobs/queue.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { type Connection, getLiveConnection } from '../../../store/repositories/integration-connections.js';
import type { Payment } from '../../../store/repositories/payments.js';
import { readConnectionSettings } from '../connection/connection-settings.js';
import { setQboInvoiceSyncState } from './store.js';

/**
 * The jobs of the outbound QuickBooks sync, enqueued inside the transaction of the change that causes
 * them (the job exists if and only if the change commits), only while the tenant has a live
 * QuickBooks connection with `invoices_push` on.
 *
 * NO ECHO. Changes the inbound sync applies come from QuickBooks and must not go back:
 * - payments and refunds with `source: 'quickbooks'` are never pushed;
 * - invoice changes made by an actor of the QuickBooks system (`quickbooks:…`, e.g. the pull's
 *   `quickbooks:webhook` voiding an invoice voided in QuickBooks) are never pushed.
 * Every enqueue below applies that rule itself, so callers cannot forget it.
 *
 * Throttling: every job carries the realm's concurrency key, limited (job_queue_limits) to fewer
 * concurrent jobs than QuickBooks' 10 concurrent requests and fewer starts per minute than its 500
 * requests, so a burst of pushes queues here instead of stampeding into 429s.
 */
export const QBO_SYNC_CONTACT_JOB = 'quickbooks.sync.contact';
export const QBO_SYNC_SERVICE_JOB = 'quickbooks.sync.service';
export const QBO_SYNC_INVOICE_JOB = 'quickbooks.sync.invoice';
export const QBO_SYNC_PAYMENT_JOB = 'quickbooks.sync.payment';
export const QBO_SYNC_REFUND_JOB = 'quickbooks.sync.refund';
export const QBO_SYNC_DEPOSIT_JOB = 'quickbooks.sync.deposit';
export const QBO_BACKFILL_JOB = 'quickbooks.sync.backfill';
/** One page (≤ 30) of the backfill, enqueued by the backfill job itself. */
export const QBO_BATCH_JOB = 'quickbooks.sync.invoice_batch';

/** Throttling snoozes without spending attempts; these bound real failures (timeouts, 5xx). */
export const QBO_SYNC_MAX_ATTEMPTS = 25;

/**
 * Per realm, across every worker process: fewer jobs at once than QuickBooks' 10 concurrent requests
 * (the pull shares them), and no more job starts a minute than its 500 requests (every job makes at
 * least one). Within a process, pace.ts spaces the requests themselves.
 */
export const REALM_LIMIT = { maxConcurrent: 6, perMinute: 500 } as const;

export function realmKey(realmId: string): string {
  return `quickbooks:realm:${realmId}`;
}

/** True for actors of the QuickBooks system (the inbound sync): their changes are not pushed back. */
export function isQuickBooksActor(actor: string): boolean {
  return actor === 'quickbooks' || actor.startsWith('quickbooks:');
}

async function pushConnection(tx: Queryable, tenantId: string): Promise<Connection | undefined> {
  const connection = await getLiveConnection(tx, tenantId, 'quickbooks');
  if (!connection || !readConnectionSettings(connection).invoices_push) return undefined;
  // The realm's limits, once (an operator's own limits are kept).
  await tx.query(
    `INSERT INTO job_queue_limits (key, max_concurrent, per_minute) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
    [realmKey(connection.externalAccountId), REALM_LIMIT.maxConcurrent, REALM_LIMIT.perMinute],
  );
  return connection;
}

async function add(
  tx: Queryable,
  connection: Connection,
  type: string,
  payload: Record<string, string>,
  keys: { orderingKey: string; dedupeKey?: string },
): Promise<boolean> {
  const { created } = await enqueue(tx, {
    tenantId: connection.tenantId,
    type,
    payload,
    orderingKey: keys.orderingKey,
    ...(keys.dedupeKey === undefined ? {} : { dedupeKey: keys.dedupeKey }),
    concurrencyKey: realmKey(connection.externalAccountId),
    maxAttempts: QBO_SYNC_MAX_ATTEMPTS,
  });
  return created;
}

/** A service was created, changed or archived: its Item follows (latest state wins). */
export async function enqueueQboServiceSync(
  tx: Queryable,
  tenantId: string,
  serviceId: string,
): Promise<boolean> {
  const connection = await pushConnection(tx, tenantId);
  if (!connection) return false;
  return add(
    tx,
    connection,
    QBO_SYNC_SERVICE_JOB,
    { service_id: serviceId },
    { orderingKey: `quickbooks:service:${serviceId}` },
  );
}

/** A contact changed: its Customer follows, if it has one (customers are made on first invoice). */
export async function enqueueQboContactSync(
  tx: Queryable,
  tenantId: string,
  contactId: string,
): Promise<boolean> {
  const connection = await pushConnection(tx, tenantId);
  if (!connection) return false;
  const link = await findLinkByLocal(tx, {
    tenantId,
    provider: 'quickbooks',
    localType: 'contact',
    localId: contactId,
  });
  if (!link) return false;
  return add(
    tx,
    connection,
    QBO_SYNC_CONTACT_JOB,
    { contact_id: contactId },
    { orderingKey: `quickbooks:contact:${contactId}` },
  );
}

/**
 * An invoice was sent or voided (`change`): QuickBooks follows, once per change. Under
 * `invoice_scope: 'new_only'` only invoices created since connecting are pushed.
 */
export async function enqueueQboInvoiceSync(
  tx: Queryable,
  tenantId: string,
  invoice: { readonly id: string; readonly createdAt: Date },
  change: 'send' | 'void',
  actor: string,
): Promise<boolean> {
  if (isQuickBooksActor(actor)) return false;
  const connection = await pushConnection(tx, tenantId);
  if (!connection) return false;
  const settings = readConnectionSettings(connection);
  if (
    change === 'send' &&
    settings.invoice_scope === 'new_only' &&
    invoice.createdAt < connection.connectedAt
  ) {
    return false;
  }
  if (change === 'void') {
    // Only an invoice that was pushed (or is on its way) has anything to void in QuickBooks.
    const [state] = await tx.query(
      'SELECT 1 FROM quickbooks_invoice_sync WHERE tenant_id = $1 AND invoice_id = $2',
      [tenantId, invoice.id],
    );
    if (!state) return false;
  }
  const created = await add(
    tx,
    connection,
    QBO_SYNC_INVOICE_JOB,
    { invoice_id: invoice.id },
    {
      orderingKey: invoiceOrderingKey(invoice.id),
      dedupeKey: `${QBO_SYNC_INVOICE_JOB}:${invoice.id}:${change}`,
    },
  );
  if (created) await setQboInvoiceSyncState(tx, tenantId, invoice.id, 'pending', null);
  return created;
}

export function invoiceOrderingKey(invoiceId: string): string {
  return `quickbooks:invoice:${invoiceId}`;
}

/** A payment's jobs run behind its invoice's push (or, standalone, behind each other). */
function paymentOrderingKey(payment: Pick<Payment, 'id' | 'invoiceId'>): string {
  return payment.invoiceId === null
    ? `quickbooks:payment:${payment.id}`
    : invoiceOrderingKey(payment.invoiceId);
}

/** Money recorded in ledgerbridge (not from QuickBooks) → a QuickBooks Payment or SalesReceipt. */
export async function enqueueQboPaymentPush(
  tx: Queryable,
  tenantId: string,
  payment: Payment,
): Promise<boolean> {
  if (payment.source === 'quickbooks') return false;
  const connection = await pushConnection(tx, tenantId);
  if (!connection) return false;
  return add(
    tx,
    connection,
    QBO_SYNC_PAYMENT_JOB,
    { payment_id: payment.id },
    {
      orderingKey: paymentOrderingKey(payment),
      dedupeKey: `${QBO_SYNC_PAYMENT_JOB}:${payment.id}`,
    },
  );
}

/** A refund recorded in ledgerbridge (not from QuickBooks) → a QuickBooks RefundReceipt. */
export async function enqueueQboRefundPush(
  tx: Queryable,
  tenantId: string,
  refund: { readonly id: string; readonly source: string },
  payment: Pick<Payment, 'id' | 'invoiceId'>,
): Promise<boolean> {
  if (refund.source === 'quickbooks') return false;
  const connection = await pushConnection(tx, tenantId);
  if (!connection) return false;
  return add(
    tx,
    connection,
    QBO_SYNC_REFUND_JOB,
    { refund_id: refund.id },
    {
      orderingKey: paymentOrderingKey(payment),
      dedupeKey: `${QBO_SYNC_REFUND_JOB}:${refund.id}`,
    },
  );
}

/** A Stripe payout was paid: with `create_deposits` on, it becomes a QuickBooks Deposit. */
export async function enqueueQboDeposit(tx: Queryable, tenantId: string, payoutId: string): Promise<boolean> {
  const connection = await pushConnection(tx, tenantId);
  if (!connection || !readConnectionSettings(connection).create_deposits) return false;
  return add(
    tx,
    connection,
    QBO_SYNC_DEPOSIT_JOB,
    { payout_id: payoutId },
    {
      orderingKey: `quickbooks:payout:${payoutId}`,
      dedupeKey: `${QBO_SYNC_DEPOSIT_JOB}:${payoutId}`,
    },
  );
}

/** `invoice_scope: 'backfill'` chosen: existing sent and paid invoices are pushed, once per connection. */
export async function enqueueQboBackfill(tx: Queryable, tenantId: string): Promise<boolean> {
  const connection = await pushConnection(tx, tenantId);
  if (!connection || readConnectionSettings(connection).invoice_scope !== 'backfill') return false;
  return add(
    tx,
    connection,
    QBO_BACKFILL_JOB,
    { connection_id: connection.id },
    {
      orderingKey: `quickbooks:backfill:${tenantId}`,
      dedupeKey: `${QBO_BACKFILL_JOB}:${connection.id}`,
    },
  );
}
