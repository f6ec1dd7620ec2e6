import type { Migration } from '../migrate.js';
import { tenantsAndAccess } from './0001_tenants_access.js';
import { billing } from './0002_billing.js';
import { jobs } from './0003_jobs.js';
import { integrations } from './0004_integrations.js';
import { stripeSync } from './0005_stripe_sync.js';
import { stripePayments } from './0006_stripe_payments.js';
import { subscriptions } from './0007_subscriptions.js';
import { quickbooksConnection } from './0008_quickbooks_connection.js';
import { quickbooksSync } from './0009_quickbooks_sync.js';
import { quickbooksPull } from './0010_quickbooks_pull.js';
import { servicePrices } from './0011_service_prices.js';
import { workflowsEmail } from './0012_workflows_email.js';
import { workflowRuns } from './0013_workflow_runs.js';
import { webhookSigningSecrets } from './0014_webhook_signing_secrets.js';

export const migrations: readonly Migration[] = [
  tenantsAndAccess,
  billing,
  jobs,
  integrations,
  stripeSync,
  stripePayments,
  subscriptions,
  quickbooksConnection,
  quickbooksSync,
  quickbooksPull,
  servicePrices,
  workflowsEmail,
  workflowRuns,
  webhookSigningSecrets,
];
