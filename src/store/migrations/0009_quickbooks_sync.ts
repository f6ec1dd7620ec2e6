import type { Migration } from '../migrate.js';

/**
 * Outbound QuickBooks Online sync (src/integrations/quickbooks/sync/).
 *
 * - external_links.local_type gains 'payout': a Stripe payout ↔ the QuickBooks Deposit made for it.
 *   (Payments link to a QuickBooks Payment or SalesReceipt, refunds to a RefundReceipt; `data.entity`
 *   says which.)
 * - quickbooks_invoice_sync: where the push of each invoice stands (pending → synced, or failed with
 *   the reason, e.g. a total QuickBooks computes a cent apart), when it last succeeded, and the
 *   generation that goes into the create's `requestid`: it is bumped only when we deliberately drop a
 *   QuickBooks copy (deleted after a total mismatch), so a later push may create a new one while every
 *   retry of the same generation replays the first answer instead of creating a duplicate.
 * - quickbooks_realm_facts: what the push needs to know about a company and reads once, not per
 *   invoice (home currency, multi-currency, the Income / Undeposited Funds accounts, the items made for
 *   standalone payments), refreshed when stale.
 */
export const quickbooksSync: Migration = {
  id: '0009',
  name: 'quickbooks_sync',
  sql: `
ALTER TABLE external_links DROP CONSTRAINT IF EXISTS external_links_local_type_check;
ALTER TABLE external_links ADD CONSTRAINT external_links_local_type_check
  CHECK (local_type IN ('contact', 'service', 'invoice', 'payment', 'refund', 'subscription', 'payout'));

CREATE TABLE quickbooks_invoice_sync (
  tenant_id text NOT NULL,
  invoice_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'synced', 'failed')),
  error text,
  generation integer NOT NULL DEFAULT 0 CHECK (generation >= 0),
  synced_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, invoice_id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE quickbooks_realm_facts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  realm_id text NOT NULL,
  data jsonb NOT NULL,
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, realm_id)
);
`,
};
