import type { Queryable } from '../../../store/db.js';
import type { InboundDeps } from './context.js';

/** One stored Stripe event, as a handler sees it. */
export interface StripeEventInput {
  readonly tenantId: string;
  /** The connected account the event is about (Connect), when it names one. */
  readonly account: string | null;
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly created?: number;
    readonly data: { readonly object: unknown };
  };
}

export type EventOutcome =
  { readonly status: 'processed' } | { readonly status: 'ignored'; readonly note: string };

/**
 * A handler in two steps. `fetch` (optional) reads from Stripe what the event lacks — the charge's
 * fee, the invoice a PaymentIntent pays, a payout's transactions — before any transaction opens, so a
 * slow Stripe holds no lock. `apply` runs inside the transaction that marks the inbox entry finished:
 * all of it commits, or none. Throwing NotStoredYetError (errors.ts) retries the event later.
 */
export interface StripeEventHandler {
  readonly fetch?: (deps: InboundDeps, input: StripeEventInput) => Promise<unknown>;
  readonly apply: (tx: Queryable, input: StripeEventInput, fetched: unknown) => Promise<EventOutcome>;
}

/** Types a handler's fetch result for its apply; the table in events.ts stores them erased. */
export function defineHandler<F>(handler: {
  readonly fetch: (deps: InboundDeps, input: StripeEventInput) => Promise<F>;
  readonly apply: (tx: Queryable, input: StripeEventInput, fetched: F) => Promise<EventOutcome>;
}): StripeEventHandler {
  return handler as StripeEventHandler;
}

export const processed: EventOutcome = Object.freeze({ status: 'processed' });

export function ignored(note: string): EventOutcome {
  return { status: 'ignored', note };
}
