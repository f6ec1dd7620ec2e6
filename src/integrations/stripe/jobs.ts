import type { JobHandler } from '../../jobs/handler.js';
import type { Db } from '../../store/db.js';
import { createReconciler, STRIPE_RECONCILE_JOB } from './inbound/reconcile.js';
import type { StripeIntegration } from './settings.js';
import { createWebhookProcessor, STRIPE_WEBHOOK_JOB } from './webhook-processor.js';

export interface StripeJobDeps {
  readonly db: Db;
  /**
   * Stripe settings and credentials' SecretBox: events that need a Stripe read (fees, payouts, the
   * invoice a PaymentIntent pays) and reconciliation use them. Without it those jobs wait and retry.
   */
  readonly stripe?: StripeIntegration | undefined;
}

/**
 * Every job type of the Stripe integration with its handler. Each worker process registers all of
 * them (a worker dead-letters a type it has no handler for), so src/runtime/process.ts spreads this
 * into the Worker's handlers.
 */
export function stripeJobHandlers(deps: StripeJobDeps): Record<string, JobHandler> {
  return {
    [STRIPE_WEBHOOK_JOB]: createWebhookProcessor(deps.db, deps.stripe),
    [STRIPE_RECONCILE_JOB]: createReconciler(deps),
  };
}
