import { describeError, PermanentJobError } from '../../../jobs/errors.js';
import type { JobHandler } from '../../../jobs/handler.js';
import type { Job } from '../../../jobs/job.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import { syncService } from './catalog.js';
import { openSyncContext, type StripeSyncDeps } from './context.js';
import { syncContact } from './customers.js';
import {
  STRIPE_PUSH_INVOICE_JOB,
  STRIPE_SYNC_CONTACT_JOB,
  STRIPE_SYNC_SERVICE_JOB,
  STRIPE_SYNC_SUBSCRIPTION_JOB,
} from './enqueue.js';
import { pushInvoice } from './invoice-push.js';
import { getInvoiceSyncState, noteInvoiceSyncError, setInvoiceSyncState } from './store.js';
import { syncSubscription } from './subscriptions.js';

export * from './enqueue.js';
export type { StripeSyncDeps } from './context.js';
export { getInvoiceSyncState, type InvoiceSyncState } from './store.js';

function payloadId(job: Job, field: string): string {
  const value = (job.payload as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value === '') throw new PermanentJobError(`payload has no ${field}`);
  return value;
}

/**
 * Every job type of the outbound Stripe sync with its handler; the worker registers them all
 * (`...stripeSyncJobHandlers({ db, stripe })` next to `stripeJobHandlers`).
 */
export function stripeSyncJobHandlers(deps: StripeSyncDeps): Record<string, JobHandler> {
  return {
    [STRIPE_SYNC_SERVICE_JOB]: async (job) => {
      const ctx = await openSyncContext(deps, job);
      const { productId, priceId } = await syncService(ctx, payloadId(job, 'service_id'));
      return { product: productId, price: priceId };
    },
    [STRIPE_SYNC_CONTACT_JOB]: async (job) => {
      const ctx = await openSyncContext(deps, job);
      return syncContact(ctx, payloadId(job, 'contact_id'));
    },
    [STRIPE_SYNC_SUBSCRIPTION_JOB]: async (job) => {
      const ctx = await openSyncContext(deps, job);
      return syncSubscription(ctx, payloadId(job, 'subscription_id'));
    },
    [STRIPE_PUSH_INVOICE_JOB]: async (job) => {
      const invoiceId = payloadId(job, 'invoice_id');
      const tenantId = job.tenantId;
      try {
        const ctx = await openSyncContext(deps, job);
        const sendByEmail = ctx.connection.settings.send_invoices_by_email === true;
        return await pushInvoice(ctx, invoiceId, sendByEmail);
      } catch (error) {
        if (tenantId !== null) await recordFailure(deps, job, tenantId, invoiceId, error);
        throw error;
      }
    },
  };
}

/**
 * A failure the queue will not retry (permanent, or the last attempt) is written on the invoice: its
 * sync status and error for the API, and a timeline entry. A retryable one only updates the error.
 */
async function recordFailure(
  deps: StripeSyncDeps,
  job: Job,
  tenantId: string,
  invoiceId: string,
  error: unknown,
) {
  const message = error instanceof Error ? error.message : describeError(error);
  if (!(error instanceof PermanentJobError) && job.attempts < job.maxAttempts) {
    await noteInvoiceSyncError(deps.db, tenantId, invoiceId, message);
    return;
  }
  if (!(await getInvoiceSyncState(deps.db, tenantId, invoiceId))) return; // no such invoice: nothing to mark
  await deps.db.transaction(async (tx) => {
    await setInvoiceSyncState(tx, tenantId, invoiceId, { status: 'failed', error: message });
    await appendInvoiceEvent(tx, {
      tenantId,
      invoiceId,
      actor: 'stripe:sync',
      system: 'stripe',
      kind: 'stripe.sync_failed',
      message: `Invoice was not sent to Stripe: ${message}`,
      data: { job_id: job.id, attempt: job.attempts },
    });
  });
}
