import type { Migration } from '../migrate.js';

/**
 * Subscriptions: a contact billed for a recurring service every period. With Stripe connected each
 * one becomes a Stripe subscription (linked in external_links as local_type 'subscription'), and each
 * invoice Stripe issues for it is imported as one of ours. That the service is recurring is checked
 * by the API when the subscription is made.
 */
export const subscriptions: Migration = {
  id: '0007',
  name: 'subscriptions',
  sql: `
CREATE TABLE subscriptions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  contact_id text NOT NULL,
  service_id text NOT NULL,
  quantity integer NOT NULL DEFAULT 1 CHECK (quantity >= 1),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'canceled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  canceled_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
  CHECK ((status = 'canceled') = (canceled_at IS NOT NULL))
);
CREATE INDEX subscriptions_contact_idx ON subscriptions (tenant_id, contact_id);
`,
};
