import type { Migration } from '../migrate.js';

/**
 * Inbound Stripe payments (src/integrations/stripe/inbound/).
 *
 * - payments.fee_amount: what the processor kept (Stripe's fee from the charge's balance transaction),
 *   in the payment's minor units; NULL when unknown (manual payments).
 * - payments.card_brand / card_last4: the card that paid, when it was a card.
 * - payments.stripe_payout_id: the Stripe payout (po_…) that carried the payment to the bank, once paid
 *   out: the basis of bank-deposit reconciliation.
 * - stripe_payouts / stripe_payout_items: each paid payout and the balance transactions it carried
 *   (charges, refunds, fees…), with the payment or refund of ours each one is, when it is one.
 * - stripe_event_cursors: per connection, the newest Stripe event the reconciliation job has seen,
 *   so the next run lists only what came after (with an overlap; the inbox dedupes).
 */
export const stripePayments: Migration = {
  id: '0006',
  name: 'stripe_payments',
  sql: `
ALTER TABLE payments
  ADD COLUMN fee_amount bigint CHECK (fee_amount >= 0),
  ADD COLUMN card_brand text,
  ADD COLUMN card_last4 text CHECK (card_last4 ~ '^[0-9]{4}$'),
  ADD COLUMN stripe_payout_id text;
CREATE INDEX payments_stripe_payout_idx ON payments (tenant_id, stripe_payout_id) WHERE stripe_payout_id IS NOT NULL;

CREATE TABLE stripe_payouts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  account text NOT NULL,
  amount bigint NOT NULL,
  currency char(3) NOT NULL,
  status text NOT NULL,
  arrival_date timestamptz,
  automatic boolean NOT NULL,
  -- sums over the carried balance transactions (NULL when Stripe does not list them: manual payouts)
  gross_amount bigint,
  fee_amount bigint,
  net_amount bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE stripe_payout_items (
  tenant_id text NOT NULL,
  payout_id text NOT NULL,
  balance_transaction_id text NOT NULL,
  type text NOT NULL,
  -- the charge (ch_…), refund (re_…) or other object the transaction is about
  source_id text,
  amount bigint NOT NULL,
  fee bigint NOT NULL,
  net bigint NOT NULL,
  currency char(3) NOT NULL,
  payment_id text,
  refund_id text,
  PRIMARY KEY (tenant_id, payout_id, balance_transaction_id),
  FOREIGN KEY (tenant_id, payout_id) REFERENCES stripe_payouts (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id),
  FOREIGN KEY (tenant_id, refund_id) REFERENCES refunds (tenant_id, id)
);

CREATE TABLE stripe_event_cursors (
  tenant_id text NOT NULL,
  connection_id text NOT NULL,
  -- Stripe's event.created (unix seconds) of the newest event seen
  last_created bigint NOT NULL,
  last_event_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connection_id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES integration_connections (tenant_id, id)
);
`,
};
