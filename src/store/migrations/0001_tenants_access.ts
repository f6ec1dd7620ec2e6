import type { Migration } from '../migrate.js';

export const tenantsAndAccess: Migration = {
  id: '0001',
  name: 'tenants_access',
  sql: `
CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  -- next per-tenant invoice number; taken with UPDATE ... RETURNING so concurrent invoices serialize
  next_invoice_number integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'viewer')),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (tenant_id, id)
);
-- A login names only an email, so an email identifies one user across all tenants.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'viewer')),
  -- sha256 of the secret; the secret itself is shown once and never stored
  secret_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE sessions (
  -- sha256 of the cookie value
  id_hash text PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed login attempts per email and per client address, shared by every API process.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
`,
};
