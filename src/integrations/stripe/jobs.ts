import type { JobHandler } from '../../jobs/handler.js';
import type { Db } from '../../store/db.js';
import { createWebhookProcessor, STRIPE_WEBHOOK_JOB } from './webhook-processor.js';

export interface StripeJobDeps {
  readonly db: Db;
}

/**
 * Every job type of the Stripe integration with its handler. Each worker process registers all of
 * them (a worker dead-letters a type it has no handler for), so src/runtime/process.ts spreads this
 * into the Worker's handlers.
 */
export function stripeJobHandlers(deps: StripeJobDeps): Record<string, JobHandler> {
  return {
    [STRIPE_WEBHOOK_JOB]: createWebhookProcessor(deps.db),
  };
}
