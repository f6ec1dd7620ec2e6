import { stripeId } from './ids.js';
import type { AccountState, EmulatorState, StripeObject } from './state.js';

/** The API version the `stripe` package we depend on pins; events are rendered in it. */
export const API_VERSION = '2026-10-28.endive';

export interface RequestInfo {
  readonly id: string | null;
  readonly idempotencyKey: string | null;
}

/**
 * Records an event in the account, as Stripe does for every state change, and hands it to the
 * listeners (webhook delivery). The object is snapshotted: later changes do not rewrite history.
 */
export function emitEvent(
  state: EmulatorState,
  account: AccountState,
  type: string,
  object: StripeObject,
  request: RequestInfo,
  previousAttributes?: Record<string, unknown>,
): StripeObject {
  const event: StripeObject = {
    id: stripeId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: state.clock.now(),
    data: {
      object: structuredClone(object),
      ...(previousAttributes ? { previous_attributes: structuredClone(previousAttributes) } : {}),
    },
    livemode: false,
    pending_webhooks: 0,
    request: { id: request.id, idempotency_key: request.idempotencyKey },
    type,
    ...(account === state.platform ? {} : { account: account.id }),
  };
  account.insert(event);
  account.eventIds.push(event.id);
  for (const listener of state.eventListeners) listener(account, event);
  return event;
}
