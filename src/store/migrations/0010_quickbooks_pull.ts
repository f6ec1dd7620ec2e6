import type { Migration } from '../migrate.js';

/**
 * Inbound QuickBooks Online sync (src/integrations/quickbooks/inbound/).
 *
 * - quickbooks_cdc_cursors: per connection, the `changedSince` the next change-data-capture sweep
 *   asks for. It starts at the connection's connected_at and moves forward only after every object of
 *   a sweep has been applied, so a sweep that fails half-way is simply repeated (applying QuickBooks'
 *   current state twice changes nothing).
 *
 * Webhook notifications themselves go to webhook_inbox (provider 'quickbooks'), QuickBooks objects
 * are matched to ours through external_links, and payments recorded in QuickBooks become payments
 * with source 'quickbooks': no other table is needed.
 */
export const quickbooksPull: Migration = {
  id: '0010',
  name: 'quickbooks_pull',
  sql: `
CREATE TABLE quickbooks_cdc_cursors (
  tenant_id text NOT NULL,
  connection_id text NOT NULL,
  changed_since timestamptz NOT NULL,
  last_run_at timestamptz,
  -- what the last sweep saw, for operators: { "Invoice": 3, "Payment": 1, ... }
  last_counts jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connection_id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES integration_connections (tenant_id, id)
);
`,
};
