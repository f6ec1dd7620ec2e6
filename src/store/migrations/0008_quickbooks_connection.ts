import type { Migration } from '../migrate.js';

/**
 * What a QuickBooks connection learned about its company: the name people recognize it by, read
 * from CompanyInfo at connect and at each verification. Kept apart from integration_connections
 * (shared with Stripe) and from its `settings` (what the tenant chose); one row per connection.
 */
export const quickbooksConnection: Migration = {
  id: '0008',
  name: 'quickbooks_connection',
  sql: `
CREATE TABLE quickbooks_companies (
  tenant_id text NOT NULL,
  connection_id text NOT NULL,
  realm_id text NOT NULL,
  company_name text NOT NULL,
  country text,
  fetched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connection_id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES integration_connections (tenant_id, id)
);
`,
};
