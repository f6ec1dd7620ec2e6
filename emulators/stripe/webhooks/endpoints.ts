import type Stripe from 'stripe';
import type { AccountState, StripeObject } from '../kernel/state.js';

export type WebhookEndpoint = Stripe.WebhookEndpoint & StripeObject;

/**
 * What Stripe keeps about an endpoint but never renders after creation: its signing secret, and
 * whether it listens to the connected accounts' events (`connect=true`) or the account's own.
 */
export interface EndpointInternals {
  readonly secret: string;
  readonly connect: boolean;
}

const internals = new WeakMap<WebhookEndpoint, EndpointInternals>();

export function setEndpointInternals(endpoint: WebhookEndpoint, value: EndpointInternals): void {
  internals.set(endpoint, value);
}

export function endpointInternals(endpoint: WebhookEndpoint): EndpointInternals | undefined {
  return internals.get(endpoint);
}

/** The account's enabled endpoints of one kind: its own events, or its connected accounts'. */
export function enabledEndpoints(account: AccountState, connect: boolean): WebhookEndpoint[] {
  return account
    .all<WebhookEndpoint>('webhook_endpoint')
    .filter((endpoint) => endpoint.status === 'enabled' && internals.get(endpoint)?.connect === connect);
}
