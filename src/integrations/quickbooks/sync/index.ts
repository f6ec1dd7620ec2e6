import { describeError, PermanentJobError, SnoozeJobError } from '../../../jobs/errors.js';
import type { JobHandler } from '../../../jobs/handler.js';
import type { Job } from '../../../jobs/job.js';
import { withQuickBooksSession } from '../connection/pause.js';
import { runBackfill, runInvoiceBatch } from './backfill.js';
import { type QboSyncContext, type QboSyncDeps, syncContext } from './context.js';
import { syncContact } from './customers.js';
import { pushDeposit } from './deposits.js';
import { RealmPacer } from './pace.js';
import {
  QBO_BACKFILL_JOB,
  QBO_BATCH_JOB,
  QBO_SYNC_CONTACT_JOB,
  QBO_SYNC_DEPOSIT_JOB,
  QBO_SYNC_INVOICE_JOB,
  QBO_SYNC_PAYMENT_JOB,
  QBO_SYNC_REFUND_JOB,
  QBO_SYNC_SERVICE_JOB,
} from './enqueue.js';
import { markInvoiceFailed, syncInvoice } from './invoice-push.js';
import { syncService } from './items.js';
import { pushPayment } from './payments.js';
import { pushRefund } from './refunds.js';
import { getQboInvoiceSyncState, noteQboInvoiceSyncError, setQboInvoiceSyncState } from './store.js';

const PUSH_OFF = 'invoice push to QuickBooks was turned off before this invoice was pushed';

export * from './enqueue.js';
export type { QboSyncDeps } from './context.js';
export { getQboInvoiceSyncState, type QboInvoiceSyncState } from './store.js';

function payloadId(job: Job, field: string): string {
  const value = (job.payload as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value === '') throw new PermanentJobError(`payload has no ${field}`);
  return value;
}

function payloadIds(job: Job, field: string): string[] {
  const value = (job.payload as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string')) {
    throw new PermanentJobError(`payload has no ${field}`);
  }
  return value;
}

/**
 * Every job type of the outbound QuickBooks sync with its handler; the worker registers them all
 * (`...quickbooksSyncJobHandlers({ db, quickbooks })`). Each runs inside withQuickBooksSession, which
 * parks the job (without spending an attempt) while QuickBooks throttles or waits for a reconnect.
 * With `invoices_push` turned off after a job was enqueued, the job does nothing.
 */
export function quickbooksSyncJobHandlers(deps: QboSyncDeps): Record<string, JobHandler> {
  const pacer = deps.pacer ?? new RealmPacer(deps.realmRate);
  const run =
    <T>(fn: (ctx: QboSyncContext, job: Job) => Promise<T>, whenOff?: (ctx: QboSyncContext) => Promise<T>) =>
    (job: Job) =>
      withQuickBooksSession(deps, job, async (session) => {
        const ctx = syncContext(deps.db, job, session, pacer);
        if (ctx.settings.invoices_push) return fn(ctx, job);
        return whenOff ? whenOff(ctx) : { skipped: 'invoices_push is off' };
      });
  return {
    [QBO_SYNC_CONTACT_JOB]: run((ctx, job) => syncContact(ctx, payloadId(job, 'contact_id'))),
    [QBO_SYNC_SERVICE_JOB]: run((ctx, job) => syncService(ctx, payloadId(job, 'service_id'))),
    [QBO_SYNC_PAYMENT_JOB]: run((ctx, job) => pushPayment(ctx, payloadId(job, 'payment_id'))),
    [QBO_SYNC_REFUND_JOB]: run((ctx, job) => pushRefund(ctx, payloadId(job, 'refund_id'))),
    [QBO_SYNC_DEPOSIT_JOB]: run((ctx, job) => pushDeposit(ctx, payloadId(job, 'payout_id'))),
    [QBO_BACKFILL_JOB]: run((ctx) => runBackfill(ctx)),
    [QBO_BATCH_JOB]: async (job) => {
      const invoiceIds = payloadIds(job, 'invoice_ids');
      try {
        return await run((ctx) => runInvoiceBatch(ctx, invoiceIds))(job);
      } catch (error) {
        // Each invoice of the page that did not make it carries the reason, as a single push would.
        if (job.tenantId !== null) {
          for (const invoiceId of invoiceIds) {
            const state = await getQboInvoiceSyncState(deps.db, job.tenantId, invoiceId);
            if (state?.status === 'pending') await recordFailure(deps, job, job.tenantId, invoiceId, error);
          }
        }
        throw error;
      }
    },
    [QBO_SYNC_INVOICE_JOB]: async (job) => {
      const invoiceId = payloadId(job, 'invoice_id');
      try {
        return await run(
          (ctx) => syncInvoice(ctx, invoiceId),
          // Turned off between enqueue and run: the invoice must not stay "pending" forever.
          async (ctx) => {
            await setQboInvoiceSyncState(ctx.db, ctx.tenantId, invoiceId, 'failed', PUSH_OFF);
            return { quickbooks_invoice_id: null, action: 'skipped' as const, note: PUSH_OFF };
          },
        )(job);
      } catch (error) {
        if (job.tenantId !== null) await recordFailure(deps, job, job.tenantId, invoiceId, error);
        throw error;
      }
    },
  };
}

/**
 * A failure the queue will not retry (permanent, or the last attempt) is written on the invoice: its
 * QuickBooks sync state and a timeline entry with the reason. A retryable one only notes the error;
 * a snooze (throttled, waiting for a reconnect) is not a failure at all.
 */
async function recordFailure(
  deps: QboSyncDeps,
  job: Job,
  tenantId: string,
  invoiceId: string,
  error: unknown,
) {
  if (error instanceof SnoozeJobError) return;
  const message = error instanceof Error ? error.message : describeError(error);
  if (!(await getQboInvoiceSyncState(deps.db, tenantId, invoiceId))) return;
  if (!(error instanceof PermanentJobError) && job.attempts < job.maxAttempts) {
    await noteQboInvoiceSyncError(deps.db, tenantId, invoiceId, message);
    return;
  }
  await markInvoiceFailed(deps.db, tenantId, invoiceId, message, { job_id: job.id, attempt: job.attempts });
}
