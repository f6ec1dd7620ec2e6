import type Stripe from 'stripe';
import { getLiveConnection, markDisconnected } from '../../store/repositories/integration-connections.js';
import { chargeRefunded } from './inbound/charge-refunded.js';
import type { StripeEventHandler } from './inbound/handler.js';
import {
  invoiceFinalized,
  invoiceMarkedUncollectible,
  invoiceSent,
  invoiceVoided,
} from './inbound/invoice-status.js';
import { invoicePaymentFailed, paymentIntentFailed } from './inbound/payment-failed.js';
import { invoicePaid, paymentIntentSucceeded } from './inbound/payment-succeeded.js';
import { payoutPaid } from './inbound/payout-paid.js';

/**
 * What happens to each Stripe event type, in one frozen table. Every type we subscribe endpoints to
 * has an entry; a type outside the table is recorded as ignored with a note. Each handler (one small
 * file each in inbound/) maps the event to one neutral domain action of ours — record a payment,
 * record a refund, move an invoice's status forward, note a failure on its timeline, store a payout —
 * and calls the billing services as system 'stripe'.
 */
export type { EventOutcome, StripeEventHandler, StripeEventInput } from './inbound/handler.js';

/**
 * account.application.deauthorized: the account owner revoked our access in Stripe. The connection
 * is marked disconnected (credentials wiped, row kept); nothing goes on any invoice timeline.
 */
const deauthorized: StripeEventHandler = {
  apply: async (tx, { tenantId, account }) => {
    const connection = await getLiveConnection(tx, tenantId, 'stripe', { forUpdate: true });
    if (!connection || (account !== null && connection.externalAccountId !== account)) {
      return { status: 'ignored', note: 'no live connection to this Stripe account; nothing to disconnect' };
    }
    await markDisconnected(tx, connection, 'stripe');
    return { status: 'processed' };
  },
};

type EventType = Stripe.WebhookEndpointCreateParams.EnabledEvent;

export const stripeEventHandlers: Readonly<Partial<Record<EventType, StripeEventHandler>>> = Object.freeze({
  'account.application.deauthorized': deauthorized,
  'invoice.finalized': invoiceFinalized,
  'invoice.sent': invoiceSent,
  'invoice.paid': invoicePaid,
  'invoice.payment_failed': invoicePaymentFailed,
  'invoice.voided': invoiceVoided,
  'invoice.marked_uncollectible': invoiceMarkedUncollectible,
  'payment_intent.succeeded': paymentIntentSucceeded,
  'payment_intent.payment_failed': paymentIntentFailed,
  'charge.refunded': chargeRefunded,
  'payout.paid': payoutPaid,
});

/** The events a webhook endpoint we register subscribes to: exactly the table's types. */
export const SUBSCRIBED_EVENT_TYPES = Object.freeze(Object.keys(stripeEventHandlers) as EventType[]);

/** The table's entry, or the rule for any other type. Own keys only: "constructor" is not a type. */
export function stripeEventHandler(type: string): StripeEventHandler {
  const handler = Object.hasOwn(stripeEventHandlers, type)
    ? stripeEventHandlers[type as EventType]
    : undefined;
  return handler ?? notSubscribed(type);
}

function notSubscribed(type: string): StripeEventHandler {
  return {
    apply: () => Promise.resolve({ status: 'ignored', note: `ledgerbridge does not use ${type} events` }),
  };
}
