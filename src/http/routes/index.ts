import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { StripeIntegration } from '../../integrations/stripe/settings.js';
import type { Db } from '../../store/db.js';
import { accessRoutes } from './access.js';
import { billableRoutes } from './billables.js';
import { contactRoutes } from './contacts.js';
import { emailRoutes } from './emails.js';
import { stripeIntegrationRoutes } from './integrations-stripe.js';
import { invoiceRoutes } from './invoices.js';
import { jobRoutes } from './jobs.js';
import { opportunityRoutes, orderRoutes, ticketRoutes } from './parents.js';
import { paymentRoutes } from './payments.js';
import { serviceRoutes } from './services.js';
import { subscriptionRoutes } from './subscriptions.js';
import { webhookSigningSecretRoutes } from './webhook-signing-secret.js';
import { workflowRunRoutes } from './workflow-runs.js';
import { workflowRoutes } from './workflows.js';

export interface ApiOptions {
  readonly db: Db;
  readonly cookieSecure: boolean;
  readonly sessionTtlHours: number;
}

export interface ApiRoutesOptions extends ApiOptions {
  readonly stripe: StripeIntegration;
}

/** Everything under /api/v1. */
export const apiRoutes: FastifyPluginAsyncZod<ApiRoutesOptions> = async (app, options) => {
  // Pass only our own options on: forwarding `options` whole would forward `prefix` and nest it twice.
  const { db, cookieSecure, sessionTtlHours } = options;
  await app.register(accessRoutes, { db, cookieSecure, sessionTtlHours });
  await app.register(contactRoutes, { db: options.db });
  await app.register(serviceRoutes, { db: options.db });
  await app.register(opportunityRoutes, { db: options.db });
  await app.register(ticketRoutes, { db: options.db });
  await app.register(orderRoutes, { db: options.db });
  await app.register(billableRoutes, { db: options.db });
  await app.register(subscriptionRoutes, { db: options.db });
  await app.register(invoiceRoutes, { db: options.db });
  await app.register(paymentRoutes, { db: options.db });
  await app.register(jobRoutes, { db: options.db });
  await app.register(workflowRoutes, { db: options.db });
  await app.register(workflowRunRoutes, { db: options.db });
  await app.register(webhookSigningSecretRoutes, { db: options.db, secrets: options.stripe.secrets });
  await app.register(emailRoutes, { db: options.db });
  await app.register(stripeIntegrationRoutes, { db: options.db, stripe: options.stripe });
};
