import { enqueue } from '../../../jobs/queue.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByLocal } from '../../../store/repositories/external-links.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';

/**
 * The jobs of the outbound Stripe sync, enqueued inside the transaction of the change that causes
 * them (so the job exists if and only if the change commits), and only while the tenant has a live
 * Stripe connection.
 */
export const STRIPE_SYNC_SERVICE_JOB = 'stripe.sync.service';
export const STRIPE_SYNC_CONTACT_JOB = 'stripe.sync.contact';
export const STRIPE_PUSH_INVOICE_JOB = 'stripe.sync.invoice';
export const STRIPE_SYNC_SUBSCRIPTION_JOB = 'stripe.sync.subscription';

/** 429 storms spend attempts too; a sync job gets more of them than the queue's default. */
export const STRIPE_SYNC_MAX_ATTEMPTS = 25;

async function connected(tx: Queryable, tenantId: string): Promise<boolean> {
  return (await getLiveConnection(tx, tenantId, 'stripe')) !== undefined;
}

/** A service was created, changed or archived: its product and price follow (latest state wins). */
export async function enqueueServiceSync(
  tx: Queryable,
  tenantId: string,
  serviceId: string,
): Promise<boolean> {
  if (!(await connected(tx, tenantId))) return false;
  await enqueue(tx, {
    tenantId,
    type: STRIPE_SYNC_SERVICE_JOB,
    payload: { service_id: serviceId },
    orderingKey: `stripe:service:${serviceId}`,
    maxAttempts: STRIPE_SYNC_MAX_ATTEMPTS,
  });
  return true;
}

/** A contact changed: its Stripe customer follows, if it has one (customers are made on first invoice). */
export async function enqueueContactSync(
  tx: Queryable,
  tenantId: string,
  contactId: string,
): Promise<boolean> {
  if (!(await connected(tx, tenantId))) return false;
  const link = await findLinkByLocal(tx, {
    tenantId,
    provider: 'stripe',
    localType: 'contact',
    localId: contactId,
  });
  if (!link) return false;
  await enqueue(tx, {
    tenantId,
    type: STRIPE_SYNC_CONTACT_JOB,
    payload: { contact_id: contactId },
    orderingKey: `stripe:contact:${contactId}`,
    maxAttempts: STRIPE_SYNC_MAX_ATTEMPTS,
  });
  return true;
}

/**
 * An invoice was sent: it goes to Stripe once, ever (the dedupe key), and its sync status becomes
 * pending in the same transaction.
 */
export async function enqueueInvoicePush(
  tx: Queryable,
  tenantId: string,
  invoiceId: string,
): Promise<boolean> {
  if (!(await connected(tx, tenantId))) return false;
  const { created } = await enqueue(tx, {
    tenantId,
    type: STRIPE_PUSH_INVOICE_JOB,
    payload: { invoice_id: invoiceId },
    dedupeKey: `${STRIPE_PUSH_INVOICE_JOB}:${invoiceId}`,
    orderingKey: `stripe:invoice:${invoiceId}`,
    maxAttempts: STRIPE_SYNC_MAX_ATTEMPTS,
  });
  if (created) {
    await tx.query(
      `UPDATE invoices SET stripe_sync_status = 'pending', stripe_sync_error = NULL WHERE tenant_id = $1 AND id = $2`,
      [tenantId, invoiceId],
    );
  }
  return created;
}

/**
 * A subscription was made or canceled: its Stripe subscription follows (latest state wins; the
 * ordering key keeps a cancel behind the create).
 */
export async function enqueueSubscriptionSync(
  tx: Queryable,
  tenantId: string,
  subscriptionId: string,
): Promise<boolean> {
  if (!(await connected(tx, tenantId))) return false;
  await enqueue(tx, {
    tenantId,
    type: STRIPE_SYNC_SUBSCRIPTION_JOB,
    payload: { subscription_id: subscriptionId },
    orderingKey: `stripe:subscription:${subscriptionId}`,
    maxAttempts: STRIPE_SYNC_MAX_ATTEMPTS,
  });
  return true;
}
