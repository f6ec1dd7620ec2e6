import type Stripe from 'stripe';
import { storeNewInvoice } from '../../../billing/invoices.js';
import type { LineDraft } from '../../../billing/lines.js';
import { transitionInvoice } from '../../../domain/index.js';
import { PermanentJobError } from '../../../jobs/errors.js';
import type { Queryable } from '../../../store/db.js';
import { findLinkByExternal, upsertLink } from '../../../store/repositories/external-links.js';
import { getLiveConnection } from '../../../store/repositories/integration-connections.js';
import { type Invoice, updateInvoice } from '../../../store/repositories/invoices.js';
import { getSubscription, type Subscription } from '../../../store/repositories/subscriptions.js';
import { appendInvoiceEvent } from '../../../store/repositories/timeline.js';
import { setInvoiceSyncState } from '../sync/store.js';
import { stripeActor } from './timeline.js';

/**
 * A finalized Stripe invoice that one of our subscriptions generated becomes one of our invoices:
 * one line per Stripe line, the subscription's contact, the next number of our sequence, status open,
 * linked to the Stripe invoice with its hosted page as the payment link. From then on it is an
 * invoice like any other: resolve.ts finds it by the link, and the paid/payment handlers apply.
 *
 * Exactly once: the subscription is locked first, so two deliveries of the event (or of two events
 * about one invoice) import one after the other, and the second finds the link the first stored.
 * Returns undefined when there is nothing to import — not a subscription invoice, not one of ours,
 * still a draft, or already imported — and the caller goes on as for any invoice.
 */
export async function importSubscriptionInvoice(
  tx: Queryable,
  tenantId: string,
  stripeInvoice: Stripe.Invoice,
): Promise<Invoice | undefined> {
  const details = stripeInvoice.parent?.subscription_details;
  if (!details || stripeInvoice.status === 'draft') return undefined;
  const subscription = await ourSubscription(tx, tenantId, details);
  if (!subscription) return undefined;
  const linked = await findLinkByExternal(tx, {
    tenantId,
    provider: 'stripe',
    localType: 'invoice',
    externalId: stripeInvoice.id,
  });
  if (linked) return undefined;
  const connection = await getLiveConnection(tx, tenantId, 'stripe');
  if (!connection) return undefined;

  const currency = stripeInvoice.currency.toUpperCase();
  const drafts = stripeInvoice.lines.data.map((line) => lineDraft(line, subscription.serviceId));
  if (stripeInvoice.lines.has_more || drafts.length === 0) {
    throw new PermanentJobError(
      `Stripe invoice ${stripeInvoice.id} has ${drafts.length === 0 ? 'no' : 'more than the listed'} lines; ` +
        'it cannot be imported',
    );
  }
  const who = stripeActor(tenantId);
  const draft = await storeNewInvoice(tx, who, subscription.contactId, currency, drafts, {
    dueDate: stripeInvoice.due_date === null ? null : isoDate(stripeInvoice.due_date),
    memo: `Subscription ${subscription.id}`,
    formType: 'invoice',
  });
  if (draft.total !== stripeInvoice.total) {
    throw new PermanentJobError(
      `Stripe invoice ${stripeInvoice.id} totals ${stripeInvoice.total} but its lines price at ${draft.total} here`,
    );
  }
  const status = transitionInvoice(draft.status, 'send');
  const invoice = await updateInvoice(tx, tenantId, draft.id, { status, stamp: 'sent_at' });
  const url = stripeInvoice.hosted_invoice_url ?? null;
  await upsertLink(tx, {
    tenantId,
    provider: 'stripe',
    localType: 'invoice',
    localId: invoice.id,
    externalId: stripeInvoice.id,
    externalAccount: connection.externalAccountId,
    data: { stage: 'finalized', hosted_invoice_url: url, number: stripeInvoice.number },
  });
  await setInvoiceSyncState(tx, tenantId, invoice.id, {
    status: 'synced',
    error: null,
    ...(url !== null && { paymentLinkUrl: url }),
  });
  await appendInvoiceEvent(tx, {
    ...who,
    invoiceId: invoice.id,
    kind: 'invoice.sent',
    message: 'Invoice was issued by Stripe for a subscription',
    data: {
      from: draft.status,
      to: status,
      subscription_id: subscription.id,
      stripe_invoice_id: stripeInvoice.id,
      stripe_number: stripeInvoice.number,
      url,
    },
  });
  return invoice;
}

/**
 * Our subscription behind Stripe's, locked: by the link the sync stored, else by the metadata it put
 * on the Stripe subscription (which Stripe copies onto each invoice), when that names this tenant.
 */
async function ourSubscription(
  tx: Queryable,
  tenantId: string,
  details: Stripe.Invoice.Parent.SubscriptionDetails,
): Promise<Subscription | undefined> {
  const stripeId = typeof details.subscription === 'string' ? details.subscription : details.subscription.id;
  const link = await findLinkByExternal(tx, {
    tenantId,
    provider: 'stripe',
    localType: 'subscription',
    externalId: stripeId,
  });
  const metadata = details.metadata ?? {};
  const localId =
    link?.localId ??
    (metadata.ledgerbridge_tenant_id === tenantId ? metadata.ledgerbridge_subscription_id : undefined);
  if (localId === undefined || localId === '') return undefined;
  return getSubscription(tx, tenantId, localId, 'update');
}

/** Stripe's line as ours: its amount exactly, per unit when the quantity divides it. */
function lineDraft(line: Stripe.InvoiceLineItem, serviceId: string): LineDraft {
  const quantity = line.quantity ?? 1;
  const perUnit = quantity > 0 && line.amount % quantity === 0;
  return {
    description: line.description ?? 'Subscription',
    quantity: perUnit ? String(quantity) : '1',
    unitPrice: perUnit ? line.amount / quantity : line.amount,
    serviceId,
    billableId: null,
    discount: null,
    taxRate: null,
    taxInclusive: false,
  };
}

function isoDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}
