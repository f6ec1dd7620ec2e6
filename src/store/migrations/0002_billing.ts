import type { Migration } from '../migrate.js';

/**
 * The billing domain. Every table carries tenant_id and every reference between tables is a
 * composite (tenant_id, id) foreign key, so even a buggy query cannot link one tenant's invoice to
 * another tenant's contact. Money columns are bigint minor units next to an ISO currency code.
 */
export const billing: Migration = {
  id: '0002',
  name: 'billing',
  sql: `
CREATE TABLE contacts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('individual', 'organization')),
  name text NOT NULL,
  email text,
  phone text,
  billing_address jsonb,
  preferred_currency char(3),
  archived boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contacts_email_idx ON contacts (tenant_id, lower(email));

CREATE TABLE services (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  currency char(3) NOT NULL,
  tax_rate numeric(7, 4),
  tax_inclusive boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  recurring_interval text CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code)
);

CREATE TABLE opportunities (
  tenant_id text NOT NULL,
  id text NOT NULL,
  contact_id text NOT NULL,
  title text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);

CREATE TABLE tickets (
  tenant_id text NOT NULL,
  id text NOT NULL,
  contact_id text NOT NULL,
  title text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);

CREATE TABLE orders (
  tenant_id text NOT NULL,
  id text NOT NULL,
  contact_id text NOT NULL,
  title text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'fulfilled', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);

CREATE TABLE invoices (
  tenant_id text NOT NULL,
  id text NOT NULL,
  number integer NOT NULL,
  contact_id text NOT NULL,
  currency char(3) NOT NULL,
  form_type text NOT NULL DEFAULT 'invoice',
  status text NOT NULL CHECK (status IN ('draft', 'open', 'partially_paid', 'paid', 'void', 'uncollectible', 'archived')),
  archived_from text,
  subtotal bigint NOT NULL,
  discount_total bigint NOT NULL,
  tax_total bigint NOT NULL,
  total bigint NOT NULL CHECK (total >= 0),
  amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
  amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  balance bigint NOT NULL,
  issue_date date NOT NULL,
  due_date date,
  memo text,
  sent_at timestamptz,
  paid_at timestamptz,
  voided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  CHECK (amount_paid <= total),
  CHECK (balance = total - amount_paid),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);
CREATE INDEX invoices_contact_idx ON invoices (tenant_id, contact_id);
CREATE INDEX invoices_status_idx ON invoices (tenant_id, status);

CREATE TABLE invoice_lines (
  tenant_id text NOT NULL,
  id text NOT NULL,
  invoice_id text NOT NULL,
  position integer NOT NULL,
  billable_id text,
  service_id text,
  description text NOT NULL,
  quantity numeric(18, 6) NOT NULL,
  unit_price bigint NOT NULL,
  discount_kind text CHECK (discount_kind IN ('percent', 'amount')),
  discount_value text,
  tax_rate numeric(7, 4),
  tax_inclusive boolean NOT NULL DEFAULT false,
  gross_amount bigint NOT NULL,
  discount_amount bigint NOT NULL,
  net_amount bigint NOT NULL,
  tax_amount bigint NOT NULL,
  total_amount bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, invoice_id, position),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);

CREATE TABLE billables (
  tenant_id text NOT NULL,
  id text NOT NULL,
  parent_type text NOT NULL CHECK (parent_type IN ('opportunity', 'ticket', 'order')),
  parent_id text NOT NULL,
  contact_id text NOT NULL,
  service_id text,
  description text NOT NULL,
  quantity numeric(18, 6) NOT NULL CHECK (quantity > 0),
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  currency char(3) NOT NULL,
  discount_kind text CHECK (discount_kind IN ('percent', 'amount')),
  discount_value text,
  tax_rate numeric(7, 4),
  tax_inclusive boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'unbilled' CHECK (status IN ('unbilled', 'invoiced', 'paid')),
  invoice_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
CREATE INDEX billables_parent_idx ON billables (tenant_id, parent_type, parent_id);
CREATE INDEX billables_contact_idx ON billables (tenant_id, contact_id, status);

CREATE TABLE payments (
  tenant_id text NOT NULL,
  id text NOT NULL,
  invoice_id text,
  contact_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  currency char(3) NOT NULL,
  method text NOT NULL CHECK (method IN ('card', 'bank_transfer', 'cash', 'check', 'other')),
  source text NOT NULL CHECK (source IN ('manual', 'stripe', 'quickbooks')),
  -- what a payment not tied to an invoice was for
  purpose text NOT NULL CHECK (purpose IN ('invoice', 'order_form', 'subscription', 'membership', 'calendar_booking', 'other')),
  external_id text,
  reference text,
  memo text,
  received_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (amount_refunded <= amount),
  CHECK ((purpose = 'invoice') = (invoice_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);
-- The same provider payment recorded twice (a duplicate webhook, a retried sync) is one payment.
CREATE UNIQUE INDEX payments_external_key ON payments (tenant_id, source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX payments_invoice_idx ON payments (tenant_id, invoice_id);

CREATE TABLE refunds (
  tenant_id text NOT NULL,
  id text NOT NULL,
  payment_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL,
  reason text,
  source text NOT NULL CHECK (source IN ('manual', 'stripe', 'quickbooks')),
  external_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
CREATE UNIQUE INDEX refunds_external_key ON refunds (tenant_id, source, external_id) WHERE external_id IS NOT NULL;

-- The invoice timeline: append-only; seq orders events that share a timestamp.
CREATE TABLE invoice_events (
  tenant_id text NOT NULL,
  id text NOT NULL,
  seq bigserial,
  invoice_id text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL,
  system text NOT NULL,
  kind text NOT NULL,
  message text NOT NULL,
  data jsonb,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX invoice_events_invoice_idx ON invoice_events (tenant_id, invoice_id, occurred_at, seq);
`,
};
