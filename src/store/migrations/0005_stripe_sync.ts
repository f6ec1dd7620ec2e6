import type { Migration } from '../migrate.js';

/**
 * Outbound Stripe sync (src/integrations/stripe/sync/).
 *
 * - invoices.payment_link_url: the Stripe hosted invoice page, set when the Stripe invoice is finalized.
 * - invoices.stripe_sync_status / stripe_sync_error: where the push of a sent invoice stands
 *   (pending → synced, or failed with the reason, e.g. a total that would differ by a cent). NULL when
 *   the invoice was never pushed (no Stripe connection when it was sent).
 * - stripe_tax_rates: one Stripe tax rate per (account, percentage, inclusive), created once and reused
 *   by every invoice line with that rate (external_links maps our objects; a rate is not one of ours).
 * - stripe_idempotency_generations: Stripe stores a 5xx answer under its Idempotency-Key and replays
 *   it for 24 hours, so a key that got a 5xx can never succeed. Its generation is bumped and the next
 *   attempt uses `<key>-g<generation>`, after looking up what Stripe already holds. Keys that never saw
 *   a 5xx (timeouts, 429s, network errors) are reused unchanged: that is what makes a timeout safe.
 */
export const stripeSync: Migration = {
  id: '0005',
  name: 'stripe_sync',
  sql: `
ALTER TABLE invoices
  ADD COLUMN payment_link_url text,
  ADD COLUMN stripe_sync_status text CHECK (stripe_sync_status IN ('pending', 'synced', 'failed')),
  ADD COLUMN stripe_sync_error text;

CREATE TABLE stripe_tax_rates (
  tenant_id text NOT NULL REFERENCES tenants(id),
  account text NOT NULL,
  percentage numeric(7, 4) NOT NULL,
  inclusive boolean NOT NULL,
  tax_rate_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, account, percentage, inclusive),
  UNIQUE (tenant_id, account, tax_rate_id)
);

CREATE TABLE stripe_idempotency_generations (
  tenant_id text NOT NULL REFERENCES tenants(id),
  key text NOT NULL,
  generation integer NOT NULL CHECK (generation > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
`,
};
