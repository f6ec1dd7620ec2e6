import type { Migration } from '../migrate.js';
import { tenantsAndAccess } from './0001_tenants_access.js';
import { billing } from './0002_billing.js';
import { jobs } from './0003_jobs.js';
import { integrations } from './0004_integrations.js';
import { stripeSync } from './0005_stripe_sync.js';
import { stripePayments } from './0006_stripe_payments.js';
import { subscriptions } from './0007_subscriptions.js';

export const migrations: readonly Migration[] = [
  tenantsAndAccess,
  billing,
  jobs,
  integrations,
  stripeSync,
  stripePayments,
  subscriptions,
];
