import type Stripe from 'stripe';

/**
 * The event types a webhook endpoint may subscribe to here: every type the emulator emits (core and
 * billing resources, Connect OAuth) and a few close relatives an integration commonly lists. Typed
 * against the SDK's own union, so a misspelt type does not compile. `*` subscribes to all.
 */
export const KNOWN_EVENT_TYPES: readonly Stripe.Event.Type[] = [
  'account.application.authorized',
  'account.application.deauthorized',
  'account.updated',
  'balance.available',
  'charge.captured',
  'charge.failed',
  'charge.pending',
  'charge.refund.updated',
  'charge.refunded',
  'charge.succeeded',
  'charge.updated',
  'customer.created',
  'customer.deleted',
  'customer.subscription.created',
  'customer.subscription.deleted',
  'customer.subscription.updated',
  'customer.updated',
  'invoice.created',
  'invoice.deleted',
  'invoice.finalization_failed',
  'invoice.finalized',
  'invoice.marked_uncollectible',
  'invoice.overdue',
  'invoice.paid',
  'invoice.payment_action_required',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.sent',
  'invoice.upcoming',
  'invoice.updated',
  'invoice.voided',
  'invoice_payment.paid',
  'invoiceitem.created',
  'invoiceitem.deleted',
  'payment_intent.canceled',
  'payment_intent.created',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  'payout.canceled',
  'payout.created',
  'payout.failed',
  'payout.paid',
  'payout.reconciliation_completed',
  'payout.updated',
  'price.created',
  'price.deleted',
  'price.updated',
  'product.created',
  'product.deleted',
  'product.updated',
  'refund.created',
  'refund.failed',
  'refund.updated',
  'tax_rate.created',
  'tax_rate.updated',
];

const known = new Set<string>(KNOWN_EVENT_TYPES);

export function isKnownEventType(type: string): boolean {
  return type === '*' || known.has(type);
}

/** Whether an endpoint subscribed to `enabled` wants an event of `type`. */
export function endpointWants(enabled: readonly string[], type: string): boolean {
  return enabled.includes('*') || enabled.includes(type);
}
