import type Stripe from 'stripe';
import { PermanentJobError } from '../../../jobs/errors.js';
import { findLinkByLocal, upsertLink } from '../../../store/repositories/external-links.js';
import { getService } from '../../../store/repositories/services.js';
import { getSubscription } from '../../../store/repositories/subscriptions.js';
import { syncService } from './catalog.js';
import { call, keyFor, ourMetadata, type SyncContext } from './context.js';
import { ensureCustomer } from './customers.js';

/** Days a subscription invoice is due after Stripe issues it. */
export const SUBSCRIPTION_DAYS_UNTIL_DUE = 30;

export interface SubscriptionSyncResult {
  readonly stripe_subscription_id: string | null;
  readonly status: string;
  readonly skipped?: string;
}

/**
 * Makes the Stripe subscription follow ours (latest state wins): an active subscription without one
 * gets it — the contact's customer and the service's recurring price first, then the subscription,
 * collected by invoice (`send_invoice`), created under an idempotency key from our id and linked at
 * once; a canceled one has its Stripe subscription canceled. Each invoice Stripe then issues for it
 * is imported by the inbound side (inbound/subscription-invoice.ts).
 */
export async function syncSubscription(
  ctx: SyncContext,
  subscriptionId: string,
): Promise<SubscriptionSyncResult> {
  const subscription = await getSubscription(ctx.db, ctx.tenantId, subscriptionId);
  if (!subscription) throw new PermanentJobError(`subscription ${subscriptionId} does not exist`);
  const link = await findLinkByLocal(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'subscription',
    localId: subscriptionId,
  });
  if (link && link.externalAccount !== ctx.account) {
    throw new PermanentJobError(
      `subscription ${subscriptionId} is in Stripe account ${link.externalAccount}, not ${ctx.account}`,
    );
  }
  const { stripe } = ctx.access;

  if (subscription.status === 'canceled') {
    if (!link) return { stripe_subscription_id: null, status: 'canceled', skipped: 'never in Stripe' };
    const current = await call(ctx, `read Stripe subscription ${link.externalId}`, undefined, (o) =>
      stripe.subscriptions.retrieve(link.externalId, {}, o),
    );
    if (current.status === 'canceled') {
      return { stripe_subscription_id: current.id, status: current.status, skipped: 'already canceled' };
    }
    const canceled = await call(ctx, `cancel Stripe subscription ${link.externalId}`, undefined, (o) =>
      stripe.subscriptions.cancel(link.externalId, {}, o),
    );
    await saveLink(ctx, subscriptionId, canceled);
    return { stripe_subscription_id: canceled.id, status: canceled.status };
  }
  if (link)
    return { stripe_subscription_id: link.externalId, status: 'active', skipped: 'already in Stripe' };

  const service = await getService(ctx.db, ctx.tenantId, subscription.serviceId);
  if (!service) throw new PermanentJobError(`service ${subscription.serviceId} does not exist`);
  if (service.recurringInterval === null) {
    throw new PermanentJobError(`service ${service.code} is not recurring; it cannot be subscribed to`);
  }
  const customerId = await ensureCustomer(ctx, subscription.contactId);
  const { priceId } = await syncService(ctx, service.id);
  let created = ctx.retrying ? await findOurs(ctx, customerId, subscriptionId) : undefined;
  created ??= await call(
    ctx,
    `create the Stripe subscription of ${subscriptionId}`,
    keyFor(ctx, subscriptionId, 'create'),
    (o) =>
      stripe.subscriptions.create(
        {
          customer: customerId,
          items: [{ price: priceId, quantity: subscription.quantity }],
          collection_method: 'send_invoice',
          days_until_due: SUBSCRIPTION_DAYS_UNTIL_DUE,
          metadata: ourMetadata(ctx, { ledgerbridge_subscription_id: subscriptionId }),
        },
        o,
      ),
  );
  await saveLink(ctx, subscriptionId, created);
  return { stripe_subscription_id: created.id, status: created.status };
}

async function saveLink(ctx: SyncContext, subscriptionId: string, stripeSubscription: Stripe.Subscription) {
  await upsertLink(ctx.db, {
    tenantId: ctx.tenantId,
    provider: 'stripe',
    localType: 'subscription',
    localId: subscriptionId,
    externalId: stripeSubscription.id,
    externalAccount: ctx.account,
    data: { status: stripeSubscription.status },
  });
}

/** A Stripe subscription made for ours by an attempt that died before linking it. */
async function findOurs(
  ctx: SyncContext,
  customerId: string,
  subscriptionId: string,
): Promise<Stripe.Subscription | undefined> {
  const subscriptions = await call(ctx, 'look up the customer’s Stripe subscriptions', undefined, (o) =>
    ctx.access.stripe.subscriptions
      .list({ customer: customerId, limit: 100 }, o)
      .autoPagingToArray({ limit: 10_000 }),
  );
  return subscriptions.find(
    (candidate) => candidate.metadata.ledgerbridge_subscription_id === subscriptionId,
  );
}
