import type Stripe from 'stripe';
import type { Queryable } from '../../store/db.js';
import { getLiveConnection, markDisconnected } from '../../store/repositories/integration-connections.js';

/**
 * What happens to each Stripe event type, in one frozen table. Every type we subscribe endpoints to
 * has an entry saying so explicitly; a type outside the table is recorded as ignored with a note.
 * Types whose effect ships with the sync (invoices, payments, refunds, payouts) are ignored with a
 * note saying so, never acknowledged as if they had been applied.
 */
export interface StripeEventInput {
  readonly tenantId: string;
  /** The connected account the event is about (Connect), when it names one. */
  readonly account: string | null;
  readonly event: { readonly id: string; readonly type: string; readonly data: { readonly object: unknown } };
}

export type EventOutcome =
  { readonly status: 'processed' } | { readonly status: 'ignored'; readonly note: string };

/** Runs inside the transaction that marks the inbox entry finished: all of it commits, or none. */
export type StripeEventHandler = (tx: Queryable, input: StripeEventInput) => Promise<EventOutcome>;

/**
 * account.application.deauthorized: the account owner revoked our access in Stripe. The connection
 * is marked disconnected (credentials wiped, row kept); nothing goes on any invoice timeline.
 */
const deauthorized: StripeEventHandler = async (tx, { tenantId, account }) => {
  const connection = await getLiveConnection(tx, tenantId, 'stripe', { forUpdate: true });
  if (!connection || (account !== null && connection.externalAccountId !== account)) {
    return { status: 'ignored', note: 'no live connection to this Stripe account; nothing to disconnect' };
  }
  await markDisconnected(tx, connection, 'stripe');
  return { status: 'processed' };
};

function notYet(what: string): StripeEventHandler {
  const note = `not applied: ${what} arrive with the Stripe invoice and payment sync`;
  return () => Promise.resolve({ status: 'ignored', note });
}

const invoiceEvents = notYet('invoice status changes');
const paymentEvents = notYet('payments');

type EventType = Stripe.WebhookEndpointCreateParams.EnabledEvent;

export const stripeEventHandlers: Readonly<Partial<Record<EventType, StripeEventHandler>>> = Object.freeze({
  'account.application.deauthorized': deauthorized,
  'invoice.finalized': invoiceEvents,
  'invoice.sent': invoiceEvents,
  'invoice.paid': invoiceEvents,
  'invoice.payment_failed': invoiceEvents,
  'invoice.voided': invoiceEvents,
  'invoice.marked_uncollectible': invoiceEvents,
  'payment_intent.succeeded': paymentEvents,
  'payment_intent.payment_failed': paymentEvents,
  'charge.refunded': notYet('refunds'),
  'payout.paid': notYet('payouts'),
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
  return () => Promise.resolve({ status: 'ignored', note: `ledgerbridge does not use ${type} events` });
}
